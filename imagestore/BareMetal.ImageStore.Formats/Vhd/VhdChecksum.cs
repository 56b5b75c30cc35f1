namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>The VHD checksum: the one's complement of the byte sum, with the checksum field itself left out.</summary>
public static class VhdChecksum
{
    public static uint Compute(ReadOnlySpan<byte> data, int checksumOffset)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (i < checksumOffset || i >= checksumOffset + 4)
            {
                sum = unchecked(sum + data[i]);
            }
        }
        return ~sum;
    }
}
