// expect: MS0302 4:19 register 'COMMAND' at 0x7 overlaps 'STATUS' at 0x7 (1 byte)
device d {
    reg STATUS @ 0x07 : 8 ro;
    reg COMMAND @ 0x07 : 8 rw;
    safepoint STATUS == 0;
}
