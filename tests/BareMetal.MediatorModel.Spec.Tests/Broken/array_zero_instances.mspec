// expect: MS0308 4:16 array 'port' has 0 instances; between 1 and 4096 are allowed
device d {
    reg A @ 0x00 : 32 rw;
    array port[0] @ 0x100 stride 0x80 {
        reg PxA @ 0x00 : 32 rw;
    }
    safepoint A == 0;
}
