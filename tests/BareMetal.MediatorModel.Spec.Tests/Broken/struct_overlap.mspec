// expect: MS0402 6:9 field 'Entry.LEN' overlaps 'ADDR' (byte 0)
device d {
    reg A @ 0x00 : 32 rw;
    struct Entry size 16 {
        ADDR @ 0 : u64;
        LEN  @ 4 : u32;
    }
    safepoint A == 0;
}
