// expect: MS0701 4:22 expected a number but found a condition
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A + (A == 0) == 1;
}
