namespace BareMetal.MediatorModel.Spec.Binding;

public enum DoorbellMode
{
    Bits,
    Ring,
    Write,
}
