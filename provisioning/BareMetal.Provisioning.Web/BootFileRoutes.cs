using System.Buffers;
using System.Net;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// <c>/boot/{file}</c> over HTTP. <c>{mac}.ipxe</c> is the node's iPXE script; any other name (and any path below,
/// <c>/boot/debian-installer/amd64/linux</c>) is a boot file from the same place TFTP serves, through the same jail
/// (data/tftp, then Debian's iPXE binaries), for UEFI HTTP-boot clients,
/// whose DHCP answer is a URL such as <c>http://server:8080/boot/ipxe.efi</c>. EDK2's HTTP boot asks with
/// HEAD first to learn the size (OVMF printed "405 Method Not Allowed ... Could not retrieve NBP file size"
/// when only GET was mapped), so both methods answer, with Content-Length. <c>deploy-copier.0</c> is the
/// generated deploy copier (<see cref="DeployCopier"/>), and <c>deploy-copier.efi</c> and <c>local-boot.efi</c>
/// its UEFI twin (<see cref="DeployCopierEfi"/>), whatever data/tftp holds.
/// </summary>
internal static class BootFileRoutes
{
    private const int ChunkBytes = 64 * 1024;

    /// <param name="files">The boot files (shared with TFTP).</param>
    /// <param name="script">Renders the script of a node (normalised MAC) for this request.</param>
    /// <param name="served">Called after a whole boot file went out: (client address, file name).</param>
    public static void Map(WebApplication web, ITftpFileProvider files, Func<HttpContext, string, Task<string>> script, Func<string, string, Task> served)
    {
        // Nodes cannot log in: the routes are open. The script route registers a new node and says what to boot.
        web.MapMethods("/boot/{file}", [HttpMethods.Get, HttpMethods.Head], async (string file, HttpContext ctx) =>
        {
            if (file.EndsWith(".ipxe", StringComparison.Ordinal))
            {
                if (Macs.Normalise(file[..^5]) is not { } mac)
                {
                    return Results.Problem(statusCode: 404, title: "Not a boot script", detail: "boot scripts are named /boot/{mac}.ipxe, e.g. /boot/52:54:00:12:34:56.ipxe");
                }
                return Results.Text(await script(ctx, mac), "text/plain");
            }
            // Generated, not files: the deploy copiers deploy-mode scripts chain (BIOS NBP, UEFI application), told the image's size.
            if (file == DeployCopier.FileName)
            {
                return Copier(ctx, DeployCopier.MaxImageBytes, DeployCopier.For);
            }
            if (file == DeployCopierEfi.FileName)
            {
                return Copier(ctx, long.MaxValue, DeployCopierEfi.For);
            }
            if (file == DeployCopierEfi.BootFileName)
            {
                return Results.Bytes(DeployCopierEfi.ForBootLocal(), "application/octet-stream");
            }
            return ServeFile(file, ctx, files, served);
        });
        // The TFTP tree's subpaths (/boot/debian-installer/amd64/linux): UEFI HTTP boot of a tree, iPXE fetching a
        // kernel and initrd over HTTP. Literal routes (/boot/{mac}/os-up, /boot/agent/os-up.sh) take precedence.
        web.MapMethods("/boot/{dir}/{**rest}", [HttpMethods.Get, HttpMethods.Head], (string dir, string? rest, HttpContext ctx) =>
            ServeFile($"{dir}/{rest}", ctx, files, served));
    }

    /// <summary>
    /// One boot file through the TFTP side's own provider, so HTTP and TFTP share one jail (<see cref="TftpPath"/>
    /// for the name, <see cref="RootDirectoryProvider"/> for symlinks and file types). A name the jail refuses
    /// outright ('..', NUL or control characters, the root itself) is 400; anything else not served (missing,
    /// a directory, a symlink out of the root, a device) is 404, which says nothing about what lies outside.
    /// </summary>
    private static IResult ServeFile(string path, HttpContext ctx, ITftpFileProvider files, Func<string, string, Task> served)
    {
        const string Where = "boot files come from data/tftp and /usr/lib/ipxe; scripts are /boot/{mac}.ipxe";
        if (!TftpPath.TryNormalize(path, out _, out var reason))
        {
            return Results.Problem(statusCode: 400, title: "Bad boot file name", detail: $"{Printable(path)}: {reason}");
        }
        var client = new IPEndPoint(ctx.Connection.RemoteIpAddress ?? IPAddress.None, ctx.Connection.RemotePort);
        var opened = files.Open(new TftpFileRequest(path, client, TftpMode.Octet));
        if (opened.Content is not { } content)
        {
            return Results.Problem(statusCode: 404, title: opened.IsNotFound ? "No such boot file" : "Boot file refused",
                detail: $"{Printable(path)}: {opened.Message} ({Where})");
        }
        return new BootFileResult(content, path, client.Address, served);
    }

    /// <summary>The name as the client sent it, control characters escaped, for a problem's detail.</summary>
    private static string Printable(string path) =>
        string.Concat(path.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));

    /// <summary>Streams one boot file; owns (and disposes) its content.</summary>
    private sealed class BootFileResult(ITftpContent content, string name, IPAddress client, Func<string, string, Task> served) : IResult
    {
        public async Task ExecuteAsync(HttpContext ctx)
        {
            using (content)
            {
                var response = ctx.Response;
                response.ContentType = "application/octet-stream";
                response.ContentLength = content.Length;
                if (HttpMethods.IsHead(ctx.Request.Method))
                {
                    return;
                }
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                try
                {
                    for (long offset = 0; offset < content.Length;)
                    {
                        var n = content.Read(offset, buffer.AsSpan(0, (int)Math.Min(ChunkBytes, content.Length - offset)));
                        if (n <= 0)
                        {
                            // The file shrank under us: the client sees a short body against Content-Length.
                            ctx.Abort();
                            return;
                        }
                        await response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
                        offset += n;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4().ToString() : client.ToString();
            await served(address, name);
        }
    }

    /// <summary>A copier told ?bytes=N, the image's size (absent = 0: it trusts the disk's size); 400 when N is not 0..<paramref name="max"/>.</summary>
    private static IResult Copier(HttpContext ctx, long max, Func<long, byte[]> build)
    {
        var size = ctx.Request.Query["bytes"].ToString();
        if (size.Length == 0)
        {
            return Results.Bytes(build(0), "application/octet-stream");
        }
        if (!long.TryParse(size, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) || bytes > max)
        {
            return Results.Problem(statusCode: 400, title: "Bad image size", detail: $"bytes is the image's size, 0..{max}");
        }
        return Results.Bytes(build(bytes), "application/octet-stream");
    }
}
