// expect: MS0505 10:9 'decode' belongs in a doorbell's body, before 'complete:'
device d {
    reg CMD @ 0x00 : 8 wo;
    decode ata by CMD {
        default -> other;
    }
    doorbell issue on CMD write {
        decode ata;
    complete:
        decode ata;
    }
    safepoint CMD == 0;
}
