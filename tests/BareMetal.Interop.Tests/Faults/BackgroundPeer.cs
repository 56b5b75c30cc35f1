using System.Diagnostics;
using System.Text;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// A peer left running while the test does something else (kills the server under it), whose output
/// lines starting with a prefix are counted as they arrive: "wrote " from qemu-io is one acknowledged
/// write. Killed with its tree if the test forgets it.
/// </summary>
public sealed class BackgroundPeer : IDisposable
{
    private readonly Process _process;
    private readonly string _prefix;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private int _count;
    private (int Target, TaskCompletionSource Reached)? _waiter;

    private BackgroundPeer(Process process, string prefix)
    {
        _process = process;
        _prefix = prefix;
    }

    public static BackgroundPeer Start(string file, IEnumerable<string> args, string countPrefix)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var peer = new BackgroundPeer(p, countPrefix);
        p.OutputDataReceived += (_, e) => peer.OnLine(e.Data);
        p.ErrorDataReceived += (_, e) => peer.OnLine(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return peer;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>True once <paramref name="count"/> lines were counted; false if the peer exited or the time ran out first.</summary>
    public async Task<bool> WaitForCountAsync(int count, TimeSpan timeout)
    {
        TaskCompletionSource reached;
        lock (_lock)
        {
            if (_count >= count)
            {
                return true;
            }
            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiter = (count, reached);
        }
        var exited = _process.WaitForExitAsync();
        await Task.WhenAny(reached.Task, exited, Task.Delay(timeout));
        return reached.Task.IsCompleted;
    }

    /// <summary>Waits for the peer to end (bounded); returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"{_process.StartInfo.FileName} did not end within {timeout.TotalSeconds:0} s: {Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.AppendLine(line);
            if (line.StartsWith(_prefix, StringComparison.Ordinal))
            {
                _count++;
                if (_waiter is { } w && _count >= w.Target)
                {
                    w.Reached.TrySetResult();
                    _waiter = null;
                }
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
