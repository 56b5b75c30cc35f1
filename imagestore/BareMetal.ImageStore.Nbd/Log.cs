using System.Net;
using Microsoft.Extensions.Logging;

namespace BareMetal.ImageStore.Nbd;

/// <summary>Every log line of the block service, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "NBD listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint? endPoint);

    [LoggerMessage(2, LogLevel.Debug, "NBD client {Client} connected")]
    public static partial void Connected(ILogger logger, string client);

    [LoggerMessage(3, LogLevel.Information, "NBD client {Client} chose export '{Export}' (structured={Structured}, block-status={BlockStatus})")]
    public static partial void ExportChosen(ILogger logger, string client, string export, bool structured, bool blockStatus);

    [LoggerMessage(4, LogLevel.Warning, "NBD client {Client} dropped: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string client, string reason);

    [LoggerMessage(5, LogLevel.Debug, "NBD client {Client} disconnected")]
    public static partial void Disconnected(ILogger logger, string client);

    [LoggerMessage(6, LogLevel.Warning, "NBD client {Client} stalled ({What}); closing it")]
    public static partial void Stalled(ILogger logger, string client, string what);

    [LoggerMessage(7, LogLevel.Warning, "NBD connection limit {Limit} reached; refusing {Client}")]
    public static partial void TooManyConnections(ILogger logger, int limit, string client);

    [LoggerMessage(8, LogLevel.Error, "NBD client {Client}: unexpected failure")]
    public static partial void Unexpected(ILogger logger, string client, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "HTTP range export listening on {Url}")]
    public static partial void HttpListening(ILogger logger, string url);

    [LoggerMessage(10, LogLevel.Information, "NBD client {Client}: export '{Export}' was reset; closing the connection")]
    public static partial void ExportClosed(ILogger logger, string client, string export);
}
