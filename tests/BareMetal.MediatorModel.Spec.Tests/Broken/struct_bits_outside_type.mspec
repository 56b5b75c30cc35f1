// expect: MS0401 4:28 field 'Entry.FLAGS' bits [8:0] do not fit its u8
device d {
    reg A @ 0x00 : 32 rw;
    struct Entry size 16 { FLAGS @ 0 : u8 [8:0]; }
    safepoint A == 0;
}
