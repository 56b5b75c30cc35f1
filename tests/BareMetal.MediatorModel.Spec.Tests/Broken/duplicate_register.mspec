// expect: MS0200 4:5 'A' is already declared at 3:5
device d {
    reg A @ 0x00 : 32 rw;
    reg A @ 0x04 : 32 rw;
    safepoint A == 0;
}
