namespace Centime.Ledger.Tests;

/// <summary>Two-phase transfers: holds reserve funds, are posted (fully or partly) or voided once, and expire on ledger time.</summary>
public sealed class HoldTests
{
    private const ulong S = TestLedger.Second;

    private readonly TestLedger _ledger = new();
    private readonly Coin _coin;
    private readonly Address _alice = TestLedger.Holder("alice");
    private readonly Address _bob = TestLedger.Holder("bob");

    public HoldTests()
    {
        _coin = _ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Mint(_coin, _alice, 100)));
    }

    [Fact]
    public void Hold_ReservesFunds_SameFundsCannotBackASecondHoldOrATransfer()
    {
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Hold(_coin, _alice, _bob, 70)));
        Assert.Equal(100, _ledger.Balance(_coin, _alice));
        Assert.Equal(30, _ledger.Available(_coin, _alice));
        Assert.Equal(70u, (ulong)_ledger.Account(_coin, _bob).CreditsPending);
        Assert.Equal(0, _ledger.Balance(_coin, _bob)); // held credits are not spendable

        Assert.Equal(ResultCode.ExceedsBalance, _ledger.Submit(_ledger.Hold(_coin, _alice, _bob, 31)));
        Assert.Equal(ResultCode.ExceedsBalance, _ledger.Submit(_ledger.Pay(_coin, _alice, _bob, 31)));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Hold(_coin, _alice, _bob, 30)));
        Assert.Equal(ResultCode.ExceedsBalance, _ledger.Submit(_ledger.Pay(_coin, _alice, _bob, 1)));
        Assert.Equal(0, _ledger.Available(_coin, _alice));
        // Bob cannot spend what is only held for him.
        Assert.Equal(ResultCode.ExceedsBalance, _ledger.Submit(_ledger.Pay(_coin, _bob, _alice, 1)));
    }

    [Fact]
    public void Hold_TwoHoldsInOneBlock_CannotBothTakeTheSameFunds()
    {
        var codes = _ledger.Codes(_ledger.Hold(_coin, _alice, _bob, 60), _ledger.Hold(_coin, _alice, _bob, 60));
        Assert.Equal([ResultCode.Ok, ResultCode.ExceedsBalance], codes);
    }

    [Fact]
    public void Post_Full_MovesTheHeldAmount()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 70);
        _ledger.Submit(hold);
        var post = _ledger.Post(hold.Id);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(post));
        Assert.Equal(30, _ledger.Balance(_coin, _alice));
        Assert.Equal(70, _ledger.Balance(_coin, _bob));
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _alice).DebitsPending);
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _bob).CreditsPending);
        Assert.True(_ledger.State.TryGetTransfer(hold.Id, out var h) && h.Hold == HoldState.Posted);
        Assert.True(_ledger.State.TryGetTransfer(post.Id, out var p));
        // The post is stored with the fields it inherited from the hold.
        Assert.Equal((UInt128)70, p.Transfer.Amount);
        Assert.Equal(_alice, p.Transfer.DebitAccount);
        Assert.Equal(_bob, p.Transfer.CreditAccount);
        Assert.Equal(_coin.Number, p.Transfer.Coin);
    }

    [Fact]
    public void Post_Partial_MovesPartAndReleasesTheRest()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 70);
        _ledger.Submit(hold);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Post(hold.Id, 25)));
        Assert.Equal(75, _ledger.Balance(_coin, _alice));
        Assert.Equal(75, _ledger.Available(_coin, _alice));
        Assert.Equal(25, _ledger.Balance(_coin, _bob));
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _bob).CreditsPending);
        // Only once: the rest was released, not left held.
        Assert.Equal(ResultCode.PendingTransferAlreadyPosted, _ledger.Submit(_ledger.Post(hold.Id, 45)));
    }

    [Fact]
    public void Post_MoreThanHeld_ExceedsPendingTransferAmount()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 70);
        _ledger.Submit(hold);
        Assert.Equal(ResultCode.ExceedsPendingTransferAmount, _ledger.Submit(_ledger.Post(hold.Id, 71)));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Post(hold.Id, 70)));
    }

    [Fact]
    public void Hold_CannotBePostedTwice_OrAfterVoid_OrVoidedAfterPost()
    {
        var h1 = _ledger.Hold(_coin, _alice, _bob, 10);
        var h2 = _ledger.Hold(_coin, _alice, _bob, 10);
        _ledger.Codes(h1, h2);

        Assert.Equal([ResultCode.Ok, ResultCode.PendingTransferAlreadyPosted], _ledger.Codes(_ledger.Post(h1.Id), _ledger.Post(h1.Id)));
        Assert.Equal(ResultCode.PendingTransferAlreadyPosted, _ledger.Submit(_ledger.Void(h1.Id)));
        Assert.Equal([ResultCode.Ok, ResultCode.PendingTransferAlreadyVoided], _ledger.Codes(_ledger.Void(h2.Id), _ledger.Post(h2.Id)));
        Assert.Equal(ResultCode.PendingTransferAlreadyVoided, _ledger.Submit(_ledger.Void(h2.Id)));

        Assert.Equal(90, _ledger.Balance(_coin, _alice));
        Assert.Equal(90, _ledger.Available(_coin, _alice));
        Assert.Equal(10, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Void_ReleasesTheHold_AndMustNameTheFullAmount()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 70);
        _ledger.Submit(hold);
        Assert.Equal(ResultCode.PendingTransferHasDifferentAmount, _ledger.Submit(_ledger.Void(hold.Id) with { Amount = 69 }));
        Assert.Equal(ResultCode.PendingTransferHasDifferentAmount, _ledger.Submit(_ledger.Void(hold.Id) with { Amount = 71 }));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Void(hold.Id) with { Amount = 70 }));
        Assert.Equal(100, _ledger.Available(_coin, _alice));
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _bob).CreditsPending);
    }

    [Fact]
    public void PostOrVoid_FieldsThatContradictTheHold_AreRejected()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 70);
        _ledger.Submit(hold);
        var post = _ledger.Post(hold.Id);
        Assert.Equal(ResultCode.PendingTransferHasDifferentDebitAccount, _ledger.Submit(post with { Id = _ledger.NewId(), DebitAccount = _bob }));
        Assert.Equal(ResultCode.PendingTransferHasDifferentCreditAccount, _ledger.Submit(post with { Id = _ledger.NewId(), CreditAccount = _alice }));
        Assert.Equal(ResultCode.PendingTransferHasDifferentCoin, _ledger.Submit(post with { Id = _ledger.NewId(), Coin = 2 }));
        Assert.Equal(ResultCode.TimeoutReservedForPendingTransfer, _ledger.Submit(post with { Id = _ledger.NewId(), Timeout = 1 }));
        Assert.Equal(ResultCode.PendingIdMustNotBeZero, _ledger.Submit(post with { Id = _ledger.NewId(), PendingId = 0 }));
        var self = _ledger.NewId();
        Assert.Equal(ResultCode.PendingIdMustBeDifferent, _ledger.Submit(post with { Id = self, PendingId = self }));
        Assert.Equal(ResultCode.PendingTransferNotFound, _ledger.Submit(post with { Id = _ledger.NewId(), PendingId = 999_999 }));
        // Naming the hold's own fields is the same as inheriting them.
        Assert.Equal(ResultCode.Ok, _ledger.Submit(post with { DebitAccount = _alice, CreditAccount = _bob, Coin = _coin.Number, Amount = 70 }));
    }

    [Fact]
    public void PostOrVoid_OfATransferThatIsNotAHold_PendingTransferNotPending()
    {
        var pay = _ledger.Pay(_coin, _alice, _bob, 1);
        _ledger.Submit(pay);
        Assert.Equal(ResultCode.PendingTransferNotPending, _ledger.Submit(_ledger.Post(pay.Id)));
        Assert.Equal(ResultCode.PendingTransferNotPending, _ledger.Submit(_ledger.Void(pay.Id)));
    }

    [Fact]
    public void Post_FrozenAccount_IsRejected_ButVoidReleases()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 70);
        _ledger.Submit(hold);
        Assert.Equal(ResultCode.Ok, _ledger.Codes(TestLedger.Freeze(_coin, _bob))[0]);
        Assert.Equal(ResultCode.AccountFrozen, _ledger.Submit(_ledger.Post(hold.Id)));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Void(hold.Id)));
        Assert.Equal(100, _ledger.Available(_coin, _alice));
    }

    /// <summary>
    /// Expiry is exact: a hold made at ledger time T with timeout s expires at E = T + s·10⁹ ns. A post at event
    /// time E − 1 succeeds; at E it fails. The funds stay reserved until a block whose timestamp is ≥ E starts.
    /// </summary>
    [Fact]
    public void Hold_ExpiresExactlyAtItsTimeout()
    {
        var t0 = _ledger.Now;
        var early = _ledger.Hold(_coin, _alice, _bob, 10, timeoutSeconds: 5);
        var late = _ledger.Hold(_coin, _alice, _bob, 20, timeoutSeconds: 5);
        var results = _ledger.ApplyAt(t0, Command.Of(early), Command.Of(late));
        Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code));
        var earlyExpiry = t0 + (5 * S);
        var lateExpiry = t0 + 1 + (5 * S);
        Assert.True(_ledger.State.TryGetTransfer(early.Id, out var stored) && stored.ExpiresAt == earlyExpiry);
        Assert.Equal(earlyExpiry, _ledger.State.EarliestExpiry);

        // Block at E − 2: command 1 runs at E − 1, still in time.
        var filler = _ledger.Pay(_coin, _alice, _bob, 1);
        var r1 = _ledger.ApplyAt(earlyExpiry - 2, Command.Of(filler), Command.Of(_ledger.Post(early.Id)));
        Assert.Equal(earlyExpiry - 1, r1[1].Timestamp);
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], r1.Select(r => r.Code));

        // Block at E_late − 1: command 1 runs exactly at the expiry: too late.
        var r2 = _ledger.ApplyAt(lateExpiry - 1, Command.Of(_ledger.Pay(_coin, _alice, _bob, 1)), Command.Of(_ledger.Post(late.Id)));
        Assert.Equal(lateExpiry, r2[1].Timestamp);
        Assert.Equal([ResultCode.Ok, ResultCode.PendingTransferExpired], r2.Select(r => r.Code));
        // The block started before the expiry, so the funds are still reserved...
        Assert.Equal(20u, (ulong)_ledger.Account(_coin, _alice).DebitsPending);
        Assert.True(_ledger.State.TryGetTransfer(late.Id, out var lateHold) && lateHold.Hold == HoldState.Pending);

        // ...until the first block whose timestamp is at or after the expiry.
        _ledger.ApplyAt(Math.Max(_ledger.Now, lateExpiry));
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _alice).DebitsPending);
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _bob).CreditsPending);
        Assert.True(_ledger.State.TryGetTransfer(late.Id, out lateHold) && lateHold.Hold == HoldState.Expired);
        Assert.Equal(ResultCode.PendingTransferExpired, _ledger.Submit(_ledger.Void(late.Id)));
        Assert.Equal(100 - 10 - 1 - 1, _ledger.Available(_coin, _alice));
    }

    [Fact]
    public void Hold_ReleasedAtStartOfBlockExactlyAtExpiry_FundsUsableInThatBlock()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 100, timeoutSeconds: 1);
        var t0 = _ledger.Now;
        _ledger.ApplyAt(t0, Command.Of(hold));
        var expiry = t0 + S;

        // One nanosecond before: still held.
        Assert.Equal(ResultCode.ExceedsBalance, _ledger.ApplyAt(expiry - 1, Command.Of(_ledger.Pay(_coin, _alice, _bob, 100)))[0].Code);
        // At the expiry: released before the block's first command.
        Assert.Equal(ResultCode.Ok, _ledger.ApplyAt(expiry, Command.Of(_ledger.Pay(_coin, _alice, _bob, 100)))[0].Code);
        Assert.Equal(100, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Hold_WithoutTimeout_NeverExpires()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 10);
        _ledger.Submit(hold);
        _ledger.AdvanceTo(_ledger.Now + (1_000_000 * S));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Post(hold.Id)));
    }

    [Fact]
    public void Hold_FromSupply_IsAPendingMint()
    {
        var hold = _ledger.Hold(_coin, _coin.SupplyAccount, _bob, 1_000, timeoutSeconds: 60);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(hold));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Post(hold.Id, 400)));
        Assert.Equal(400, _ledger.Balance(_coin, _bob));
        Assert.Equal(-500, _ledger.Balance(_coin, _coin.SupplyAccount));
    }

    [Fact]
    public void Hold_TimeoutBeyondTheEndOfLedgerTime_OverflowsTimeout()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        var t = ulong.MaxValue - (10 * S) - 1;
        // Event 0 at t: expiry t + 10 s = 2^64 − 2 fits. Event 1 at t + 1: expiry exactly 2^64 − 1, the last
        // representable nanosecond, still fits. Event 2 at t + 2: one past the end.
        var results = ledger.ApplyAt(
            t,
            Command.Of(ledger.Hold(coin, coin.SupplyAccount, _bob, 1, timeoutSeconds: 10)),
            Command.Of(ledger.Hold(coin, coin.SupplyAccount, _bob, 1, timeoutSeconds: 10)),
            Command.Of(ledger.Hold(coin, coin.SupplyAccount, _bob, 1, timeoutSeconds: 10)),
            Command.Of(ledger.Hold(coin, coin.SupplyAccount, _bob, 1, timeoutSeconds: 9)));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok, ResultCode.OverflowsTimeout, ResultCode.Ok], results.Select(r => r.Code));
        Assert.Equal(ulong.MaxValue, ledger.State.Transfers[^2].ExpiresAt);
        Assert.Equal(3u, (ulong)ledger.Account(coin, _bob).CreditsPending);
        Assert.Equal(0, ledger.Balance(coin, coin.SupplyAccount));
    }
}
