namespace BareMetal.ImageStore.Nbd.Session;

/// <summary>What the connection does after an option was answered.</summary>
public enum HandshakeOutcome
{
    /// <summary>Read the next option.</summary>
    Continue,
    /// <summary>The client sent OPT_ABORT: send the replies and close.</summary>
    Abort,
    /// <summary>An export was chosen (OPT_GO or OPT_EXPORT_NAME): send the replies and start transmission.</summary>
    Transmit,
}
