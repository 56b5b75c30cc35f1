namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// The iPXE binaries of Debian's <c>ipxe</c> package (/usr/lib/ipxe), served by their bare names
/// whatever the TFTP root holds. Only the listed names are reachable, so nothing else in that
/// directory leaks. Debian links some of them out of that directory (ipxe.efi -> /boot/ipxe.efi),
/// so each listed name is served from wherever its link finally points: the allow-list, not the
/// directory, is the jail here.
/// </summary>
public sealed class IpxeBinaryProvider : ITftpFileProvider
{
    /// <summary>Where Debian's ipxe package installs its binaries.</summary>
    public const string DebianDirectory = "/usr/lib/ipxe";

    /// <summary>BIOS PXE chainloader, UEFI x64 with its own drivers, UEFI x64 over the firmware's SNP driver.</summary>
    public static readonly IReadOnlyList<string> DefaultNames = ["undionly.kpxe", "ipxe.efi", "snponly.efi"];

    private readonly string _directory;
    private readonly HashSet<string> _names;
    private readonly Dictionary<string, RootDirectoryProvider> _byDirectory = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public IpxeBinaryProvider(string directory = DebianDirectory, IEnumerable<string>? names = null)
    {
        _directory = directory;
        _names = new HashSet<string>(names ?? DefaultNames, StringComparer.Ordinal);
    }

    public TftpOpenResult Open(TftpFileRequest request)
    {
        if (!TftpPath.TryNormalize(request.Path, out var relative, out _) || !_names.Contains(relative))
        {
            return TftpOpenResult.NotFound();
        }
        // Resolved per request: the package may be installed (or upgraded) after the server starts.
        var path = Path.Join(_directory, relative);
        if (!File.Exists(path))
        {
            return TftpOpenResult.NotFound($"{relative}: iPXE is not installed ({path} is missing)");
        }
        var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        var directory = Path.GetDirectoryName(real) ?? "/";
        RootDirectoryProvider inner;
        lock (_lock)
        {
            if (!_byDirectory.TryGetValue(directory, out inner!))
            {
                inner = new RootDirectoryProvider(directory);
                _byDirectory[directory] = inner;
            }
        }
        return inner.Open(request with { Path = Path.GetFileName(real) });
    }
}
