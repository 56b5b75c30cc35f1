// expect: MS0307 3:28 field 'A.F' has bits [0:3]; write the high bit first
device d {
    reg A @ 0x00 : 32 rw { F [0:3]; }
    safepoint A == 0;
}
