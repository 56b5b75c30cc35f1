// expect: MS0704 5:5 the device already has a safe point at 4:5
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A == 0;
    safepoint A != 1;
}
