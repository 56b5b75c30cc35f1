// expect: MS0400 4:28 field 'Entry.LAST' at byte 14 (4 bytes) ends beyond the struct's 16 bytes
device d {
    reg A @ 0x00 : 32 rw;
    struct Entry size 16 { LAST @ 14 : u32; }
    safepoint A == 0;
}
