using System.Net;
using System.Net.Sockets;
using BareMetal.Provisioning.Power.Ipmi.Session;
using BareMetal.Provisioning.Power.Ipmi.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Provisioning.Power.Ipmi;

/// <summary>
/// The IPMI 2.0 LAN driver: the only IPMI code with a socket. Each call opens an RMCP+ session, sends
/// its commands and closes the session, as ipmitool does per invocation: BMCs drop idle sessions and
/// have few slots, so holding one open between calls buys nothing but failures.
/// </summary>
public sealed class IpmiPowerDriver : IPowerDriver
{
    private readonly IpmiBmcOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public IpmiPowerDriver(IpmiBmcOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    private string Bmc => $"{_options.Host}:{_options.Port}";

    public Task<PowerState> GetPowerStateAsync(CancellationToken cancellationToken) =>
        WithSessionAsync(async send =>
        {
            var r = Check(await send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, [])), "Get Chassis Status");
            if (r.Data.Length < 1)
            {
                throw new PowerException(PowerFailure.ProtocolError, $"BMC {Bmc} answered Get Chassis Status without the power state byte");
            }
            return (r.Data[0] & 0x01) != 0 ? PowerState.On : PowerState.Off;
        }, cancellationToken);

    public Task<PowerActionResult> PowerOnAsync(CancellationToken cancellationToken) => ChassisControlAsync(ChassisControl.PowerUp, cancellationToken);

    public Task<PowerActionResult> PowerOffAsync(CancellationToken cancellationToken) => ChassisControlAsync(ChassisControl.PowerDown, cancellationToken);

    public Task<PowerActionResult> SoftOffAsync(CancellationToken cancellationToken) => ChassisControlAsync(ChassisControl.SoftShutdown, cancellationToken);

    public Task<PowerActionResult> CycleAsync(CancellationToken cancellationToken) =>
        WithSessionAsync(async send =>
        {
            var r = await send(Control(ChassisControl.PowerCycle));
            // The spec lets a BMC refuse a cycle while the chassis is off ("not supported in present
            // state"); the caller wants the node running from a fresh start either way.
            if (r.CompletionCode == IpmiCompletionCode.NotSupportedInPresentState)
            {
                r = await send(Control(ChassisControl.PowerUp));
            }
            Check(r, "Chassis Control (power cycle)");
            return PowerActionResult.Done;
        }, cancellationToken);

    public Task<PowerActionResult> SetNextBootAsync(BootDevice device, bool persistent, CancellationToken cancellationToken)
    {
        var selector = device switch
        {
            BootDevice.Network => BootFlags.DevicePxe,
            BootDevice.Disk => BootFlags.DeviceDisk,
            _ => throw new ArgumentOutOfRangeException(nameof(device)),
        };
        var flags = new BootFlags(Valid: true, persistent, _options.Efi, selector);
        return WithSessionAsync(async send =>
        {
            var data = new byte[] { BootFlags.ParameterSelector }.Concat(flags.Write()).ToArray();
            Check(await send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.SetSystemBootOptions, data)), $"Set System Boot Options (boot flags: {device}, {(persistent ? "persistent" : "next boot only")})");
            return PowerActionResult.Done;
        }, cancellationToken);
    }

    /// <summary>Reads the boot flags back (parameter 5), as `ipmitool chassis bootparam get 5` does.</summary>
    public Task<BootFlags> GetBootFlagsAsync(CancellationToken cancellationToken) =>
        WithSessionAsync(async send =>
        {
            var r = Check(await send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetSystemBootOptions, [BootFlags.ParameterSelector, 0, 0])), "Get System Boot Options");
            // Data: parameter version, parameter valid/selector, then the 5 parameter bytes.
            return r.Data.Length < 4
                ? throw new PowerException(PowerFailure.ProtocolError, $"BMC {Bmc} answered Get System Boot Options with {r.Data.Length} bytes")
                : BootFlags.Read(r.Data.AsSpan(2));
        }, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<PowerActionResult> ChassisControlAsync(ChassisControl control, CancellationToken cancellationToken) =>
        WithSessionAsync(async send =>
        {
            Check(await send(Control(control)), $"Chassis Control ({Describe(control)})");
            return PowerActionResult.Done;
        }, cancellationToken);

    private static IpmiRequest Control(ChassisControl control) => new(IpmiNetFn.Chassis, IpmiCommand.ChassisControl, [(byte)control]);

    private static string Describe(ChassisControl control) => control switch
    {
        ChassisControl.PowerDown => "power down",
        ChassisControl.PowerUp => "power up",
        ChassisControl.PowerCycle => "power cycle",
        ChassisControl.HardReset => "hard reset",
        ChassisControl.SoftShutdown => "soft shutdown",
        _ => control.ToString(),
    };

    private IpmiResponse Check(IpmiResponse response, string what)
    {
        if (response.Succeeded)
        {
            return response;
        }
        var failure = response.CompletionCode switch
        {
            IpmiCompletionCode.NodeBusy or IpmiCompletionCode.Timeout or IpmiCompletionCode.BmcInitializing => PowerFailure.Busy,
            IpmiCompletionCode.InvalidCommand or 0xC2 or IpmiCompletionCode.InvalidDataField or IpmiCompletionCode.NotSupportedInPresentState
                or IpmiCompletionCode.SubFunctionDisabled or 0x80 => PowerFailure.Unsupported,
            IpmiCompletionCode.InsufficientPrivilege => PowerFailure.PermissionDenied,
            _ => PowerFailure.Rejected,
        };
        throw new PowerException(failure, $"BMC {Bmc} refused {what}: {IpmiCompletionCode.Describe(response.CompletionCode, response.Command)}");
    }

    /// <summary>Runs <paramref name="body"/> inside one RMCP+ session (opened before, closed after).</summary>
    internal async Task<T> WithSessionAsync<T>(Func<Func<IpmiRequest, Task<IpmiResponse>>, Task<T>> body, CancellationToken cancellationToken)
    {
        var session = new IpmiSession(new IpmiSessionOptions
        {
            Credentials = _options.Credentials,
            Suite = _options.Suite,
            Privilege = _options.Privilege,
            RetryInterval = _options.RetryInterval,
            Attempts = _options.Attempts,
        }, _time);
        using var socket = await ConnectAsync(cancellationToken);
        var buffer = new byte[Rmcp.MaxDatagram + 1];
        await ExchangeAsync(socket, session, session.Connect(), buffer, cancellationToken);
        try
        {
            return await body(async request =>
            {
                var step = await ExchangeAsync(socket, session, session.Send(request), buffer, cancellationToken);
                return step.Response!;
            });
        }
        finally
        {
            if (session.State == IpmiSessionState.Active && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await ExchangeAsync(socket, session, session.Close(), buffer, cancellationToken);
                }
                catch (PowerException e)
                {
                    Log.IpmiCloseFailed(_logger, Bmc, e.Message);
                }
            }
        }
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        IPAddress address;
        if (!IPAddress.TryParse(_options.Host, out address!))
        {
            try
            {
                var found = await Dns.GetHostAddressesAsync(_options.Host, cancellationToken);
                address = found.FirstOrDefault() ?? throw new PowerException(PowerFailure.Unreachable, $"BMC host name '{_options.Host}' has no address");
            }
            catch (SocketException e)
            {
                throw new PowerException(PowerFailure.Unreachable, $"BMC host name '{_options.Host}' does not resolve: {e.Message}", e);
            }
        }
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Connected, so the kernel drops datagrams from other addresses and reports ICMP
            // port-unreachable as ConnectionRefused instead of leaving us to time out blind.
            await socket.ConnectAsync(new IPEndPoint(address, _options.Port), cancellationToken);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new PowerException(PowerFailure.Unreachable, $"cannot reach BMC {Bmc}: {e.Message}", e);
        }
    }

    private async Task<IpmiStep> ExchangeAsync(Socket socket, IpmiSession session, byte[] first, byte[] buffer, CancellationToken cancellationToken)
    {
        string? lastError = null;
        await SendAsync(socket, first, cancellationToken);
        while (true)
        {
            IpmiStep step;
            var wait = (session.Deadline ?? _time.GetUtcNow()) - _time.GetUtcNow();
            if (wait <= TimeSpan.Zero)
            {
                step = session.OnTimer();
            }
            else
            {
                using var timer = new CancellationTokenSource(wait, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                try
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token);
                    step = session.Receive(buffer.AsSpan(0, n));
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    step = session.OnTimer();
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
                {
                    // ICMP said nobody listens (a BMC rebooting, or gone). Wait out the retry interval
                    // as if the datagram was lost: a restarting BMC gets its chance to come back.
                    lastError = e.SocketErrorCode == SocketError.ConnectionRefused ? "ICMP port unreachable: nothing listens there" : e.Message;
                    await Task.Delay(wait, _time, cancellationToken);
                    step = session.OnTimer();
                }
            }
            switch (step.Kind)
            {
                case IpmiStepKind.Ignore:
                    if (step.Dropped is { } why && why != "timer before the deadline")
                    {
                        Log.IpmiDropped(_logger, Bmc, why);
                    }
                    continue;
                case IpmiStepKind.Send:
                    Log.IpmiRetransmit(_logger, Bmc, session.State.ToString());
                    await SendAsync(socket, step.Datagram!, cancellationToken);
                    continue;
                case IpmiStepKind.Failed:
                    var e = step.Error!;
                    var detail = lastError is null ? "" : $" ({lastError})";
                    throw new PowerException(e.Failure, $"IPMI BMC {Bmc}: {e.Message}{detail}");
                default:
                    return step;
            }
        }
    }

    private static async Task SendAsync(Socket socket, byte[] datagram, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(datagram, SocketFlags.None, cancellationToken);
        }
        catch (SocketException)
        {
            // A refused previous datagram can surface here; the receive loop's timer handles it.
        }
    }
}
