namespace BareMetal.ImageStore.Formats;

/// <summary>The on-disk formats we read. Values are persisted in the catalog: never renumber.</summary>
public enum ImageFormat
{
    Raw = 0,
    Qcow2 = 1,
    Vhd = 2,
    Vhdx = 3,
    Vmdk = 4,
    Iso = 5,
}
