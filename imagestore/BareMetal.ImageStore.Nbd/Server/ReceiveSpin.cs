using System.Diagnostics;
using System.Net.Sockets;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>
/// When a pipelining client's receiving thread polls for the next request before it sleeps in recv
/// (<see cref="NbdServerOptions.SpinBeforeReceive"/>). A poll that catches the request saves the thread's
/// sleep and wake-up, which on a 2-vCPU VM is what a QD32 4 KiB reader waits for (measured: nbdkit's file
/// plugin 49-57k IOPS, ours 40-48k sleeping, 61-64k polling 30 µs; docs/benchmarks.md, session 8). A poll
/// in vain backs the connection off: 1, 2, 4 ... 64 receives sleep at once before the next try, so a client
/// slower than the poll costs one poll in up to 65 receives. At most <see cref="NbdServerOptions.MaxSpinning"/>
/// connections of the process poll at once (cores - 1), so one core is always left to everything else.
/// </summary>
internal struct ReceiveSpin
{
    private const int MaxBackoff = 64;

    private static int s_spinning;

    private int _skip;
    private int _backoff;

    /// <summary>The receives left to sleep at once before the next poll.</summary>
    public readonly int Skip => _skip;

    /// <summary>Whether this receive may poll (false while backing off); call <see cref="OnSpun"/> after a poll.</summary>
    public bool ShouldSpin()
    {
        if (_skip > 0)
        {
            _skip--;
            return false;
        }
        return true;
    }

    public void OnSpun(bool caught)
    {
        _backoff = caught ? 0 : Math.Clamp(_backoff * 2, 1, MaxBackoff);
        _skip = _backoff;
    }

    /// <summary>
    /// Polls <paramref name="socket"/> for readable bytes for up to <paramref name="ticks"/> (<see cref="Stopwatch"/> ticks) when this
    /// connection may and a process-wide slot of <paramref name="maxSpinning"/> is free; true when data came.
    /// </summary>
    public bool Spin(Socket socket, long ticks, int maxSpinning)
    {
        if (ticks <= 0 || !ShouldSpin() || !TryTakeSlot(maxSpinning))
        {
            return false;
        }
        var caught = false;
        try
        {
            var until = Stopwatch.GetTimestamp() + ticks;
            do
            {
                if (socket.Available > 0)
                {
                    caught = true;
                    break;
                }
            }
            while (Stopwatch.GetTimestamp() < until);
        }
        finally
        {
            Interlocked.Decrement(ref s_spinning);
            OnSpun(caught);
        }
        return caught;
    }

    private static bool TryTakeSlot(int limit)
    {
        while (true)
        {
            var n = Volatile.Read(ref s_spinning);
            if (n >= limit)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref s_spinning, n + 1, n) == n)
            {
                return true;
            }
        }
    }
}
