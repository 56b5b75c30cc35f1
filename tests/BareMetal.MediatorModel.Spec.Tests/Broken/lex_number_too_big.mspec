// expect: MS0003 3:13 '0x1_0000_0000_0000_0000' is not a number that fits in 64 bits
device d {
    reg A @ 0x1_0000_0000_0000_0000 : 32 rw;
    safepoint A == 0;
}
