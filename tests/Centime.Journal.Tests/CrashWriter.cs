using System.Globalization;

namespace Centime.Journal.Tests;

/// <summary>
/// Entry point of the test assembly when it runs as a program (<c>dotnet exec Centime.Journal.Tests.dll
/// crash-writer &lt;dir&gt; &lt;seed&gt;</c>): the child process that <see cref="JournalCrashTests"/> kills with
/// SIGKILL. It recovers the journal, then appends and commits random blocks forever, writing snapshots on a
/// background thread as the sequencer does, and reports on stdout (one line each, flushed):
/// <c>recovered H hash</c>, <c>appended H hash</c> before each commit, <c>committed H</c> after it.
/// </summary>
public static class CrashWriter
{
    public static int Main(string[] args)
    {
        if (args is not ["crash-writer", var directory, var seedText])
        {
            Console.Error.WriteLine("usage: crash-writer <directory> <seed>");
            return 2;
        }

        var seed = int.Parse(seedText, CultureInfo.InvariantCulture);
        using var journal = Journal.Open(directory, new JournalOptions { SegmentBytes = 48 * 1024, ZeroFillAhead = seed % 2 == 0 });
        var builder = new ChainBuilder(seed, journal.State, journal.LastHash);
        Report($"recovered {journal.Height} {journal.State.ComputeStateHash()}");
        var snapshot = Task.CompletedTask;
        while (true)
        {
            var block = builder.Next();
            journal.Append(block.Encoded, block.Header);
            Report($"appended {block.Header.Height} {builder.State.ComputeStateHash()}");
            journal.Commit();
            Report($"committed {block.Header.Height}");
            if (block.Header.Height % 16 == 0 && snapshot.IsCompleted)
            {
                var (height, hash, bytes) = (journal.Height, journal.LastHash, JournalTesting.SnapshotBytes(builder.State));
                snapshot = Task.Run(() => journal.WriteSnapshot(height, hash, bytes));
            }
        }
    }

    private static void Report(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
