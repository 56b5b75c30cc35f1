namespace BareMetal.ImageStore.Formats;

/// <summary>How bad a finding of <see cref="VirtualDisk.Check"/> is (qemu-img check's classes).</summary>
public enum CheckSeverity
{
    /// <summary>Wastes space but loses nothing (qemu: "leaked clusters").</summary>
    Leak,
    /// <summary>Data may be wrong or lost (qemu: "corruptions").</summary>
    Corruption,
}

/// <summary>One problem found by a check.</summary>
public readonly record struct CheckFinding(CheckSeverity Severity, string Message);

/// <summary>The findings of a structural check of one layer.</summary>
public sealed class CheckReport
{
    private readonly List<CheckFinding> _findings = [];

    public CheckReport(string path, ImageFormat format)
    {
        Path = path;
        Format = format;
    }

    public string Path { get; }
    public ImageFormat Format { get; }
    public IReadOnlyList<CheckFinding> Findings => _findings;
    public int Corruptions => _findings.Count(f => f.Severity == CheckSeverity.Corruption);
    public int Leaks => _findings.Count(f => f.Severity == CheckSeverity.Leak);
    public bool IsClean => _findings.Count == 0;

    /// <summary>Findings kept in detail; beyond this only counted (a broken image can have millions).</summary>
    public const int MaxDetailed = 1000;

    public int Suppressed { get; private set; }

    public void Add(CheckSeverity severity, string message)
    {
        if (_findings.Count >= MaxDetailed)
        {
            Suppressed++;
            return;
        }
        _findings.Add(new CheckFinding(severity, message));
    }
}
