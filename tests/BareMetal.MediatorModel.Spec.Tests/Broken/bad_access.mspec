// expect: MS0305 3:23 'rx' is not an access kind (rw, ro, wo, w1c, w1s, rc)
device d {
    reg A @ 0x00 : 32 rx;
    safepoint A == 0;
}
