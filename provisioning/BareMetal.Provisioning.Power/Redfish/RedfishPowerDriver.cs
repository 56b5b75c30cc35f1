using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BareMetal.Provisioning.Power.Redfish.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Provisioning.Power.Redfish;

/// <summary>
/// The Redfish driver: service root -> Systems -> the ComputerSystem; PowerState; #ComputerSystem.Reset
/// (ResetType chosen from what the BMC allows); boot override by PATCH with If-Match. Session auth logs
/// in on first use and out on dispose. The certificate is checked as the options say, and a refusal
/// names the certificate's fingerprint so an operator can pin it.
/// </summary>
public sealed class RedfishPowerDriver : IPowerDriver
{
    private readonly RedfishBmcOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _loginLock = new(1, 1);
    private string? _rejectedCertificate;
    private string? _sessionUri;
    private string? _systemUri;

    public RedfishPowerDriver(RedfishBmcOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tls == RedfishTlsMode.Pinned && string.IsNullOrWhiteSpace(options.PinnedSha256))
        {
            throw new ArgumentException("a pinned certificate needs its SHA-256 fingerprint", nameof(options));
        }
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = CheckCertificate },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler) { BaseAddress = options.BaseUri, Timeout = options.RequestTimeout };
        if (options.Auth == RedfishAuth.Basic)
        {
            var pair = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Credentials.UserName}:{options.Credentials.Password}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", pair);
        }
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.Add("OData-Version", "4.0");
    }

    private string Bmc => _options.BaseUri.GetLeftPart(UriPartial.Authority);

    public async Task<PowerState> GetPowerStateAsync(CancellationToken cancellationToken)
    {
        var (system, _) = await GetSystemAsync(cancellationToken);
        return system.PowerState switch
        {
            "On" or "PoweringOff" or "Paused" => PowerState.On,
            "Off" or "PoweringOn" => PowerState.Off,
            null => throw new PowerException(PowerFailure.ProtocolError, $"Redfish BMC {Bmc}: ComputerSystem has no PowerState"),
            _ => PowerState.Unknown,
        };
    }

    public Task<PowerActionResult> PowerOnAsync(CancellationToken cancellationToken) => ResetAsync(["On"], cancellationToken);

    public Task<PowerActionResult> PowerOffAsync(CancellationToken cancellationToken) => ResetAsync(["ForceOff"], cancellationToken);

    public Task<PowerActionResult> SoftOffAsync(CancellationToken cancellationToken) => ResetAsync(["GracefulShutdown"], cancellationToken);

    /// <summary>PowerCycle where offered; otherwise ForceRestart (on a node that is on) or On (on one that is off).</summary>
    public async Task<PowerActionResult> CycleAsync(CancellationToken cancellationToken)
    {
        var (system, _) = await GetSystemAsync(cancellationToken);
        var allowed = system.Actions?.Reset?.AllowableValues;
        if (allowed is null || allowed.Contains("PowerCycle"))
        {
            return await ResetAsync(["PowerCycle"], cancellationToken, system);
        }
        return system.PowerState == "Off"
            ? await ResetAsync(["On"], cancellationToken, system)
            : await ResetAsync(["ForceRestart"], cancellationToken, system);
    }

    public async Task<PowerActionResult> SetNextBootAsync(BootDevice device, bool persistent, CancellationToken cancellationToken)
    {
        var target = device switch
        {
            BootDevice.Network => "Pxe",
            BootDevice.Disk => "Hdd",
            _ => throw new ArgumentOutOfRangeException(nameof(device)),
        };
        var patch = new BootPatch(new BootOverride(target, persistent ? "Continuous" : "Once"));
        // A 412 means someone changed the system between our GET and PATCH: read it again, once.
        for (var attempt = 0; ; attempt++)
        {
            var (system, etag) = await GetSystemAsync(cancellationToken);
            if (system.Boot?.AllowableTargets is { } targets && !targets.Contains(target))
            {
                throw new PowerException(PowerFailure.Unsupported, $"Redfish BMC {Bmc} does not offer boot target {target} (it offers {string.Join(", ", targets)})");
            }
            using var request = new HttpRequestMessage(HttpMethod.Patch, _systemUri)
            {
                Content = JsonContent.Create(patch, RedfishJsonContext.Default.BootPatch),
            };
            if (etag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", etag);
            }
            using var response = await SendAsync(request, cancellationToken, throwOnError: attempt > 0);
            if (response.StatusCode != HttpStatusCode.PreconditionFailed)
            {
                await ThrowIfFailedAsync(response, $"PATCH {_systemUri} (boot override {target}, {patch.Boot.BootSourceOverrideEnabled})", cancellationToken);
                return PowerActionResult.Done;
            }
        }
    }

    /// <summary>The system's boot override as the BMC reports it (target, enabled).</summary>
    public async Task<(string? Target, string? Enabled)> GetBootOverrideAsync(CancellationToken cancellationToken)
    {
        var (system, _) = await GetSystemAsync(cancellationToken);
        return (system.Boot?.BootSourceOverrideTarget, system.Boot?.BootSourceOverrideEnabled);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sessionUri is { } session)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var request = new HttpRequestMessage(HttpMethod.Delete, session);
                using var response = await SendAsync(request, cts.Token, throwOnError: true);
            }
            catch (PowerException e)
            {
                Log.RedfishLogoutFailed(_logger, Bmc, e.Message);
            }
            catch (OperationCanceledException)
            {
                Log.RedfishLogoutFailed(_logger, Bmc, "no answer to the logout within 5 s");
            }
            _sessionUri = null;
        }
        _http.Dispose();
        _loginLock.Dispose();
    }

    private async Task<PowerActionResult> ResetAsync(string[] preferred, CancellationToken cancellationToken, ComputerSystem? known = null)
    {
        var system = known ?? (await GetSystemAsync(cancellationToken)).System;
        var action = system.Actions?.Reset;
        var target = action?.Target ?? $"{_systemUri}/Actions/ComputerSystem.Reset";
        var resetType = preferred.FirstOrDefault(p => action?.AllowableValues is null || action.AllowableValues.Contains(p))
            ?? throw new PowerException(PowerFailure.Unsupported,
                $"Redfish BMC {Bmc} does not allow ResetType {string.Join(" or ", preferred)} (it allows {string.Join(", ", action!.AllowableValues!)})");
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = JsonContent.Create(new ResetRequest(resetType), RedfishJsonContext.Default.ResetRequest),
        };
        using var response = await SendAsync(request, cancellationToken, throwOnError: true, what: $"#ComputerSystem.Reset {resetType}");
        return PowerActionResult.Done;
    }

    private async Task<(ComputerSystem System, string? ETag)> GetSystemAsync(CancellationToken cancellationToken)
    {
        await EnsureLoggedInAsync(cancellationToken);
        if (_systemUri is null)
        {
            var root = await GetJsonAsync("/redfish/v1", RedfishJsonContext.Default.ServiceRoot, cancellationToken);
            var systems = await GetJsonAsync(root.Systems?.Id ?? "/redfish/v1/Systems", RedfishJsonContext.Default.ResourceCollection, cancellationToken);
            var members = systems.Members?.Select(m => m.Id).OfType<string>().ToArray() ?? [];
            _systemUri = _options.SystemId is { } id
                ? members.FirstOrDefault(m => m.TrimEnd('/').EndsWith("/" + id, StringComparison.Ordinal))
                    ?? throw new PowerException(PowerFailure.Rejected, $"Redfish BMC {Bmc} has no ComputerSystem '{id}' (it has {string.Join(", ", members)})")
                : members.FirstOrDefault() ?? throw new PowerException(PowerFailure.Unsupported, $"Redfish BMC {Bmc} lists no ComputerSystem");
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, _systemUri);
        using var response = await SendAsync(request, cancellationToken, throwOnError: true);
        var system = await ReadJsonAsync(response, RedfishJsonContext.Default.ComputerSystem, cancellationToken);
        var etag = response.Headers.ETag?.ToString() ?? system.ODataETag;
        return (system, etag);
    }

    private async Task EnsureLoggedInAsync(CancellationToken cancellationToken)
    {
        if (_options.Auth != RedfishAuth.Session || _sessionUri is not null)
        {
            return;
        }
        await _loginLock.WaitAsync(cancellationToken);
        try
        {
            if (_sessionUri is not null)
            {
                return;
            }
            var root = await GetJsonAsync("/redfish/v1", RedfishJsonContext.Default.ServiceRoot, cancellationToken);
            var sessions = root.Links?.Sessions?.Id ?? "/redfish/v1/SessionService/Sessions";
            using var request = new HttpRequestMessage(HttpMethod.Post, sessions)
            {
                Content = JsonContent.Create(new SessionCreate(_options.Credentials.UserName, _options.Credentials.Password), RedfishJsonContext.Default.SessionCreate),
            };
            using var response = await SendAsync(request, cancellationToken, throwOnError: true, what: $"login as '{_options.Credentials.UserName}'");
            if (!response.Headers.TryGetValues("X-Auth-Token", out var tokens))
            {
                throw new PowerException(PowerFailure.ProtocolError, $"Redfish BMC {Bmc} created a session without an X-Auth-Token");
            }
            _http.DefaultRequestHeaders.Remove("X-Auth-Token");
            _http.DefaultRequestHeaders.TryAddWithoutValidation("X-Auth-Token", tokens.First());
            _sessionUri = response.Headers.Location?.ToString() ?? sessions;
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private async Task<T> GetJsonAsync<T>(string uri, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        using var response = await SendAsync(request, cancellationToken, throwOnError: true);
        return await ReadJsonAsync(response, type, cancellationToken);
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new PowerException(PowerFailure.ProtocolError, $"Redfish BMC {Bmc} answered {response.RequestMessage?.RequestUri} with null");
        }
        catch (JsonException e)
        {
            throw new PowerException(PowerFailure.ProtocolError, $"Redfish BMC {Bmc} answered {response.RequestMessage?.RequestUri} with JSON that is not a {typeof(T).Name}: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, bool throwOnError = false, string? what = null)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PowerException(PowerFailure.Unreachable, $"Redfish BMC {Bmc} did not answer {request.Method} {request.RequestUri} within {_options.RequestTimeout.TotalSeconds:0.#} s", e);
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException || _rejectedCertificate is not null)
        {
            throw new PowerException(PowerFailure.CertificateRejected,
                $"Redfish BMC {Bmc}: TLS certificate refused ({_rejectedCertificate ?? e.InnerException?.Message}); pin its SHA-256 fingerprint or allow it explicitly", e);
        }
        catch (HttpRequestException e)
        {
            var why = e.InnerException is SocketException s ? s.Message : e.Message;
            throw new PowerException(PowerFailure.Unreachable, $"cannot reach Redfish BMC {Bmc}: {why}", e);
        }
        Log.RedfishRequest(_logger, request.Method.Method, request.RequestUri?.ToString() ?? "", (int)response.StatusCode);
        if (throwOnError)
        {
            try
            {
                await ThrowIfFailedAsync(response, what ?? $"{request.Method} {request.RequestUri}", cancellationToken);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        return response;
    }

    private async Task ThrowIfFailedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var status = (int)response.StatusCode;
        var words = await ErrorWordsAsync(response, cancellationToken);
        var failure = status switch
        {
            401 => PowerFailure.AuthenticationFailed,
            403 => PowerFailure.PermissionDenied,
            429 or 503 or 412 => PowerFailure.Busy,
            405 or 501 => PowerFailure.Unsupported,
            400 when words.Contains("NotInList", StringComparison.Ordinal) || words.Contains("NotSupported", StringComparison.Ordinal) => PowerFailure.Unsupported,
            _ => PowerFailure.Rejected,
        };
        throw new PowerException(failure, $"Redfish BMC {Bmc} refused {what}: HTTP {status} {response.ReasonPhrase}: {words}");
    }

    /// <summary>The BMC's own words: every @Message.ExtendedInfo message, else error.message, else the status.</summary>
    private static async Task<string> ErrorWordsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync(RedfishJsonContext.Default.RedfishErrorBody, cancellationToken);
            var messages = body?.Error?.ExtendedInfo?.Select(m => m.MessageId is null ? m.Message : $"{m.Message} [{m.MessageId}]").OfType<string>().ToArray();
            if (messages is { Length: > 0 })
            {
                return string.Join("; ", messages);
            }
            if (body?.Error?.Message is { } message)
            {
                return body.Error.Code is null ? message : $"{message} [{body.Error.Code}]";
            }
        }
        catch (JsonException)
        {
        }
        catch (NotSupportedException)
        {
            // Not JSON (an HTML error page from the BMC's web server).
        }
        return "(no Redfish error body)";
    }

    private bool CheckCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_options.Tls == RedfishTlsMode.Insecure)
        {
            return true;
        }
        var fingerprint = certificate is null ? null : Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
        if (_options.Tls == RedfishTlsMode.Pinned)
        {
            var pinned = _options.PinnedSha256!.Replace(":", "", StringComparison.Ordinal).Trim();
            if (fingerprint is not null && string.Equals(fingerprint, pinned, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            _rejectedCertificate = $"its SHA-256 fingerprint {fingerprint} is not the pinned {pinned.ToUpperInvariant()}";
            return false;
        }
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        _rejectedCertificate = $"{errors} for '{certificate?.Subject}', SHA-256 fingerprint {fingerprint}";
        return false;
    }
}
