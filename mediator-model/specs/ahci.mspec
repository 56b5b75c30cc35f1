// AHCI 1.3.1 host bus adapter with native command queuing, at the level the seed's mediator works:
// registers in the ABAR window, command lists and FIS in guest memory (BitVisor drivers/ata/ahci.c).
// Offsets are from ABAR (PCI BAR5). One port is implemented (PI = 1); the map has all 32 slots.

device ahci "AHCI 1.3.1 SATA host bus adapter, ABAR memory window" {

    // ---- Generic host control (AHCI 1.3.1 section 3.1) ----

    reg CAP @ 0x00 : 32 ro reset 0xC000_1F00 "HBA capabilities" {
        NP   [4:0]   "number of ports minus one (0: one port)";
        NCS  [12:8]  "command slots minus one (0x1F: 32 slots)";
        SNCQ [30]    "native command queuing supported";
        S64A [31]    "64-bit addressing supported";
    }
    reg GHC @ 0x04 : 32 rw reset 0x8000_0000 "global HBA control" {
        HR [0]  "HBA reset";
        IE [1]  "interrupt enable";
        AE [31] "AHCI enable";
    }
    reg IS  @ 0x08 : 32 w1c "interrupt pending, one bit per port";
    reg PI  @ 0x0C : 32 ro reset 0x1 "ports implemented";
    reg VS  @ 0x10 : 32 ro reset 0x0001_0301 "AHCI version 1.3.1";

    // ---- Port registers (section 3.3): port n at 0x100 + n * 0x80 ----

    array port[32] @ 0x100 stride 0x80 "one register block per port" {
        reg PxCLB  @ 0x00 : 32 rw "command list base, 1 KiB aligned" {
            CLB [31:10] "base address bits 31:10";
        }
        reg PxCLBU @ 0x04 : 32 rw "command list base, upper 32 bits";
        reg PxFB   @ 0x08 : 32 rw "received-FIS area base, 256-byte aligned" {
            FB [31:8] "base address bits 31:8";
        }
        reg PxFBU  @ 0x0C : 32 rw "received-FIS area base, upper 32 bits";
        reg PxIS   @ 0x10 : 32 w1c "port interrupt status" {
            DHRS [0]  "a D2H register FIS arrived (non-queued completion)";
            PSS  [1]  "a PIO setup FIS arrived";
            DSS  [2]  "a DMA setup FIS arrived";
            SDBS [3]  "a set-device-bits FIS arrived (NCQ completion)";
            DPS  [5]  "a PRD with the I bit was processed";
            TFES [30] "task file error";
        }
        reg PxIE   @ 0x14 : 32 rw "port interrupt enable (same layout as PxIS)" {
            DHRE [0];
            PSE  [1];
            DSE  [2];
            SDBE [3];
            DPE  [5];
            TFEE [30];
        }
        reg PxCMD  @ 0x18 : 32 rw "port command and status" {
            ST  [0]     "start: process the command list";
            SUD [1]     "spin-up device";
            FRE [4]     "FIS receive enable";
            CCS [12:8] ro "current command slot";
            FR  [14] ro "FIS receive running";
            CR  [15] ro "command list running";
        }
        reg PxTFD  @ 0x20 : 32 ro reset 0x40 "task file data (device status and error): DRDY after reset" {
            STS [7:0]  "ATA status: BSY 7, DRQ 3, ERR 0";
            ERR [15:8] "ATA error";
        }
        reg PxSIG  @ 0x24 : 32 ro reset 0x0000_0101 "device signature: ATA disk";
        reg PxSSTS @ 0x28 : 32 ro reset 0x0000_0123 "SATA status: device present, Gen 2, active";
        reg PxSCTL @ 0x2C : 32 rw "SATA control";
        reg PxSERR @ 0x30 : 32 w1c "SATA error";
        reg PxSACT @ 0x34 : 32 w1s "NCQ tags outstanding: the guest sets a tag's bit before issuing it";
        reg PxCI   @ 0x38 : 32 w1s "commands issued: setting bit n issues command slot n";
    }

    // ---- Memory-resident structures (section 4) ----

    struct CommandHeader size 32 little "command list entry; 32 of them at PxCLB" {
        CFL   @ 0  : u32 [4:0]   "command FIS length in dwords";
        A     @ 0  : u32 [5]     "ATAPI";
        W     @ 0  : u32 [6]     "write: data flows to the device";
        C     @ 0  : u32 [10]    "clear busy on R_OK";
        PMP   @ 0  : u32 [15:12] "port multiplier port";
        PRDTL @ 0  : u32 [31:16] "PRD table length in entries";
        PRDBC @ 4  : u32         "bytes transferred (written by the HBA)";
        CTBA  @ 8  : u32         "command table base, 128-byte aligned";
        CTBAU @ 12 : u32         "command table base, upper 32 bits";
    }

    struct RegH2D size 20 little "register FIS, host to device (type 0x27) at the start of the command table" {
        FisType     @ 0  : u8         "0x27";
        PmPort      @ 1  : u8 [3:0]   "port multiplier port";
        C           @ 1  : u8 [7]     "1: command register update";
        Command     @ 2  : u8         "ATA command opcode";
        FeaturesLo  @ 3  : u8         "features 7:0 (NCQ: sector count 7:0)";
        Lba0        @ 4  : u8;
        Lba1        @ 5  : u8;
        Lba2        @ 6  : u8;
        Device      @ 7  : u8         "device register: LBA 27:24 in bits 3:0 for 28-bit commands";
        Lba3        @ 8  : u8;
        Lba4        @ 9  : u8;
        Lba5        @ 10 : u8;
        FeaturesHi  @ 11 : u8         "features 15:8 (NCQ: sector count 15:8)";
        Count       @ 12 : u16        "sector count (NCQ: tag in bits 7:3)";
        Icc         @ 14 : u8;
        Control     @ 15 : u8;
    }

    struct PrdEntry size 16 little "physical region descriptor, at command table offset 0x80" {
        DBA  @ 0  : u32         "data base address";
        DBAU @ 4  : u32         "data base address, upper 32 bits";
        DBC  @ 12 : u32 [21:0]  "byte count minus one";
        I    @ 12 : u32 [31]    "interrupt on completion";
    }

    struct ReceivedFis size 256 little "received-FIS area at PxFB: where the HBA posts the device's FIS" {
        D2hType   @ 0x40 : u8  "0x34: D2H register FIS";
        D2hStatus @ 0x42 : u8;
        D2hError  @ 0x43 : u8;
        SdbType   @ 0x58 : u8  "0xA1: set device bits FIS";
        SdbStatus @ 0x5A : u8;
        SdbActive @ 0x5C : u32 "NCQ tags completed";
    }

    // ---- Command decoding: the ATA command set inside the H2D FIS ----

    decode ata : RegH2D by Command when FisType == 0x27 && C == 1 "ATA/ATAPI-8 commands a SATA disk sees" {
        let lba28  = (Device & 0x0F) << 24 | Lba2 << 16 | Lba1 << 8 | Lba0;
        let lba48  = Lba5 << 40 | Lba4 << 32 | Lba3 << 24 | Lba2 << 16 | Lba1 << 8 | Lba0;
        let count8 = (Count & 0xFF) == 0 ? 256 : Count & 0xFF;
        let count16 = Count == 0 ? 65536 : Count;
        let ncqCount = (FeaturesHi << 8 | FeaturesLo) == 0 ? 65536 : FeaturesHi << 8 | FeaturesLo;

        0xC8 READ_DMA            -> read,  lba = lba28, count = count8;
        0x25 READ_DMA_EXT        -> read,  lba = lba48, count = count16;
        0x20 READ_SECTORS        -> read,  lba = lba28, count = count8;
        0x24 READ_SECTORS_EXT    -> read,  lba = lba48, count = count16;
        0xCA WRITE_DMA           -> write, lba = lba28, count = count8;
        0x35 WRITE_DMA_EXT       -> write, lba = lba48, count = count16;
        0x30 WRITE_SECTORS       -> write, lba = lba28, count = count8;
        0x34 WRITE_SECTORS_EXT   -> write, lba = lba48, count = count16;
        0x60 READ_FPDMA_QUEUED   -> read,  lba = lba48, count = ncqCount, tag = Count >> 3 & 0x1F, queued;
        0x61 WRITE_FPDMA_QUEUED  -> write, lba = lba48, count = ncqCount, tag = Count >> 3 & 0x1F, queued;
        0xE7 FLUSH_CACHE         -> flush;
        0xEA FLUSH_CACHE_EXT     -> flush;
        0xEC IDENTIFY_DEVICE     -> identify, count = 1;
        0xEF SET_FEATURES        -> other;
        0xE0 STANDBY_IMMEDIATE   -> other;
        default                  -> other;
    }

    // ---- I/O interpretation: the guest issues a command by setting its PxCI bit ----

    doorbell issue on PxCI bits "command slot n of the port's command list, decoded when its bit is set" {
        let header = CommandHeader at (PxCLBU << 32 | PxCLB & 0xFFFF_FC00) + item * 32;
        let fis = RegH2D at header.CTBAU << 32 | header.CTBA & 0xFFFF_FF80;
        decode ata(fis);
        // The mediator serializes the port and holds guest commands while its own copy runs, so it
        // accepts a command (NCQ ones included) only when it is done: its PxCI bit stays set until
        // then and the device shows BSY, as the simulator's HBA model does.
        PxTFD.STS = 0x80;
    complete:
        let rfis = ReceivedFis at PxFBU << 32 | PxFB & 0xFFFF_FF00;
        header.PRDBC = count * 512;
        PxCI &= ~(1 << item);
        if queued {
            PxSACT &= ~(1 << tag);
            rfis.SdbType = 0xA1;
            rfis.SdbStatus = 0x40;
            rfis.SdbActive = 1 << tag;
            PxIS.SDBS = 1;
        } else {
            rfis.D2hType = 0x34;
            rfis.D2hStatus = 0x40;
            rfis.D2hError = 0;
            PxIS.DHRS = 1;
        }
        PxTFD.STS = PxCI == 0 && PxSACT == 0 ? 0x40 : 0x80;
        if PxIS & PxIE != 0 {
            IS |= 1 << index;
        }
    }

    // CR and FR follow ST and FRE (the HBA starts and stops the engines at once in this model).
    on write PxCMD {
        PxCMD.CR = PxCMD.ST;
        PxCMD.FR = PxCMD.FRE;
    }

    on write GHC {
        if GHC.HR == 1 {
            GHC = 0x8000_0000;
            IS = 0;
        }
    }

    machine link per port "command processing of one port (section 5.3, simplified)" {
        initial Stopped;
        state Stopped "PxCMD.ST clear: the port fetches no commands";
        state Idle    "running, nothing outstanding";
        state Busy    "commands outstanding in PxCI or PxSACT";

        Stopped -> Idle    on write PxCMD when PxCMD.ST == 1;
        Idle    -> Busy    on doorbell issue;
        Busy    -> Idle    on complete issue when PxCI == 0 && PxSACT == 0;
        *       -> Stopped on write PxCMD when PxCMD.ST == 0 {
            // Clearing ST aborts everything outstanding (section 10.3.2).
            PxCI = 0;
            PxSACT = 0;
            PxTFD.STS = 0x40;
        }
    }

    interrupt when GHC.IE == 1 && IS != 0;

    // Nothing in flight on any port: the mediator may issue its own commands or hand the HBA back.
    safepoint PxCI == 0 && PxSACT == 0;

    mediate {
        interpret issue;
        redirect read;
        multiplex when safepoint;
        devirtualize when safepoint && IS == 0;
    }
}
