// expect: MS0502 6:24 'erase' is not a command kind (read, write, flush, identify, other)
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A == 0;
    mediate {
        redirect read, erase;
    }
}
