namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>The bytes of one file being served, read by position so a window can be resent from any block.</summary>
public interface ITftpContent : IDisposable
{
    /// <summary>Size in bytes, fixed for the life of the transfer (it is promised to the client as tsize).</summary>
    long Length { get; }

    /// <summary>Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; fewer only at the end.</summary>
    int Read(long offset, Span<byte> destination);
}
