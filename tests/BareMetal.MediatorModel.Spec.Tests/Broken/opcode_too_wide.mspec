// expect: MS0501 5:9 opcode 0x1E7 does not fit the 8-bit selector 'CMD'
device d {
    reg CMD @ 0x00 : 8 rw;
    decode ata by CMD {
        0x1E7 FLUSH_CACHE -> flush;
    }
    safepoint CMD == 0;
}
