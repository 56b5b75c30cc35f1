// expect: MS0300 7:20 register 'A' is 24 bits wide; registers are 8, 16, 32 or 64 bits
// expect: MS0301 8:13 register 'B' at 0x6 is not aligned to its 4-byte width
// expect: MS0305 9:23 'rx' is not an access kind (rw, ro, wo, w1c, w1s, rc)
// expect: MS0302 9:13 register 'C' at 0x8 overlaps 'B' at 0x6 (4 bytes)
// expect: MS0207 10:15 unknown name 'Z'
device d {
    reg A @ 0x00 : 24 rw;
    reg B @ 0x06 : 32 rw;
    reg C @ 0x08 : 32 rx;
    safepoint Z == 0;
}
