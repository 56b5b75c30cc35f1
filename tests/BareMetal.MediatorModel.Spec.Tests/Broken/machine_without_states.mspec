// expect: MS0604 4:5 machine 'm' declares no states
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        initial Idle;
    }
    safepoint A == 0;
}
