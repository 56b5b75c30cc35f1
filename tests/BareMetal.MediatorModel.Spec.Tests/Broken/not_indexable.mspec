// expect: MS0705 4:15 register 'A' is not in an array
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A[1] == 0;
}
