namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>Why an NBD client operation failed; says whether retrying on the same connection can help.</summary>
public enum NbdClientError
{
    /// <summary>The server refused the export (unknown name, policy, TLS required) during the handshake.</summary>
    Refused,
    /// <summary>The server answered a request with an error number; the connection stays usable.</summary>
    ServerError,
    /// <summary>The server sent bytes that are not valid NBD; the connection is closed.</summary>
    Protocol,
    /// <summary>The connection dropped (or was closed by us) with the request outstanding.</summary>
    ConnectionLost,
    /// <summary>The export does not offer what was asked (write to a read-only export, FLUSH, BLOCK_STATUS).</summary>
    NotSupported,
}
