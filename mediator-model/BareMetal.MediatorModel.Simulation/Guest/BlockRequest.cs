namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>One block I/O of the guest OS. <see cref="FileOpen"/> marks the first read of a file:
/// block devices ignore it, NFS pays its metadata round trips there. Writes carry content tags
/// <see cref="FirstTag"/>, <see cref="FirstTag"/> - 1, ... one per 4 KiB page.</summary>
internal readonly record struct BlockRequest(long Id, bool Write, long Offset, int Length, bool FileOpen, long FirstTag);
