// expect: MS0100 4:5 expected ';' after the register but found 'safepoint'
device d {
    reg A @ 0x00 : 32 rw
    safepoint A == 0;
}
