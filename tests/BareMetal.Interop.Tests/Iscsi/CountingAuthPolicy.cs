using BareMetal.ImageStore.Iscsi.Policy;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>Requires the same CHAP secrets of every login and counts the logins, so a test can tell CHAP was really asked for.</summary>
internal sealed class CountingAuthPolicy(ChapSecrets secrets) : IIscsiAuthPolicy
{
    private int _logins;

    public int Logins => Volatile.Read(ref _logins);

    public ChapSecrets? Find(IscsiAuthRequest request)
    {
        Interlocked.Increment(ref _logins);
        return secrets;
    }
}
