// expect: MS0206 6:19 unknown doorbell 'issue'
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A == 0;
    mediate {
        interpret issue;
    }
}
