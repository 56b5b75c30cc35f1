using System.Text;
using System.Text.Json;

namespace BareMetal.ImageStore.Cli;

/// <summary>
/// The verbs' --json output, written field by field: no reflection, so the native (AOT) tool prints
/// exactly what the full CLI prints. Indented with two spaces, as JsonSerializer's WriteIndented.
/// </summary>
internal static class JsonOut
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    /// <summary>Writes one JSON document and a newline to <paramref name="output"/>.</summary>
    public static void WriteLine(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            write(json);
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public static void NumberOrNull(this Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
