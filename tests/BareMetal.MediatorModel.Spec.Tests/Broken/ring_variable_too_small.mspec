// expect: MS0706 8:33 ring variable 'tails' needs at least 4 elements, one per 'sq' instance
device d {
    reg A @ 0x00 : 32 rw;
    array sq[4] @ 0x1000 stride 8 {
        reg SQT @ 0x0 : 32 rw;
    }
    var tails : u32[2];
    doorbell submit on SQT ring tails size 16 { }
    safepoint A == 0;
}
