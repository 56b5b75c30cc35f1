// expect: MS0100 5:13 expected the register offset but found ':'
// expect: MS0100 6:20 expected the register width in bits but found 'rw'
// expect: MS0100 9:1 expected ';' after the safe-point condition but found '}'
device d {
    reg A @ : 32 rw;
    reg B @ 0x04 : rw;
    reg C @ 0x08 : 32 rw;
    safepoint C == 0
}
