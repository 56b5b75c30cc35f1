using System.Net;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>One complete neighbour entry: <paramref name="Mac"/> (normalised) answers for <paramref name="Address"/> on <paramref name="Device"/>.</summary>
public sealed record NeighbourEntry(IPAddress Address, string Mac, string Device);
