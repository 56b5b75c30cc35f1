// expect: MS0300 3:20 register 'A' is 24 bits wide; registers are 8, 16, 32 or 64 bits
device d {
    reg A @ 0x00 : 24 rw;
    reg B @ 0x04 : 32 rw;
    safepoint B == 0;
}
