namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>Why a client's bytes could not be a valid NBD message. Each one ends the connection.</summary>
public enum NbdProtocolError
{
    /// <summary>A magic number is not the one the protocol requires here.</summary>
    BadMagic,
    /// <summary>Client flags carry a bit we did not offer.</summary>
    UnknownClientFlags,
    /// <summary>An option claims more data than <see cref="NbdLimits.MaxOptionData"/>.</summary>
    OptionTooLong,
    /// <summary>The client sent more options than <see cref="NbdLimits.MaxOptions"/>.</summary>
    TooManyOptions,
    /// <summary>A WRITE claims a payload beyond <see cref="NbdLimits.MaxPayload"/>: we cannot skip it safely.</summary>
    PayloadTooLong,
    /// <summary>The client chose an export that does not exist with OPT_EXPORT_NAME (which cannot fail softly).</summary>
    UnknownExport,
}
