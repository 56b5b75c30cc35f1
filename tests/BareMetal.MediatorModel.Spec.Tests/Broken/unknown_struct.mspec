// expect: MS0204 5:17 unknown struct 'Entry'
device d {
    reg A @ 0x00 : 32 rw;
    doorbell go on A bits {
        let e = Entry at 0x1000;
    }
    safepoint A == 0;
}
