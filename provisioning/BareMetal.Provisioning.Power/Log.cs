using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Power;

/// <summary>
/// Every log line of the power drivers, source-generated. None takes a password, session key, auth
/// code or token: the values logged are addresses, user names, states and the BMC's own words.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "IPMI BMC {Bmc}: dropped a datagram: {Reason}")]
    public static partial void IpmiDropped(ILogger logger, string bmc, string reason);

    [LoggerMessage(2, LogLevel.Debug, "IPMI BMC {Bmc}: sent ({State})")]
    public static partial void IpmiRetransmit(ILogger logger, string bmc, string state);

    [LoggerMessage(3, LogLevel.Information, "IPMI BMC {Bmc}: closing the session failed: {Reason}")]
    public static partial void IpmiCloseFailed(ILogger logger, string bmc, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Redfish {Method} {Url} -> {Status}")]
    public static partial void RedfishRequest(ILogger logger, string method, string url, int status);

    [LoggerMessage(5, LogLevel.Information, "Redfish BMC {Bmc}: session logout failed: {Reason}")]
    public static partial void RedfishLogoutFailed(ILogger logger, string bmc, string reason);

    [LoggerMessage(6, LogLevel.Warning, "power {Action} on node {Node} failed (attempt {Attempt}): {Reason}; retrying in {Delay}")]
    public static partial void PowerRetry(ILogger logger, string action, string node, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(7, LogLevel.Warning, "power {Action} on node {Node} failed: {Reason}")]
    public static partial void PowerFailed(ILogger logger, string action, string node, string reason);

    [LoggerMessage(8, LogLevel.Information, "power {Action} on node {Node}: {Outcome}")]
    public static partial void PowerDone(ILogger logger, string action, string node, string outcome);

    [LoggerMessage(9, LogLevel.Information, "created the credential key {Path}")]
    public static partial void KeyCreated(ILogger logger, string path);
}
