// expect: MS0703 4:20 only registers, register fields, variables and fields of memory views can be assigned
device d {
    reg A @ 0x00 : 32 rw;
    on write A { A + 1 = 2; }
    safepoint A == 0;
}
