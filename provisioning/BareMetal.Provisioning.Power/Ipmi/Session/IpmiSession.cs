using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using BareMetal.Provisioning.Power.Ipmi.Wire;

namespace BareMetal.Provisioning.Power.Ipmi.Session;

/// <summary>
/// One RMCP+ session as a pure state machine: no sockets, time read from the injected
/// <see cref="TimeProvider"/>. The shell sends what <see cref="Connect"/>, <see cref="Send"/> and
/// <see cref="Close"/> return, feeds every datagram to <see cref="Receive"/>, and calls
/// <see cref="OnTimer"/> when <see cref="Deadline"/> passes (which retransmits, or gives up).
/// <para>
/// Establishment (IPMI 2.0 section 13.14-13.20): Get Channel Authentication Capabilities (IPMI 1.5
/// framing, outside a session), Open Session Request/Response (cipher suite), RAKP 1-4 (mutual proof
/// of the user's key Kuid, giving the session integrity key SIK and from it K1 for AuthCodes and K2
/// for AES), then Set Session Privilege Level, since a session starts at User privilege whatever
/// role RAKP asked for.
/// </para>
/// Keys, random numbers and AuthCodes never appear in an error message.
/// </summary>
public sealed class IpmiSession
{
    /// <summary>The window of inbound session sequence numbers accepted below the highest seen (IPMI 2.0 section 6.12.13 allows 8 or more).</summary>
    private const uint ReplayWindow = 16;

    private readonly IpmiSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[] _kuid;
    private readonly byte[] _userName;
    private readonly uint _consoleSessionId;
    private readonly byte[] _consoleRandom = new byte[16];
    private byte _tag;
    private byte _rqSeq;
    private uint _outboundSequence;
    private uint _highestInbound;
    private uint _managedSessionId;
    private byte[] _managedRandom = [];
    private byte[] _managedGuid = [];
    private byte[]? _sik;
    private byte[]? _k1;
    private byte[]? _k2;
    private bool _rakp2Mismatch;
    private Func<byte[]>? _pending;
    private IpmiRequest? _inFlight;
    private int _attempts;

    public IpmiSession(IpmiSessionOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _kuid = Encoding.UTF8.GetBytes(options.Credentials.Password);
        _userName = Encoding.ASCII.GetBytes(options.Credentials.UserName);
        if (_kuid.Length > 20)
        {
            throw new PowerException(PowerFailure.Unsupported, "IPMI 2.0 passwords are at most 20 bytes; this one is longer");
        }
        if (_userName.Length > Rakp1.MaxUserName)
        {
            throw new PowerException(PowerFailure.Unsupported, "IPMI user names are at most 16 bytes");
        }
        Span<byte> id = stackalloc byte[4];
        do
        {
            options.Random(id);
            _consoleSessionId = BinaryPrimitives.ReadUInt32LittleEndian(id);
        }
        while (_consoleSessionId == 0); // 0 means "no session" on the wire
        options.Random(_consoleRandom);
    }

    public IpmiSessionState State { get; private set; } = IpmiSessionState.Idle;

    /// <summary>When the datagram in flight is to be sent again (null when nothing is in flight).</summary>
    public DateTimeOffset? Deadline { get; private set; }

    /// <summary>The BMC's ID for this session (0 until Open Session Response).</summary>
    public uint ManagedSessionId => _managedSessionId;

    /// <summary>Starts establishment: the first datagram to send.</summary>
    public byte[] Connect()
    {
        Expect(IpmiSessionState.Idle);
        var seq = NextRqSeq();
        // Channel 0x0E = "this channel"; bit 7 asks for the IPMI 2.0 extended data.
        var request = new IpmiRequest(IpmiNetFn.App, IpmiCommand.GetChannelAuthenticationCapabilities, [0x8E, _options.Privilege]);
        _inFlight = request;
        var datagram = IpmiSessionWrapper.WriteV15(IpmiMessage.WriteRequest(request, seq));
        return Begin(IpmiSessionState.AwaitAuthCapabilities, () => datagram);
    }

    /// <summary>Sends one command over the established session.</summary>
    public byte[] Send(IpmiRequest request)
    {
        Expect(IpmiSessionState.Active);
        return SendInSession(IpmiSessionState.AwaitResponse, request);
    }

    /// <summary>Closes the session (best effort: a BMC that does not answer is given up on quietly).</summary>
    public byte[] Close()
    {
        Expect(IpmiSessionState.Active);
        var id = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(id, _managedSessionId);
        return SendInSession(IpmiSessionState.AwaitClose, new IpmiRequest(IpmiNetFn.App, IpmiCommand.CloseSession, id));
    }

    /// <summary>The retransmission timer: resend the datagram in flight, or give up after the configured attempts.</summary>
    public IpmiStep OnTimer()
    {
        if (Deadline is not { } deadline || _pending is null || _time.GetUtcNow() < deadline)
        {
            return IpmiStep.Ignore("timer before the deadline");
        }
        if (_attempts >= _options.Attempts)
        {
            if (State == IpmiSessionState.AwaitClose)
            {
                return Finish(IpmiSessionState.Closed, new IpmiStep(IpmiStepKind.Closed));
            }
            var waited = _options.RetryInterval * _options.Attempts;
            var what = Waiting();
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.Unreachable,
                $"no answer from the BMC {what} after {_options.Attempts} attempts over {waited.TotalSeconds:0.#} s"));
        }
        _attempts++;
        Deadline = _time.GetUtcNow() + _options.RetryInterval;
        return IpmiStep.Send(_pending());
    }

    /// <summary>Handles one datagram from the BMC's address.</summary>
    public IpmiStep Receive(ReadOnlySpan<byte> datagram)
    {
        try
        {
            return State switch
            {
                IpmiSessionState.AwaitAuthCapabilities => OnAuthCapabilities(datagram),
                IpmiSessionState.AwaitOpenSession => OnOpenSession(datagram),
                IpmiSessionState.AwaitRakp2 => OnRakp2(datagram),
                IpmiSessionState.AwaitRakp4 => OnRakp4(datagram),
                IpmiSessionState.AwaitPrivilege or IpmiSessionState.AwaitResponse or IpmiSessionState.AwaitClose => OnSessionResponse(datagram),
                _ => IpmiStep.Ignore($"datagram while {State}"),
            };
        }
        catch (IpmiProtocolException e)
        {
            // A stray, corrupt or forged datagram costs nothing but itself; the retry timer still runs.
            return IpmiStep.Ignore(e.Message);
        }
    }

    private IpmiStep OnAuthCapabilities(ReadOnlySpan<byte> datagram)
    {
        if (IpmiSessionWrapper.PeekAuthType(datagram) != IpmiSessionWrapper.AuthTypeNone)
        {
            return IpmiStep.Ignore("not an IPMI 1.5 answer");
        }
        var response = IpmiMessage.ReadResponse(IpmiSessionWrapper.ReadV15(datagram));
        if (!Matches(response))
        {
            return IpmiStep.Ignore("answer to another request");
        }
        if (!response.Succeeded)
        {
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.Unsupported,
                $"BMC refused Get Channel Authentication Capabilities: {IpmiCompletionCode.Describe(response.CompletionCode)}"));
        }
        var caps = ChannelAuthCapabilities.Read(response.Data);
        if (!caps.SupportsIpmi20)
        {
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.Unsupported, "the BMC's LAN channel does not offer IPMI 2.0 (RMCP+) sessions"));
        }
        var request = new OpenSessionRequest(NextTag(), _options.Privilege, _consoleSessionId, _options.Suite).Write();
        var d = IpmiSessionWrapper.WriteV2(IpmiPayloadType.OpenSessionRequest, false, 0, 0, request);
        return IpmiStep.Send(Begin(IpmiSessionState.AwaitOpenSession, () => d));
    }

    private IpmiStep OnOpenSession(ReadOnlySpan<byte> datagram)
    {
        var packet = ReadPreSession(datagram, IpmiPayloadType.OpenSessionResponse);
        var r = OpenSessionResponse.Read(packet.Payload);
        // ipmi_sim (OpenIPMI 2.0.33) answers a refused Open Session Request with message tag 0,
        // whatever tag was sent, so an error response is taken on either the tag or the session ID.
        var refused = r.Status != RakpStatus.NoErrors && (r.MessageTag == 0 || r.ConsoleSessionId == 0);
        if (!refused && (r.MessageTag != _tag || r.ConsoleSessionId != _consoleSessionId))
        {
            return IpmiStep.Ignore("Open Session Response for another request");
        }
        if (r.Status != RakpStatus.NoErrors)
        {
            var failure = RakpStatus.IsBusy(r.Status) ? PowerFailure.Busy
                : r.Status is 0x04 or 0x05 or 0x10 or 0x11 ? PowerFailure.Unsupported
                : PowerFailure.AuthenticationFailed;
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(failure, $"BMC refused to open a session (cipher suite {_options.Suite.Id}): {RakpStatus.Describe(r.Status)}"));
        }
        if (r.AuthenticationAlgorithm != _options.Suite.AuthenticationAlgorithm || r.IntegrityAlgorithm != _options.Suite.IntegrityAlgorithm
            || r.ConfidentialityAlgorithm != _options.Suite.ConfidentialityAlgorithm || r.ManagedSessionId == 0)
        {
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.ProtocolError, $"BMC answered the Open Session Request with other algorithms than cipher suite {_options.Suite.Id}"));
        }
        _managedSessionId = r.ManagedSessionId;
        var rakp1 = new Rakp1(NextTag(), _managedSessionId, _consoleRandom, Role, _options.Credentials.UserName).Write();
        var d = IpmiSessionWrapper.WriteV2(IpmiPayloadType.Rakp1, false, 0, 0, rakp1);
        return IpmiStep.Send(Begin(IpmiSessionState.AwaitRakp2, () => d));
    }

    private IpmiStep OnRakp2(ReadOnlySpan<byte> datagram)
    {
        var suite = _options.Suite;
        var packet = ReadPreSession(datagram, IpmiPayloadType.Rakp2);
        var r = Rakp2.Read(packet.Payload, suite.AuthCodeLength);
        if (r.MessageTag != _tag || (r.ConsoleSessionId != _consoleSessionId && !(r.Status != RakpStatus.NoErrors && r.ConsoleSessionId == 0)))
        {
            return IpmiStep.Ignore("RAKP 2 for another request");
        }
        if (r.Status != RakpStatus.NoErrors)
        {
            var failure = RakpStatus.IsBusy(r.Status) ? PowerFailure.Busy : PowerFailure.AuthenticationFailed;
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(failure, $"BMC refused user '{_options.Credentials.UserName}' (RAKP 2): {RakpStatus.Describe(r.Status)}"));
        }
        _managedRandom = r.ManagedRandom;
        _managedGuid = r.ManagedGuid;
        var expected = suite.Hmac(_kuid, Concat(U32(_consoleSessionId), U32(_managedSessionId), _consoleRandom, _managedRandom, _managedGuid, [Role, (byte)_userName.Length], _userName));
        // A mismatch means the BMC holds another password for this user. RAKP 3 is still sent, so the
        // BMC states the refusal in its own words (RAKP 4 "Invalid integrity check value").
        _rakp2Mismatch = !CryptographicOperations.FixedTimeEquals(expected, r.KeyExchangeAuthCode);
        var proof = suite.Hmac(_kuid, Concat(_managedRandom, U32(_consoleSessionId), [Role, (byte)_userName.Length], _userName));
        if (!_rakp2Mismatch)
        {
            // No BMC key (Kg) is configured, so Kg = Kuid (IPMI 2.0 section 13.31).
            _sik = suite.Hmac(_kuid, Concat(_consoleRandom, _managedRandom, [Role, (byte)_userName.Length], _userName));
            _k1 = suite.Hmac(_sik, Filled(0x01, _sik.Length));
            _k2 = suite.Hmac(_sik, Filled(0x02, _sik.Length));
        }
        var rakp3 = new Rakp3(NextTag(), RakpStatus.NoErrors, _managedSessionId, proof).Write();
        var d = IpmiSessionWrapper.WriteV2(IpmiPayloadType.Rakp3, false, 0, 0, rakp3);
        return IpmiStep.Send(Begin(IpmiSessionState.AwaitRakp4, () => d));
    }

    private IpmiStep OnRakp4(ReadOnlySpan<byte> datagram)
    {
        var suite = _options.Suite;
        var packet = ReadPreSession(datagram, IpmiPayloadType.Rakp4);
        var r = Rakp4.Read(packet.Payload, suite.Rakp4IcvLength);
        if (r.MessageTag != _tag || (r.ConsoleSessionId != _consoleSessionId && !(r.Status != RakpStatus.NoErrors && r.ConsoleSessionId == 0)))
        {
            return IpmiStep.Ignore("RAKP 4 for another request");
        }
        var user = _options.Credentials.UserName;
        if (r.Status != RakpStatus.NoErrors)
        {
            var mismatch = _rakp2Mismatch ? "; its RAKP 2 proof did not match this password" : "";
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.AuthenticationFailed, $"BMC refused the password of user '{user}' (RAKP 4): {RakpStatus.Describe(r.Status)}{mismatch}"));
        }
        if (_rakp2Mismatch || _sik is null)
        {
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.AuthenticationFailed, $"the BMC's RAKP 2 proof for user '{user}' does not match this password (wrong password)"));
        }
        var icv = suite.Hmac(_sik, Concat(_consoleRandom, U32(_managedSessionId), _managedGuid))[..suite.Rakp4IcvLength];
        if (!CryptographicOperations.FixedTimeEquals(icv, r.IntegrityCheckValue))
        {
            return Finish(IpmiSessionState.Failed, IpmiStep.Fail(PowerFailure.AuthenticationFailed, "the BMC's RAKP 4 integrity check value does not match the session key"));
        }
        _outboundSequence = 0;
        return IpmiStep.Send(SendInSession(IpmiSessionState.AwaitPrivilege, new IpmiRequest(IpmiNetFn.App, IpmiCommand.SetSessionPrivilegeLevel, [_options.Privilege])));
    }

    private IpmiStep OnSessionResponse(ReadOnlySpan<byte> datagram)
    {
        var packet = IpmiSessionWrapper.ReadV2(datagram, _options.Suite, _k1);
        if (packet.PayloadType != IpmiPayloadType.IpmiMessage || packet.SessionId != _consoleSessionId)
        {
            return IpmiStep.Ignore("not an IPMI message of this session");
        }
        if (!packet.Authenticated || !packet.Encrypted)
        {
            // Everything in this session is integrity-protected and encrypted; anything else is forged.
            return IpmiStep.Ignore("unprotected packet inside an encrypted session");
        }
        if (!AcceptSequence(packet.Sequence))
        {
            return IpmiStep.Ignore($"replayed session sequence number {packet.Sequence}");
        }
        var response = IpmiMessage.ReadResponse(AesCbcConfidentiality.Decrypt(_k2!, packet.Payload));
        if (!Matches(response))
        {
            return IpmiStep.Ignore("answer to another request");
        }
        switch (State)
        {
            case IpmiSessionState.AwaitPrivilege when !response.Succeeded:
                var failure = response.CompletionCode is 0x80 or 0x81 or IpmiCompletionCode.InsufficientPrivilege ? PowerFailure.PermissionDenied : PowerFailure.Rejected;
                return Finish(IpmiSessionState.Failed, IpmiStep.Fail(failure,
                    $"BMC refused privilege level {_options.Privilege} for user '{_options.Credentials.UserName}': {IpmiCompletionCode.Describe(response.CompletionCode, IpmiCommand.SetSessionPrivilegeLevel)}"));
            case IpmiSessionState.AwaitPrivilege:
                return Finish(IpmiSessionState.Active, new IpmiStep(IpmiStepKind.Ready));
            case IpmiSessionState.AwaitClose:
                return Finish(IpmiSessionState.Closed, new IpmiStep(IpmiStepKind.Closed));
            default:
                return Finish(IpmiSessionState.Active, new IpmiStep(IpmiStepKind.Response, Response: response));
        }
    }

    private IpmiV2Packet ReadPreSession(ReadOnlySpan<byte> datagram, IpmiPayloadType expected)
    {
        var packet = IpmiSessionWrapper.ReadV2(datagram);
        if (packet.PayloadType != expected || packet.Encrypted)
        {
            throw new IpmiProtocolException(IpmiProtocolError.UnexpectedPayload, $"payload type {packet.PayloadType} while waiting for {expected}");
        }
        return packet;
    }

    private byte[] SendInSession(IpmiSessionState next, IpmiRequest request)
    {
        var seq = NextRqSeq();
        _inFlight = request;
        var message = IpmiMessage.WriteRequest(request, seq);
        // Every (re)transmission gets a new session sequence number and IV; the rqSeq stays, so a
        // BMC that already executed the request can tell a retry (IPMI 2.0 section 6.12.13).
        return Begin(next, () =>
        {
            _outboundSequence = _outboundSequence == uint.MaxValue ? 1 : _outboundSequence + 1;
            var iv = new byte[AesCbcConfidentiality.BlockSize];
            _options.Random(iv);
            var payload = AesCbcConfidentiality.Encrypt(_k2!, iv, message);
            return IpmiSessionWrapper.WriteV2(IpmiPayloadType.IpmiMessage, true, _managedSessionId, _outboundSequence, payload, _options.Suite, _k1);
        });
    }

    private byte[] Begin(IpmiSessionState next, Func<byte[]> build)
    {
        State = next;
        _pending = build;
        _attempts = 1;
        Deadline = _time.GetUtcNow() + _options.RetryInterval;
        return build();
    }

    private IpmiStep Finish(IpmiSessionState next, IpmiStep step)
    {
        State = next;
        _pending = null;
        _inFlight = null;
        Deadline = null;
        return step;
    }

    private bool Matches(IpmiResponse response) =>
        _inFlight is { } request && response.Command == request.Command && response.NetFn == (byte)request.NetFn + 1 && response.Sequence == _rqSeq;

    private bool AcceptSequence(uint sequence)
    {
        if (sequence > _highestInbound)
        {
            _highestInbound = sequence;
            return true;
        }
        // Sequence numbers below the highest are late duplicates at best; inside the window a BMC
        // may reorder, but request/response lock-step means one answer per request, matched by rqSeq.
        return sequence != 0 && _highestInbound - sequence < ReplayWindow && sequence != _highestInbound;
    }

    private string Waiting() => State switch
    {
        IpmiSessionState.AwaitAuthCapabilities => "to Get Channel Authentication Capabilities",
        IpmiSessionState.AwaitOpenSession => "to the Open Session Request",
        IpmiSessionState.AwaitRakp2 => "to RAKP 1",
        IpmiSessionState.AwaitRakp4 => "to RAKP 3",
        IpmiSessionState.AwaitPrivilege => "to Set Session Privilege Level",
        _ => $"to {_inFlight?.Name ?? "the request"}",
    };

    private byte Role => (byte)(_options.Privilege & 0x0F); // bit 4 clear: look up by name and privilege

    private byte NextTag() => ++_tag;

    private byte NextRqSeq()
    {
        _rqSeq = (byte)((_rqSeq + 1) & 0x3F);
        return _rqSeq;
    }

    private void Expect(IpmiSessionState state)
    {
        if (State != state)
        {
            throw new InvalidOperationException($"IPMI session is {State}, not {state}");
        }
    }

    private static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    private static byte[] Filled(byte value, int length)
    {
        var b = new byte[length];
        b.AsSpan().Fill(value);
        return b;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, at);
            at += p.Length;
        }
        return result;
    }
}
