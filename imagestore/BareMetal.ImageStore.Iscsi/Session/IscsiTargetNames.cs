namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>
/// Export name &lt;-&gt; iSCSI target name. Each export is the target <c>iqn.2026-11.dev.baremetal:{export}</c>.
/// Per-node overlays keep the NBD naming <c>image@node</c>: the target <c>...:image@node</c> is taken
/// as it is, and because '@' is not a legal IQN character (RFC 3722) and libiscsi URLs read '@' as
/// user-info, <c>...:image:node</c> means the same export (the first ':' after the prefix becomes '@').
/// </summary>
public static class IscsiTargetNames
{
    public const string Prefix = "iqn.2026-11.dev.baremetal:";

    /// <summary>The target name listed for an export.</summary>
    public static string ForExport(string exportName) => Prefix + exportName;

    /// <summary>The export a target name asks for, or null when it is not one of ours.</summary>
    public static string? ToExport(string targetName)
    {
        if (!targetName.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || targetName.Length == Prefix.Length)
        {
            return null;
        }
        var rest = targetName[Prefix.Length..];
        if (rest.Contains('@', StringComparison.Ordinal))
        {
            return rest;
        }
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? rest : string.Concat(rest.AsSpan(0, colon), "@", rest.AsSpan(colon + 1));
    }
}
