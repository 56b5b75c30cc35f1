// expect: MS0004 6:1 comment is not closed with '*/'
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A == 0;
}
/* a comment that never ends
