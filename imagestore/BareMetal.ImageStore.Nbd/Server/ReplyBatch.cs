using BareMetal.ImageStore.Nbd.Session;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>
/// Replies handed from a connection's receiving thread to its sending thread, sent in one gathered
/// send. Reused: the sender gives an emptied batch back for the receiver's next one.
/// </summary>
internal sealed class ReplyBatch
{
    public List<PooledReply> Replies { get; } = [];

    public List<ArraySegment<byte>> Segments { get; } = [];

    /// <summary>Bytes in <see cref="Segments"/>.</summary>
    public int Bytes { get; private set; }

    /// <summary>In-flight units the replies hold (released once they are sent or dropped).</summary>
    public int Units { get; private set; }

    public void Add(PooledReply reply, int units)
    {
        Replies.Add(reply);
        Segments.Add(reply.Segment);
        Bytes += reply.Length;
        Units += units;
    }

    /// <summary>Returns the replies' buffers and forgets them; the units are the caller's to release.</summary>
    public void Clear()
    {
        foreach (var r in Replies)
        {
            r.Dispose();
        }
        Replies.Clear();
        Segments.Clear();
        Bytes = 0;
        Units = 0;
    }
}
