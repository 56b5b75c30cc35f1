// expect: MS0200 3:35 field 'F' is already declared in 'A' at 3:28
device d {
    reg A @ 0x00 : 32 rw { F [0]; F [1]; }
    safepoint A == 0;
}
