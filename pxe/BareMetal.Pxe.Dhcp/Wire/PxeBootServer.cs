using System.Net;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>One entry of PXE sub-option 8 (PXE_BOOT_SERVERS): a boot server type and its addresses.</summary>
public sealed record PxeBootServer(ushort Type, IReadOnlyList<IPAddress> Addresses);
