using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Iscsi.Wire;
using BareMetal.ImageStore.Nbd.Exports;
using Microsoft.Extensions.Logging;

namespace BareMetal.ImageStore.Iscsi.Server;

/// <summary>
/// The shell of one connection: PipeReader -> codec -> session -> one gathered send per receive.
/// A client that stops reading blocks our send, which stops our reading; the watchdog ends it.
/// </summary>
internal sealed class IscsiConnection
{
    private readonly PipeReader _input;
    private readonly Socket _socket;
    private readonly IscsiSession _session;
    private readonly string _client;
    private readonly ILogger _logger;
    private readonly IscsiServerOptions _options;
    private readonly TimeProvider _time;
    private readonly long _started;
    private const int InitialOutput = 64 * 1024;
    private ArrayBufferWriter<byte> _output = new(InitialOutput);
    private long _sendStarted = -1;
    private bool _loggedIn;

    public IscsiConnection(PipeReader input, Socket socket, IscsiSession session, string client, IscsiServerOptions options, ILogger logger, TimeProvider time)
    {
        _input = input;
        _socket = socket;
        _session = session;
        _client = client;
        _options = options;
        _logger = logger;
        _time = time;
        _started = time.GetTimestamp();
    }

    /// <summary>Shuts the socket when login takes too long or a send is stuck (called by the watchdog).</summary>
    public void CheckStalled()
    {
        var now = _time.GetTimestamp();
        var sending = Interlocked.Read(ref _sendStarted);
        string? what = null;
        if (!_loggedIn && _time.GetElapsedTime(_started, now) > _options.LoginTimeout)
        {
            what = "login not finished in time";
        }
        else if (sending >= 0 && _time.GetElapsedTime(sending, now) > _options.SendTimeout)
        {
            what = "initiator stopped reading";
        }
        if (what is not null)
        {
            Log.Problem(_logger, _client, what);
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    // A reset withdraws the export and disposes its disk: the session ends at once, even when idle,
    // rather than answer from a dead disk while a new login sees the fresh overlay.
    private NbdExport? _watched;

    private void Watch(NbdExport? export)
    {
        if (export is null)
        {
            return;
        }
        _watched = export;
        export.Closed += OnExportClosed;
        if (export.IsClosed)
        {
            OnExportClosed();
        }
    }

    private void OnExportClosed()
    {
        Log.Problem(_logger, _client, $"export '{_watched?.Name}' was reset: session closed");
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _output = new ArrayBufferWriter<byte>(InitialOutput);
        byte[] scratch = [];
        try
        {
            while (_session.State != IscsiSessionState.Closed)
            {
                ReadResult result;
                try
                {
                    result = await _input.ReadAsync(cancellationToken);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
                var buffer = result.Buffer;
                try
                {
                    while (_session.State != IscsiSessionState.Closed)
                    {
                        IscsiHeader header;
                        ReadOnlySequence<byte> data;
                        try
                        {
                            if (!IscsiCodec.TryRead(ref buffer, _session.MaxDataSegment, out header, out data))
                            {
                                break;
                            }
                        }
                        catch (IscsiProtocolException e)
                        {
                            var bhs = buffer.Slice(0, IscsiLimits.BhsLength).ToArray();
                            _session.Fail(e, bhs, _output);
                            break;
                        }
                        ReadOnlySpan<byte> span;
                        if (data.IsSingleSegment)
                        {
                            span = data.FirstSpan;
                        }
                        else
                        {
                            if (scratch.Length < data.Length)
                            {
                                scratch = new byte[Math.Max((int)data.Length, 64 * 1024)];
                            }
                            data.CopyTo(scratch);
                            span = scratch.AsSpan(0, (int)data.Length);
                        }
                        var before = _session.State;
                        _session.Handle(header, span, _output);
                        if (before == IscsiSessionState.Login && _session.State == IscsiSessionState.FullFeature)
                        {
                            _loggedIn = true;
                            Log.LoggedIn(_logger, _client, _session.Export?.Name ?? "(discovery)", _session.Authentication);
                            Watch(_session.Export);
                        }
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (_output.WrittenCount > 0)
                {
                    if (!await SendAsync(_output, cancellationToken))
                    {
                        return;
                    }
                }
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        finally
        {
            if (_watched is { } watched)
            {
                watched.Closed -= OnExportClosed;
            }
            if (_session.LastProblem is { } problem)
            {
                Log.Problem(_logger, _client, problem);
            }
            await _input.CompleteAsync();
        }
    }

    private async Task<bool> SendAsync(ArrayBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _sendStarted, _time.GetTimestamp());
        try
        {
            var memory = output.WrittenMemory;
            while (!memory.IsEmpty)
            {
                var n = await _socket.SendAsync(memory, SocketFlags.None, cancellationToken);
                memory = memory[n..];
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            Interlocked.Exchange(ref _sendStarted, -1);
            // Keep the buffer of a usual burst; let an 8 MiB read's buffer go, so 1000 idle sessions stay small.
            if (output.Capacity > 1024 * 1024)
            {
                _output = new ArrayBufferWriter<byte>(InitialOutput);
            }
            else
            {
                output.ResetWrittenCount();
            }
        }
    }
}
