namespace BareMetal.MediatorModel.Simulation.Engine;

/// <summary>Unit helpers for nanosecond simulated time.</summary>
internal static class Time
{
    public const long Microsecond = 1_000;
    public const long Millisecond = 1_000_000;
    public const long Second = 1_000_000_000;

    public static long FromSeconds(double s) => checked((long)Math.Round(s * Second));

    public static long FromMicroseconds(double us) => checked((long)Math.Round(us * Microsecond));

    public static double ToSeconds(long ns) => ns / (double)Second;

    /// <summary>Time to move <paramref name="bytes"/> at <paramref name="bytesPerSecond"/>.</summary>
    public static long Transfer(long bytes, double bytesPerSecond) => checked((long)Math.Round(bytes * (Second / bytesPerSecond)));
}
