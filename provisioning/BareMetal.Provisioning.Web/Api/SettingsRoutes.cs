using BareMetal.Provisioning.Core.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>/api/v1/settings: string key/value pairs (DHCP mode, boot files ...).</summary>
internal static class SettingsRoutes
{
    public const int MaxKeysPerRequest = 256;

    public static void Map(RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings").RequireAuthorization();
        settings.MapGet("", async (ISettingsStore store, CancellationToken ct) =>
            Results.Ok(new Dictionary<string, string>(await store.ListAsync(ct), StringComparer.Ordinal)));
        // PUT sets the keys given and leaves the others; all are checked before any is written.
        settings.MapPut("", async (Dictionary<string, string> body, ISettingsStore store, CancellationToken ct) =>
        {
            if (body.Count > MaxKeysPerRequest)
            {
                return Problems.BadRequest($"at most {MaxKeysPerRequest} settings per request");
            }
            foreach (var (key, value) in body)
            {
                if ((SettingKeys.KeyProblem(key) ?? SettingKeys.ValueProblem(key, value)) is { } problem)
                {
                    return Problems.BadRequest(problem);
                }
            }
            foreach (var (key, value) in body)
            {
                await store.SetAsync(key, value, ct);
            }
            return Results.Ok(new Dictionary<string, string>(await store.ListAsync(ct), StringComparer.Ordinal));
        });
    }
}
