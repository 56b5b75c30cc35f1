using System.Net;
using Microsoft.Extensions.Logging;

namespace BareMetal.ImageStore.Iscsi;

/// <summary>Every log line of the iSCSI target, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "iSCSI listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint? endPoint);

    [LoggerMessage(2, LogLevel.Debug, "iSCSI initiator {Client} connected")]
    public static partial void Connected(ILogger logger, string client);

    [LoggerMessage(3, LogLevel.Information, "iSCSI initiator {Client} logged in to '{Export}' ({Authentication})")]
    public static partial void LoggedIn(ILogger logger, string client, string export, string authentication);

    [LoggerMessage(4, LogLevel.Warning, "iSCSI initiator {Client}: {Problem}")]
    public static partial void Problem(ILogger logger, string client, string problem);

    [LoggerMessage(5, LogLevel.Debug, "iSCSI initiator {Client} disconnected")]
    public static partial void Disconnected(ILogger logger, string client);

    [LoggerMessage(6, LogLevel.Warning, "iSCSI connection limit {Limit} reached; refusing {Client}")]
    public static partial void TooManyConnections(ILogger logger, int limit, string client);

    [LoggerMessage(7, LogLevel.Error, "iSCSI initiator {Client}: unexpected failure")]
    public static partial void Unexpected(ILogger logger, string client, Exception exception);
}
