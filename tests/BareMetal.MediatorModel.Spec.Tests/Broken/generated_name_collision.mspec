// expect: MS0200 4:5 register 'CTRL_EN' has the generated name of field 'CTRL.EN'; rename one of them
device d {
    reg CTRL @ 0x00 : 32 rw { EN [0]; }
    reg CTRL_EN @ 0x04 : 32 rw;
    safepoint CTRL == 0;
}
