namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// The block service's one policy decision: which export does a name give. Null = no such export
/// (the client gets NBD_REP_ERR_UNKNOWN, or a 404 over HTTP). Implementations are thread-safe and
/// return the same instance for the same name while it is open.
/// </summary>
public interface IExportProvider
{
    /// <summary>What NBD_OPT_LIST shows (per-client overlay names are not listed).</summary>
    IReadOnlyList<ExportListing> List();

    NbdExport? Find(string name);

    /// <summary>
    /// The exports as one client may see them: every front-end asks this once per connection (or HTTP
    /// request) and serves the client from the answer only, so a provider that knows who may open what
    /// (a node opens only its own overlay) decides it here. The default: everyone sees everything.
    /// </summary>
    IExportProvider ForClient(ExportClient client) => this;
}
