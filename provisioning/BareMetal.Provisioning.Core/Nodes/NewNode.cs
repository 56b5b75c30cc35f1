using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>A node added by hand; only the MAC is required.</summary>
public sealed record NewNode(string Mac, string? Hostname = null, ClientArchitecture? Architecture = null, Guid? Uuid = null,
    FirmwareKind Firmware = FirmwareKind.Other, string? IpAddress = null);
