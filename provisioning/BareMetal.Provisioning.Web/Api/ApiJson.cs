using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>
/// Source-generated JSON for every API body. camelCase, enums as strings; a missing required field or a
/// null where the type says non-null is a JsonException (so a 400), not a half-filled object.
/// </summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(SessionInfo))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(TokenLoginRequest))]
[JsonSerializable(typeof(List<ApiTokenInfo>))]
[JsonSerializable(typeof(CreatedToken))]
[JsonSerializable(typeof(ImageInfo))]
[JsonSerializable(typeof(List<ImageInfo>))]
[JsonSerializable(typeof(ImportImageRequest))]
[JsonSerializable(typeof(UpdateImageRequest))]
[JsonSerializable(typeof(ImageMapInfo))]
[JsonSerializable(typeof(NodeInfo))]
[JsonSerializable(typeof(List<NodeInfo>))]
[JsonSerializable(typeof(AddNodeRequest))]
[JsonSerializable(typeof(AssignRequest))]
[JsonSerializable(typeof(NodeEventRequest))]
[JsonSerializable(typeof(DeploymentInfo))]
[JsonSerializable(typeof(List<DeploymentInfo>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(CommitRequest))]
[JsonSerializable(typeof(ResetResult))]
[JsonSerializable(typeof(ChangeEvent))]
[JsonSerializable(typeof(List<ExportSummaryInfo>))]
[JsonSerializable(typeof(ExportInfo))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
public sealed partial class ApiJson : JsonSerializerContext
{
    /// <summary>
    /// Puts these types first in an options instance and copies the strictness over (the attribute
    /// above only governs <see cref="Default"/>'s own options, not options that borrow its resolver).
    /// </summary>
    public static void Configure(System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.TypeInfoResolverChain.Insert(0, Default);
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }
}
