using NUnit.Framework;

// One browser scenario; it owns its server and browser.
[assembly: Parallelizable(ParallelScope.None)]
