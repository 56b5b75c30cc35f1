using System.CommandLine;
using System.Net;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Server;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Http;
using BareMetal.ImageStore.Nbd.Server;

namespace BareMetal.Cli;

/// <summary>
/// `baremetal export FILE`: serves one image over NBD (and optionally HTTP range) without the catalog,
/// as qemu-nbd does. Writes go to the file itself unless --read-only, or to a qcow2 overlay with
/// --overlay (the file is then never written). Runs until Ctrl-C.
/// </summary>
internal static class ExportCommand
{
    /// <summary>The IANA port of NBD.</summary>
    private const string DefaultNbd = "127.0.0.1:10809";

    internal static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The image to serve (any format we read; seen by clients as a raw disk)." };
        var nbd = new Option<string>("--nbd") { Description = $"NBD listen address ADDR:PORT (default {DefaultNbd}; port 0 picks a free one).", DefaultValueFactory = _ => DefaultNbd };
        var http = new Option<string?>("--http") { Description = "Also serve GET/HEAD with Range at http://ADDR:PORT/disk/NAME (for iPXE sanboot)." };
        var iscsi = new Option<string?>("--iscsi") { Description = "Also serve the image as iSCSI target iqn.2026-11.dev.baremetal:NAME, LUN 0, on ADDR:PORT (3260 is the IANA port)." };
        var name = new Option<string?>("--name") { Description = "Export name (default: the file name without extension). The empty default name works too." };
        var overlay = new Option<FileInfo?>("--overlay") { Description = "Send writes to this qcow2 overlay (created with FILE as its backing file when missing)." };
        var readOnly = new Option<bool>("--read-only") { Description = "Refuse writes (EPERM)." };
        var chapUser = new Option<string?>("--chap-user") { Description = "iSCSI: require CHAP; the initiator's user name (iPXE `username`, libiscsi `user%secret@`)." };
        var chapSecret = new Option<string?>("--chap-secret") { Description = "iSCSI: the initiator's CHAP secret (with --chap-user; 12 or more characters is wise)." };
        var chapMutualUser = new Option<string?>("--chap-mutual-user") { Description = "iSCSI: the name the target answers with when the initiator asks for mutual CHAP (iPXE `reverse-username`)." };
        var chapMutualSecret = new Option<string?>("--chap-mutual-secret") { Description = "iSCSI: the target's own CHAP secret for mutual CHAP (iPXE `reverse-password`); must differ from --chap-secret." };
        var cmd = new Command("export", "Serve one image over NBD and HTTP range without the catalog.") { file, nbd, http, iscsi, name, overlay, readOnly, chapUser, chapSecret, chapMutualUser, chapMutualSecret };
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new CliException($"{path.FullName}: no such file");
            }
            var nbdEndPoint = EndPointParser.Parse("--nbd", parse.GetValue(nbd) ?? DefaultNbd, allowOff: false, allowAnyPort: true)!;
            var httpText = parse.GetValue(http);
            var httpEndPoint = httpText is null ? null : EndPointParser.Parse("--http", httpText, allowOff: false, allowAnyPort: true);
            var iscsiText = parse.GetValue(iscsi);
            var iscsiEndPoint = iscsiText is null ? null : EndPointParser.Parse("--iscsi", iscsiText, allowOff: false, allowAnyPort: true);
            var chap = ChapFromFlags(parse.GetValue(chapUser), parse.GetValue(chapSecret), parse.GetValue(chapMutualUser), parse.GetValue(chapMutualSecret));
            if (chap is not null && iscsiEndPoint is null)
            {
                throw new CliException("--chap-user and --chap-secret need --iscsi ADDR:PORT");
            }
            var exportName = parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(path.Name);
            var ro = parse.GetValue(readOnly);
            var overlayFile = parse.GetValue(overlay);
            if (ro && overlayFile is not null)
            {
                throw new CliException("--read-only and --overlay exclude each other");
            }
            var disk = OpenDisk(path.FullName, overlayFile?.FullName, ro);
            var writable = !ro && disk.CanWrite;
            if (!ro && !writable)
            {
                Console.Error.WriteLine($"baremetal: {disk.Format} images cannot be written here; serving read-only (use --overlay for writes)");
            }
            using var exports = new FileExportProvider(disk, !writable, [exportName, ""], path.Name);
            await using var server = new NbdServer(exports);
            try
            {
                server.Start(nbdEndPoint);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new CliException($"cannot listen on {nbdEndPoint}: {e.Message}");
            }
            var ep = server.LocalEndPoint;
            var host = ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]" : ep.Address.ToString();
            Console.Out.WriteLine($"nbd://{host}:{ep.Port}/{Uri.EscapeDataString(exportName)}  ({(writable ? "writable" : "read-only")}, {disk.Length} bytes)");
            await using var httpExport = new BlockHttpExport(exports);
            if (httpEndPoint is not null)
            {
                try
                {
                    await httpExport.StartAsync(httpEndPoint, ct);
                }
                catch (IOException e)
                {
                    throw new CliException($"cannot listen on {httpEndPoint}: {e.Message}");
                }
                Console.Out.WriteLine($"{httpExport.BaseUri!.ToString().TrimEnd('/')}{BlockHttpExport.PathPrefix}{Uri.EscapeDataString(exportName)}");
            }
            await using var iscsiServer = new IscsiServer(exports, auth: chap is null ? null : new FixedChapPolicy(chap));
            if (iscsiEndPoint is not null)
            {
                try
                {
                    iscsiServer.Start(iscsiEndPoint);
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    throw new CliException($"cannot listen on {iscsiEndPoint}: {e.Message}");
                }
                var iep = iscsiServer.LocalEndPoint;
                var ihost = iep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{iep.Address}]" : iep.Address.ToString();
                Console.Out.WriteLine($"iscsi://{ihost}:{iep.Port}/{IscsiTargetNames.ForExport(exportName)}/0");
                if (chap is not null)
                {
                    Console.Error.WriteLine($"baremetal: iSCSI requires CHAP as user '{chap.User}'{(chap.HasMutual ? $", and answers mutual CHAP as '{chap.MutualUser}'" : "")}");
                }
            }
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            var s = exports.Export.Counters.Snapshot();
            Console.Error.WriteLine($"baremetal: served {s.Requests} requests, {s.BytesRead} bytes read, {s.BytesWritten} bytes written, {s.BlocksTouched} of {s.RegionCount} regions touched");
            return 0;
        });
        return cmd;
    }

    /// <summary>The CHAP secrets the flags ask for, or null without --chap-user; a bad combination is a one-line error.</summary>
    private static ChapSecrets? ChapFromFlags(string? user, string? secret, string? mutualUser, string? mutualSecret)
    {
        if (user is null && secret is null && mutualUser is null && mutualSecret is null)
        {
            return null;
        }
        if (user is null || secret is null)
        {
            throw new CliException("--chap-user and --chap-secret go together");
        }
        if ((mutualUser is null) != (mutualSecret is null))
        {
            throw new CliException("--chap-mutual-user and --chap-mutual-secret go together");
        }
        try
        {
            return new ChapSecrets(user, secret, mutualUser, mutualSecret);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"--{e.ParamName switch { "user" => "chap-user", "secret" => "chap-secret", "mutualUser" => "chap-mutual-user", _ => "chap-mutual-secret" }}: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    private static VirtualDisk OpenDisk(string path, string? overlayPath, bool readOnly)
    {
        if (overlayPath is null)
        {
            if (readOnly)
            {
                return DiskImage.Open(path);
            }
            try
            {
                return DiskImage.Open(path, new OpenOptions { Writable = true });
            }
            catch (Exception e) when (e is ImageFormatException { Reason: ImageError.BadBackingChain } or UnauthorizedAccessException)
            {
                // No write permission on the file: serve it read-only as qemu-nbd would refuse to.
                throw new CliException($"{path}: cannot open for writing ({e.Message}); use --read-only or --overlay");
            }
        }
        if (File.Exists(overlayPath))
        {
            // An overlay is qcow2 and opened as such, never probed (as the server does): probing would
            // serve a damaged overlay, or any file named by mistake, as a raw disk and write into it.
            try
            {
                return DiskImage.Open(overlayPath, new OpenOptions { Writable = true, Format = ImageFormat.Qcow2 });
            }
            catch (ImageFormatException e)
            {
                throw new CliException($"{overlayPath}: not a qcow2 overlay ({e.Problem}); name a qcow2 file or a new path");
            }
        }
        ImageFormat format;
        long length;
        using (var b = DiskImage.Open(path))
        {
            format = b.Format == ImageFormat.Iso ? ImageFormat.Raw : b.Format;
            length = b.Length;
        }
        return Qcow2Writer.Create(overlayPath, length, 65536, backingFile: path, backingFormat: format);
    }
}
