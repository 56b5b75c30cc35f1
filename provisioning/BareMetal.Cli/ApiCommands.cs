using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BareMetal.Provisioning.Web.Api;

namespace BareMetal.Cli;

/// <summary>
/// Verbs that talk to a running server through the REST API: `image import|list`, `node list|assign|commit|reset`.
/// Server, token and certificate fingerprint from the flags, else BAREMETAL_SERVER / BAREMETAL_TOKEN /
/// BAREMETAL_FINGERPRINT, else what `baremetal login` stored (<see cref="ServerTarget"/>).
/// </summary>
internal static class ApiCommands
{
    /// <summary>Test seam: the HTTP handler the API client uses (null = the real network).</summary>
    internal static HttpMessageHandler? Handler { get; set; }

    private sealed record Connection(Option<string?> Server, Option<string?> Token, Option<string?> Fingerprint)
    {
        public ServerTarget Resolve(ParseResult parse) =>
            ServerTarget.Resolve(parse.GetValue(Server), parse.GetValue(Token), parse.GetValue(Fingerprint), CliConfig.Load);

        public ApiClient Open(ParseResult parse) => ApiCommands.Open(Resolve(parse));
    }

    /// <summary>A client for <paramref name="target"/> (in tests, over the in-memory handler).</summary>
    internal static ApiClient Open(ServerTarget target) => new(target, Handler is { } h ? new NonDisposingHandler(h) : null);

    internal static Option<string?> ServerOption() =>
        new("--server") { Description = $"The BareMetal server's URL (default: ${ServerTarget.ServerVariable}, else the one `baremetal login` stored, else {ServerTarget.DefaultServer})." };

    internal static Option<string?> FingerprintOption() =>
        new("--fingerprint") { Description = $"Pin the server's TLS certificate by its SHA-256 fingerprint, as `serve --tls` prints it (default: ${ServerTarget.FingerprintVariable}, else the stored one)." };

    private static Connection AddConnection(Command cmd)
    {
        var server = ServerOption();
        var token = new Option<string?>("--token") { Description = $"API token (default: ${ServerTarget.TokenVariable}, else the one `baremetal login` stored)." };
        var fingerprint = FingerprintOption();
        cmd.Options.Add(server);
        cmd.Options.Add(token);
        cmd.Options.Add(fingerprint);
        return new Connection(server, token, fingerprint);
    }

    /// <summary>`image import` and `image list`, added to the existing `image` command.</summary>
    public static IEnumerable<Command> ImageVerbs()
    {
        yield return ImageImport();
        yield return ImageList();
    }

    public static Command Node()
    {
        var node = new Command("node", "List nodes, assign them images, commit or reset their overlays (through a running server).");
        node.Subcommands.Add(NodeList());
        node.Subcommands.Add(NodeAssign());
        node.Subcommands.Add(NodeCommit());
        node.Subcommands.Add(NodeReset());
        return node;
    }

    private static Command ImageImport()
    {
        var file = new Argument<string?>("FILE") { Description = "A file on the server's disk (under data/images, data/import or an --import-root).", Arity = ArgumentArity.ZeroOrOne };
        var upload = new Option<FileInfo?>("--upload") { Description = "Upload this local file instead (streamed)." };
        var name = new Option<string?>("--name") { Description = "Catalog name (default: the file name without extension)." };
        var label = new Option<string?>("--label") { Description = "OS label, e.g. 'Debian 13'." };
        var notes = new Option<string?>("--notes") { Description = "Free-text notes." };
        var json = new Option<bool>("--json") { Description = "Print the imported image as JSON." };
        var cmd = new Command("import", "Add an image to the server's catalog (a new version when the name exists).") { file, upload, name, label, notes, json };
        var conn = AddConnection(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file);
            var local = parse.GetValue(upload);
            if ((path is null) == (local is null))
            {
                throw new CliException("image import: give either FILE (a path on the server) or --upload FILE (a local file), not both");
            }
            using var api = conn.Open(parse);
            ImageInfo image;
            if (local is not null)
            {
                if (!local.Exists)
                {
                    throw new CliException($"{local.FullName}: no such file");
                }
                var query = Query(("name", parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(local.Name)), ("osLabel", parse.GetValue(label)), ("notes", parse.GetValue(notes)));
                await using var stream = local.OpenRead();
                image = await api.SendStreamAsync("api/v1/images/upload" + query, stream, local.Length, ApiJson.Default.ImageInfo, ct);
            }
            else
            {
                var request = new ImportImageRequest(Path.GetFullPath(path!), parse.GetValue(name), parse.GetValue(label), parse.GetValue(notes));
                image = await api.SendJsonAsync(HttpMethod.Post, "api/v1/images", request, ApiJson.Default.ImportImageRequest, ApiJson.Default.ImageInfo, ct);
            }
            Console.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(image, ApiJson.Default.ImageInfo)
                : FormattableString.Invariant($"imported {image.Name} version {image.Version}: {image.Format}, {Size(image.VirtualSize)} virtual, sha256 {image.Sha256}"));
            return 0;
        });
        return cmd;
    }

    private static Command ImageList()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (the API's answer)." };
        var cmd = new Command("list", "List the images in the server's catalog.") { json };
        var conn = AddConnection(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            using var api = conn.Open(parse);
            var images = await api.GetAsync("api/v1/images", ApiJson.Default.ListImageInfo, ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(images, ApiJson.Default.ListImageInfo));
                return 0;
            }
            var rows = images.Select(i => new[] { i.Name, i.Version.ToString(CultureInfo.InvariantCulture), i.Format, Size(i.VirtualSize), Size(i.AllocatedSize), i.OsLabel ?? "" });
            Table(["NAME", "VERSION", "FORMAT", "VIRTUAL", "ALLOCATED", "LABEL"], rows);
            return 0;
        });
        return cmd;
    }

    private static Command NodeList()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (the API's answer)." };
        var cmd = new Command("list", "List the nodes the server knows.") { json };
        var conn = AddConnection(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            using var api = conn.Open(parse);
            var nodes = await api.GetAsync("api/v1/nodes", ApiJson.Default.ListNodeInfo, ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(nodes, ApiJson.Default.ListNodeInfo));
                return 0;
            }
            var rows = nodes.Select(n => new[] { n.Mac, n.Ip ?? "", n.Architecture ?? "", n.Image is null ? "-" : n.Image + (n.ImageVersion is { } v ? FormattableString.Invariant($"@v{v}") : ""), n.Mode ?? "", n.State ?? "" });
            Table(["MAC", "IP", "ARCH", "IMAGE", "MODE", "STATE"], rows);
            return 0;
        });
        return cmd;
    }

    private static Command NodeAssign()
    {
        var mac = new Argument<string>("MAC") { Description = "The node's MAC address, e.g. 52:54:00:12:34:56." };
        var image = new Argument<string>("IMAGE") { Description = "Catalog image name (latest version)." };
        var mode = new Option<string>("--mode") { Description = "How the node boots it.", DefaultValueFactory = _ => "stream" };
        mode.AcceptOnlyFromAmong("stream", "deploy", "local", "devirt");
        var cmd = new Command("assign", "Assign an image and boot mode to a node.") { mac, image, mode };
        var conn = AddConnection(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            using var api = conn.Open(parse);
            var request = new AssignRequest(parse.GetValue(image)!, parse.GetValue(mode)!);
            var node = await api.SendJsonAsync(HttpMethod.Put, $"api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(mac)!)}/assignment", request, ApiJson.Default.AssignRequest, ApiJson.Default.NodeInfo, ct);
            Console.Out.WriteLine($"node {node.Mac}: {node.Image} ({node.Mode})");
            return 0;
        });
        return cmd;
    }

    private static Command NodeCommit()
    {
        var mac = new Argument<string>("MAC") { Description = "The node's MAC address, e.g. 52:54:00:12:34:56." };
        var name = new Argument<string>("NAME") { Description = "Catalog name of the new image (a new version when the name exists)." };
        var label = new Option<string?>("--label") { Description = "OS label, e.g. 'Debian 13'." };
        var notes = new Option<string?>("--notes") { Description = "Free-text notes (default: committed from IMAGE.vN@MAC)." };
        var json = new Option<bool>("--json") { Description = "Print the new image as JSON." };
        var cmd = new Command("commit", "Flatten what a node's disk shows (its overlay over its image) into a new qcow2 catalog image.") { mac, name, label, notes, json };
        var conn = AddConnection(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            using var api = conn.Open(parse);
            var request = new CommitRequest(parse.GetValue(name)!, parse.GetValue(label), parse.GetValue(notes));
            var image = await api.SendJsonAsync(HttpMethod.Post, $"api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(mac)!)}/commit", request, ApiJson.Default.CommitRequest, ApiJson.Default.ImageInfo, ct);
            Console.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(image, ApiJson.Default.ImageInfo)
                : FormattableString.Invariant($"committed {image.Name} version {image.Version}: {image.Format}, {Size(image.VirtualSize)} virtual, sha256 {image.Sha256}"));
            return 0;
        });
        return cmd;
    }

    private static Command NodeReset()
    {
        var mac = new Argument<string>("MAC") { Description = "The node's MAC address, e.g. 52:54:00:12:34:56." };
        var cmd = new Command("reset", "Throw away a node's overlay: its next boot starts from the image as imported.") { mac };
        var conn = AddConnection(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            using var api = conn.Open(parse);
            var result = await api.PostAsync($"api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(mac)!)}/reset", ApiJson.Default.ResetResult, ct);
            Console.Out.WriteLine(result.OverlaysRemoved == 0
                ? $"node {result.Mac}: nothing to reset (it had not written anything)"
                : FormattableString.Invariant($"node {result.Mac}: overlay reset ({result.OverlaysRemoved} removed)"));
            return 0;
        });
        return cmd;
    }

    private static string Query(params (string Key, string? Value)[] pairs)
    {
        var parts = pairs.Where(p => p.Value is not null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    internal static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? FormattableString.Invariant($"{bytes} B") : FormattableString.Invariant($"{v:0.#} {units[u]}");
    }

    private static void Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        foreach (var r in all)
        {
            Console.Out.WriteLine(string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }

    /// <summary>Lets tests share one in-memory handler across clients.</summary>
    private sealed class NonDisposingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }
}
