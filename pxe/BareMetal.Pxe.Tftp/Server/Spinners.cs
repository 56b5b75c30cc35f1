using System.Diagnostics;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// Which threaded transfers may poll for their client's ACK before sleeping in recv
/// (<see cref="TftpServerOptions.SpinBeforeReceive"/>), and how those polls went. At most
/// <see cref="TftpServerOptions.MaxSpinning"/> poll at once, and none while more transfers run than that:
/// then the cores are busy serving (and the clients need them), so a poll would take CPU from work rather
/// than use an idle core.
/// </summary>
internal sealed class Spinners(TimeSpan spinBeforeReceive, int maxSpinning)
{
    private readonly Slots _slots = new(maxSpinning);
    private int _running;
    private long _caught, _inVain;

    /// <summary>
    /// <see cref="TftpServerOptions.SpinBeforeReceive"/> in <see cref="Stopwatch"/> ticks (0: off). Real time on
    /// purpose: it bounds CPU burnt, not protocol time, and a manual test clock would make a spin endless.
    /// </summary>
    public long Ticks { get; } = spinBeforeReceive <= TimeSpan.Zero ? 0 : (long)(spinBeforeReceive.TotalSeconds * Stopwatch.Frequency);

    public long Caught => Interlocked.Read(ref _caught);

    public long InVain => Interlocked.Read(ref _inVain);

    public void OnTransferStarted() => Interlocked.Increment(ref _running);

    public void OnTransferEnded() => Interlocked.Decrement(ref _running);

    /// <summary>Claims a slot for one wait; false when polling is off, all slots are taken, or the cores have work.</summary>
    public bool TryTake() => Ticks != 0 && Volatile.Read(ref _running) <= maxSpinning && _slots.TryTake();

    public void Release(bool caught)
    {
        _slots.Release();
        Interlocked.Increment(ref caught ? ref _caught : ref _inVain);
    }
}
