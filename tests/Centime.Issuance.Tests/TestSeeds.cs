using System.Globalization;
using Xunit.Abstractions;

namespace Centime.Issuance.Tests;

/// <summary>
/// Seeds for randomised tests: <c>CENTIME_SEED</c> when set (to re-run a failure exactly), otherwise a fresh one.
/// The seed is written to the test output and belongs in every failure message.
/// </summary>
internal static class TestSeeds
{
    public const string Variable = "CENTIME_SEED";

    public static int Next(ITestOutputHelper output, string test)
    {
        var fixedSeed = Environment.GetEnvironmentVariable(Variable);
        var seed = string.IsNullOrEmpty(fixedSeed) ? Random.Shared.Next() : int.Parse(fixedSeed, CultureInfo.InvariantCulture);
        output.WriteLine($"{test}: seed {seed} (re-run with {Variable}={seed})");
        return seed;
    }

    public static string Tag(int seed) => $"[seed {seed}, re-run with {Variable}={seed}]";
}
