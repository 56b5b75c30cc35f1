// expect: MS0402 6:9 field 'Hdr.TAIL' overlaps 'WORD' (byte 0)
device d {
    reg A @ 0x00 : 32 rw;
    struct Hdr size 4 big {
        WORD @ 0 : u16 [7:0];
        TAIL @ 1 : u8;
    }
    safepoint A == 0;
}
