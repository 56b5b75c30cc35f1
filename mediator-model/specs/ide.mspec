// Legacy IDE (ATA) channel with bus-master DMA (SFF-8038i), primary channel, one drive.
// One flat register space stands in for three I/O windows:
//   0x00-0x07  command block (ports 0x1F0-0x1F7)
//   0x08       control block (port 0x3F6: alternate status / device control)
//   0x10-0x17  bus-master registers (PCI BAR4, primary channel)
// Reads and writes of one port can reach different registers (status/command, error/features,
// alternate status/device control): a read-only and a write-only register share the offset.
// The 16-bit PIO data port is not mediated (the mediator handles DMA commands only).

device ide "legacy IDE channel with SFF-8038i bus-master DMA" {

    // ---- Command block ----

    reg ERROR    @ 0x01 : 8 ro "error (read)";
    reg FEATURES @ 0x01 : 8 wo "features (write)";
    reg SECCOUNT @ 0x02 : 8 rw "sector count (LBA48: written twice, high byte first)";
    reg LBALOW   @ 0x03 : 8 rw "LBA 7:0 (LBA48: 31:24 written first)";
    reg LBAMID   @ 0x04 : 8 rw "LBA 15:8 (LBA48: 39:32 written first)";
    reg LBAHIGH  @ 0x05 : 8 rw "LBA 23:16 (LBA48: 47:40 written first)";
    reg DEVICE   @ 0x06 : 8 rw reset 0xA0 "device / head" {
        LBA  [6]   "LBA addressing";
        DEV  [4]   "drive select";
        HEAD [3:0] "LBA 27:24 for 28-bit commands";
    }
    reg STATUS   @ 0x07 : 8 ro reset 0x50 "status (read; reading it acknowledges INTRQ)" {
        BSY  [7] "busy";
        DRDY [6] "device ready";
        DF   [5] "device fault";
        DRQ  [3] "data request";
        ERR  [0] "error";
    }
    reg COMMAND  @ 0x07 : 8 wo "command (write): writing it starts the command";

    // ---- Control block ----

    reg ALTSTATUS @ 0x08 : 8 ro reset 0x50 "alternate status: status without acknowledging INTRQ";
    reg DEVCTL    @ 0x08 : 8 wo "device control" {
        HOB  [7] "high-order byte readback";
        SRST [2] "software reset";
        NIEN [1] "interrupts disabled";
    }

    // ---- Bus master (SFF-8038i) ----

    reg BMICOM @ 0x10 : 8 rw "bus master command" {
        RWCON [3] "1: the controller writes memory (a disk read)";
        START [0] "start/stop bus master";
    }
    reg BMISTA @ 0x12 : 8 rw "bus master status" {
        SIMPLEX [7] ro  "simplex only";
        DRV1DMA [6]     "drive 1 DMA capable";
        DRV0DMA [5]     "drive 0 DMA capable";
        INTR    [2] w1c "interrupt: the drive raised INTRQ";
        ERROR   [1] w1c "DMA error";
        ACTIVE  [0] ro  "bus master active";
    }
    reg BMIDTP @ 0x14 : 32 rw "PRD table pointer, dword aligned" {
        ADDR [31:2] "physical address bits 31:2";
    }

    struct Prd size 8 little "physical region descriptor: one entry of the table at BMIDTP" {
        BASE  @ 0 : u32       "physical base address of the region";
        BYTES @ 4 : u16       "byte count, 0 means 64 KiB";
        EOT   @ 6 : u16 [15]  "end of table";
    }

    // LBA48 registers are FIFOs two deep: the previous value of each is the high-order byte.
    var cur_count   : u8;
    var cur_lbalow  : u8;
    var cur_lbamid  : u8;
    var cur_lbahigh : u8;
    var hob_count   : u8;
    var hob_lbalow  : u8;
    var hob_lbamid  : u8;
    var hob_lbahigh : u8;
    var intrq       : u8 "the drive's interrupt request line";

    on write SECCOUNT { hob_count = cur_count;     cur_count = SECCOUNT; }
    on write LBALOW   { hob_lbalow = cur_lbalow;   cur_lbalow = LBALOW; }
    on write LBAMID   { hob_lbamid = cur_lbamid;   cur_lbamid = LBAMID; }
    on write LBAHIGH  { hob_lbahigh = cur_lbahigh; cur_lbahigh = LBAHIGH; }

    // Reading STATUS (not ALTSTATUS) acknowledges the interrupt.
    on read STATUS { intrq = 0; }

    on write BMICOM {
        if BMICOM.START == 1 {
            BMISTA.ACTIVE = 1;
        } else {
            BMISTA.ACTIVE = 0;
        }
    }

    decode ata by COMMAND "ATA commands written to the command register" {
        let lba28   = (DEVICE & 0x0F) << 24 | LBAHIGH << 16 | LBAMID << 8 | LBALOW;
        let lba48   = hob_lbahigh << 40 | hob_lbamid << 32 | hob_lbalow << 24 | LBAHIGH << 16 | LBAMID << 8 | LBALOW;
        let count8  = SECCOUNT == 0 ? 256 : SECCOUNT;
        let count16 = (hob_count << 8 | SECCOUNT) == 0 ? 65536 : hob_count << 8 | SECCOUNT;

        0xC8 READ_DMA          -> read,  lba = lba28, count = count8;
        0x25 READ_DMA_EXT      -> read,  lba = lba48, count = count16;
        0xCA WRITE_DMA         -> write, lba = lba28, count = count8;
        0x35 WRITE_DMA_EXT     -> write, lba = lba48, count = count16;
        0xE7 FLUSH_CACHE       -> flush;
        0xEA FLUSH_CACHE_EXT   -> flush;
        0xEC IDENTIFY_DEVICE   -> identify, count = 1;
        0xEF SET_FEATURES      -> other;
        0x91 INITIALIZE_DEVICE_PARAMETERS -> other;
        default                -> other;
    }

    doorbell issue on COMMAND write "every write of the command register is one command" {
        let prd = Prd at BMIDTP & 0xFFFF_FFFC;
        decode ata;
        STATUS = 0x80;
        ALTSTATUS = 0x80;
    complete:
        STATUS = 0x50;
        ALTSTATUS = 0x50;
        BMISTA.ACTIVE = 0;
        BMISTA.INTR = 1;
        intrq = 1;
    }

    machine channel "one channel: command, then bus-master transfer" {
        initial Idle;
        state Idle    "BSY and DRQ clear, bus master stopped";
        state Command "a command was written; waiting for the bus master to start";
        state Dma     "bus master active";
        state Reset   "SRST asserted";

        Idle    -> Command on doorbell issue;
        Command -> Dma     on write BMICOM when BMICOM.START == 1;
        Command -> Idle    on complete issue;
        Dma     -> Idle    on complete issue;
        *       -> Reset   on write DEVCTL when DEVCTL.SRST == 1 {
            STATUS = 0x80;
            ALTSTATUS = 0x80;
        }
        Reset   -> Idle    on write DEVCTL when DEVCTL.SRST == 0 {
            STATUS = 0x50;
            ALTSTATUS = 0x50;
            ERROR = 0x01;
        }
    }

    interrupt when intrq == 1 && DEVCTL.NIEN == 0;

    safepoint STATUS.BSY == 0 && STATUS.DRQ == 0 && BMISTA.ACTIVE == 0;

    mediate {
        interpret issue;
        redirect read;
        multiplex when safepoint;
        devirtualize when safepoint && intrq == 0;
    }
}
