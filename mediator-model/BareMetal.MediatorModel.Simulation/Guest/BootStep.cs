namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>One step of a boot trace: CPU think time on bare metal, then one block request.</summary>
internal readonly record struct BootStep(long ThinkNs, bool Write, long Offset, int Length, bool FileOpen);
