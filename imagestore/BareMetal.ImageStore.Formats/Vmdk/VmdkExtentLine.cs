namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// One extent line of a descriptor: <c>RW|RDONLY|NOACCESS sectors FLAT|SPARSE|ZERO|VMFS "file" [offset]</c>.
/// </summary>
/// <param name="Sectors">Guest sectors this extent covers.</param>
/// <param name="FileName">The extent file, relative to the descriptor's directory (null for ZERO).</param>
/// <param name="Offset">For FLAT/VMFS: the sector in the file where the extent's data starts.</param>
public readonly record struct VmdkExtentLine(VmdkAccess Access, long Sectors, VmdkExtentType Type, string? FileName, long Offset)
{
    public override string ToString()
    {
        var access = Access switch
        {
            VmdkAccess.ReadOnly => "RDONLY",
            VmdkAccess.NoAccess => "NOACCESS",
            _ => "RW",
        };
        var text = $"{access} {Sectors} {Type.ToString().ToUpperInvariant()}";
        if (FileName is not null)
        {
            text += $" \"{FileName}\"";
        }
        return Type is VmdkExtentType.Flat or VmdkExtentType.Vmfs ? $"{text} {Offset}" : text;
    }
}
