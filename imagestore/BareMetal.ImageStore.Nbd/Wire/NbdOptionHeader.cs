namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>An option header: which option, and how many data bytes follow it.</summary>
public readonly record struct NbdOptionHeader(uint Option, uint Length);
