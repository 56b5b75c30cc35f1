// expect: MS0602 7:25 'poke' is not a trigger (write, read, doorbell, complete)
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        initial Idle;
        state Idle;
        Idle -> Idle on poke A;
    }
    safepoint A == 0;
}
