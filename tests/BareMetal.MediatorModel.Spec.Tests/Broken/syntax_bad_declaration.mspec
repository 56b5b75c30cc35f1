// expect: MS0100 3:5 expected a declaration (reg, array, struct, var, decode, doorbell, on, machine, safepoint, interrupt, mediate) but found 'register'
device d {
    register A @ 0x00 : 32 rw;
    reg B @ 0x04 : 32 rw;
    safepoint B == 0;
}
