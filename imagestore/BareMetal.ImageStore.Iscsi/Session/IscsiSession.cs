using System.Buffers;
using System.Buffers.Binary;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Scsi;
using BareMetal.ImageStore.Iscsi.Wire;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>
/// One iSCSI connection (we run one connection per session, MaxConnections=1, ErrorRecoveryLevel=0) as a
/// pure state machine: <see cref="Handle"/> takes one PDU and appends the target's PDUs to an output
/// buffer. No sockets, no clocks; the disk is the only side effect. Every PDU is checked before it acts:
/// a malformed one gets a Reject (or, in login, a Login Response with an error status and the end of
/// the connection); out-of-window commands are dropped as RFC 7143 4.2.2.1 asks.
/// </summary>
public sealed class IscsiSession
{
    private readonly IExportProvider _exports;
    private readonly string _client;
    private readonly string _portal;
    private readonly ushort _tsih;
    private readonly IIscsiAuthPolicy _auth;
    private readonly Action<Span<byte>>? _random;
    private bool _authDecided;
    private readonly LoginNegotiator _negotiator = new();
    private readonly Dictionary<uint, WriteTask> _writes = [];
    private readonly Queue<uint> _recentlyDone = new();
    private readonly HashSet<uint> _recentlyDoneSet = [];
    private byte[] _loginText = [];
    private byte[] _pendingText = [];
    private int _pendingTextOffset;
    private uint _pendingTextTtt;
    private bool _firstLogin = true;
    private bool _declaredOurs;
    private int _stage;
    private byte[] _isid = new byte[6];
    private uint _statSN;
    private uint _expCmdSN;
    private uint _nextTtt = 1;
    private ScsiLogicalUnit? _unit;
    private BlockCounters? _clientCounters;

    /// <param name="exports">Export names -> disks; a target is one export.</param>
    /// <param name="client">The initiator's address, the key of per-client counters.</param>
    /// <param name="portal">What SendTargets returns as TargetAddress ("127.0.0.1:3260,1").</param>
    /// <param name="tsih">This session's target session identifying handle (non-zero).</param>
    /// <param name="auth">Which logins must pass CHAP, and with what secrets (default: none).</param>
    /// <param name="random">Fills CHAP identifiers and challenges (default: the OS's CSPRNG); tests pin it.</param>
    public IscsiSession(IExportProvider exports, string client, string portal, ushort tsih, IIscsiAuthPolicy? auth = null, Action<Span<byte>>? random = null)
    {
        _exports = exports ?? throw new ArgumentNullException(nameof(exports));
        _client = client;
        _portal = portal;
        _tsih = tsih == 0 ? (ushort)1 : tsih;
        _auth = auth ?? NoAuthPolicy.Instance;
        _random = random;
    }

    /// <summary>How the initiator proved itself, for the log: no secret in it.</summary>
    public string Authentication => _negotiator.Chap switch
    {
        null => "no authentication",
        { State: ChapState.Succeeded, Mutual: true } => $"mutual CHAP, user '{_negotiator.Chap.User}'",
        { State: ChapState.Succeeded } => $"CHAP, user '{_negotiator.Chap.User}'",
        _ => "CHAP not finished",
    };

    /// <summary>The CHAP exchange of this login, when its target requires one (null before the first keys, or without CHAP).</summary>
    public ChapAuthenticator? Chap => _negotiator.Chap;

    public IscsiSessionState State { get; private set; } = IscsiSessionState.Login;

    public SessionParameters Parameters => _negotiator.Parameters;

    /// <summary>The export of a normal session once logged in.</summary>
    public NbdExport? Export => _unit?.Export;

    public bool IsDiscovery => _negotiator.SessionType == "Discovery";

    /// <summary>Why the session ended or what it last refused, for the log.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Longest data segment the codec should accept now.</summary>
    public int MaxDataSegment => IscsiLimits.MaxRecvDataSegmentLength;

    private uint MaxCmdSN => unchecked(_expCmdSN + IscsiLimits.CommandWindow - 1);

    /// <summary>Takes one PDU; appends the replies to <paramref name="output"/>.</summary>
    public void Handle(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (State)
        {
            case IscsiSessionState.Login:
                HandleLogin(h, data, output);
                break;
            case IscsiSessionState.FullFeature:
                HandleGated(h, data, output);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Every PDU that may touch the disk passes the export's gate, as NBD requests do: a commit holds
    /// writes (and flushes) while it copies the overlay, and a reset withdraws the export, which ends
    /// the session instead of answering from a disposed disk.
    /// </summary>
    private void HandleGated(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (_unit is not { } unit || !TouchesDisk(h))
        {
            HandleFullFeature(h, data, output);
            return;
        }
        var write = Mutates(h);
        if (!unit.Export.TryEnter(write))
        {
            LastProblem = $"export '{unit.Export.Name}' was reset";
            _writes.Clear();
            State = IscsiSessionState.Closed;
            return;
        }
        try
        {
            HandleFullFeature(h, data, output);
        }
        finally
        {
            unit.Export.Exit(write);
        }
    }

    private static bool TouchesDisk(in IscsiHeader h) =>
        h.Opcode is IscsiOpcode.ScsiCommand or IscsiOpcode.DataOut or IscsiOpcode.LogoutRequest;

    /// <summary>Whether the PDU may write or flush: Data-Out, Logout (flushes), and the writing CDBs.</summary>
    private static bool Mutates(in IscsiHeader h) => h.Opcode switch
    {
        IscsiOpcode.DataOut or IscsiOpcode.LogoutRequest => true,
        IscsiOpcode.ScsiCommand => ScsiLogicalUnit.Mutates(h.Cdb),
        _ => false,
    };

    /// <summary>
    /// The codec refused a PDU whose framing cannot be trusted: send Reject (in full-feature phase) and close.
    /// </summary>
    public void Fail(IscsiProtocolException e, ReadOnlySpan<byte> bhs, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(e);
        LastProblem = e.Message;
        if (State == IscsiSessionState.FullFeature && bhs.Length >= IscsiLimits.BhsLength)
        {
            Reject(output, e.Reason == IscsiProtocolError.UnknownOpcode ? RejectReason.CommandNotSupported : RejectReason.ProtocolError, bhs);
        }
        State = IscsiSessionState.Closed;
    }

    // ---------------------------------------------------------------- login

    private void HandleLogin(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (h.Opcode != IscsiOpcode.LoginRequest)
        {
            LastProblem = $"{h.Opcode} before login completed";
            State = IscsiSessionState.Closed;
            return;
        }
        if (_firstLogin)
        {
            _firstLogin = false;
            _isid = h.Isid.ToArray();
            _expCmdSN = h.CmdSN;
            _statSN = h.ExpStatSN;
            _stage = h.CurrentStage;
            if (h.Byte3 > 0)
            {
                // Version-min above 0: we speak only version 0.
                LoginFail(h, output, LoginStatus.UnsupportedVersion);
                return;
            }
            if (h.Tsih != 0)
            {
                LoginFail(h, output, LoginStatus.SessionDoesNotExist);
                return;
            }
        }
        if (h.CurrentStage != _stage || h.CurrentStage == 2 || (h.Transit && (h.NextStage == 2 || h.NextStage <= h.CurrentStage)))
        {
            LastProblem = $"login stage CSG={h.CurrentStage} NSG={h.NextStage} T={h.Transit} while in stage {_stage}";
            LoginFail(h, output, LoginStatus.InitiatorError);
            return;
        }
        if (_loginText.Length + data.Length > IscsiLimits.MaxTextLength)
        {
            LastProblem = "login text too long";
            LoginFail(h, output, LoginStatus.InitiatorError);
            return;
        }
        _loginText = [.. _loginText, .. data];
        if (h.Continue)
        {
            // More keys follow in the next PDU: acknowledge with an empty response in the same stage.
            LoginResponse(h, output, transit: false, nextStage: 0, LoginStatus.Success, []);
            return;
        }
        List<KeyValuePair<string, string>> offered;
        try
        {
            offered = TextKeys.Parse(_loginText);
        }
        catch (IscsiProtocolException e)
        {
            LastProblem = e.Message;
            LoginFail(h, output, LoginStatus.InitiatorError);
            return;
        }
        _loginText = [];
        if (!_authDecided)
        {
            _authDecided = true;
            DecideAuthentication(offered);
        }
        var answers = _negotiator.Answer(offered);
        if (_negotiator.Invalid is { } invalid)
        {
            LastProblem = $"bad login key {invalid}";
            LoginFail(h, output, LoginStatus.InitiatorError);
            return;
        }
        if (_negotiator.AuthRejected)
        {
            LastProblem = "initiator requires authentication";
            LoginFail(h, output, LoginStatus.AuthenticationFailed);
            return;
        }
        var transit = h.Transit;
        if (_negotiator.Chap is { } chap && chap.State != ChapState.Succeeded)
        {
            // RFC 7143 6.3 / 12.1.3: a target that requires CHAP lets nobody out of the security stage
            // (or straight into the operational one) before CHAP succeeds; while the exchange goes on, our
            // answers keep T=0 whatever the initiator asked (iPXE and libiscsi set T=1 from the start).
            var why = chap.State == ChapState.Failed ? chap.Failure
                : _stage != 0 ? "this target requires CHAP; the initiator skipped security negotiation"
                : h.Transit && chap.State == ChapState.AwaitingMethod ? "this target requires CHAP; the initiator left security negotiation without it"
                : null;
            if (why is not null)
            {
                LastProblem = $"authentication failed: {why}";
                LoginFail(h, output, LoginStatus.AuthenticationFailed);
                return;
            }
            transit = false;
        }
        if (_negotiator.InitiatorName is null)
        {
            LastProblem = "login without InitiatorName";
            LoginFail(h, output, LoginStatus.MissingParameter);
            return;
        }
        if (!IsDiscovery && _unit is null)
        {
            if (_negotiator.TargetName is null)
            {
                LastProblem = "normal session without TargetName";
                LoginFail(h, output, LoginStatus.MissingParameter);
                return;
            }
            var exportName = IscsiTargetNames.ToExport(_negotiator.TargetName);
            var export = exportName is null ? null : _exports.Find(exportName);
            if (export is null)
            {
                LastProblem = $"no target {_negotiator.TargetName}";
                LoginFail(h, output, LoginStatus.TargetNotFound);
                return;
            }
            _unit = new ScsiLogicalUnit(export);
            _clientCounters = export.Counters.Client(_client);
            // RFC 7143 13.9: the first login response of a normal session names the portal group.
            answers.Add(new("TargetPortalGroupTag", "1"));
        }
        var nextStage = transit ? h.NextStage : _stage;
        if (_stage == 1 || nextStage == 1)
        {
            if (!_declaredOurs && !answers.Exists(a => a.Key == "MaxRecvDataSegmentLength") && _stage == 1)
            {
                answers.Add(new("MaxRecvDataSegmentLength", IscsiLimits.MaxRecvDataSegmentLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            _declaredOurs |= _stage == 1;
        }
        LoginResponse(h, output, transit, nextStage, LoginStatus.Success, TextKeys.Encode(answers));
        if (transit)
        {
            _stage = nextStage;
            if (nextStage == 3)
            {
                State = IscsiSessionState.FullFeature;
            }
        }
    }

    /// <summary>
    /// Asks the auth policy once, on the first batch of keys (RFC 7143 requires InitiatorName, TargetName
    /// and SessionType in the first login request), before any key is answered.
    /// </summary>
    private void DecideAuthentication(List<KeyValuePair<string, string>> offered)
    {
        string? initiator = null, target = null, type = null;
        foreach (var (key, value) in offered)
        {
            switch (key)
            {
                case "InitiatorName":
                    initiator = value;
                    break;
                case "TargetName":
                    target = value;
                    break;
                case "SessionType":
                    type = value;
                    break;
                default:
                    break;
            }
        }
        var discovery = type == "Discovery";
        if (discovery)
        {
            target = null;
        }
        var request = new IscsiAuthRequest(target, target is null ? null : IscsiTargetNames.ToExport(target), initiator, _client, discovery);
        if (_auth.Find(request) is { } secrets)
        {
            _negotiator.Chap = new ChapAuthenticator(secrets, _random);
        }
    }

    private void LoginFail(in IscsiHeader h, IBufferWriter<byte> output, ushort status)
    {
        LastProblem ??= $"login refused (status 0x{status:x4})";
        LoginResponse(h, output, transit: false, nextStage: 0, status, []);
        State = IscsiSessionState.Closed;
    }

    private void LoginResponse(in IscsiHeader h, IBufferWriter<byte> output, bool transit, int nextStage, ushort status, ReadOnlySpan<byte> keys)
    {
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        var flags = (byte)((transit ? 0x80 : 0) | (_stage << 2) | (transit ? nextStage : 0));
        TargetPdu.Init(bhs, IscsiOpcode.LoginResponse, flags);
        _isid.CopyTo(bhs[8..]);
        if (transit && nextStage == 3 && status == LoginStatus.Success)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bhs[14..], _tsih);
        }
        TargetPdu.Word(bhs, 16, h.InitiatorTaskTag);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[36..], status);
        TargetPdu.Write(output, bhs, keys);
    }

    // ---------------------------------------------------------------- full feature

    private void HandleFullFeature(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (h.TotalAhsBytes > 0)
        {
            // Extended CDBs and bidirectional lengths come in AHS; we support neither.
            Reject(output, RejectReason.CommandNotSupported, h.Bytes);
            return;
        }
        switch (h.Opcode)
        {
            case IscsiOpcode.DataOut:
                DataOut(h, data, output);
                return;
            case IscsiOpcode.NopOut when h.InitiatorTaskTag == IscsiLimits.ReservedTag:
                // An answer to a NOP-In ping of ours (we send none) or a bare keep-alive: nothing to say.
                return;
            case IscsiOpcode.Snack:
                Reject(output, RejectReason.CommandNotSupported, h.Bytes); // ErrorRecoveryLevel=0 has no SNACK
                return;
            case IscsiOpcode.LoginRequest:
                Reject(output, RejectReason.ProtocolError, h.Bytes);
                return;
            default:
                break;
        }
        if (!AcceptCmdSN(h))
        {
            return;
        }
        switch (h.Opcode)
        {
            case IscsiOpcode.ScsiCommand:
                ScsiCommand(h, data, output);
                break;
            case IscsiOpcode.NopOut:
                NopIn(h, data, output);
                break;
            case IscsiOpcode.TextRequest:
                Text(h, data, output);
                break;
            case IscsiOpcode.TaskManagementRequest:
                TaskManagement(h, output);
                break;
            case IscsiOpcode.LogoutRequest:
                Logout(h, output);
                break;
            default:
                Reject(output, RejectReason.CommandNotSupported, h.Bytes);
                break;
        }
    }

    /// <summary>CmdSN ordering (RFC 7143 4.2.2.1): in window -> take it; outside -> drop it silently.</summary>
    private bool AcceptCmdSN(in IscsiHeader h)
    {
        var sn = h.CmdSN;
        if (h.Immediate)
        {
            return true;
        }
        var ahead = unchecked(sn - _expCmdSN);
        if (ahead >= IscsiLimits.CommandWindow)
        {
            LastProblem = $"CmdSN {sn} outside window [{_expCmdSN}, {MaxCmdSN}]: dropped";
            return false;
        }
        // One connection delivers in order, so a gap means the initiator skipped numbers; take the command
        // rather than stall the session waiting for one that will never come.
        _expCmdSN = unchecked(sn + 1);
        return true;
    }

    private void ScsiCommand(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (IsDiscovery || _unit is null)
        {
            Reject(output, RejectReason.ProtocolError, h.Bytes);
            return;
        }
        var itt = h.InitiatorTaskTag;
        if (_writes.ContainsKey(itt))
        {
            Reject(output, RejectReason.TaskInProgress, h.Bytes);
            return;
        }
        if (!data.IsEmpty && (!Parameters.ImmediateData || !h.WriteBit || data.Length > Parameters.FirstBurstLength || data.Length > h.ExpectedDataTransferLength))
        {
            Reject(output, RejectReason.ProtocolError, h.Bytes);
            return;
        }
        var cdb = h.Cdb;
        var plan = _unit.Plan(cdb, h.Lun, _clientCounters);
        var expected = h.ExpectedDataTransferLength;
        var export = _unit.Export;
        export.Counters.Request(_clientCounters);
        if (plan.Kind is ScsiPlanKind.WriteDisk or ScsiPlanKind.DataOutBuffered)
        {
            var take = h.WriteBit ? (int)Math.Min(plan.Length, expected) : 0;
            if (take < plan.Length && plan.Kind == ScsiPlanKind.DataOutBuffered)
            {
                // Parameter data cut short by the expected length: refuse rather than act on part of it.
                Done(itt, h);
                Response(output, itt, ScsiPlan.Check(ScsiSense.InvalidFieldInCdb), expected, transferred: plan.Length, 0);
                return;
            }
            var task = new WriteTask
            {
                Itt = itt,
                Lun = h.Lun,
                Cdb = cdb.ToArray(),
                Plan = plan,
                Expected = expected,
                Needed = take,
                Buffer = plan.Kind == ScsiPlanKind.DataOutBuffered ? new byte[plan.Length] : null,
                UnsolicitedOpen = !h.Final && !Parameters.InitialR2T,
            };
            _writes[itt] = task;
            if (!data.IsEmpty)
            {
                Accept(task, data);
            }
            Progress(task, output);
            return;
        }
        if (h.WriteBit && !h.Final)
        {
            // Unsolicited data will follow for a command that takes none: drop it when it comes.
            Done(itt, h);
        }
        if (plan.Kind == ScsiPlanKind.ReadDisk)
        {
            ReadDisk(h, plan, output);
            return;
        }
        if (plan.Kind == ScsiPlanKind.DataIn && plan.Data!.Length > 0 && expected > 0)
        {
            SendDataIn(output, h, plan.Data, plan.Data.Length, 0);
            return;
        }
        Response(output, itt, plan.Kind == ScsiPlanKind.DataIn ? ScsiPlan.Good : plan, expected, plan.TransferLength, 0);
    }

    private void ReadDisk(in IscsiHeader h, ScsiPlan plan, IBufferWriter<byte> output)
    {
        var export = _unit!.Export;
        var length = (int)Math.Min(plan.Length, h.ExpectedDataTransferLength);
        if (length == 0)
        {
            Response(output, h.InitiatorTaskTag, ScsiPlan.Good, h.ExpectedDataTransferLength, plan.Length, 0);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            try
            {
                export.Read(plan.Offset, buffer.AsSpan(0, length));
            }
            catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or InvalidOperationException or Formats.ImageFormatException)
            {
                LastProblem = $"read at {plan.Offset}: {e.Message}";
                Response(output, h.InitiatorTaskTag, ScsiPlan.Check(ScsiSense.UnrecoveredReadError), h.ExpectedDataTransferLength, 0, 0);
                return;
            }
            export.Counters.Read(_clientCounters, plan.Offset, length);
            SendDataIn(output, h, buffer, length, plan.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Sends <paramref name="available"/> bytes (trimmed to the expected length) as Data-In PDUs of at most
    /// the initiator's MaxRecvDataSegmentLength, F at the end of each MaxBurstLength sequence, and the
    /// status (GOOD, with residuals) in the last one.
    /// </summary>
    private void SendDataIn(IBufferWriter<byte> output, in IscsiHeader h, byte[] source, int available, int transfer)
    {
        if (transfer == 0)
        {
            transfer = available;
        }
        var expected = h.ExpectedDataTransferLength;
        var length = (int)Math.Min(available, expected);
        var pduMax = Parameters.InitiatorMaxRecvDataSegmentLength;
        var burst = Math.Max(Parameters.MaxBurstLength, pduMax);
        var (residualFlags, residual) = Residual(expected, transfer);
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        uint dataSN = 0;
        var offset = 0;
        while (offset < length)
        {
            var burstEnd = Math.Min(length, offset + burst - (offset % burst));
            var n = Math.Min(pduMax, burstEnd - offset);
            var last = offset + n == length;
            var flags = (byte)(offset + n == burstEnd ? 0x80 : 0);
            if (last)
            {
                flags |= (byte)(0x80 | 0x01 | residualFlags); // F, S (status here), O/U
            }
            TargetPdu.Init(bhs, IscsiOpcode.DataIn, flags);
            TargetPdu.Word(bhs, 16, h.InitiatorTaskTag);
            TargetPdu.Word(bhs, 20, IscsiLimits.ReservedTag);
            if (last)
            {
                TargetPdu.Word(bhs, 24, _statSN++);
                TargetPdu.Word(bhs, 44, residual);
            }
            TargetPdu.Word(bhs, 28, _expCmdSN);
            TargetPdu.Word(bhs, 32, MaxCmdSN);
            TargetPdu.Word(bhs, 36, dataSN++);
            TargetPdu.Word(bhs, 40, (uint)offset);
            TargetPdu.Write(output, bhs, source.AsSpan(offset, n));
            offset += n;
        }
    }

    private static (byte Flags, uint Residual) Residual(uint expected, int transfer)
    {
        if (expected > (uint)transfer)
        {
            return (0x02, expected - (uint)transfer); // U: underflow
        }
        if (expected < (uint)transfer)
        {
            return (0x04, (uint)transfer - expected); // O: overflow
        }
        return (0, 0);
    }

    /// <summary>A SCSI Response: status GOOD or CHECK CONDITION with fixed-format sense.</summary>
    private void Response(IBufferWriter<byte> output, uint itt, ScsiPlan plan, uint expected, int transferred, uint expDataSN)
    {
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        var check = plan.Kind == ScsiPlanKind.Check;
        var (residualFlags, residual) = Residual(expected, transferred);
        TargetPdu.Init(bhs, IscsiOpcode.ScsiResponse, (byte)(0x80 | residualFlags));
        bhs[2] = 0x00; // command completed at target
        bhs[3] = check ? (byte)0x02 : (byte)0x00;
        TargetPdu.Word(bhs, 16, itt);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Word(bhs, 36, expDataSN);
        TargetPdu.Word(bhs, 44, residual);
        if (!check)
        {
            TargetPdu.Write(output, bhs, []);
            return;
        }
        var sense = plan.Sense.ToFixedFormat();
        Span<byte> segment = stackalloc byte[2 + sense.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, (ushort)sense.Length);
        sense.CopyTo(segment[2..]);
        TargetPdu.Write(output, bhs, segment);
    }

    // ---------------------------------------------------------------- writes

    private void DataOut(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var itt = h.InitiatorTaskTag;
        if (!_writes.TryGetValue(itt, out var task))
        {
            if (_recentlyDoneSet.Contains(itt))
            {
                return; // data for a command we already answered (early CHECK CONDITION, underflow, abort)
            }
            LastProblem = $"Data-Out for unknown task {itt:x8}";
            Reject(output, RejectReason.InvalidPduField, h.Bytes);
            return;
        }
        var ttt = h.TargetTransferTag;
        var solicited = ttt != IscsiLimits.ReservedTag;
        if ((solicited && ttt != task.ActiveTtt) || (!solicited && !task.UnsolicitedOpen) || h.BufferOffset != task.NextOffset
            || (long)h.BufferOffset + data.Length > task.Expected
            || (solicited && (long)h.BufferOffset + data.Length > task.BurstEnd)
            || (!solicited && (long)h.BufferOffset + data.Length > Math.Min(Parameters.FirstBurstLength, task.Expected)))
        {
            LastProblem = $"Data-Out out of sequence for task {itt:x8}: ttt={ttt:x8} offset={h.BufferOffset} length={data.Length}";
            Reject(output, RejectReason.ProtocolError, h.Bytes);
            return;
        }
        if (h.DataSN != task.ExpectedDataSN)
        {
            // ErrorRecoveryLevel 0 cannot ask for the missing PDU again: end the command, keep the session.
            LastProblem = $"Data-Out DataSN {h.DataSN}, expected {task.ExpectedDataSN}, for task {itt:x8}";
            _writes.Remove(itt);
            Remember(itt);
            Response(output, itt, ScsiPlan.Check(ScsiSense.DataPhaseError), task.Expected, task.Plan.Length, task.R2TSN);
            return;
        }
        task.ExpectedDataSN++;
        Accept(task, data);
        if (h.Final)
        {
            if (solicited)
            {
                task.ActiveTtt = IscsiLimits.ReservedTag;
            }
            else
            {
                task.UnsolicitedOpen = false;
            }
        }
        Progress(task, output);
    }

    /// <summary>Stores the part of a data chunk the command needs (write it, or buffer parameter data).</summary>
    private void Accept(WriteTask task, ReadOnlySpan<byte> data)
    {
        var offset = task.NextOffset;
        task.NextOffset += data.Length;
        if (offset >= task.Needed)
        {
            return;
        }
        var useful = data[..(int)Math.Min(data.Length, task.Needed - offset)];
        if (task.Buffer is { } buffer)
        {
            useful.CopyTo(buffer.AsSpan((int)offset));
            return;
        }
        if (task.Failed || offset >= task.Writable)
        {
            return;
        }
        useful = useful[..(int)Math.Min(useful.Length, task.Writable - offset)];
        try
        {
            _unit!.Export.Disk.Write(task.Plan.Offset + offset, useful);
        }
        catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or InvalidOperationException or Formats.ImageFormatException)
        {
            LastProblem = $"write at {task.Plan.Offset + offset}: {e.Message}";
            task.Failed = true;
        }
    }

    /// <summary>After data arrived: finish the command, or ask for the next burst once no data is in flight.</summary>
    private void Progress(WriteTask task, IBufferWriter<byte> output)
    {
        if (task.NextOffset >= task.Needed)
        {
            Finish(task, output);
            return;
        }
        if (task.UnsolicitedOpen || task.ActiveTtt != IscsiLimits.ReservedTag)
        {
            return;
        }
        var length = (int)Math.Min(Parameters.MaxBurstLength, task.Needed - task.NextOffset);
        task.ActiveTtt = _nextTtt;
        _nextTtt = _nextTtt == 0xfffffffe ? 1 : _nextTtt + 1;
        task.BurstEnd = task.NextOffset + length;
        task.ExpectedDataSN = 0;
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        TargetPdu.Init(bhs, IscsiOpcode.ReadyToTransfer, 0x80);
        TargetPdu.Lun(bhs, task.Lun);
        TargetPdu.Word(bhs, 16, task.Itt);
        TargetPdu.Word(bhs, 20, task.ActiveTtt);
        TargetPdu.Word(bhs, 24, _statSN);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Word(bhs, 36, task.R2TSN++);
        TargetPdu.Word(bhs, 40, (uint)task.NextOffset);
        TargetPdu.Word(bhs, 44, (uint)length);
        TargetPdu.Write(output, bhs, []);
    }

    private void Finish(WriteTask task, IBufferWriter<byte> output)
    {
        _writes.Remove(task.Itt);
        // Unsolicited data beyond what the CDB needed may still come (underflow): drop it quietly.
        Remember(task.Itt);
        ScsiPlan result;
        if (task.Failed)
        {
            result = ScsiPlan.Check(ScsiSense.WriteError);
        }
        else if (task.Buffer is { } buffer)
        {
            try
            {
                result = _unit!.Complete(task.Cdb, buffer, _clientCounters);
            }
            catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or InvalidOperationException or Formats.ImageFormatException)
            {
                LastProblem = $"{task.Cdb[0]:x2}: {e.Message}";
                result = ScsiPlan.Check(ScsiSense.WriteError);
            }
        }
        else
        {
            var fua = task.Cdb[0] is 0x2a or 0xaa or 0x8a && (task.Cdb[1] & 0x08) != 0;
            if (fua)
            {
                _unit!.Export.Disk.Flush();
            }
            _unit!.Export.Counters.Written(_clientCounters, task.Plan.Offset, task.Writable);
            result = ScsiPlan.Good;
        }
        Response(output, task.Itt, result, task.Expected, task.Plan.Length, task.R2TSN);
    }

    private void Done(uint itt, in IscsiHeader h)
    {
        _ = h;
        Remember(itt);
    }

    private void Remember(uint itt)
    {
        if (_recentlyDoneSet.Add(itt))
        {
            _recentlyDone.Enqueue(itt);
            if (_recentlyDone.Count > 256)
            {
                _recentlyDoneSet.Remove(_recentlyDone.Dequeue());
            }
        }
    }

    // ---------------------------------------------------------------- other requests

    private void NopIn(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        TargetPdu.Init(bhs, IscsiOpcode.NopIn, 0x80);
        TargetPdu.Lun(bhs, h.Lun);
        TargetPdu.Word(bhs, 16, h.InitiatorTaskTag);
        TargetPdu.Word(bhs, 20, IscsiLimits.ReservedTag);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Write(output, bhs, data[..Math.Min(data.Length, Parameters.InitiatorMaxRecvDataSegmentLength)]);
    }

    private void Text(in IscsiHeader h, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var ttt = h.TargetTransferTag;
        if (ttt != IscsiLimits.ReservedTag && ttt == _pendingTextTtt && _pendingTextOffset < _pendingText.Length)
        {
            SendTextChunk(h, output);
            return;
        }
        if (_loginText.Length + data.Length > IscsiLimits.MaxTextLength)
        {
            _loginText = [];
            Reject(output, RejectReason.ProtocolError, h.Bytes);
            return;
        }
        _loginText = [.. _loginText, .. data];
        if (h.Continue)
        {
            TextResponse(output, h.InitiatorTaskTag, final: false, cont: false, IscsiLimits.ReservedTag, []);
            return;
        }
        List<KeyValuePair<string, string>> keys;
        try
        {
            keys = TextKeys.Parse(_loginText);
        }
        catch (IscsiProtocolException e)
        {
            LastProblem = e.Message;
            _loginText = [];
            Reject(output, RejectReason.ProtocolError, h.Bytes);
            return;
        }
        _loginText = [];
        var answer = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in keys)
        {
            if (key == "SendTargets")
            {
                foreach (var name in SendTargets(value))
                {
                    answer.Add(new("TargetName", IscsiTargetNames.ForExport(name)));
                    answer.Add(new("TargetAddress", _portal));
                }
            }
            else
            {
                answer.Add(new(key, "NotUnderstood"));
            }
        }
        _pendingText = TextKeys.Encode(answer);
        _pendingTextOffset = 0;
        _pendingTextTtt = _nextTtt;
        _nextTtt = _nextTtt == 0xfffffffe ? 1 : _nextTtt + 1;
        SendTextChunk(h, output);
    }

    private IEnumerable<string> SendTargets(string value)
    {
        if (value == "All" && IsDiscovery)
        {
            return _exports.List().Select(e => e.Name);
        }
        if (value.Length == 0 || value == "All")
        {
            return _unit is null ? [] : [_unit.Export.Name];
        }
        var name = IscsiTargetNames.ToExport(value);
        return name is not null && _exports.Find(name) is not null ? [name] : [];
    }

    /// <summary>Long text answers go out in pieces: C set and a TTT the initiator returns to get the next one.</summary>
    private void SendTextChunk(in IscsiHeader h, IBufferWriter<byte> output)
    {
        var n = Math.Min(_pendingText.Length - _pendingTextOffset, Parameters.InitiatorMaxRecvDataSegmentLength);
        var last = _pendingTextOffset + n >= _pendingText.Length;
        var chunk = _pendingText.AsSpan(_pendingTextOffset, n);
        _pendingTextOffset += n;
        TextResponse(output, h.InitiatorTaskTag, final: last, cont: !last, last ? IscsiLimits.ReservedTag : _pendingTextTtt, chunk);
        if (last)
        {
            _pendingText = [];
            _pendingTextOffset = 0;
        }
    }

    private void TextResponse(IBufferWriter<byte> output, uint itt, bool final, bool cont, uint ttt, ReadOnlySpan<byte> data)
    {
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        TargetPdu.Init(bhs, IscsiOpcode.TextResponse, (byte)((final ? 0x80 : 0) | (cont ? 0x40 : 0)));
        TargetPdu.Word(bhs, 16, itt);
        TargetPdu.Word(bhs, 20, ttt);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Write(output, bhs, data);
    }

    private void TaskManagement(in IscsiHeader h, IBufferWriter<byte> output)
    {
        byte response;
        switch (h.TaskFunction)
        {
            case 1: // ABORT TASK
                var referenced = h.ReferencedTaskTag;
                if (_writes.Remove(referenced))
                {
                    Remember(referenced);
                    response = 0;
                }
                else
                {
                    // Every other command completes as it arrives: it is done, or never came (libiscsi's
                    // AbortTaskSimpleAsync expects "task does not exist" for a write already answered).
                    response = 1;
                }
                break;
            case 2 or 4 or 5 or 6 or 7: // ABORT TASK SET, CLEAR TASK SET, LUN RESET, TARGET WARM/COLD RESET
                if (h.TaskFunction is 2 or 4 or 5 && h.Lun != 0)
                {
                    response = 2; // LUN does not exist
                    break;
                }
                foreach (var itt in _writes.Keys)
                {
                    Remember(itt);
                }
                _writes.Clear();
                response = 0;
                break;
            case 8:
                response = 4; // task reassignment: needs ErrorRecoveryLevel 2
                break;
            default:
                response = 5; // CLEAR ACA and unknown functions: not supported
                break;
        }
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        TargetPdu.Init(bhs, IscsiOpcode.TaskManagementResponse, 0x80);
        bhs[2] = response;
        TargetPdu.Word(bhs, 16, h.InitiatorTaskTag);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Write(output, bhs, []);
    }

    private void Logout(in IscsiHeader h, IBufferWriter<byte> output)
    {
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        TargetPdu.Init(bhs, IscsiOpcode.LogoutResponse, 0x80);
        // Reasons 0 (close session) and 1 (close connection) succeed; 2 (recovery) needs ERL 2.
        bhs[2] = h.LogoutReason == 2 ? (byte)2 : (byte)0;
        TargetPdu.Word(bhs, 16, h.InitiatorTaskTag);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Write(output, bhs, []);
        _writes.Clear();
        State = IscsiSessionState.Closed;
        if (_unit is { ReadOnly: false })
        {
            _unit.Export.Disk.Flush();
        }
    }

    private void Reject(IBufferWriter<byte> output, byte reason, ReadOnlySpan<byte> rejected)
    {
        Span<byte> bhs = stackalloc byte[IscsiLimits.BhsLength];
        TargetPdu.Init(bhs, IscsiOpcode.Reject, 0x80);
        bhs[2] = reason;
        TargetPdu.Word(bhs, 16, IscsiLimits.ReservedTag);
        TargetPdu.Word(bhs, 24, _statSN++);
        TargetPdu.Word(bhs, 28, _expCmdSN);
        TargetPdu.Word(bhs, 32, MaxCmdSN);
        TargetPdu.Write(output, bhs, rejected[..Math.Min(rejected.Length, IscsiLimits.BhsLength)]);
    }
}
