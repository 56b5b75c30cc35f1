// expect: MS0208 4:19 unknown register array 'ports'
device d {
    reg A @ 0x00 : 32 rw;
    machine m per ports {
        initial Idle;
        state Idle;
    }
    safepoint A == 0;
}
