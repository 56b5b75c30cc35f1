namespace BareMetal.Pxe.Tftp.Files;

/// <summary>
/// The iPXE binaries of Debian's <c>ipxe</c> package (/usr/lib/ipxe), served by their bare names
/// whatever the TFTP root holds. Only the listed names are reachable, so nothing else in that
/// directory leaks.
/// </summary>
public sealed class IpxeBinaryProvider : ITftpFileProvider
{
    /// <summary>Where Debian's ipxe package installs its binaries.</summary>
    public const string DebianDirectory = "/usr/lib/ipxe";

    /// <summary>BIOS PXE chainloader, UEFI x64 with its own drivers, UEFI x64 over the firmware's SNP driver.</summary>
    public static readonly IReadOnlyList<string> DefaultNames = ["undionly.kpxe", "ipxe.efi", "snponly.efi"];

    private readonly string _directory;
    private readonly HashSet<string> _names;
    private RootDirectoryProvider? _inner;

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
        // Resolved lazily: the package may be installed after the server starts.
        if (_inner is null)
        {
            if (!Directory.Exists(_directory))
            {
                return TftpOpenResult.NotFound($"{relative}: iPXE is not installed ({_directory} is missing)");
            }
            _inner = new RootDirectoryProvider(_directory);
        }
        return _inner.Open(request with { Path = relative });
    }
}
