namespace BareMetal.MediatorModel.Spec.Diagnostics;

/// <summary>
/// Collects diagnostics up to a hard cap so that a hostile or badly broken file cannot make the
/// compiler print (or allocate) without bound; the cap itself is reported once.
/// </summary>
public sealed class DiagnosticBag
{
    /// <summary>After this many errors the rest are dropped: nobody reads the 101st error.</summary>
    public const int MaxDiagnostics = 100;

    private readonly List<Diagnostic> _items = [];

    public DiagnosticBag(string file) => File = file;

    public string File { get; }

    public IReadOnlyList<Diagnostic> Items => _items;

    public bool HasErrors => _items.Count > 0;

    public bool IsFull => _items.Count >= MaxDiagnostics;

    public void Report(SourceLocation at, string code, string message)
    {
        if (_items.Count < MaxDiagnostics)
        {
            _items.Add(new Diagnostic(File, at, code, message));
        }
        else if (_items.Count == MaxDiagnostics)
        {
            _items.Add(new Diagnostic(File, at, DiagnosticCodes.TooManyErrors, $"too many errors; stopped after {MaxDiagnostics}"));
        }
    }
}
