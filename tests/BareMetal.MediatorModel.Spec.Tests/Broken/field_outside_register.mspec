// expect: MS0303 3:28 field 'A.HIGH' [32:32] does not fit in the 32-bit register
device d {
    reg A @ 0x00 : 32 rw { HIGH [32]; }
    safepoint A == 0;
}
