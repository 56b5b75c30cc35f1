using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/BareMetal.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
