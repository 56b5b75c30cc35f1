// expect: MS0305 3:34 'w1x' is not an access kind (rw, ro, wo, w1c, w1s, rc)
device d {
    reg A @ 0x00 : 32 rw { F [0] w1x; }
    safepoint A == 0;
}
