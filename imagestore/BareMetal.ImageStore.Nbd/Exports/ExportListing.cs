namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>One line of NBD_OPT_LIST: a name a client may ask for, and a human description.</summary>
public readonly record struct ExportListing(string Name, string? Description);
