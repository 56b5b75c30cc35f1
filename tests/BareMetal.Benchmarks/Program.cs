using BareMetal.Benchmarks;
using BenchmarkDotNet.Running;

// A foreground server for the side-by-side scripts in bench/ (not a BenchmarkDotNet run).
if (args is ["tftp-serve", ..])
{
    return await TftpServeHost.RunAsync(args);
}

// dotnet run -c Release --project tests/BareMetal.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
