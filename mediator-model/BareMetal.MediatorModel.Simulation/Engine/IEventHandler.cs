namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>A model component that receives its own scheduled events. Events carry a kind and a
/// 64-bit argument instead of a closure so that scheduling never allocates.</summary>
internal interface IEventHandler
{
    void OnEvent(int kind, long arg);
}
