using System.Buffers;
using System.Net;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Pxe.Tftp.Files;
using BareMetal.Pxe.Tftp.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// <c>/boot/{file}</c> over HTTP. <c>{mac}.ipxe</c> is the node's iPXE script; any other name is a boot file
/// from the same place TFTP serves (data/tftp, then Debian's iPXE binaries), for UEFI HTTP-boot clients,
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
            if (file == DeployCopier.FileName)
            {
                // Generated, not a file: the deploy copier NBP that deploy-mode scripts chain, told the image's size.
                var size = ctx.Request.Query["bytes"].ToString();
                if (size.Length == 0)
                {
                    return Results.Bytes(DeployCopier.Bytes.ToArray(), "application/octet-stream");
                }
                if (!long.TryParse(size, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) || bytes > DeployCopier.MaxImageBytes)
                {
                    return Results.Problem(statusCode: 400, title: "Bad image size", detail: $"bytes is the image's size, 0..{DeployCopier.MaxImageBytes}");
                }
                return Results.Bytes(DeployCopier.For(bytes), "application/octet-stream");
            }
            if (file == DeployCopierEfi.FileName)
            {
                // The UEFI copier, the same way: copy mode, told the image's size.
                var size = ctx.Request.Query["bytes"].ToString();
                if (size.Length == 0)
                {
                    return Results.Bytes(DeployCopierEfi.For(0), "application/octet-stream");
                }
                if (!long.TryParse(size, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes))
                {
                    return Results.Problem(statusCode: 400, title: "Bad image size", detail: $"bytes is the image's size, 0..{long.MaxValue}");
                }
                return Results.Bytes(DeployCopierEfi.For(bytes), "application/octet-stream");
            }
            if (file == DeployCopierEfi.BootFileName)
            {
                return Results.Bytes(DeployCopierEfi.ForBootLocal(), "application/octet-stream");
            }
            var client = new IPEndPoint(ctx.Connection.RemoteIpAddress ?? IPAddress.None, ctx.Connection.RemotePort);
            var opened = files.Open(new TftpFileRequest(file, client, TftpMode.Octet));
            if (opened.Content is not { } content)
            {
                return Results.Problem(statusCode: opened.IsNotFound ? 404 : 403, title: opened.IsNotFound ? "No such boot file" : "Boot file refused",
                    detail: $"{file}: {opened.Message} (boot files come from data/tftp and /usr/lib/ipxe; scripts are /boot/{{mac}}.ipxe)");
            }
            return new BootFileResult(content, file, client.Address, served);
        });
    }

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
}
