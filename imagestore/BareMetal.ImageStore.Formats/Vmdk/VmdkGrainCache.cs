namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// A few recently decompressed grains, so sequential small reads through a streamOptimized grain
/// inflate it once. Bounded by entry count (grains are at most 2 MiB); thread-safe through one lock.
/// </summary>
internal sealed class VmdkGrainCache
{
    /// <summary>Grains kept: enough for a few readers streaming side by side.</summary>
    public const int Capacity = 8;

    private readonly Lock _lock = new();
    private readonly (long Key, byte[]? Data)[] _slots = new (long, byte[]?)[Capacity];
    private int _next;

    public byte[]? Get(long key)
    {
        lock (_lock)
        {
            foreach (var (k, data) in _slots)
            {
                if (data is not null && k == key)
                {
                    return data;
                }
            }
        }
        return null;
    }

    public void Put(long key, byte[] data)
    {
        lock (_lock)
        {
            _slots[_next] = (key, data);
            _next = (_next + 1) % Capacity;
        }
    }
}
