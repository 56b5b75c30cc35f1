using System.Globalization;

namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// Path operations over any <see cref="IFileSystemReader"/>: resolve a path (following symlinks inside
/// the file system, never out of it, at most <see cref="MaxSymlinkFollows"/> times), stat, list, read,
/// and walk a tree refusing directory loops. Absolute symlink targets resolve from the file system's own
/// root, as they would for the OS that owns it.
/// </summary>
public static class FileSystemPaths
{
    /// <summary>Symlinks followed while resolving one path (Linux's MAXSYMLINKS).</summary>
    public const int MaxSymlinkFollows = 40;

    /// <summary>Path components handled while resolving one path, symlink targets included.</summary>
    public const int MaxPathComponents = 16384;

    /// <summary>Deepest directory a walk descends into.</summary>
    public const int MaxWalkDepth = 1024;

    /// <summary>Most entries one walk visits before calling the tree hostile.</summary>
    public const int MaxWalkEntries = 4_000_000;

    /// <summary>Largest file <see cref="ReadAllBytes"/> reads into memory by default.</summary>
    public const int DefaultMaxReadBytes = 256 << 20;

    /// <summary>The entry at <paramref name="path"/>, following symlinks (the last one too unless <paramref name="followLast"/> is false).</summary>
    public static FileSystemEntry Resolve(this IFileSystemReader fs, string path, bool followLast = true) =>
        fs.ResolveWithPath(path, followLast).Entry;

    /// <summary>Like lstat: a symlink at the end of the path is returned, not followed.</summary>
    public static FileSystemEntry Lstat(this IFileSystemReader fs, string path) => fs.Resolve(path, followLast: false);

    /// <summary>The entry and its canonical path (symlinks resolved, "." and ".." gone).</summary>
    public static (FileSystemEntry Entry, string Path) ResolveWithPath(this IFileSystemReader fs, string path, bool followLast = true)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentNullException.ThrowIfNull(path);
        var pending = new List<string>(Split(path));
        pending.Reverse();
        var stack = new List<(string Name, FileSystemEntry Entry)> { ("", fs.Root) };
        var follows = 0;
        var handled = 0;
        while (pending.Count > 0)
        {
            if (++handled > MaxPathComponents)
            {
                throw new IOException($"{fs.Name}: '{path}' has more than {MaxPathComponents} components once its symlinks are followed");
            }
            var part = pending[^1];
            pending.RemoveAt(pending.Count - 1);
            if (part is "." or "")
            {
                continue;
            }
            if (part == "..")
            {
                if (stack.Count > 1)
                {
                    stack.RemoveAt(stack.Count - 1);
                }
                continue;
            }
            var (_, dir) = stack[^1];
            if (!dir.IsDirectory)
            {
                throw new IOException($"{fs.Name}: '{Join(stack)}' is not a directory");
            }
            var child = Find(fs, fs.List(dir), part) ??
                throw new FileNotFoundException($"{fs.Name}: no '{part}' in '{Join(stack)}'");
            if (child.IsSymlink && (pending.Count > 0 || followLast))
            {
                if (++follows > MaxSymlinkFollows)
                {
                    throw new IOException($"{fs.Name}: '{path}': too many levels of symbolic links (more than {MaxSymlinkFollows})");
                }
                var target = fs.ReadLink(child);
                if (target.StartsWith('/'))
                {
                    stack.RemoveRange(1, stack.Count - 1);
                }
                var parts = Split(target);
                for (var i = parts.Length - 1; i >= 0; i--)
                {
                    pending.Add(parts[i]);
                }
                continue;
            }
            stack.Add((child.Name, child));
        }
        return (stack[^1].Entry, Join(stack));
    }

    /// <summary>Stat following symlinks.</summary>
    public static FileSystemEntry Stat(this IFileSystemReader fs, string path) => fs.Resolve(path);

    /// <summary>True when <paramref name="path"/> names something (symlinks followed).</summary>
    public static bool Exists(this IFileSystemReader fs, string path)
    {
        try
        {
            fs.Resolve(path);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException e) when (e is not FileSystemFormatException)
        {
            return false;
        }
    }

    /// <summary>The entries of the directory at <paramref name="path"/>.</summary>
    public static IReadOnlyList<FileSystemEntry> List(this IFileSystemReader fs, string path)
    {
        var (dir, full) = fs.ResolveWithPath(path);
        if (!dir.IsDirectory)
        {
            throw new IOException($"{fs.Name}: '{full}' is not a directory");
        }
        return fs.List(dir);
    }

    /// <summary>A read-only stream over the file at <paramref name="path"/> (symlinks followed).</summary>
    public static Stream OpenRead(this IFileSystemReader fs, string path)
    {
        var (entry, full) = fs.ResolveWithPath(path);
        if (!entry.IsFile)
        {
            throw new IOException($"{fs.Name}: '{full}' is not a regular file");
        }
        return fs.OpenRead(entry);
    }

    /// <summary>Reads a whole file, refusing one larger than <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAllBytes(this IFileSystemReader fs, string path, int maxBytes = DefaultMaxReadBytes)
    {
        var (entry, full) = fs.ResolveWithPath(path);
        if (!entry.IsFile)
        {
            throw new IOException($"{fs.Name}: '{full}' is not a regular file");
        }
        return fs.ReadAllBytes(entry, full, maxBytes);
    }

    /// <summary>Reads a whole file, refusing one larger than <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAllBytes(this IFileSystemReader fs, FileSystemEntry file, string? path = null, int maxBytes = DefaultMaxReadBytes)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentNullException.ThrowIfNull(file);
        if (file.Size > maxBytes)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{fs.Name}: '{path ?? file.Name}' is {file.Size} bytes, more than {maxBytes}"));
        }
        using var s = fs.OpenRead(file);
        var bytes = new byte[file.Size];
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Every entry under <paramref name="path"/>, depth first, with its full path; symlinks are listed,
    /// not followed. A directory met twice (its id already in the tree) is a loop and is refused, as are
    /// trees deeper than <see cref="MaxWalkDepth"/> or larger than <see cref="MaxWalkEntries"/>.
    /// </summary>
    public static IEnumerable<(string Path, FileSystemEntry Entry)> Walk(this IFileSystemReader fs, string path = "/")
    {
        var (start, full) = fs.ResolveWithPath(path);
        return WalkFrom(fs, start, full);
    }

    private static IEnumerable<(string Path, FileSystemEntry Entry)> WalkFrom(IFileSystemReader fs, FileSystemEntry start, string full)
    {
        if (!start.IsDirectory)
        {
            yield return (full, start);
            yield break;
        }
        var seen = new HashSet<long> { start.Id };
        var stack = new Stack<(string Path, FileSystemEntry Entry, int Depth)>();
        stack.Push((full, start, 0));
        var visited = 0;
        while (stack.Count > 0)
        {
            var (dirPath, dir, depth) = stack.Pop();
            var children = fs.List(dir);
            var subdirs = new List<(string, FileSystemEntry, int)>();
            foreach (var child in children)
            {
                if (++visited > MaxWalkEntries)
                {
                    throw new FileSystemFormatException(fs.Name, fs.Type, ImageError.SizeOutOfRange, $"more than {MaxWalkEntries} entries under '{full}'");
                }
                var childPath = dirPath == "/" ? "/" + child.Name : dirPath + "/" + child.Name;
                yield return (childPath, child);
                if (!child.IsDirectory)
                {
                    continue;
                }
                if (depth + 1 >= MaxWalkDepth)
                {
                    throw new FileSystemFormatException(fs.Name, fs.Type, ImageError.SizeOutOfRange, $"'{childPath}' is nested deeper than {MaxWalkDepth} levels");
                }
                if (!seen.Add(child.Id))
                {
                    throw new FileSystemFormatException(fs.Name, fs.Type, ImageError.BadHeader,
                        string.Create(CultureInfo.InvariantCulture, $"directory loop: '{childPath}' is object {child.Id}, which is already in the tree"));
                }
                subdirs.Add((childPath, child, depth + 1));
            }
            // Pushed in reverse so siblings come out in directory order.
            for (var i = subdirs.Count - 1; i >= 0; i--)
            {
                stack.Push(subdirs[i]);
            }
        }
    }

    private static FileSystemEntry? Find(IFileSystemReader fs, IReadOnlyList<FileSystemEntry> children, string name)
    {
        foreach (var c in children)
        {
            if (string.Equals(c.Name, name, StringComparison.Ordinal))
            {
                return c;
            }
        }
        if (fs.CaseInsensitive)
        {
            foreach (var c in children)
            {
                if (string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return c;
                }
            }
        }
        return null;
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string Join(List<(string Name, FileSystemEntry Entry)> stack) =>
        stack.Count == 1 ? "/" : string.Join('/', stack.Select(s => s.Name));
}
