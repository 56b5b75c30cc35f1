using System.Net;
using Microsoft.Extensions.Logging;

namespace BareMetal.Pxe.Dhcp.Server;

/// <summary>
/// Every log line of the DHCP server, source-generated. Only the shell logs (the wire and session layers are
/// pure and say why in their outcomes). ProxyDHCP hears every DHCP client on the segment, so a datagram we
/// do not answer is Debug; what stops the server from answering is a Warning or an Error.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "DHCP {Mode} listening on {EndPoint}{Interface} as {Server}")]
    public static partial void Listening(ILogger logger, string mode, IPEndPoint endPoint, string @interface, IPAddress server);

    [LoggerMessage(2, LogLevel.Debug, "DHCP {Source} on port {Port}: not answered: {Reason}")]
    public static partial void NotAnswered(ILogger logger, IPEndPoint source, int port, string reason);

    [LoggerMessage(3, LogLevel.Debug, "DHCP receive on port {Port}: {Error}")]
    public static partial void ReceiveError(ILogger logger, int port, string error);

    [LoggerMessage(4, LogLevel.Warning, "DHCP reply to {Source} (port {Port}) not sent to {Destination}: {Error}")]
    public static partial void SendFailed(ILogger logger, IPEndPoint source, int port, IPEndPoint destination, string error);

    [LoggerMessage(5, LogLevel.Error, "DHCP datagram from {Source} (port {Port}) failed")]
    public static partial void HandlerFailed(ILogger logger, IPEndPoint source, int port, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "DHCP lease sweep failed: {Error}")]
    public static partial void SweepFailed(ILogger logger, string error);

    [LoggerMessage(7, LogLevel.Error, "DHCP client contact handler threw")]
    public static partial void ContactHandlerFailed(ILogger logger, Exception exception);
}
