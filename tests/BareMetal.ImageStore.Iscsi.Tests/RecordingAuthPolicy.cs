using BareMetal.ImageStore.Iscsi.Policy;

namespace BareMetal.ImageStore.Iscsi.Tests;

/// <summary>An auth policy that remembers what it was asked and answers with fixed secrets (or none).</summary>
internal sealed class RecordingAuthPolicy(ChapSecrets? secrets) : IIscsiAuthPolicy
{
    public List<IscsiAuthRequest> Requests { get; } = [];

    public ChapSecrets? Find(IscsiAuthRequest request)
    {
        Requests.Add(request);
        return secrets;
    }
}
