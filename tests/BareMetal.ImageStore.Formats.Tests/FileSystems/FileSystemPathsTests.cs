using BareMetal.ImageStore.Formats.FileSystems;

namespace BareMetal.ImageStore.Formats.Tests.FileSystems;

/// <summary>Path resolution and walks over an in-memory reader: symlinks inside the file system, loops refused.</summary>
public class FileSystemPathsTests
{
    /// <summary>A tiny in-memory file system: directories by id, symlink targets, file bytes.</summary>
    private sealed class FakeReader : IFileSystemReader
    {
        public Dictionary<long, List<FileSystemEntry>> Dirs { get; } = [];
        public Dictionary<long, string> Links { get; } = [];
        public Dictionary<long, byte[]> Files { get; } = [];
        private long _next = 100;

        public FakeReader() => Dirs[1] = [];

        public string Name => "fake.img";
        public bool CaseInsensitive => false;
        public string Type => "fake";
        public string? Label => null;
        public string? Uuid => null;
        public FileSystemEntry Root => new("/", FileSystemEntryKind.Directory, 0, 1, 0x41ED, 0, 0, null);

        public long Dir(long parent, string name, long? id = null)
        {
            var i = id ?? _next++;
            Dirs[parent].Add(new FileSystemEntry(name, FileSystemEntryKind.Directory, 0, i, 0x41ED, 0, 0, null));
            Dirs.TryAdd(i, []);
            return i;
        }

        public void Link(long parent, string name, string target)
        {
            var i = _next++;
            Links[i] = target;
            Dirs[parent].Add(new FileSystemEntry(name, FileSystemEntryKind.Symlink, target.Length, i, 0xA1FF, 0, 0, null));
        }

        public void File(long parent, string name, string text)
        {
            var i = _next++;
            Files[i] = System.Text.Encoding.UTF8.GetBytes(text);
            Dirs[parent].Add(new FileSystemEntry(name, FileSystemEntryKind.File, Files[i].Length, i, 0x81A4, 0, 0, null));
        }

        public IReadOnlyList<FileSystemEntry> List(FileSystemEntry directory) => Dirs[directory.Id];
        public Stream OpenRead(FileSystemEntry file) => new MemoryStream(Files[file.Id]);
        public string ReadLink(FileSystemEntry symlink) => Links[symlink.Id];
    }

    private static FakeReader Tree()
    {
        var fs = new FakeReader();
        var etc = fs.Dir(1, "etc");
        var usr = fs.Dir(1, "usr");
        var lib = fs.Dir(usr, "lib");
        fs.File(lib, "os-release", "PRETTY_NAME=\"Fake OS 1\"\n");
        fs.Link(etc, "os-release", "../usr/lib/os-release");
        fs.Link(1, "abs", "/usr/lib");
        fs.Link(1, "escape", "../../../../usr/lib/os-release");
        fs.Link(1, "loop-a", "loop-b");
        fs.Link(1, "loop-b", "loop-a");
        return fs;
    }

    [Test]
    public void RelativeAndAbsoluteSymlinks_ResolveInsideTheFileSystem()
    {
        var fs = Tree();
        Assert.That(fs.ResolveWithPath("/etc/os-release").Path, Is.EqualTo("/usr/lib/os-release"));
        Assert.That(fs.ResolveWithPath("/abs/os-release").Path, Is.EqualTo("/usr/lib/os-release"));
        Assert.That(fs.ResolveWithPath("/escape").Path, Is.EqualTo("/usr/lib/os-release"), "'..' above the root stays at the root");
        Assert.That(fs.Lstat("/etc/os-release").IsSymlink, Is.True);
        Assert.That(OsRelease.PrettyName(fs), Is.EqualTo("Fake OS 1"));
    }

    [Test]
    public void SymlinkLoop_IsRefusedAfterFortyLinks()
    {
        var fs = Tree();
        var e = Assert.Throws<IOException>(() => fs.Resolve("/loop-a"));
        Assert.That(e!.Message, Is.EqualTo("fake.img: '/loop-a': too many levels of symbolic links (more than 40)"));
        Assert.That(fs.Exists("/loop-a"), Is.False);
    }

    [Test]
    public void MissingAndNotADirectory_AreUserErrors()
    {
        var fs = Tree();
        Assert.That(() => fs.Resolve("/nope"), Throws.TypeOf<FileNotFoundException>().With.Message.EqualTo("fake.img: no 'nope' in '/'"));
        Assert.That(() => fs.Resolve("/usr/lib/os-release/x"), Throws.InstanceOf<IOException>().With.Message.Contains("is not a directory"));
    }

    [Test]
    public void DirectoryThatContainsItself_WalkRefusesTheLoop()
    {
        var fs = Tree();
        var a = fs.Dir(1, "a");
        fs.Dir(a, "again", id: a);
        var e = Assert.Throws<FileSystemFormatException>(() => fs.Walk("/").ToList());
        Assert.That(e!.Message, Does.Contain("directory loop: '/a/again'"));
    }

    [Test]
    public void Walk_ListsEveryEntryOnceWithoutFollowingSymlinks()
    {
        var fs = Tree();
        var paths = fs.Walk("/").Select(w => w.Path).ToList();
        Assert.That(paths, Is.EquivalentTo(new[] { "/etc", "/usr", "/abs", "/escape", "/loop-a", "/loop-b", "/etc/os-release", "/usr/lib", "/usr/lib/os-release" }));
    }

    [Test]
    public void OsReleaseParse_HandlesQuotesCommentsAndJunk()
    {
        var f = OsRelease.Parse("# c\nNAME='Arch Linux'\nPRETTY_NAME=\"Say \\\"hi\\\"\"\nJUNK\n=x\nID=arch\n");
        Assert.That(f["NAME"], Is.EqualTo("Arch Linux"));
        Assert.That(f["PRETTY_NAME"], Is.EqualTo("Say \"hi\""));
        Assert.That(f["ID"], Is.EqualTo("arch"));
        Assert.That(f, Has.Count.EqualTo(3));
    }
}
