using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BareMetal.TestSupport.Bmc;

/// <summary>
/// A Redfish BMC for tests: Kestrel on 127.0.0.1 over HTTPS with a self-signed certificate, resources
/// shaped on DMTF's schema (ServiceRoot, ComputerSystemCollection, ComputerSystem with PowerState,
/// Boot and #ComputerSystem.Reset with @Redfish.AllowableValues, SessionService/Sessions), ETags with
/// If-Match, basic and session (X-Auth-Token) auth, a configurable delay per request (a slow BMC),
/// a hang, and injected failures. Power is modelled in memory. See README.md for what it leaves out.
/// </summary>
public sealed class RedfishTestBmc : IAsyncDisposable
{
    public static readonly string[] ResetTypes = ["On", "ForceOff", "GracefulShutdown", "ForceRestart", "PowerCycle"];
    public static readonly string[] BootTargets = ["None", "Pxe", "Hdd", "Cd", "BiosSetup"];

    private readonly WebApplication _app;
    private readonly Dictionary<string, string> _sessions = [];
    private readonly Lock _lock = new();
    private int _inFlight;
    private int _failuresLeft;
    private int _failureStatus;

    private RedfishTestBmc(WebApplication app, X509Certificate2 certificate, IReadOnlyDictionary<string, RedfishSystemState> systems)
    {
        _app = app;
        Certificate = certificate;
        Systems = systems;
    }

    public required string UserName { get; init; }

    public required string Password { get; init; }

    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the certificate, hex, as a driver pins it.</summary>
    public string CertificateSha256 => Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyDictionary<string, RedfishSystemState> Systems { get; }

    /// <summary>Added to every request before it is answered (a slow BMC).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Every request waits until the client gives up (a BMC that accepts connections and never answers).</summary>
    public bool Hang { get; set; }

    /// <summary>The allowable ResetType values the ComputerSystem advertises (and enforces).</summary>
    public string[] AllowedResetTypes { get; set; } = ResetTypes;

    /// <summary>Whether ComputerSystem carries an ETag (PATCH then requires a matching If-Match).</summary>
    public bool UseETags { get; set; } = true;

    /// <summary>Someone else changes the system between the client's GET and its next PATCH (once): the PATCH's If-Match is stale.</summary>
    public bool ChangeBeforeNextPatch { get; set; }

    public int PreconditionFailures { get; private set; }

    public int MaxConcurrentRequests { get; private set; }

    public int SessionsOpen
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    public int SessionsCreated { get; private set; }

    public int BasicAuthRequests { get; private set; }

    /// <summary>The next <paramref name="count"/> authenticated requests are answered with <paramref name="status"/>.</summary>
    public void FailNext(int status, int count = 1)
    {
        _failureStatus = status;
        _failuresLeft = count;
    }

    public static async Task<RedfishTestBmc> StartAsync(string userName, string password, int systemCount = 1)
    {
        var certificate = CreateSelfSigned();
        var systems = Enumerable.Range(1, systemCount).Select(i => new RedfishSystemState(systemCount == 1 ? "1" : $"node{i}")).ToDictionary(s => s.Id);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var bmc = new RedfishTestBmc(app, certificate, systems) { UserName = userName, Password = password };
        bmc.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        bmc.BaseUri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return bmc;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
        Certificate.Dispose();
    }

    private static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=redfish-test-bmc", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var now = Interlocked.Increment(ref _inFlight);
            lock (_lock)
            {
                MaxConcurrentRequests = Math.Max(MaxConcurrentRequests, now);
            }
            try
            {
                if (Hang)
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, context.RequestAborted);
                }
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });
        app.MapGet("/redfish/v1", () => Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1",
            ["@odata.type"] = "#ServiceRoot.v1_15_0.ServiceRoot",
            ["Id"] = "RootService",
            ["Name"] = "Root Service",
            ["RedfishVersion"] = "1.17.0",
            ["Systems"] = Ref("/redfish/v1/Systems"),
            ["SessionService"] = Ref("/redfish/v1/SessionService"),
            ["Links"] = new JsonObject { ["Sessions"] = Ref("/redfish/v1/SessionService/Sessions") },
        }));
        app.MapPost("/redfish/v1/SessionService/Sessions", async (HttpContext context) =>
        {
            var body = await ReadJsonAsync(context);
            if (body?["UserName"]?.GetValue<string>() != UserName || body?["Password"]?.GetValue<string>() != Password)
            {
                return Error(401, "Base.1.15.ResourceAtUriUnauthorized", "While accessing the resource at /redfish/v1/SessionService/Sessions, the service received an authorization error 'invalid user name or password'.");
            }
            var id = Guid.NewGuid().ToString("N")[..8];
            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            lock (_lock)
            {
                _sessions[token] = id;
                SessionsCreated++;
            }
            context.Response.Headers["X-Auth-Token"] = token;
            context.Response.Headers.Location = $"/redfish/v1/SessionService/Sessions/{id}";
            return Results.Json(new JsonObject { ["@odata.id"] = $"/redfish/v1/SessionService/Sessions/{id}", ["Id"] = id, ["UserName"] = UserName }, statusCode: 201);
        });
        app.MapDelete("/redfish/v1/SessionService/Sessions/{id}", (HttpContext context, string id) => Authorized(context, () =>
        {
            lock (_lock)
            {
                var token = _sessions.FirstOrDefault(p => p.Value == id).Key;
                if (token is null)
                {
                    return Error(404, "Base.1.15.ResourceMissingAtURI", $"The resource at the URI '/redfish/v1/SessionService/Sessions/{id}' was not found.");
                }
                _sessions.Remove(token);
            }
            return Results.NoContent();
        }));
        app.MapGet("/redfish/v1/SessionService", (HttpContext context) => Authorized(context, () => Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1/SessionService",
            ["@odata.type"] = "#SessionService.v1_1_9.SessionService",
            ["Sessions"] = Ref("/redfish/v1/SessionService/Sessions"),
        })));
        app.MapGet("/redfish/v1/Systems", (HttpContext context) => Authorized(context, () => Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1/Systems",
            ["@odata.type"] = "#ComputerSystemCollection.ComputerSystemCollection",
            ["Members@odata.count"] = Systems.Count,
            ["Members"] = new JsonArray(Systems.Keys.Select(id => (JsonNode)Ref($"/redfish/v1/Systems/{id}")).ToArray()),
        })));
        app.MapGet("/redfish/v1/Systems/{id}", (HttpContext context, string id) => Authorized(context, () => WithSystem(id, s =>
        {
            lock (s)
            {
                if (UseETags)
                {
                    context.Response.Headers.ETag = s.ETag;
                }
                return Json(SystemJson(s));
            }
        })));
        app.MapMethods("/redfish/v1/Systems/{id}", ["PATCH"], (HttpContext context, string id) => Authorized(context, () => WithSystem(id, s => Patch(context, s))));
        app.MapPost("/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset", (HttpContext context, string id) => Authorized(context, () => WithSystem(id, s => Reset(context, s))));
    }

    private JsonObject SystemJson(RedfishSystemState s)
    {
        var o = new JsonObject
        {
            ["@odata.id"] = $"/redfish/v1/Systems/{s.Id}",
            ["@odata.type"] = "#ComputerSystem.v1_20_0.ComputerSystem",
            ["Id"] = s.Id,
            ["Name"] = $"Test system {s.Id}",
            ["SystemType"] = "Physical",
            ["PowerState"] = s.PowerState,
            ["Boot"] = new JsonObject
            {
                ["BootSourceOverrideTarget"] = s.BootSourceOverrideTarget,
                ["BootSourceOverrideTarget@Redfish.AllowableValues"] = new JsonArray(BootTargets.Select(t => (JsonNode)t).ToArray()),
                ["BootSourceOverrideEnabled"] = s.BootSourceOverrideEnabled,
                ["BootSourceOverrideMode"] = "UEFI",
            },
            ["Actions"] = new JsonObject
            {
                ["#ComputerSystem.Reset"] = new JsonObject
                {
                    ["target"] = $"/redfish/v1/Systems/{s.Id}/Actions/ComputerSystem.Reset",
                    ["ResetType@Redfish.AllowableValues"] = new JsonArray(AllowedResetTypes.Select(t => (JsonNode)t).ToArray()),
                },
            },
        };
        if (UseETags)
        {
            o["@odata.etag"] = s.ETag;
        }
        return o;
    }

    private IResult Patch(HttpContext context, RedfishSystemState s)
    {
        var body = ReadJsonAsync(context).GetAwaiter().GetResult();
        lock (s)
        {
            if (ChangeBeforeNextPatch)
            {
                ChangeBeforeNextPatch = false;
                s.Changed();
            }
            if (UseETags && context.Request.Headers.IfMatch.ToString() is { Length: > 0 } ifMatch && ifMatch != s.ETag && ifMatch != "*")
            {
                PreconditionFailures++;
                return Error(412, "Base.1.15.PreconditionFailed", "The ETag supplied did not match the ETag required to change this resource.");
            }
            var boot = body?["Boot"] as JsonObject;
            if (boot is null)
            {
                return Error(400, "Base.1.15.PropertyMissing", "The property Boot is a required property and must be included in the request.");
            }
            var target = boot["BootSourceOverrideTarget"]?.GetValue<string>();
            var enabled = boot["BootSourceOverrideEnabled"]?.GetValue<string>();
            if (target is not null && !BootTargets.Contains(target))
            {
                return Error(400, "Base.1.15.PropertyValueNotInList", $"The value '{target}' for the property BootSourceOverrideTarget is not in the list of acceptable values.");
            }
            if (enabled is not null && enabled is not ("Once" or "Continuous" or "Disabled"))
            {
                return Error(400, "Base.1.15.PropertyValueNotInList", $"The value '{enabled}' for the property BootSourceOverrideEnabled is not in the list of acceptable values.");
            }
            s.BootSourceOverrideTarget = target ?? s.BootSourceOverrideTarget;
            s.BootSourceOverrideEnabled = enabled ?? s.BootSourceOverrideEnabled;
            s.Changed();
            return Results.NoContent();
        }
    }

    private IResult Reset(HttpContext context, RedfishSystemState s)
    {
        var body = ReadJsonAsync(context).GetAwaiter().GetResult();
        var type = body?["ResetType"]?.GetValue<string>();
        if (type is null)
        {
            return Error(400, "Base.1.15.ActionParameterMissing", "The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.");
        }
        if (!AllowedResetTypes.Contains(type))
        {
            return Error(400, "Base.1.15.ActionParameterValueNotInList", $"The value '{type}' for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.");
        }
        lock (s)
        {
            var wasOn = s.PowerState == "On";
            s.PowerState = type switch
            {
                "On" or "ForceRestart" or "PowerCycle" => "On",
                _ => "Off",
            };
            if (s.PowerState == "On" && (!wasOn || type is "ForceRestart" or "PowerCycle"))
            {
                s.PowerOns++;
            }
            if (s.PowerState == "On" && s.BootSourceOverrideEnabled == "Once" && (!wasOn || type is "ForceRestart" or "PowerCycle"))
            {
                // The node booted: a one-time override is consumed, as real BMCs do.
                s.BootSourceOverrideEnabled = "Disabled";
            }
            s.Resets.Add(type);
            s.Changed();
        }
        return Results.NoContent();
    }

    private IResult WithSystem(string id, Func<RedfishSystemState, IResult> action) =>
        Systems.TryGetValue(id, out var s) ? action(s) : Error(404, "Base.1.15.ResourceMissingAtURI", $"The resource at the URI '/redfish/v1/Systems/{id}' was not found.");

    private IResult Authorized(HttpContext context, Func<IResult> action)
    {
        var token = context.Request.Headers["X-Auth-Token"].ToString();
        var ok = false;
        if (token.Length > 0)
        {
            lock (_lock)
            {
                ok = _sessions.ContainsKey(token);
            }
        }
        else if (context.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Basic ", StringComparison.Ordinal))
        {
            BasicAuthRequests++;
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..]));
            ok = pair == $"{UserName}:{Password}";
        }
        if (!ok)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"redfish\"";
            return Error(401, "Base.1.15.NoValidSession", "There is no valid session established with the implementation.");
        }
        if (_failuresLeft > 0 && Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            return _failureStatus == 503
                ? Error(503, "Base.1.15.ServiceTemporarilyUnavailable", "The service is temporarily unavailable.  Retry in 1 seconds.")
                : Error(_failureStatus, "Base.1.15.InternalError", "The request failed due to an internal service error.  The service is still operational.");
        }
        return action();
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static JsonObject Ref(string id) => new() { ["@odata.id"] = id };

    private static IResult Json(JsonObject o) => Results.Text(o.ToJsonString(), "application/json", Encoding.UTF8);

    /// <summary>A Redfish error body (DSP0266 9.6): code, message and @Message.ExtendedInfo.</summary>
    private static IResult Error(int status, string messageId, string message) => Results.Text(new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["code"] = messageId,
            ["message"] = message,
            ["@Message.ExtendedInfo"] = new JsonArray(new JsonObject
            {
                ["@odata.type"] = "#Message.v1_1_1.Message",
                ["MessageId"] = messageId,
                ["Message"] = message,
                ["Severity"] = status >= 500 ? "Critical" : "Warning",
            }),
        },
    }.ToJsonString(), "application/json", Encoding.UTF8, status);
}
