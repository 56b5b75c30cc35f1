// expect: MS0701 4:22 both branches of '?:' must be numbers, or both conditions
device d {
    reg A @ 0x00 : 32 rw;
    safepoint A == 0 ? 1 : A == 2;
}
