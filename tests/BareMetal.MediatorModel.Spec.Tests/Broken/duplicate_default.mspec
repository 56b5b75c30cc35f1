// expect: MS0504 6:9 decode table 'ata' already has a default at 5:9
device d {
    reg CMD @ 0x00 : 8 rw;
    decode ata by CMD {
        default -> other;
        default -> flush;
    }
    safepoint CMD == 0;
}
