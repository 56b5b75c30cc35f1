using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>
/// Chains every firmware to iPXE and every iPXE to <c>{http}/boot/{mac}.ipxe</c>. Sending iPXE clients
/// to the script, not to the binary again, is what breaks the PXE -> iPXE -> PXE loop.
/// </summary>
public sealed class DefaultBootPolicy(DefaultBootPolicyOptions? options = null) : IBootPolicy
{
    private readonly DefaultBootPolicyOptions _options = options ?? new DefaultBootPolicyOptions();

    public BootDecision? Decide(BootRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = (_options.HttpBaseUrl?.ToString() ?? $"http://{request.ServerAddress}:8080/").TrimEnd('/');
        if (request.IsIpxe)
        {
            return new BootDecision($"{http}/boot/{request.Mac}.ipxe");
        }
        string? file = request.Architecture switch
        {
            ClientArchitecture.IntelX86Pc => _options.BiosBootFile,
            ClientArchitecture.EfiIa32 or ClientArchitecture.EfiIa32Http => _options.Ia32BootFile,
            // Errata 4624: 7 and 9 are both x64 in the field.
            ClientArchitecture.EfiX64 or ClientArchitecture.EfiX86_64 or ClientArchitecture.EfiX64Http => _options.X64BootFile,
            ClientArchitecture.EfiArm32 or ClientArchitecture.EfiArm32Http => _options.Arm32BootFile,
            ClientArchitecture.EfiArm64 or ClientArchitecture.EfiArm64Http => _options.Arm64BootFile,
            _ => null,
        };
        if (file is null)
        {
            return null;
        }
        var httpBoot = request.Architecture is ClientArchitecture.EfiIa32Http or ClientArchitecture.EfiX64Http
            or ClientArchitecture.EfiArm32Http or ClientArchitecture.EfiArm64Http;
        // UEFI HTTP boot wants a full URI (never a redirect); the path is where provisioning serves the binaries.
        return httpBoot || request.IsHttpClient
            ? new BootDecision(_options.HttpBootPath.Trim('/') is { Length: > 0 } path ? $"{http}/{path}/{file}" : $"{http}/{file}")
            : new BootDecision(file);
    }
}
