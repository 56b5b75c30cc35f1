// expect: MS0503 6:9 read command 'READ_DMA' needs both 'lba = ...' and 'count = ...'
device d {
    reg CMD @ 0x00 : 8 rw;
    reg LBA @ 0x04 : 32 rw;
    decode ata by CMD {
        0xC8 READ_DMA -> read, lba = LBA;
    }
    safepoint CMD == 0;
}
