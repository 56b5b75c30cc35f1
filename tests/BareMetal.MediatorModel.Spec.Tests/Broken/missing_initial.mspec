// expect: MS0600 4:5 machine 'm' has no 'initial STATE;'
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        state Idle;
    }
    safepoint A == 0;
}
