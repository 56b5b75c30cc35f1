// expect: MS0203 7:17 unknown state 'Busy' in machine 'm'
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        initial Idle;
        state Idle;
        Idle -> Busy on write A;
    }
    safepoint A == 0;
}
