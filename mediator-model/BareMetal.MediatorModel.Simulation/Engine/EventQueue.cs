namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>A 4-ary min-heap of <see cref="SimEvent"/>: shallower than a binary heap, and the four
/// children of a node share a cache line or two, which is what makes sift-down cheap.</summary>
internal sealed class EventQueue
{
    /// <summary>Children per node.</summary>
    private const int Arity = 4;

    private SimEvent[] _items;
    private int _count;

    public EventQueue(int initialCapacity = 1024)
    {
        _items = new SimEvent[Math.Max(initialCapacity, Arity)];
    }

    public int Count => _count;

    public void Push(in SimEvent item)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, checked(_items.Length * 2));
        }

        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) / Arity;
            if (!item.RunsBefore(_items[parent]))
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = item;
    }

    public bool TryPop(out SimEvent item)
    {
        if (_count == 0)
        {
            item = default;
            return false;
        }

        item = _items[0];
        var last = _items[--_count];
        _items[_count] = default; // drop the handler reference so the GC can reclaim finished models
        if (_count > 0)
        {
            SiftDown(last);
        }

        return true;
    }

    public long PeekTime() => _count == 0 ? long.MaxValue : _items[0].Time;

    private void SiftDown(in SimEvent item)
    {
        var i = 0;
        while (true)
        {
            var first = (i * Arity) + 1;
            if (first >= _count)
            {
                break;
            }

            var best = first;
            var end = Math.Min(first + Arity, _count);
            for (var c = first + 1; c < end; c++)
            {
                if (_items[c].RunsBefore(_items[best]))
                {
                    best = c;
                }
            }

            if (!_items[best].RunsBefore(item))
            {
                break;
            }

            _items[i] = _items[best];
            i = best;
        }

        _items[i] = item;
    }
}
