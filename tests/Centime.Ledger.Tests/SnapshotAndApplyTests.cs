namespace Centime.Ledger.Tests;

/// <summary>Snapshots, determinism, and how <see cref="LedgerState.ApplyBlock"/> treats misuse.</summary>
public sealed class SnapshotAndApplyTests
{
    private const ulong S = TestLedger.Second;

    private readonly Address _alice = TestLedger.Holder("alice");
    private readonly Address _bob = TestLedger.Holder("bob");

    /// <summary>A small history with every kind of state: coins, frozen accounts, holds in each state, failed ids.</summary>
    private static (TestLedger Ledger, Coin Coin, Transfer OpenHold) Build()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        ledger.CreateCoin("JHKD", "HKD");
        var alice = TestLedger.Holder("alice");
        var bob = TestLedger.Holder("bob");
        var posted = ledger.Hold(coin, alice, bob, 5);
        var voided = ledger.Hold(coin, alice, bob, 5);
        var expiring = ledger.Hold(coin, alice, bob, 5, timeoutSeconds: 1);
        var open = ledger.Hold(coin, alice, bob, 7, timeoutSeconds: 10);
        ledger.Codes(ledger.Mint(coin, alice, 100), posted, voided, expiring, open, ledger.Pay(coin, bob, alice, 1));
        ledger.Codes(ledger.Post(posted.Id, 3), ledger.Void(voided.Id));
        ledger.Codes(TestLedger.Freeze(coin, TestLedger.Holder("frozen")));
        ledger.AdvanceTo(ledger.Now + (2 * S)); // `expiring` expires
        Assert.True(ledger.State.TryGetTransfer(expiring.Id, out var e) && e.Hold == HoldState.Expired);
        return (ledger, coin, open);
    }

    private static LedgerState RoundTrip(LedgerState state)
    {
        using var stream = new MemoryStream();
        state.WriteSnapshot(stream);
        stream.Position = 0;
        return LedgerState.ReadSnapshot(stream);
    }

    [Fact]
    public void Snapshot_RoundTrip_SameStateHashAndContents()
    {
        var (ledger, coin, _) = Build();
        var restored = RoundTrip(ledger.State);
        Assert.Equal(ledger.State.ComputeStateHash(), restored.ComputeStateHash());
        Assert.Equal(ledger.State.Height, restored.Height);
        Assert.Equal(ledger.State.Timestamp, restored.Timestamp);
        Assert.Equal(ledger.State.NextTimestamp, restored.NextTimestamp);
        Assert.Equal(ledger.State.Coins, restored.Coins);
        Assert.Equal(ledger.State.Accounts.ToArray(), restored.Accounts.ToArray());
        Assert.Equal(ledger.State.Transfers.ToArray(), restored.Transfers.ToArray());
        Assert.Equal(ledger.State.FailedIds.OrderBy(kv => kv.Key), restored.FailedIds.OrderBy(kv => kv.Key));
        Assert.True(restored.TryGetCoin("JHKD", out var hkd) && hkd.Number == 2);
        Assert.True(restored.TryGetAccount(coin.Number, TestLedger.Holder("frozen"), out var f) && f.IsFrozen);
    }

    [Fact]
    public void Snapshot_ContinuingBothWithTheSameBlocks_KeepsHashesEqual()
    {
        var (ledger, coin, open) = Build();
        var restored = new TestLedger(RoundTrip(ledger.State));
        var t = ledger.Now;
        var blocks = new List<(ulong Time, Command[] Commands)>
        {
            (t, [Command.Of(ledger.Pay(coin, _alice, _bob, 10)), Command.Of(ledger.Hold(coin, _alice, _bob, 3, timeoutSeconds: 1))]),
            (t + 5, [Command.Of(ledger.Pay(coin, _alice, _bob, 1000))]), // fails, recorded
            (t + (11 * S), []), // the open hold and the new one expire in both
            (t + (12 * S), [Command.Of(ledger.Post(open.Id)), Command.Of(ledger.Mint(coin, _bob, 1))]),
        };
        foreach (var (time, commands) in blocks)
        {
            var a = ledger.ApplyAt(time, commands);
            var b = restored.ApplyAt(time, commands);
            Assert.Equal(a, b);
            Assert.Equal(ledger.State.ComputeStateHash(), restored.State.ComputeStateHash());
        }

        Assert.True(restored.State.TryGetTransfer(open.Id, out var h) && h.Hold == HoldState.Expired);
        Assert.Equal(0u, (ulong)restored.Account(coin, _alice).DebitsPending);
    }

    [Fact]
    public void Snapshot_SameHistory_SameBytes()
    {
        var a = Build().Ledger.State;
        var b = Build().Ledger.State;
        using var sa = new MemoryStream();
        using var sb = new MemoryStream();
        a.WriteSnapshot(sa);
        b.WriteSnapshot(sb);
        Assert.Equal(sa.ToArray(), sb.ToArray());
        Assert.Equal(a.ComputeStateHash(), b.ComputeStateHash());
        Assert.Equal(Hash32.Sha256(sa.ToArray()), a.ComputeStateHash());
    }

    [Fact]
    public void StateHash_DiffersWhenAnythingDiffers()
    {
        var (ledger, coin, _) = Build();
        var before = ledger.State.ComputeStateHash();
        ledger.Submit(ledger.Pay(coin, _bob, _alice, 1000)); // only a failed id is added
        Assert.NotEqual(before, ledger.State.ComputeStateHash());
    }

    [Fact]
    public void Snapshot_BadMagicOrTruncated_Throws()
    {
        var (ledger, _, _) = Build();
        using var stream = new MemoryStream();
        ledger.State.WriteSnapshot(stream);
        var bytes = stream.ToArray();

        var bad = (byte[])bytes.Clone();
        bad[0] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => LedgerState.ReadSnapshot(new MemoryStream(bad)));

        var trailer = (byte[])bytes.Clone();
        trailer[^1] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => LedgerState.ReadSnapshot(new MemoryStream(trailer)));

        // A snapshot cut anywhere does not load.
        for (var cut = 0; cut < bytes.Length; cut += 37)
        {
            Assert.ThrowsAny<Exception>(() => LedgerState.ReadSnapshot(new MemoryStream(bytes, 0, cut)));
        }
    }

    [Fact]
    public void ApplyBlock_WrongHeight_Throws()
    {
        var state = new LedgerState();
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(2, 10, [], []));
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(0, 10, [], []));
        state.ApplyBlock(1, 10, [], []);
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(1, 20, [], []));
    }

    [Fact]
    public void ApplyBlock_TimeBeforeNextTimestamp_Throws()
    {
        var state = new LedgerState();
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(1, 0, [], []));
        var results = new CommandResult[3];
        state.ApplyBlock(1, 100, [Command.Of(default(Transfer)), Command.Of(default(Transfer)), Command.Of(default(Transfer))], results);
        Assert.Equal([100UL, 101UL, 102UL], results.Select(r => r.Timestamp));
        Assert.Equal(103UL, state.NextTimestamp);
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(2, 102, [], []));
        state.ApplyBlock(2, 103, [], []);
        Assert.Equal(104UL, state.NextTimestamp); // an empty block still moves time by 1 ns
        Assert.Equal(103UL, state.Timestamp);
        Assert.Equal(2UL, state.Height);
    }

    [Fact]
    public void ApplyBlock_BatchTooLargeOrResultsTooSmall_Throws()
    {
        var state = new LedgerState();
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(1, 10, new Command[LedgerState.MaxBatchSize + 1], new CommandResult[LedgerState.MaxBatchSize + 1]));
        Assert.Throws<ArgumentException>(() => state.ApplyBlock(1, 10, new Command[2], new CommandResult[1]));
        Assert.Equal(0UL, state.Height);
    }

    /// <summary>
    /// Regression: a block whose event times would pass 2^64 − 1 ns used to apply its first commands and then
    /// throw from a checked addition, leaving the state half changed. It is now refused before anything changes.
    /// </summary>
    [Fact]
    public void ApplyBlock_EventTimesWouldOverflow_ThrowsBeforeChangingAnything()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        var hash = ledger.State.ComputeStateHash();
        Command[] commands = [Command.Of(ledger.Mint(coin, _alice, 1)), Command.Of(ledger.Mint(coin, _alice, 1)), Command.Of(ledger.Mint(coin, _alice, 1))];
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.State.ApplyBlock(2, ulong.MaxValue - 2, commands, new CommandResult[3]));
        Assert.Equal(hash, ledger.State.ComputeStateHash());
        Assert.Equal(1UL, ledger.State.Height);

        // The last block that fits: its last event runs at 2^64 − 2 and the next block could start at 2^64 − 1.
        var results = new CommandResult[3];
        ledger.State.ApplyBlock(2, ulong.MaxValue - 4, commands, results);
        Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code));
        Assert.Equal(ulong.MaxValue - 1, ledger.State.NextTimestamp);
    }

    /// <summary>Regression: every plain transfer (no hold flag) threw OverflowException from the flags check in a checked build.</summary>
    [Fact]
    public void Transfer_WithoutPhaseFlags_IsApplied()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Mint(coin, _alice, 1)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(coin, _alice, _bob, 1)));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], ledger.Codes(ledger.Pay(coin, _bob, _alice, 1, TransferFlags.Linked), ledger.Mint(coin, _bob, 1)));
    }

    [Fact]
    public void Supply_GoesNegative_MinusItsBalanceIsTheCirculatingSupply()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        ledger.Codes(ledger.Mint(coin, _alice, 70), ledger.Mint(coin, _bob, 30), ledger.Pay(coin, _bob, coin.SupplyAccount, 10));
        Assert.Equal(-90, ledger.Balance(coin, coin.SupplyAccount));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(coin, _alice, coin.SupplyAccount, 70))); // burn
        Assert.Equal(-20, ledger.Balance(coin, coin.SupplyAccount));
        Assert.Equal(3, ledger.State.AccountCount); // supply, alice, bob
    }
}
