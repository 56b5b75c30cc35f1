// expect: MS0206 8:34 unknown doorbell 'ring'
device d {
    reg A @ 0x00 : 32 rw;
    machine m {
        initial Idle;
        state Idle;
        state Busy;
        Idle -> Busy on doorbell ring;
    }
    safepoint A == 0;
}
