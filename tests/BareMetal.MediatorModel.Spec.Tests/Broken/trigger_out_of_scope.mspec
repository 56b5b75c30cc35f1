// expect: MS0603 10:31 register 'PxCI' belongs to array 'port' but machine 'm' is global
device d {
    reg A @ 0x00 : 32 rw;
    array port[2] @ 0x100 stride 0x80 {
        reg PxCI @ 0x38 : 32 w1s;
    }
    machine m {
        initial Idle;
        state Idle;
        Idle -> Idle on write PxCI;
    }
    safepoint A == 0;
}
