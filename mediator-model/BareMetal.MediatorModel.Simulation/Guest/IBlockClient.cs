namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>Hears about completed requests; <paramref name="data"/> holds a read's content tags
/// (empty when contents are not tracked).</summary>
internal interface IBlockClient
{
    void OnComplete(in BlockRequest request, ReadOnlySpan<long> data);
}
