namespace BareMetal.MediatorModel.Spec.Binding;

public enum TriggerKind
{
    Write,
    Read,
    Doorbell,
    Complete,
}
