// expect: MS0505 11:20 decode table 'ata' reads a 'Fis' but 'o' is a 'Other'
device d {
    reg CI @ 0x00 : 32 w1s;
    struct Fis size 4 { OP @ 0 : u8; }
    struct Other size 4 { X @ 0 : u8; }
    decode ata : Fis by OP {
        default -> other;
    }
    doorbell issue on CI bits {
        let o = Other at 0x1000;
        decode ata(o);
    }
    safepoint CI == 0;
}
