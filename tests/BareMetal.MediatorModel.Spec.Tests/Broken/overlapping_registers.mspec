// expect: MS0302 4:13 register 'B' at 0x2 overlaps 'A' at 0x0 (4 bytes)
device d {
    reg A @ 0x00 : 32 rw;
    reg B @ 0x02 : 16 rw;
    safepoint A == 0;
}
