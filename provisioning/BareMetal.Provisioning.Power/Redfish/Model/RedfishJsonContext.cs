using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>Source-generated (de)serialisers for every Redfish body the driver reads or writes.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ServiceRoot))]
[JsonSerializable(typeof(ResourceCollection))]
[JsonSerializable(typeof(ComputerSystem))]
[JsonSerializable(typeof(ResetRequest))]
[JsonSerializable(typeof(BootPatch))]
[JsonSerializable(typeof(SessionCreate))]
[JsonSerializable(typeof(RedfishErrorBody))]
internal sealed partial class RedfishJsonContext : JsonSerializerContext;
