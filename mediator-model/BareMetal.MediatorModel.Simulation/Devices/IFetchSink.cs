namespace BareMetal.MediatorModel.Simulation.Devices;

/// <summary>Receives image-server replies; <paramref name="tag"/> is the requester's own.</summary>
internal interface IFetchSink
{
    void OnFetched(long tag);
}
