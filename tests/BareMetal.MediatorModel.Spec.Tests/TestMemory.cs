using System.Buffers.Binary;
using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>A small guest memory: addresses outside it read zeros and drop writes, as the interface asks.</summary>
internal sealed class TestMemory(int size = 1 << 20) : IGuestMemory
{
    private readonly byte[] _bytes = new byte[size];

    public void Read(ulong address, Span<byte> destination)
    {
        destination.Clear();
        for (var i = 0; i < destination.Length; i++)
        {
            var a = address + (ulong)i;
            if (a < (ulong)_bytes.Length)
            {
                destination[i] = _bytes[(int)a];
            }
        }
    }

    public void Write(ulong address, ReadOnlySpan<byte> source)
    {
        for (var i = 0; i < source.Length; i++)
        {
            var a = address + (ulong)i;
            if (a < (ulong)_bytes.Length)
            {
                _bytes[(int)a] = source[i];
            }
        }
    }

    public void Put(int address, params byte[] data) => data.CopyTo(_bytes, address);

    public void Put32(int address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(address), value);

    public void Put64(int address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(_bytes.AsSpan(address), value);

    public byte Byte(int address) => _bytes[address];

    public ushort U16(int address) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(address));

    public uint U32(int address) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(address));
}
