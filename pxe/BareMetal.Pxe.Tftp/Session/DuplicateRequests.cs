using System.Net;
using System.Text;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Session;

/// <summary>
/// Tells a retransmitted read request from a new one. A client resends its RRQ when our first answer is
/// slow to come: iPXE sent one RRQ three times before the first answer reached it, the server started
/// three transfers, and the two the client never answered each failed with "no answer after 5 retries"
/// (issue 18, Debian's installer through QEMU's iPXE). A request that repeats a running transfer's
/// request exactly (same client address and port, same file, mode and options) within
/// <see cref="Window"/> of it is that transfer's, and starts nothing: the transfer's own timer resends a
/// first answer that was lost. A repeat after the window, or once the transfer has ended, is a new request.
/// Pure: time is passed in. Thread-safe: transfers end on their own threads.
/// </summary>
/// <typeparam name="T">What the shell keeps per transfer (its owner token).</typeparam>
public sealed class DuplicateRequests<T>(TimeSpan window)
    where T : class
{
    private readonly Dictionary<string, (T Owner, TimeSpan Since)> _running = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>How long after a request an identical one counts as its retransmission (the retransmit timeout).</summary>
    public TimeSpan Window { get; } = window;

    /// <summary>Running transfers remembered.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>The identity of a request: who asked (address and port) and exactly what (file, mode, options in order).</summary>
    public static string KeyOf(IPEndPoint client, TftpRequest request)
    {
        ArgumentNullException.ThrowIfNull(client);
        var key = new StringBuilder(64).Append(client).Append('\0').Append((int)request.Opcode).Append('\0').Append((int)request.Mode).Append('\0').Append(request.Filename);
        foreach (var o in request.Options)
        {
            key.Append('\0').Append(o.Name.ToLowerInvariant()).Append('=').Append(o.Value);
        }
        return key.ToString();
    }

    /// <summary>The running transfer that <paramref name="key"/> repeats within <see cref="Window"/> of its request; null: a new request.</summary>
    public T? RepeatOf(string key, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            return _running.TryGetValue(key, out var running) && now - running.Since < Window ? running.Owner : null;
        }
    }

    /// <summary>Records that <paramref name="owner"/> serves the request <paramref name="key"/>, which arrived at <paramref name="now"/>.</summary>
    public void Begin(string key, T owner, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            _running[key] = (owner, now);
        }
    }

    /// <summary>Forgets <paramref name="owner"/>'s request (its transfer ended); a later transfer of the same key is kept.</summary>
    public void End(string key, T owner)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_running.TryGetValue(key, out var running) && ReferenceEquals(running.Owner, owner))
            {
                _running.Remove(key);
            }
        }
    }
}
