namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>A 4-ary min-heap of pending events. The heap itself holds only 16-byte keys (time, and
/// sequence number shifted left over a payload slot), so sifting moves little memory; the handler,
/// kind and argument stay put in slot arrays recycled through a free list. Nothing is allocated per
/// event once the arrays have grown to the peak number pending.</summary>
internal sealed class EventQueue
{
    /// <summary>Children per node: shallower than binary, and four 16-byte keys share a cache line.</summary>
    private const int Arity = 4;

    /// <summary>Low bits of a key that hold the payload slot: up to 16M events pending at once.</summary>
    private const int SlotBits = 24;

    private const long SlotMask = (1L << SlotBits) - 1;

    private Entry[] _heap;
    private IEventHandler?[] _targets;
    private int[] _kinds;
    private long[] _args;
    private int[] _freeSlots;
    private int _freeCount;
    private int _count;

    public EventQueue(int initialCapacity = 1024)
    {
        var capacity = Math.Max(initialCapacity, Arity);
        _heap = new Entry[capacity];
        _targets = new IEventHandler?[capacity];
        _kinds = new int[capacity];
        _args = new long[capacity];
        _freeSlots = new int[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _freeSlots[i] = capacity - 1 - i;
        }

        _freeCount = capacity;
    }

    public int Count => _count;

    /// <summary>Adds an event; <paramref name="sequence"/> must grow with every call (it breaks ties).</summary>
    public void Push(long time, long sequence, IEventHandler target, int kind, long arg)
    {
        if (_freeCount == 0)
        {
            Grow();
        }

        var slot = _freeSlots[--_freeCount];
        _targets[slot] = target;
        _kinds[slot] = kind;
        _args[slot] = arg;
        var entry = new Entry(time, (sequence << SlotBits) | (uint)slot);
        unchecked
        {
            var i = _count++;
            while (i > 0)
            {
                var parent = (i - 1) >> 2;
                if (!entry.Before(_heap[parent]))
                {
                    break;
                }

                _heap[i] = _heap[parent];
                i = parent;
            }

            _heap[i] = entry;
        }
    }

    public bool TryPop(out SimEvent item)
    {
        if (_count == 0)
        {
            item = default;
            return false;
        }

        var root = _heap[0];
        var slot = (int)(root.Key & SlotMask);
        item = new SimEvent(root.Time, root.Key >> SlotBits, _targets[slot]!, _kinds[slot], _args[slot]);
        _targets[slot] = null; // let finished models be collected
        _freeSlots[_freeCount++] = slot;
        var last = _heap[--_count];
        if (_count > 0)
        {
            SiftDown(last);
        }

        return true;
    }

    public long PeekTime() => _count == 0 ? long.MaxValue : _heap[0].Time;

    private void SiftDown(Entry item)
    {
        unchecked
        {
            var heap = _heap;
            var count = _count;
            var i = 0;
            while (true)
            {
                var first = (i << 2) + 1;
                if (first >= count)
                {
                    break;
                }

                var best = first;
                var end = Math.Min(first + Arity, count);
                for (var c = first + 1; c < end; c++)
                {
                    if (heap[c].Before(heap[best]))
                    {
                        best = c;
                    }
                }

                if (!heap[best].Before(item))
                {
                    break;
                }

                heap[i] = heap[best];
                i = best;
            }

            heap[i] = item;
        }
    }

    private void Grow()
    {
        var old = _heap.Length;
        var capacity = checked(old * 2);
        if (capacity > SlotMask + 1)
        {
            throw new InvalidOperationException($"more than {SlotMask + 1} events pending");
        }

        Array.Resize(ref _heap, capacity);
        Array.Resize(ref _targets, capacity);
        Array.Resize(ref _kinds, capacity);
        Array.Resize(ref _args, capacity);
        Array.Resize(ref _freeSlots, capacity);
        for (var s = capacity - 1; s >= old; s--)
        {
            _freeSlots[_freeCount++] = s;
        }
    }

    /// <summary>Heap key: time, then (sequence, slot), whose order is the sequence's.</summary>
    private readonly record struct Entry(long Time, long Key)
    {
        public bool Before(in Entry other) => Time < other.Time || (Time == other.Time && Key < other.Key);
    }
}
