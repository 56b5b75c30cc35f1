namespace BareMetal.ImageStore.Iscsi.Policy;

/// <summary>
/// Decides, per login, whether the initiator must prove itself with CHAP (RFC 7143 12.1.3) and with
/// which secrets. Asked once per connection, on the first login request, before any key is answered.
/// <see cref="NoAuthPolicy"/> (the default) asks nothing of anyone; <see cref="FixedChapPolicy"/> gives
/// every target the same credentials; provisioning's implementation gives each node its own.
/// </summary>
public interface IIscsiAuthPolicy
{
    /// <summary>The secrets this login must pass, or null when the target takes AuthMethod=None.</summary>
    ChapSecrets? Find(IscsiAuthRequest request);
}
