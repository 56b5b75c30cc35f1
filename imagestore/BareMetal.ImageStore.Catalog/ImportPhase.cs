namespace BareMetal.ImageStore.Catalog;

/// <summary>Phases of an import, in order.</summary>
public enum ImportPhase
{
    /// <summary>Bytes are streaming into data/images/.incoming/*.part while SHA-256 is computed.</summary>
    Receiving = 0,

    /// <summary>The format is being probed and its metadata checked.</summary>
    Verifying = 1,

    /// <summary>The file is renamed into place and the row inserted in one transaction.</summary>
    Committing = 2,

    /// <summary>Visible in the catalog.</summary>
    Done = 3,
}
