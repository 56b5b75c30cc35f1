// expect: MS0702 7:20 register 'PxIS' has one instance per 'port'; write 'PxIS[INDEX]'
device d {
    reg IS @ 0x00 : 32 w1c;
    array port[2] @ 0x100 stride 0x80 {
        reg PxIS @ 0x10 : 32 w1c;
    }
    interrupt when PxIS != 0;
    safepoint IS == 0;
}
