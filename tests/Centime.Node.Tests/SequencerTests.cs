using System.Collections.Concurrent;
using Centime.Ledger;
using Centime.Node.Sequencing;

namespace Centime.Node.Tests;

/// <summary>
/// The pipelined sequencer: apply overlaps the previous block's fsync, so the state runs ahead of the journal.
/// These tests hold a block's fsync open (<see cref="Sequencer.BeforeFsync"/>) and check that neither a reader
/// nor a submitter learns anything of that block until it is durable, and that a failed fsync faults the node.
/// </summary>
public sealed class SequencerTests : IDisposable
{
    private static readonly Address Holder = Address.Derive("sequencer-test-holder");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "centime-seq-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Command Mint(UInt128 id, UInt128 amount) =>
        Command.Of(new Transfer { Id = id, DebitAccount = Coin.SupplyAccountOf("NUSD"), CreditAccount = Holder, Amount = amount, Coin = 1, Code = 1 });

    private static async Task<Sequencer> StartWithCoinAsync(Journal.Journal journal)
    {
        var sequencer = new Sequencer(journal, new SequencerOptions { SnapshotEveryCommands = 0, SnapshotOnShutdown = false });
        await sequencer.SubmitAsync([Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))]);
        return sequencer;
    }

    private static Int128 Balance(LedgerState state) => state.TryGetAccount(1, Holder, out var a) ? a.Available : 0;

    [Fact]
    public async Task Committed_OneProjectionThrows_OthersStillRunAndTheFailureIsLoggedWithTheHeight()
    {
        var lines = new ConcurrentQueue<string>();
        using var journal = Journal.Journal.Open(_dir);
        using var sequencer = new Sequencer(journal, new SequencerOptions { SnapshotEveryCommands = 0, SnapshotOnShutdown = false },
            new CapturingLoggerProvider.Logger(lines));
        var before = new ConcurrentQueue<ulong>();
        var after = new ConcurrentQueue<ulong>();
        sequencer.Committed += block => before.Enqueue(block.Header.Height);
        sequencer.Committed += block => throw new InvalidOperationException("projection broke on " + block.Header.Height);
        sequencer.Committed += block => after.Enqueue(block.Header.Height);

        await sequencer.SubmitAsync([Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))]);
        var receipt = await sequencer.SubmitAsync([Mint(1, 500)]);

        Assert.Equal([1UL, 2UL], before.ToArray());
        Assert.Equal([1UL, 2UL], after.ToArray()); // the projection after the broken one saw every block
        Assert.Equal(ResultCode.Ok, receipt.Results[0].Code);
        Assert.Contains(lines, l => l.Contains("failed on block 2", StringComparison.Ordinal) && l.Contains("Projection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadLock_BlockAppliedButNotDurable_ReadAndSubmitterWaitForFsync()
    {
        using var journal = Journal.Journal.Open(_dir);
        using var sequencer = await StartWithCoinAsync(journal);
        using var inFsync = new ManualResetEventSlim();
        using var releaseFsync = new ManualResetEventSlim();
        sequencer.BeforeFsync = height =>
        {
            if (height == 2)
            {
                inFsync.Set();
                releaseFsync.Wait(TimeSpan.FromSeconds(30));
            }
        };

        var submit = sequencer.SubmitAsync([Mint(1, 500)]);
        Assert.True(inFsync.Wait(TimeSpan.FromSeconds(30)), "block 2 never reached its fsync");

        // Block 2 is applied (the state is at height 2) but its fsync is held open.
        using (var peek = sequencer.ReadLockDeferred())
        {
            Assert.Equal(2UL, peek.Height);
        }

        Assert.Equal(1UL, sequencer.DurableHeight);
        var read = Task.Run(() =>
        {
            Int128 seen;
            using (sequencer.ReadLock())
            {
                seen = Balance(sequencer.State);
            }

            return seen; // only reached once the section's Dispose has waited for durability
        });
        var deferredRead = Task.Run(async () =>
        {
            ulong height;
            using (var section = sequencer.ReadLockDeferred())
            {
                height = section.Height;
            }

            await sequencer.WaitDurableAsync(height);
            return height;
        });

        await Task.Delay(300); // give a wrong implementation every chance to answer early
        Assert.False(read.IsCompleted, "a read returned state of a block that is not durable");
        Assert.False(deferredRead.IsCompleted, "WaitDurableAsync completed before the block was durable");
        Assert.False(submit.IsCompleted, "a submitter was completed before its block's fsync");

        releaseFsync.Set();
        Assert.Equal(500, await read.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2UL, await deferredRead.WaitAsync(TimeSpan.FromSeconds(30)));
        var receipt = await submit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2UL, receipt.Height);
        Assert.True(sequencer.DurableHeight >= 2);
    }

    [Fact]
    public async Task SubmitAsync_Concurrent_ReceiptsAndProjectionsOnlyForDurableBlocksInOrder()
    {
        var dir = _dir;
        Hash32 liveHash;
        var heights = new ConcurrentQueue<(ulong Height, ulong DurableAtCallback)>();
        var receiptsEarly = 0;
        using (var journal = Journal.Journal.Open(dir))
        {
            using var sequencer = await StartWithCoinAsync(journal);
            sequencer.Committed += b => heights.Enqueue((b.Header.Height, sequencer.DurableHeight));
            var tasks = Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
            {
                for (var i = 0; i < 40; i++)
                {
                    var receipt = await sequencer.SubmitAsync([Mint((UInt128)(c * 1000) + (UInt128)i + 1, 1), Mint((UInt128)(c * 1000) + (UInt128)i + 500, 1)]);
                    Assert.All(receipt.Results, r => Assert.Equal(ResultCode.Ok, r.Code));
                    if (sequencer.DurableHeight < receipt.Height)
                    {
                        Interlocked.Increment(ref receiptsEarly);
                    }
                }
            })).ToArray();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
            using (sequencer.ReadLock())
            {
                Assert.Equal(64 * 40 * 2, Balance(sequencer.State));
                liveHash = sequencer.State.ComputeStateHash();
            }

            Assert.Equal(journal.Height, sequencer.DurableHeight);
        }

        Assert.Equal(0, receiptsEarly);
        var seen = heights.ToArray();
        for (var i = 1; i < seen.Length; i++)
        {
            Assert.Equal(seen[i - 1].Height + 1, seen[i].Height);
        }

        Assert.All(seen, h => Assert.True(h.DurableAtCallback >= h.Height, $"Committed raised for block {h.Height} at durable height {h.DurableAtCallback}"));

        // Replay of what the pipeline journaled reproduces the live state.
        using var reopened = Journal.Journal.Open(dir);
        Assert.Equal(liveHash, reopened.State.ComputeStateHash());
    }

    [Fact]
    public async Task BeforeFsync_Throws_SequencerFaultsAndNothingOfTheBlockIsShownOrKept()
    {
        var journal = Journal.Journal.Open(_dir);
        var sequencer = await StartWithCoinAsync(journal);
        using var inFsync = new ManualResetEventSlim();
        using var failFsync = new ManualResetEventSlim();
        sequencer.BeforeFsync = height =>
        {
            if (height >= 2)
            {
                inFsync.Set();
                failFsync.Wait(TimeSpan.FromSeconds(30));
                throw new IOException("simulated fdatasync failure");
            }
        };

        var submit = sequencer.SubmitAsync([Mint(1, 700)]);
        Assert.True(inFsync.Wait(TimeSpan.FromSeconds(30)));
        var read = Task.Run(() =>
        {
            using (sequencer.ReadLock())
            {
                return Balance(sequencer.State);
            }
        });
        failFsync.Set();

        await Assert.ThrowsAsync<SequencerFaultedException>(() => submit.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<SequencerFaultedException>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));
        await sequencer.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(sequencer.Fault);
        await Assert.ThrowsAsync<SequencerFaultedException>(() => sequencer.SubmitAsync([Mint(2, 1)]));
        sequencer.Dispose();
        journal.Dispose();

        // Recovery keeps only the durable block (the coin); the unacknowledged mint is gone.
        using var reopened = Journal.Journal.Open(_dir);
        Assert.Equal(1UL, reopened.Height);
        Assert.Equal(0, Balance(reopened.State));
    }
}
