// expect: MS0001 3:26 unexpected character '$'
device d {
    reg A @ 0x00 : 32 rw $;
    safepoint A == 0;
}
