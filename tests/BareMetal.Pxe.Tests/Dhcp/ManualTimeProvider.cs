namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>A clock the test moves by hand: lease expiry is tested without sleeping.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
