namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>Finds the source tree (specs, snapshots, broken cases are read in place, never copied).</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Specs => Path.Combine(Root, "mediator-model", "specs");

    public static string TestDir => Path.Combine(Root, "tests", "BareMetal.MediatorModel.Spec.Tests");

    public static IEnumerable<string> ShippedSpecs => ["ahci", "ide", "nvme"];

    public static string SpecPath(string name) => Path.Combine(Specs, name + ".mspec");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BareMetal.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("BareMetal.sln not found above " + AppContext.BaseDirectory);
    }
}
