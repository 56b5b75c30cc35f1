namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>Finds Dhcp/testdata in the source tree (the captures are read in place, not copied).</summary>
public static class TestData
{
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "BareMetal.Pxe.Tests", "Dhcp", "testdata");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new DirectoryNotFoundException("tests/BareMetal.Pxe.Tests/Dhcp/testdata not found above " + AppContext.BaseDirectory);
        }
    }

    public static string File(string name) => Path.Combine(Directory, name);

    /// <summary>The BIOS iPXE ROM's first DISCOVER (frame 1 of qemu-ipxe-bios.pcap).</summary>
    public static byte[] BiosDiscover => Pcap.ReadUdp(File("qemu-ipxe-bios.pcap"))[0].Payload;
}
