using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace BareMetal.Provisioning.Web.Auth;

/// <summary>
/// Logged-in browser sessions, in memory: a restart logs everyone out, which is the safe default for
/// one admin account. The cookie carries only a random id; the CSRF token lives beside it on the server
/// and is handed out by GET /api/v1/session, so a page from another origin can never learn it.
/// </summary>
public sealed class AdminSessions
{
    /// <summary>A session ends after this long without a request.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(12);

    /// <summary>At most this many live sessions; the oldest is dropped beyond it.</summary>
    public const int MaxSessions = 1024;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public AdminSessions(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Starts a session; returns its id (for the cookie) and its CSRF token.</summary>
    public (string Id, string CsrfToken) Create()
    {
        var now = _time.GetUtcNow();
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var old in _sessions.OrderBy(s => s.Value.LastSeen).Take(_sessions.Count - MaxSessions + 1))
            {
                _sessions.TryRemove(old.Key, out _);
            }
        }
        var id = RandomToken();
        var csrf = RandomToken();
        _sessions[id] = new Session(csrf) { LastSeen = now };
        return (id, csrf);
    }

    /// <summary>The CSRF token of a live session (touching it), or null when the id is unknown or expired.</summary>
    public string? Touch(string id)
    {
        if (!_sessions.TryGetValue(id, out var s))
        {
            return null;
        }
        var now = _time.GetUtcNow();
        if (now - s.LastSeen > IdleTimeout)
        {
            _sessions.TryRemove(id, out _);
            return null;
        }
        s.LastSeen = now;
        return s.CsrfToken;
    }

    public void End(string id) => _sessions.TryRemove(id, out _);

    /// <summary>Constant-time comparison, so the token cannot be guessed byte by byte from timings.</summary>
    public static bool SameToken(string? a, string? b) =>
        a is not null && b is not null
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private static string RandomToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed class Session(string csrf)
    {
        public string CsrfToken { get; } = csrf;
        public DateTimeOffset LastSeen { get; set; }
    }
}
