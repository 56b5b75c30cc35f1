using Serilog;
using Serilog.Events;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Serilog through Serilog.Extensions.Logging (Serilog.AspNetCore cannot be had here): one line per
/// event on the console, and a daily rolling file data/logs/baremetal-YYYYMMDD.log whose lines carry
/// every structured property as JSON. Secrets are never passed to a logger (login and token routes
/// log names and outcomes only; a test greps the file for them).
/// </summary>
public static class Logging
{
    public const string FileTemplate = "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}";

    public static Serilog.Core.Logger Create(string logDirectory, bool console)
    {
        Directory.CreateDirectory(logDirectory);
        var config = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.File(Path.Combine(logDirectory, "baremetal-.log"), outputTemplate: FileTemplate, rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 14, fileSizeLimitBytes: 64L << 20, rollOnFileSizeLimit: true, shared: true, flushToDiskInterval: TimeSpan.FromSeconds(1),
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        if (console)
        {
            config = config.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }
        return config.CreateLogger();
    }
}
