// expect: MS0500 6:9 opcode 0xE7 is already decoded as 'FLUSH_CACHE' at 5:9
device d {
    reg CMD @ 0x00 : 8 rw;
    decode ata by CMD {
        0xE7 FLUSH_CACHE -> flush;
        0xE7 FLUSH_AGAIN -> flush;
    }
    safepoint CMD == 0;
}
