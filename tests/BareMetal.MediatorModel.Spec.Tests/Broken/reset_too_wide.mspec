// expect: MS0306 3:31 reset value 0x100 does not fit register 'A' of 8 bits
device d {
    reg A @ 0x00 : 8 rw reset 0x100;
    safepoint A == 0;
}
