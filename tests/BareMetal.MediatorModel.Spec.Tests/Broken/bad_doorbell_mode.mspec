// expect: MS0706 4:22 'sometimes' is not a doorbell mode (bits, ring, write)
device d {
    reg A @ 0x00 : 32 rw;
    doorbell go on A sometimes { }
    safepoint A == 0;
}
