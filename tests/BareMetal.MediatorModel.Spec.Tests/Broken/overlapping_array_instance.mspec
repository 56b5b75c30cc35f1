// expect: MS0302 5:19 register 'PxA' at 0x100 overlaps 'CTRL' at 0x100 (4 bytes)
device d {
    reg CTRL @ 0x100 : 32 rw;
    array port[2] @ 0x80 stride 0x80 {
        reg PxA @ 0x00 : 32 rw;
    }
    safepoint CTRL == 0;
}
