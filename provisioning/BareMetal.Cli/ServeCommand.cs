using System.CommandLine;
using System.Runtime.InteropServices;
using BareMetal.Provisioning.Web;

namespace BareMetal.Cli;

/// <summary>`baremetal serve`: the whole server on embedded defaults (../shared/DESIGN.md contract).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory (catalog, images, overlays, TFTP root).", DefaultValueFactory = _ => "data" };
        var http = new Option<string>("--http") { Description = "Web console, API and boot scripts.", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var tftp = new Option<string>("--tftp") { Description = "TFTP listen address ('0.0.0.0:69' serves a real network; 'off' disables).", DefaultValueFactory = _ => "127.0.0.1:6969" };
        var nbd = new Option<string>("--nbd") { Description = "NBD block service ('off' disables).", DefaultValueFactory = _ => "127.0.0.1:10809" };
        var publicUrl = new Option<string?>("--public-url") { Description = "Base URL nodes use to reach the HTTP server (default: http://HTTP-ADDRESS)." };
        var cmd = new Command("serve", "Run the whole server (HTTP boot scripts, TFTP, NBD block service) on embedded defaults.")
        {
            data, http, tftp, nbd, publicUrl,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var options = new ServeOptions
            {
                DataDirectory = Path.GetFullPath(parse.GetValue(data)!),
                Http = EndPointParser.Parse("--http", parse.GetValue(http)!) ?? throw new CliException("--http cannot be off"),
                Tftp = EndPointParser.Parse("--tftp", parse.GetValue(tftp)!),
                Nbd = EndPointParser.Parse("--nbd", parse.GetValue(nbd)!),
                PublicBaseUrl = parse.GetValue(publicUrl),
            };
            await using var server = new BareMetalServer(options);
            try
            {
                await server.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new CliException($"cannot start: {e.Message}");
            }
            Console.Out.WriteLine($"baremetal: serving from {options.DataDirectory}");
            foreach (var line in server.Endpoints)
            {
                Console.Out.WriteLine($"  {line}");
            }
            Console.Out.WriteLine("baremetal: press Ctrl-C to stop");
            var stopped = new TaskCompletionSource();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                stopped.TrySetResult();
            });
            using var reg = ct.Register(() => stopped.TrySetResult());
            await stopped.Task;
            Console.Out.WriteLine("baremetal: stopping");
            return 0;
        });
        return cmd;
    }
}
