using System.Globalization;

namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>Range checks that name the key, so a bad scenario says exactly what to fix.</summary>
internal static class Check
{
    public static void Range(string key, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw new ScenarioException(string.Create(CultureInfo.InvariantCulture, $"{key} = {value} is out of range [{min}, {max}]"));
        }
    }

    public static void Range(string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            throw new ScenarioException(string.Create(CultureInfo.InvariantCulture, $"{key} = {value} is out of range [{min}, {max}]"));
        }
    }

    public static void OneOf(string key, string? value, params string[] allowed)
    {
        if (value is null || Array.IndexOf(allowed, value) < 0)
        {
            throw new ScenarioException($"{key} = '{value}' must be one of: {string.Join(", ", allowed)}");
        }
    }
}
