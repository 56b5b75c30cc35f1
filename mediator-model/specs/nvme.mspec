// NVMe 1.4 controller (PCIe BAR0), with admin and I/O queue pairs, doorbells and phase bits.
// Doorbell stride 0 (CAP.DSTRD = 0): submission queue y tail at 0x1000 + 8y, completion queue y head
// at 0x1004 + 8y. Sixteen queue pairs are mapped; queue 0 is the admin pair. Interrupts are modelled
// as one pin-based vector (INTMS/INTMC bit 0) shared by every completion queue.

device nvme "NVM Express 1.4 controller, BAR0 register window" {

    // ---- Controller registers (NVMe 1.4 section 3.1) ----

    reg CAP @ 0x00 : 64 ro reset 0x0000_0020_1401_03FF "controller capabilities" {
        MQES   [15:0]  "maximum queue entries supported minus one (1024)";
        CQR    [16]    "contiguous queues required";
        AMS    [18:17] "arbitration mechanisms";
        TO     [31:24] "ready timeout in 500 ms units";
        DSTRD  [35:32] "doorbell stride: 4 << DSTRD bytes";
        NSSRS  [36]    "subsystem reset supported";
        CSS    [44:37] "command sets: bit 0 = NVM";
        MPSMIN [51:48] "minimum page size 4 KiB << MPSMIN";
        MPSMAX [55:52];
    }
    reg VS    @ 0x08 : 32 ro reset 0x0001_0400 "version 1.4";
    reg INTMS @ 0x0C : 32 w1s "interrupt mask set";
    reg INTMC @ 0x10 : 32 wo  "interrupt mask clear: writing 1 clears the bit in INTMS";
    reg CC    @ 0x14 : 32 rw  "controller configuration" {
        EN     [0]     "enable";
        CSS    [6:4]   "I/O command set";
        MPS    [10:7]  "memory page size 4 KiB << MPS";
        AMS    [13:11] "arbitration";
        SHN    [15:14] "shutdown notification";
        IOSQES [19:16] "I/O SQ entry size, log2 (6: 64 bytes)";
        IOCQES [23:20] "I/O CQ entry size, log2 (4: 16 bytes)";
    }
    reg CSTS  @ 0x1C : 32 ro "controller status" {
        RDY  [0]   "ready";
        CFS  [1]   "fatal status";
        SHST [3:2] "shutdown status (2: complete)";
    }
    reg AQA   @ 0x24 : 32 rw "admin queue attributes" {
        ASQS [11:0]  "admin SQ size minus one";
        ACQS [27:16] "admin CQ size minus one";
    }
    reg ASQ   @ 0x28 : 64 rw "admin submission queue base, 4 KiB aligned";
    reg ACQ   @ 0x30 : 64 rw "admin completion queue base, 4 KiB aligned";

    // ---- Doorbells (section 3.1.24): interleaved SQ tail and CQ head registers ----

    array sq[16] @ 0x1000 stride 8 "submission queue y tail doorbell" {
        reg SQTDBL @ 0x0 : 32 rw { SQT [15:0] "new tail: entries up to here are ready"; }
    }
    array cq[16] @ 0x1004 stride 8 "completion queue y head doorbell" {
        reg CQHDBL @ 0x0 : 32 rw { CQH [15:0] "new head: entries before here are consumed"; }
    }

    // ---- Queue entries in guest memory (section 4.2, 4.6) ----

    struct SqEntry size 64 little "submission queue entry" {
        OPC   @ 0  : u8        "opcode";
        FUSE  @ 1  : u8 [1:0]  "fused operation";
        PSDT  @ 1  : u8 [7:6]  "PRP or SGL";
        CID   @ 2  : u16       "command identifier, echoed in the completion";
        NSID  @ 4  : u32       "namespace";
        MPTR  @ 16 : u64       "metadata pointer";
        PRP1  @ 24 : u64       "data pointer 1 (queue base for Create I/O queue)";
        PRP2  @ 32 : u64       "data pointer 2";
        CDW10 @ 40 : u32;
        CDW11 @ 44 : u32;
        CDW12 @ 48 : u32;
        CDW13 @ 52 : u32;
        CDW14 @ 56 : u32;
        CDW15 @ 60 : u32;
    }

    struct CqEntry size 16 little "completion queue entry" {
        DW0  @ 0  : u32        "command specific";
        DW1  @ 4  : u32        "reserved";
        SQHD @ 8  : u16        "submission queue head: entries before it may be reused";
        SQID @ 10 : u16        "submission queue the command came from";
        CID  @ 12 : u16        "command identifier";
        P    @ 14 : u16 [0]    "phase tag: flips each time the queue wraps";
        SC   @ 14 : u16 [8:1]  "status code";
        SCT  @ 14 : u16 [11:9] "status code type";
        M    @ 14 : u16 [14]   "more";
        DNR  @ 14 : u16 [15]   "do not retry";
    }

    // ---- What the mediator tracks (a controller keeps this internally) ----

    var sq_base  : u64[16]         "SQ base address";
    var sq_size  : u32[16]         "SQ entries (0: queue does not exist)";
    var sq_cqid  : u16[16]         "CQ each SQ completes into";
    var sq_tail  : u32[16]         "last tail the guest rang";
    var sq_head  : u32[16]         "next entry the controller reports consumed";
    var cq_base  : u64[16]         "CQ base address";
    var cq_size  : u32[16]         "CQ entries";
    var cq_tail  : u32[16]         "next CQ slot the controller writes";
    var cq_phase : u8[16] reset 1  "phase tag of the current pass";
    var cq_pending : u32           "CQs holding entries the host has not consumed, one bit each";
    var inflight : u32             "commands fetched and not completed";

    // ---- Commands ----

    decode admin : SqEntry by OPC "admin command set (queue 0)" {
        let qid   = CDW10 & 0xFFFF;
        let qsize = (CDW10 >> 16) + 1;

        0x00 DELETE_IO_SQ  -> other { sq_size[qid] = 0; }
        0x01 CREATE_IO_SQ  -> other {
            sq_base[qid] = PRP1 & ~0xFFF;
            sq_size[qid] = qsize;
            sq_cqid[qid] = CDW11 >> 16;
            sq_tail[qid] = 0;
            sq_head[qid] = 0;
        }
        0x04 DELETE_IO_CQ  -> other { cq_size[qid] = 0; }
        0x05 CREATE_IO_CQ  -> other {
            cq_base[qid] = PRP1 & ~0xFFF;
            cq_size[qid] = qsize;
            cq_tail[qid] = 0;
            cq_phase[qid] = 1;
        }
        0x06 IDENTIFY      -> identify, count = 1;
        0x09 SET_FEATURES  -> other;
        0x0A GET_FEATURES  -> other;
        0x0C ASYNC_EVENT_REQUEST -> other;
        default            -> other;
    }

    decode io : SqEntry by OPC "NVM command set (I/O queues); LBA and count in logical blocks" {
        let slba = CDW11 << 32 | CDW10;
        let nlb  = (CDW12 & 0xFFFF) + 1;

        0x00 FLUSH              -> flush;
        0x01 WRITE              -> write, lba = slba, count = nlb;
        0x02 READ               -> read,  lba = slba, count = nlb;
        0x08 WRITE_ZEROES       -> write, lba = slba, count = nlb;
        0x09 DATASET_MANAGEMENT -> other;
        default                 -> other;
    }

    // ---- I/O interpretation: the guest moves an SQ tail; each new entry is a command ----

    doorbell submit on SQTDBL ring sq_tail size sq_size[index] "entries from the last tail to the new one" {
        let sqe = SqEntry at sq_base[index] + item * 64;
        if index == 0 {
            decode admin(sqe);
        } else {
            decode io(sqe);
        }
        let cid = sqe.CID;
        inflight += 1;
    complete:
        let cqid = sq_cqid[index];
        sq_head[index] = (item + 1) % sq_size[index];
        let cqe = CqEntry at cq_base[cqid] + cq_tail[cqid] * 16;
        cqe.DW0 = 0;
        cqe.SQHD = sq_head[index];
        cqe.SQID = index;
        cqe.CID = cid;
        cqe.SC = 0;
        cqe.SCT = 0;
        cqe.P = cq_phase[cqid];
        cq_tail[cqid] += 1;
        if cq_tail[cqid] >= cq_size[cqid] {
            cq_tail[cqid] = 0;
            cq_phase[cqid] ^= 1;
        }
        cq_pending |= 1 << cqid;
        inflight -= 1;
    }

    // The host consumed entries up to the new head: the CQ no longer asks for an interrupt once it is empty.
    on write CQHDBL {
        if CQHDBL.CQH == cq_tail[index] {
            cq_pending &= ~(1 << index);
        }
    }

    on write INTMC {
        INTMS &= ~INTMC;
        INTMC = 0;
    }

    // Enabling latches the admin queues (section 7.6.1); disabling drops every queue.
    on write CC {
        if CC.EN == 1 && CSTS.RDY == 0 {
            sq_base[0] = ASQ & ~0xFFF;
            sq_size[0] = AQA.ASQS + 1;
            sq_cqid[0] = 0;
            sq_tail[0] = 0;
            sq_head[0] = 0;
            cq_base[0] = ACQ & ~0xFFF;
            cq_size[0] = AQA.ACQS + 1;
            cq_tail[0] = 0;
            cq_phase[0] = 1;
            CSTS.RDY = 1;
        }
        if CC.EN == 0 {
            CSTS.RDY = 0;
            CSTS.SHST = 0;
            cq_pending = 0;
            inflight = 0;
        }
        if CC.SHN != 0 {
            CSTS.SHST = 2;
        }
    }

    machine controller "enable and shutdown (section 7.6)" {
        initial Disabled;
        state Disabled "CC.EN = 0: no queue exists";
        state Ready    "CC.EN = 1 and CSTS.RDY = 1: doorbells are live";
        state ShutDown "shutdown notified and complete";

        Disabled -> Ready    on write CC when CC.EN == 1;
        Ready    -> ShutDown on write CC when CC.SHN != 0;
        Ready    -> Disabled on write CC when CC.EN == 0;
        ShutDown -> Disabled on write CC when CC.EN == 0;
    }

    machine queue per sq "one submission queue" {
        initial Empty;
        state Empty "every fetched command has completed";
        state Busy  "commands outstanding";

        Empty -> Busy  on doorbell submit;
        Busy  -> Empty on complete submit when sq_head[index] == sq_tail[index];
    }

    interrupt when cq_pending != 0 && INTMS & 1 == 0;

    safepoint inflight == 0;

    mediate {
        interpret submit;
        redirect read;
        multiplex when safepoint;
        devirtualize when safepoint && cq_pending == 0;
    }
}
