// expect: MS0505 9:9 decode table 'ata' reads a 'Fis' in memory; write 'decode ata(VIEW);'
device d {
    reg CI @ 0x00 : 32 w1s;
    struct Fis size 4 { OP @ 0 : u8; }
    decode ata : Fis by OP {
        default -> other;
    }
    doorbell issue on CI bits {
        decode ata;
    }
    safepoint CI == 0;
}
