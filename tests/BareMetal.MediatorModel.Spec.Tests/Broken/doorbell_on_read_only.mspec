// expect: MS0706 4:20 doorbell register 'A' is read-only: the guest cannot ring it
device d {
    reg A @ 0x00 : 32 ro;
    doorbell go on A bits { }
    safepoint A == 0;
}
