using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// A few threads, each waiting in epoll_wait on a share of the transfers that have no thread of their own,
/// and each answering an ACK on the thread that saw it: recv, the session, pread and send, with no hop to
/// another thread. Many busy transfers then cost one wake-up per batch of ready sockets instead of one
/// per packet, which is how a single-threaded poll server (dnsmasq) serves 50 clients faster than a
/// thread per client, and what the socket engine's async receives (an epoll thread handing each
/// completion to a pool worker) could not match on two cores (docs/benchmarks.md, session 8).
/// Linux on x86-64 only (<see cref="Epoll.IsSupported"/>); elsewhere transfers use async receives.
/// </summary>
internal sealed class TransferPoller : IDisposable
{
    /// <summary>Events taken per epoll_wait; more ready sockets are simply reported by the next wait.</summary>
    private const int MaxEvents = 64;

    /// <summary>epoll data of each loop's eventfd: the "stop" signal. Transfers get ids from 1 up.</summary>
    private const ulong WakeId = 0;

    private readonly ConcurrentDictionary<ulong, TftpTransfer> _transfers = new();
    private readonly Loop[] _loops;
    private readonly ILogger _log;
    private long _nextId;
    private int _nextLoop;
    private int _disposed;

    private TransferPoller(int threads, ILogger log)
    {
        _log = log;
        _loops = new Loop[threads];
        var made = 0;
        try
        {
            for (; made < threads; made++)
            {
                _loops[made] = new Loop(this, made);
            }
        }
        catch
        {
            for (var i = 0; i < made; i++)
            {
                _loops[i].Dispose();
            }
            throw;
        }
    }

    /// <summary>A poller with <paramref name="threads"/> threads; null where epoll is not to be had (or threads is 0).</summary>
    public static TransferPoller? TryCreate(int threads, ILogger log)
    {
        if (threads <= 0 || !Epoll.IsSupported)
        {
            return null;
        }
        try
        {
            return new TransferPoller(threads, log);
        }
        catch (Exception e) when (e is IOException or DllNotFoundException or EntryPointNotFoundException)
        {
            Log.PollerProblem(log, $"epoll unavailable ({e.Message}): transfers use async receives");
            return null;
        }
    }

    /// <summary>Transfers this poller watches now.</summary>
    public int Count => _transfers.Count;

    /// <summary>Starts watching <paramref name="transfer"/>'s socket; false when it cannot (the caller falls back).</summary>
    public bool TryAdd(TftpTransfer transfer)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }
        var id = (ulong)Interlocked.Increment(ref _nextId);
        _transfers[id] = transfer;
        transfer.PollId = id;
        var loop = _loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)_loops.Length)];
        var e = new Epoll.Event { Events = Epoll.In, Data = id };
        int added;
        try
        {
            added = Epoll.Control(loop.Fd, Epoll.CtlAdd, transfer.SocketHandle, ref e);
        }
        catch (ObjectDisposedException)
        {
            // Finished meanwhile (its socket is closed): nothing to watch.
            _transfers.TryRemove(id, out _);
            transfer.PollId = 0;
            return false;
        }
        if (added != 0)
        {
            _transfers.TryRemove(id, out _);
            transfer.PollId = 0;
            Log.PollerProblem(_log, $"epoll_ctl add failed (errno {Marshal.GetLastPInvokeError()}): transfer {transfer.Client} uses an async receive");
            return false;
        }
        return true;
    }

    /// <summary>
    /// Forgets <paramref name="transfer"/> (it is finishing). Closing its socket takes it out of the epoll set;
    /// an event already taken for it finds no transfer under its id and is skipped.
    /// </summary>
    public void Remove(TftpTransfer transfer)
    {
        if (transfer.PollId != 0)
        {
            _transfers.TryRemove(transfer.PollId, out _);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }

    /// <summary>One epoll set and the thread that waits on it.</summary>
    private sealed class Loop : IDisposable
    {
        private readonly TransferPoller _owner;
        private readonly Thread _thread;
        private int _stopping;

        public Loop(TransferPoller owner, int index)
        {
            _owner = owner;
            Fd = Epoll.Create(Epoll.CloseOnExec);
            if (Fd < 0)
            {
                throw new IOException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
            }
            WakeFd = Epoll.EventFd(0, Epoll.CloseOnExec | Epoll.NonBlocking);
            var e = new Epoll.Event { Events = Epoll.In, Data = WakeId };
            if (WakeFd < 0 || Epoll.Control(Fd, Epoll.CtlAdd, WakeFd, ref e) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (WakeFd >= 0)
                {
                    Epoll.Close(WakeFd);
                }
                Epoll.Close(Fd);
                throw new IOException($"eventfd for epoll failed (errno {errno})");
            }
            _thread = new Thread(Run) { IsBackground = true, Name = $"tftp poller {index}" };
            _thread.Start();
        }

        public int Fd { get; }

        private int WakeFd { get; }

        private void Run()
        {
            var events = new Epoll.Event[MaxEvents];
            var rx = GC.AllocateUninitializedArray<byte>(TftpTransfer.ReceiveBufferSize);
            while (Volatile.Read(ref _stopping) == 0)
            {
                var n = Epoll.Wait(Fd, ref events[0], events.Length, -1);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Epoll.EIntr)
                    {
                        continue;
                    }
                    Log.PollerProblem(_owner._log, $"epoll_wait failed (errno {errno}): poller thread stops");
                    return;
                }
                for (var i = 0; i < n; i++)
                {
                    var id = events[i].Data;
                    if (id != WakeId && _owner._transfers.TryGetValue(id, out var transfer))
                    {
                        transfer.OnReadable(rx);
                    }
                }
            }
        }

        public void Dispose()
        {
            Volatile.Write(ref _stopping, 1);
            ulong one = 1;
            Epoll.Write(WakeFd, ref one, sizeof(ulong));
            if (_thread.ManagedThreadId != Environment.CurrentManagedThreadId)
            {
                _thread.Join();
            }
            Epoll.Close(WakeFd);
            Epoll.Close(Fd);
        }
    }
}
