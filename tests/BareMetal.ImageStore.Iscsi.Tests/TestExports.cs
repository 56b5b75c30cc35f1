using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.ImageStore.Iscsi.Tests;

/// <summary>A raw file export in a temp directory, with a session ready to log in.</summary>
internal sealed class TestExports : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iscsi-tests").FullName;

    public TestExports(int size = 1024 * 1024, bool readOnly = false)
    {
        Path = System.IO.Path.Combine(_dir, "disk.raw");
        var bytes = new byte[size];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = unchecked((byte)(i * 7 / 512));
        }
        File.WriteAllBytes(Path, bytes);
        var disk = DiskImage.Open(Path, new OpenOptions { Writable = !readOnly });
        Provider = new FileExportProvider(disk, readOnly, ["disk"]);
    }

    public string Path { get; }

    public FileExportProvider Provider { get; }

    public Initiator NewInitiator(IIscsiAuthPolicy? auth = null, Action<Span<byte>>? random = null) =>
        new(new IscsiSession(Provider, "127.0.0.1", "127.0.0.1:3260,1", 7, auth, random));

    public void Dispose()
    {
        Provider.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
