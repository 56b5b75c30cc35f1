using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// An upload body of <see cref="Length"/> deterministic bytes (1 MiB random blocks, each stamped with
/// its index so no two are alike; raw to the format prober) that stops after <c>gateAt</c> bytes and
/// waits there until the connection dies. So a test knows exactly how much of the body the server can
/// have got when it kills it: "mid-body" is a fact, not a timing guess.
/// </summary>
public sealed class PatternStream : Stream
{
    public const int BlockBytes = 1 << 20;

    private static readonly byte[] Block = MakeBlock();
    private readonly long _gateAt;
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _atGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _position;

    /// <param name="gateAt">Bytes handed out before the stream blocks; <paramref name="length"/> or more never blocks.</param>
    public PatternStream(long length, long gateAt)
    {
        Length = length;
        _gateAt = gateAt;
    }

    public override long Length { get; }

    /// <summary>Completes when every byte before the gate (or the whole body) has been handed to the client.</summary>
    public Task ReachedGate => _atGate.Task;

    /// <summary>Ends a parked body with an error, so the client stops waiting on it (after the server is gone).</summary>
    public void Cut() => _gate.TrySetException(new IOException("the test cut the upload body"));

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Position
    {
        get => Interlocked.Read(ref _position);
        set => throw new NotSupportedException();
    }

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes of the pattern, as the catalog must record it.</summary>
    public static string Sha256(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BlockBytes];
        for (long at = 0; at < length;)
        {
            var n = Fill(at, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - at)));
            hash.AppendData(buffer, 0, n);
            at += n;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var limit = Math.Min(Length, _gateAt);
        if (_position >= limit)
        {
            _atGate.TrySetResult();
            if (_position >= Length)
            {
                return 0;
            }
            // Parked: the server has the body up to here and is killed while waiting for the rest.
            await _gate.Task.WaitAsync(cancellationToken);
        }
        var n = Fill(_position, buffer.Span[..(int)Math.Min(buffer.Length, limit - _position)]);
        Interlocked.Add(ref _position, n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _gate.TrySetCanceled();
        base.Dispose(disposing);
    }

    /// <summary>Writes the pattern's bytes at <paramref name="at"/> into <paramref name="dest"/> (up to a block boundary).</summary>
    private static int Fill(long at, Span<byte> dest)
    {
        var inBlock = (int)(at % BlockBytes);
        var n = Math.Min(dest.Length, BlockBytes - inBlock);
        Span<byte> stamped = stackalloc byte[8];
        Block.AsSpan(inBlock, n).CopyTo(dest);
        if (inBlock < 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(stamped, at / BlockBytes);
            var k = Math.Min(8 - inBlock, n);
            stamped.Slice(inBlock, k).CopyTo(dest);
        }
        return n;
    }

    private static byte[] MakeBlock()
    {
        var block = new byte[BlockBytes];
        new Random(5).NextBytes(block);
        return block;
    }
}
