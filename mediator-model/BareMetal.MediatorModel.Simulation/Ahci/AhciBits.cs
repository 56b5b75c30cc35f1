namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>Bit and layout constants of AHCI 1.3.1 and ATA/ATAPI-8 that the model uses.</summary>
public static class AhciBits
{
    /// <summary>PxIS.DHRS: a D2H Register FIS arrived (non-queued command completed).</summary>
    public const uint IsDhrs = 1u << 0;

    /// <summary>PxIS.SDBS: a Set Device Bits FIS arrived (NCQ command completed).</summary>
    public const uint IsSdbs = 1u << 3;

    /// <summary>PxCMD.ST and PxCMD.FRE.</summary>
    public const uint CmdSt = 1u << 0;

    public const uint CmdFre = 1u << 4;

    /// <summary>PxCMD.FR and PxCMD.CR (read-only): FIS receive and the command list engine running.
    /// The model starts and stops both engines at once, so they read as FRE and ST.</summary>
    public const uint CmdFr = 1u << 14;

    public const uint CmdCr = 1u << 15;

    /// <summary>PxCMD as software reads it: what it wrote, with CR and FR following ST and FRE.</summary>
    public static uint CmdAsRead(uint written) =>
        (written & ~(CmdCr | CmdFr)) | ((written & CmdSt) != 0 ? CmdCr : 0) | ((written & CmdFre) != 0 ? CmdFr : 0);

    /// <summary>PxTFD status: BSY and DRDY.</summary>
    public const uint TfdBusy = 0x80;

    public const uint TfdReady = 0x40;

    /// <summary>32 command slots per port.</summary>
    public const int Slots = 32;

    /// <summary>Command header size in the command list.</summary>
    public const int HeaderBytes = 32;

    /// <summary>Command table: CFIS at 0x00 (64 bytes), ACMD at 0x40, PRDT at 0x80.</summary>
    public const int PrdtOffset = 0x80;

    /// <summary>One physical region descriptor: DBA, DBAU, reserved, DBC.</summary>
    public const int PrdBytes = 16;

    /// <summary>The D2H register FIS's place in the received-FIS area.</summary>
    public const int RfisOffset = 0x40;

    /// <summary>Sector size of the SATA disks modelled.</summary>
    public const int SectorBytes = 512;

    /// <summary>Largest command the model issues: 4 MiB (a PRD entry describes at most 4 MiB).</summary>
    public const int MaxCommandBytes = 4 << 20;
}
