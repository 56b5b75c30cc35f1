// expect: MS0301 3:13 register 'A' at 0x2 is not aligned to its 4-byte width
device d {
    reg A @ 0x02 : 32 rw;
    safepoint A == 0;
}
