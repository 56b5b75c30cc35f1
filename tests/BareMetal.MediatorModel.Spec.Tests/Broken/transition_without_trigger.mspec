// expect: MS0602 8:9 transition Idle -> Busy has no trigger (on write REG, on read REG, on doorbell NAME, on complete NAME)
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        initial Idle;
        state Idle;
        state Busy;
        Idle -> Busy when A == 1;
        Busy -> Idle on write A;
    }
    safepoint A == 0;
}
