// expect: MS0002 4:26 string is not closed on its line
// expect: MS0100 5:5 expected ';' after the register but found 'safepoint'
device d {
    reg A @ 0x00 : 32 rw "control;
    safepoint A == 0;
}
