// expect: MS0601 8:15 state 'Lost' of machine 'm' cannot be reached from 'Idle'
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        initial Idle;
        state Idle;
        state Busy;
        state Lost;
        Idle -> Busy on write A when A == 1;
        Busy -> Idle on write A when A == 0;
    }
    safepoint A == 0;
}
