// expect: MS0702 5:15 variable 'heads' has 4 elements; write 'heads[INDEX]'
device d {
    reg A @ 0x00 : 32 rw;
    var heads : u32[4];
    safepoint heads == 0;
}
