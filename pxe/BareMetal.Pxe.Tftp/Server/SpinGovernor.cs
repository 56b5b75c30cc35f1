namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// Decides, for one transfer, whether its next wait for an ACK polls the socket for a moment before
/// sleeping in recv. A lock-step client on a fast link answers within tens of microseconds, about what it
/// costs to wake a thread that slept (more on a VM whose idle vCPU halted); polling for that long saves the
/// wake-up on every block. A client that did not answer within the spin (a real network, a slow ROM) would
/// only burn CPU, so each spin in vain doubles the number of waits that sleep at once before the next try
/// (1, 2, 4 ... <see cref="MaxBackoff"/>), and an answer caught while spinning resets it.
/// </summary>
internal struct SpinGovernor
{
    /// <summary>At most this many waits in a row sleep without trying a spin: a slow client costs one spin in so many blocks.</summary>
    public const int MaxBackoff = 64;

    private int _backoff;
    private int _skip;

    /// <summary>Whether the coming wait should spin first (each call is one wait).</summary>
    public bool ShouldSpin()
    {
        if (_skip > 0)
        {
            _skip--;
            return false;
        }
        return true;
    }

    /// <summary>Reports how a spin that <see cref="ShouldSpin"/> allowed ended: caught the answer, or ran out.</summary>
    public void OnSpun(bool caught)
    {
        if (caught)
        {
            _backoff = 0;
            return;
        }
        _backoff = _backoff == 0 ? 1 : Math.Min(MaxBackoff, _backoff * 2);
        _skip = _backoff;
    }
}
