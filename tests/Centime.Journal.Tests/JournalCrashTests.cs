using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Centime.Journal.Tests;

/// <summary>Kills a real writer process (SIGKILL) at random points and checks what recovery makes of it.</summary>
public sealed class JournalCrashTests(ITestOutputHelper output)
{
    [Fact]
    public void Open_AfterTheWriterProcessIsKilled_KeepsEveryAcknowledgedBlockAndTheExactState()
    {
        const int seed = 61;
        output.WriteLine($"seed {seed}");
        using var dir = new TempDirectory();
        var rng = new Random(seed);
        for (var round = 0; round < 3; round++)
        {
            var stopAfter = rng.Next(15, 60);
            var log = RunAndKill(dir.Path, seed + round, stopAfter);
            var lastCommitted = log.Committed.Count == 0 ? log.Recovered : log.Committed.Max();
            var lastAppended = log.Hashes.Keys.Max();

            using var journal = Journal.Open(dir.Path, JournalTesting.NoSync);

            var context = $"round {round}, seed {seed}: committed {lastCommitted}, appended {lastAppended}, recovered {journal.Height}, {journal.Recovery}";
            output.WriteLine(context);
            Assert.True(journal.Height >= lastCommitted, "an acknowledged block was lost: " + context);
            Assert.True(journal.Height <= lastAppended, context);
            Assert.True(log.Hashes[journal.Height] == journal.State.ComputeStateHash().ToString(), "state differs: " + context);
        }
    }

    private sealed record WriterLog(ulong Recovered, List<ulong> Committed, Dictionary<ulong, string> Hashes);

    private WriterLog RunAndKill(string directory, int seed, int stopAfterCommits)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", typeof(CrashWriter).Assembly.Location, "crash-writer", directory, seed.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var recovered = 0UL;
        var committed = new List<ulong>();
        var hashes = new Dictionary<ulong, string>();
        try
        {
            while (committed.Count < stopAfterCommits && process.StandardOutput.ReadLine() is { } line)
            {
                var parts = line.Split(' ');
                var height = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
                switch (parts[0])
                {
                    case "recovered":
                        recovered = height;
                        hashes[height] = parts[2];
                        break;
                    case "appended":
                        hashes[height] = parts[2];
                        break;
                    case "committed":
                        committed.Add(height);
                        break;
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no finally blocks, no dispose, no flush
        }

        // Lines already in the pipe were written before the kill: they count too.
        foreach (var line in process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            var height = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
            if (parts[0] == "appended")
            {
                hashes[height] = parts[2];
            }
            else if (parts[0] == "committed")
            {
                committed.Add(height);
            }
        }

        process.WaitForExit();
        var errors = process.StandardError.ReadToEnd();
        Assert.True(hashes.Count > 0, "the writer reported nothing: " + errors);
        return new WriterLog(recovered, committed, hashes);
    }
}
