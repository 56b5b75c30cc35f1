// expect: MS0209 3:5 'index' is a built-in name and cannot name a register
device d {
    reg index @ 0x00 : 32 rw;
    reg A @ 0x04 : 32 rw;
    safepoint A == 0;
}
