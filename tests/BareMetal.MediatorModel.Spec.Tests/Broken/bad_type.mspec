// expect: MS0403 4:36 'u24' is not a type (u8, u16, u32, u64)
device d {
    reg A @ 0x00 : 32 rw;
    struct Entry size 16 { X @ 0 : u24; }
    safepoint A == 0;
}
