namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>Bounds checked before anything a client says is allocated or trusted.</summary>
public static class NbdLimits
{
    /// <summary>
    /// Largest option payload we accept. The longest legitimate one is a meta-context query list;
    /// 64 KiB holds many 4096-byte strings. A longer length is a lie: we drop the connection.
    /// </summary>
    public const int MaxOptionData = 64 * 1024;

    /// <summary>The protocol's limit for strings (export names, queries).</summary>
    public const int MaxString = 4096;

    /// <summary>Largest READ/WRITE payload (and advertised maximum block size): 32 MiB, as qemu-nbd.</summary>
    public const int MaxPayload = 32 * 1024 * 1024;

    /// <summary>Options one connection may send before we decide it is stalling and drop it.</summary>
    public const int MaxOptions = 1024;

    /// <summary>Meta-context queries in one option.</summary>
    public const int MaxQueries = 64;

    /// <summary>Extents in one BLOCK_STATUS reply (the spec lets us return fewer than asked).</summary>
    public const int MaxExtentsPerReply = 1024;
}
