namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>The front-end a client reached the block service through (for access decisions and the audit log).</summary>
public enum ExportProtocol
{
    Nbd = 0,
    Iscsi = 1,
    Http = 2,
}
