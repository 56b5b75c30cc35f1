namespace BareMetal.MediatorModel.Spec.Binding;

/// <summary>Access kinds, per bit: how a guest write or read changes the stored value.</summary>
public enum Access
{
    /// <summary>Read/write.</summary>
    Rw,
    /// <summary>Read-only: guest writes are ignored.</summary>
    Ro,
    /// <summary>Write-only: reads return 0 (the value is kept for the device).</summary>
    Wo,
    /// <summary>Write 1 to clear (interrupt status).</summary>
    W1c,
    /// <summary>Write 1 to set; writing 0 does nothing (AHCI PxCI, PxSACT).</summary>
    W1s,
    /// <summary>Clear on read; writes ignored.</summary>
    Rc,
}
