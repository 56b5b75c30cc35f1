using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>Reads scenario YAML (camelCase keys, unknown keys refused so a typo cannot silently
/// fall back to a default) and the built-in scenarios embedded in this assembly.</summary>
public static class ScenarioLoader
{
    /// <summary>Largest scenario text accepted: real ones are a few KB.</summary>
    public const int MaxYamlChars = 1 << 20;

    private const string ResourcePrefix = "BareMetal.MediatorModel.Simulation.Scenarios.BuiltIn.";

    public static Scenario Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > MaxYamlChars)
        {
            throw new ScenarioException($"scenario is {yaml.Length} characters; the limit is {MaxYamlChars}");
        }

        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .Build();
        Scenario? scenario;
        try
        {
            scenario = deserializer.Deserialize<Scenario?>(yaml);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException is null ? "" : $": {e.InnerException.Message}";
            throw new ScenarioException($"scenario YAML line {e.Start.Line}, column {e.Start.Column}: {e.Message}{inner}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new ScenarioException($"scenario YAML: {e.Message}", e);
        }

        if (scenario is null)
        {
            throw new ScenarioException("scenario is empty");
        }

        scenario.Validate();
        return scenario;
    }

    public static Scenario LoadFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ScenarioException($"no such scenario file: {path}");
        }

        if (info.Length > MaxYamlChars)
        {
            throw new ScenarioException($"{path} is {info.Length} bytes; the limit is {MaxYamlChars}");
        }

        return Parse(File.ReadAllText(path));
    }

    /// <summary>Names of the embedded scenarios, sorted.</summary>
    public static IReadOnlyList<string> BuiltInNames() =>
        [.. typeof(ScenarioLoader).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^".yaml".Length])
            .Order(StringComparer.Ordinal)];

    public static string BuiltInText(string name)
    {
        using var stream = typeof(ScenarioLoader).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".yaml")
            ?? throw new ScenarioException($"no built-in scenario '{name}' (built in: {string.Join(", ", BuiltInNames())})");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Scenario BuiltIn(string name) => Parse(BuiltInText(name));

    /// <summary>A path to a YAML file, or else the name of a built-in scenario.</summary>
    public static Scenario Resolve(string nameOrPath) =>
        File.Exists(nameOrPath) || nameOrPath.EndsWith(".yaml", StringComparison.Ordinal) || nameOrPath.EndsWith(".yml", StringComparison.Ordinal)
            ? LoadFile(nameOrPath)
            : BuiltIn(nameOrPath);
}
