using System.Text.Json.Serialization;

namespace BareMetal.Pxe.Dhcp.Leases;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(LeaseFile))]
internal sealed partial class LeaseJsonContext : JsonSerializerContext;
