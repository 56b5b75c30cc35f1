namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>A node fetched its boot script (/boot/{mac}.ipxe) or otherwise spoke HTTP to us.</summary>
/// <param name="Mac">As given in the URL (any accepted MAC spelling).</param>
/// <param name="RemoteAddress">The peer address of the request.</param>
public sealed record HttpBootContact(string Mac, string? RemoteAddress);
