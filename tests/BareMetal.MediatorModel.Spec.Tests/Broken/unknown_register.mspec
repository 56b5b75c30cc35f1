// expect: MS0201 4:14 unknown register 'B'
device d {
    reg A @ 0x00 : 32 rw;
    on write B { A = 1; }
    safepoint A == 0;
}
