namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>What kind of boot firmware contacted us, as far as its DHCP packet tells.</summary>
public enum FirmwareKind
{
    /// <summary>No PXE/HTTP vendor class (an OS DHCP client, udhcpc, ...).</summary>
    Other = 0,

    /// <summary>Legacy BIOS PXE ROM (option 93 = 0).</summary>
    Bios = 1,

    /// <summary>UEFI PXE (option 93 = 6, 7, 9, 10, 11).</summary>
    Uefi = 2,

    /// <summary>UEFI HTTP boot (option 93 = 15..19, vendor class HTTPClient).</summary>
    UefiHttp = 3,

    /// <summary>iPXE (user class "iPXE" or option 175), whatever firmware it runs on.</summary>
    Ipxe = 4,
}
