using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// Serves regular files under one directory, jailed: a name is normalized by <see cref="TftpPath"/>,
/// then every symlink on the way is resolved and the result must stay under the root's real path;
/// devices, FIFOs and directories are refused. "/etc/passwd" means ROOT/etc/passwd, as with tftp-hpa -s.
/// </summary>
public sealed class RootDirectoryProvider : ITftpFileProvider
{
    /// <summary>Symlink hops before a path counts as a loop (Linux's own limit is 40).</summary>
    private const int MaxSymlinkHops = 40;

    private readonly string _realRoot;
    private readonly SmallFileCache? _cache;

    /// <param name="root">The directory served.</param>
    /// <param name="cache">Keeps small files in memory; pass null to read every block from disk.</param>
    public RootDirectoryProvider(string root, SmallFileCache? cache)
        : this(root)
    {
        _cache = cache;
    }

    /// <summary>Serves <paramref name="root"/> with a default <see cref="SmallFileCache"/> (files up to 4 MiB).</summary>
    public RootDirectoryProvider(string root)
    {
        _cache = new SmallFileCache();
        ArgumentException.ThrowIfNullOrEmpty(root);
        _realRoot = RealPath(Path.GetFullPath(root)) ?? throw new DirectoryNotFoundException($"TFTP root {root} cannot be resolved");
        if (!Directory.Exists(_realRoot))
        {
            throw new DirectoryNotFoundException($"TFTP root {root} is not a directory");
        }
        Root = _realRoot;
    }

    /// <summary>The root with its own symlinks resolved.</summary>
    public string Root { get; }

    public TftpOpenResult Open(TftpFileRequest request)
    {
        if (!TftpPath.TryNormalize(request.Path, out var relative, out var reason))
        {
            return TftpOpenResult.Denied(reason);
        }
        var real = RealPath(Path.Join(_realRoot, relative));
        if (real is null)
        {
            return TftpOpenResult.Denied("symlink loop");
        }
        if (!IsUnderRoot(real))
        {
            return TftpOpenResult.Denied("path leaves the TFTP root");
        }
        if (!File.Exists(real))
        {
            return Directory.Exists(real) ? TftpOpenResult.Denied("is a directory") : TftpOpenResult.NotFound();
        }
        if (RegularFile.Check(real) == false)
        {
            return TftpOpenResult.Denied("not a regular file");
        }
        try
        {
            var handle = File.OpenHandle(real, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            // Checked again on the open descriptor, which closes the race with a path swapped after RealPath.
            if (OperatingSystem.IsLinux() && new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget is { } opened && !IsUnderRoot(opened))
            {
                handle.Dispose();
                return TftpOpenResult.Denied("path leaves the TFTP root");
            }
            byte[]? cached;
            try
            {
                cached = _cache?.Get(real, handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
            if (cached is not null)
            {
                handle.Dispose();
                return TftpOpenResult.Of(new MemoryContent(cached));
            }
            return TftpOpenResult.Of(new FileContent(handle));
        }
        catch (FileNotFoundException)
        {
            return TftpOpenResult.NotFound();
        }
        catch (DirectoryNotFoundException)
        {
            return TftpOpenResult.NotFound();
        }
        catch (UnauthorizedAccessException)
        {
            return TftpOpenResult.Denied("permission denied");
        }
        catch (IOException e)
        {
            return new TftpOpenResult(null, TftpErrorCode.NotDefined, e.Message);
        }
    }

    private bool IsUnderRoot(string real)
        => real.StartsWith(_realRoot, StringComparison.Ordinal)
           && (real.Length == _realRoot.Length || real[_realRoot.Length] == '/' || _realRoot == "/");

    /// <summary>realpath(3) for a path that may not exist: symlinks resolved segment by segment; null on a loop.</summary>
    internal static string? RealPath(string absolute)
    {
        var pending = new Stack<string>(absolute.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = "/";
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Join(current, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (IOException)
            {
                target = null;
            }
            catch (UnauthorizedAccessException)
            {
                target = null;
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++hops > MaxSymlinkHops)
            {
                return null;
            }
            if (Path.IsPathRooted(target))
            {
                current = "/";
            }
            foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(t);
            }
        }
        return current;
    }
}
