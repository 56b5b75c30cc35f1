using System.Text.Json.Serialization;

namespace BareMetal.Cli;

/// <summary>Source-generated JSON for the CLI's own config file (camelCase, indented, nulls left out).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
internal sealed partial class CliConfigJson : JsonSerializerContext
{
}
