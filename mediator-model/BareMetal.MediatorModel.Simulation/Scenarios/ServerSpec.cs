namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>The image server: one uplink shared by every node, a request queue served by
/// <see cref="Workers"/> workers, each request costing <see cref="ServiceTimeUs"/> (protocol, lookup,
/// memory copies; the image is in the server's page cache).</summary>
public sealed class ServerSpec
{
    public LinkSpec Link { get; set; } = new();

    public double ServiceTimeUs { get; set; } = 2200;

    public int Workers { get; set; } = 1;

    internal void Validate()
    {
        Link.Validate("server.link");
        Check.Range("server.serviceTimeUs", ServiceTimeUs, 0, 1e7);
        Check.Range("server.workers", Workers, 1, 4096);
    }
}
