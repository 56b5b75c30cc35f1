// expect: MS0205 5:9 unknown decode table 'cmds'
device d {
    reg A @ 0x00 : 32 rw;
    doorbell go on A write {
        decode cmds;
    }
    safepoint A == 0;
}
