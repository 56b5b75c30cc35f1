namespace BareMetal.Pxe.Tftp.Server;

/// <summary>A counted, lock-free budget: at most <paramref name="limit"/> holders at once.</summary>
internal sealed class Slots(int limit)
{
    private int _taken;

    /// <summary>Takes one; false when all are taken.</summary>
    public bool TryTake()
    {
        while (true)
        {
            var n = Volatile.Read(ref _taken);
            if (n >= limit)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _taken, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _taken);
}
