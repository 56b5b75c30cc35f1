namespace BareMetal.ImageStore.Iscsi.Policy;

/// <summary>
/// The same CHAP credentials for every target and for discovery: what `baremetal export --chap-user`
/// and the tests use. A server with many nodes gives each its own secrets instead.
/// </summary>
public sealed class FixedChapPolicy : IIscsiAuthPolicy
{
    private readonly ChapSecrets _secrets;

    public FixedChapPolicy(ChapSecrets secrets)
    {
        _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));
    }

    public ChapSecrets? Find(IscsiAuthRequest request) => _secrets;
}
