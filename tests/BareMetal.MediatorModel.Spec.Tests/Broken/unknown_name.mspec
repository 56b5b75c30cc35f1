// expect: MS0207 4:15 unknown name 'PxCI'
device d {
    reg A @ 0x00 : 32 rw;
    safepoint PxCI == 0;
}
