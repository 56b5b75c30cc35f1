// expect: MS0502 5:23 'erase' is not a command kind (read, write, flush, identify, other)
device d {
    reg CMD @ 0x00 : 8 rw;
    decode ata by CMD {
        0xC0 ERASE -> erase;
    }
    safepoint CMD == 0;
}
