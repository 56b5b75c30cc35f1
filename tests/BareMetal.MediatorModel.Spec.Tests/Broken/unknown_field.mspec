// expect: MS0202 4:17 register 'A' has no field 'RUN'
device d {
    reg A @ 0x00 : 32 rw { EN [0]; }
    safepoint A.RUN == 0;
}
