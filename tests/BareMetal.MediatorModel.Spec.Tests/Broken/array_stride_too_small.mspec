// expect: MS0308 5:31 array 'q' registers span 0x8 bytes but the stride is 0x4
// expect: MS0302 7:18 register 'HI' at 0x104 overlaps 'LO' at 0x104 (4 bytes)
device d {
    reg A @ 0x00 : 32 rw;
    array q[4] @ 0x100 stride 4 {
        reg LO @ 0x00 : 32 rw;
        reg HI @ 0x04 : 32 rw;
    }
    safepoint A == 0;
}
