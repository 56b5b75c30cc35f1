namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>An Ethernet link: line rate, the share of it left for payload after framing and
/// TCP/IP headers, and one-way latency (NIC, switch, stack).</summary>
public sealed class LinkSpec
{
    public double Gbps { get; set; } = 1;

    /// <summary>1500-byte frames carry 1448 payload bytes of 1538 on the wire: 0.94.</summary>
    public double Efficiency { get; set; } = 0.94;

    public double LatencyUs { get; set; } = 50;

    /// <summary>How transfers share the link: fcfs (each in turn, booked when sent) or fair (each of n
    /// active transfers gets 1/n of the rate, as TCP flows do). Only the server's uplink uses fair.</summary>
    public string Sharing { get; set; } = "fcfs";

    internal double PayloadBytesPerSecond => Gbps * 1e9 / 8 * Efficiency;

    internal void Validate(string where)
    {
        Check.Range($"{where}.gbps", Gbps, 0.001, 1000);
        Check.Range($"{where}.efficiency", Efficiency, 0.01, 1);
        Check.Range($"{where}.latencyUs", LatencyUs, 0, 1e6);
        Check.OneOf($"{where}.sharing", Sharing, "fcfs", "fair");
    }
}
