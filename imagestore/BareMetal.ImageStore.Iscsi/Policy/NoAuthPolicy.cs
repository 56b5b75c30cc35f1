namespace BareMetal.ImageStore.Iscsi.Policy;

/// <summary>No target needs CHAP: every login negotiates AuthMethod=None (the behaviour before CHAP existed).</summary>
public sealed class NoAuthPolicy : IIscsiAuthPolicy
{
    public static readonly NoAuthPolicy Instance = new();

    public ChapSecrets? Find(IscsiAuthRequest request) => null;
}
