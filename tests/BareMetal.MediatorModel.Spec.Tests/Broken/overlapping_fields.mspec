// expect: MS0304 3:39 field 'A.MID' [15:4] overlaps 'LOW' [7:0]
device d {
    reg A @ 0x00 : 32 rw { LOW [7:0]; MID [15:4]; }
    safepoint A == 0;
}
