using System.Diagnostics;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Xunit.Abstractions;

namespace Centime.Node.Tests;

/// <summary>
/// Issue 12 item 9: the snapshot cadence must survive restarts. A node that crashes before it reaches the
/// cadence in one process must still snapshot, or every recovery replays more than the last.
/// <para>A crash here is an image of the data directory taken while the sequencer is under load: every write
/// the process had made by that moment and nothing after (what SIGKILL leaves; the page cache survives a
/// process crash, so fsync is off). The next cycle recovers from that image, never from the live directory,
/// which is shut down and thrown away. So no shutdown snapshot, no flush and no in-flight snapshot write
/// that the image did not catch ever helps recovery. The crash moment is random (seeded).</para>
/// </summary>
public sealed class SnapshotCadenceTests(ITestOutputHelper output)
{
    private const long EveryCommands = 1_500;
    private const long EveryBlocks = 150;

    private static readonly Journal.JournalOptions NoFsync = new() { Fsync = false };

    [Fact]
    public async Task FiftyCrashesUnderLoad_ReplayAfterTheNewestSnapshotStaysWithinTheCadence()
    {
        const int cycles = 50;
        var seed = Environment.GetEnvironmentVariable("CENTIME_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (rerun with CENTIME_SEED={seed})");
        var random = new Random(seed);
        var root = Path.Combine(Path.GetTempPath(), "centime-cadence-" + Guid.NewGuid().ToString("N"));
        var current = Path.Combine(root, "cycle-0");
        long nextId = 1;
        long journaled = 0;
        var ackedHeightAtCrash = 0UL;
        var worstCommands = 0L;
        var worstBlocks = 0UL;
        var clock = Stopwatch.StartNew();
        try
        {
            for (var cycle = 0; cycle <= cycles; cycle++)
            {
                using var journal = Journal.Journal.Open(current, NoFsync);
                var recovery = journal.Recovery;
                var replayedCommands = 0L;
                for (var h = recovery.SnapshotHeight + 1; h <= journal.Height; h++)
                {
                    replayedCommands += journal.ReadHeader(h).CommandCount;
                }

                output.WriteLine($"cycle {cycle,2}: recovered height {journal.Height,5} in {recovery.Elapsed.TotalMilliseconds,6:F1} ms: "
                    + $"snapshot at {recovery.SnapshotHeight,5}, replayed {recovery.BlocksReplayed,3} blocks / {replayedCommands,4} commands, cut {recovery.TruncatedBytes} bytes");
                var context = $"cycle {cycle} (seed {seed})";
                Assert.True(journal.Height >= ackedHeightAtCrash, $"{context}: an acknowledged block was lost (acked {ackedHeightAtCrash}, recovered {journal.Height})");

                // The bound: a snapshot is due at the cadence and is written in the background, so a crash can
                // come before it lands; the next start then snapshots at once. One cycle's load (at most half a
                // cadence, below) on top of a full cadence is the most a recovery may replay.
                Assert.True(replayedCommands <= 2 * EveryCommands, $"{context}: replayed {replayedCommands} commands, cadence {EveryCommands}");
                Assert.True(recovery.BlocksReplayed <= 2 * EveryBlocks, $"{context}: replayed {recovery.BlocksReplayed} blocks, cadence {EveryBlocks}");
                worstCommands = Math.Max(worstCommands, replayedCommands);
                worstBlocks = Math.Max(worstBlocks, recovery.BlocksReplayed);
                if (cycle == cycles)
                {
                    var kept = Directory.GetFiles(current, "snapshot-*.snap");
                    // Old snapshots are pruned to the newest two once a new one is written; the copy is taken mid-load,
                    // so it can catch the moment between writing the newest snapshot and pruning the oldest: three.
                    Assert.InRange(kept.Length, 1, 3);
                    for (var h = 1UL; h <= journal.Height; h++)
                    {
                        journaled += journal.ReadHeader(h).CommandCount;
                    }

                    break;
                }

                using var sequencer = new Sequencer(journal, new SequencerOptions
                { SnapshotEveryCommands = EveryCommands, SnapshotEveryBlocks = EveryBlocks, SnapshotOnShutdown = false });
                if (cycle == 0)
                {
                    await sequencer.SubmitAsync([Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))]);
                }

                // Load: four writers, requests of 1..30 mints; the crash comes after a random number of
                // acknowledged requests, with the writers still going. At most 24 requests of 30: under half a cadence.
                var crashAfter = random.Next(4, 20);
                var acked = 0;
                var ackedHeight = 0UL;
                var crashed = new TaskCompletionSource();
                var next = Path.Combine(root, $"cycle-{cycle + 1}");
                var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
                {
                    var local = new Random(seed ^ (cycle * 397) ^ w);
                    while (!crashed.Task.IsCompleted)
                    {
                        var commands = new Command[local.Next(1, 31)];
                        for (var i = 0; i < commands.Length; i++)
                        {
                            var id = (UInt128)(ulong)Interlocked.Increment(ref nextId);
                            commands[i] = Command.Of(new Transfer
                            {
                                Id = id,
                                DebitAccount = Coin.SupplyAccountOf("NUSD"),
                                CreditAccount = Address.Derive("cadence-" + (id % 97)),
                                Amount = 1 + (ulong)local.Next(1000),
                                Coin = 1,
                                Code = 1,
                            });
                        }

                        Receipt receipt;
                        try
                        {
                            receipt = await sequencer.SubmitAsync(commands);
                        }
                        catch (ObjectDisposedException)
                        {
                            return;
                        }

                        lock (crashed)
                        {
                            if (crashed.Task.IsCompleted)
                            {
                                return; // acknowledged after the crash image: the image owes it nothing
                            }

                            ackedHeight = Math.Max(ackedHeight, receipt.Height);
                            if (++acked == crashAfter)
                            {
                                // The crash: taken inside the lock, so every ack counted above came before it.
                                try
                                {
                                    CrashImage.Copy(current, next);
                                    ackedHeightAtCrash = ackedHeight;
                                    crashed.SetResult();
                                }
                                catch (Exception ex)
                                {
                                    crashed.SetException(ex); // every writer stops; the test fails below
                                    throw;
                                }
                            }
                        }
                    }
                })).ToArray();
                await Task.WhenAll(writers);
                await crashed.Task;
                sequencer.Dispose();
                journal.Dispose();
                Directory.Delete(current, recursive: true);
                current = next;
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        output.WriteLine($"{cycles} crash cycles, {journaled} commands journaled, in {clock.Elapsed.TotalSeconds:F1} s; worst replay "
            + $"{worstBlocks} blocks / {worstCommands} commands (cadence {EveryBlocks} blocks / {EveryCommands} commands)");

        // The bound above means something only if the journal grew well past it: without the durable cadence
        // (a per-process counter) no cycle reaches it, and the last recovery replays every command.
        Assert.True(journaled > 4 * EveryCommands, $"the load was too light to test the cadence: {journaled} commands (seed {seed})");
    }
}

/// <summary>What a process crash leaves of a journal directory at one moment, copied elsewhere.</summary>
internal static class CrashImage
{
    /// <summary>
    /// Copies snapshots first, then segments. A snapshot is written only after its block is durable and
    /// segments only grow, so the copy never holds a snapshot of a block its segments lack. A segment copied
    /// mid-write ends in a torn record, as after a crash. If a snapshot vanished between listing and copying
    /// (pruned, or renamed over), the listing is redone, so the copy is of one moment. A snapshot still being
    /// written (<c>.snap.tmp</c>, locked by its writer) is left out: recovery deletes such a file unread, so
    /// a crash image with or without it recovers the same.
    /// </summary>
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        for (var attempt = 0; ; attempt++)
        {
            foreach (var stale in Directory.GetFiles(to, "snapshot-*"))
            {
                File.Delete(stale);
            }

            try
            {
                foreach (var file in Directory.GetFiles(from, "snapshot-*.snap"))
                {
                    File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
                }

                break;
            }
            catch (FileNotFoundException) when (attempt < 20)
            {
            }
        }

        foreach (var file in Directory.GetFiles(from, "journal-*.seg"))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
