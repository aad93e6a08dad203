namespace Centime.Ledger.Tests;

/// <summary>Linked chains: all or nothing, never across a request end, a non-transfer command or the block end.</summary>
public sealed class LinkedChainTests
{
    private const TransferFlags L = TransferFlags.Linked;

    private readonly TestLedger _ledger = new();
    private readonly Coin _coin;
    private readonly Address _alice = TestLedger.Holder("alice");
    private readonly Address _bob = TestLedger.Holder("bob");
    private readonly Address _carol = TestLedger.Holder("carol");

    public LinkedChainTests()
    {
        _coin = _ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Mint(_coin, _alice, 100)));
    }

    [Fact]
    public void Chain_AllEventsSucceed_AllApplied()
    {
        var codes = _ledger.Codes(
            _ledger.Pay(_coin, _alice, _bob, 60, L),
            _ledger.Pay(_coin, _bob, _carol, 50, L),
            _ledger.Pay(_coin, _carol, _alice, 10));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok, ResultCode.Ok], codes);
        Assert.Equal(50, _ledger.Balance(_coin, _alice));
        Assert.Equal(10, _ledger.Balance(_coin, _bob));
        Assert.Equal(40, _ledger.Balance(_coin, _carol));
    }

    [Fact]
    public void Chain_EventFailsMidChain_NoBalanceChangesAndOthersReportLinkedEventFailed()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 10);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(hold));
        var before = _ledger.Balances();
        var accounts = _ledger.State.AccountCount;
        var transfers = _ledger.State.TransferCount;

        var first = _ledger.Pay(_coin, _alice, _carol, 40, L); // creates carol's account
        var post = _ledger.Post(hold.Id, flags: L);             // posts the hold
        var mint = _ledger.Mint(_coin, _bob, 5, L);
        var failing = _ledger.Pay(_coin, _alice, _bob, 51, L);  // 100 − 10 − 40 = 50 left: fails
        var after = _ledger.Pay(_coin, _bob, _alice, 1);        // never evaluated
        var alone = _ledger.Mint(_coin, _carol, 7);             // the next event, outside the chain
        var codes = _ledger.Codes(first, post, mint, failing, after, alone);

        Assert.Equal(
            [ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.ExceedsBalance, ResultCode.LinkedEventFailed, ResultCode.Ok],
            codes);
        var now = _ledger.Balances();
        now.Remove(new AccountKey(_coin.Number, _carol), out var carol);
        now[new AccountKey(_coin.Number, _coin.SupplyAccount)] = before[new AccountKey(_coin.Number, _coin.SupplyAccount)]; // the lone mint
        Assert.Equal(before, now);
        Assert.Equal(7u, (ulong)carol.Cp); // carol's account exists only because of the lone mint
        Assert.Equal(accounts + 1, _ledger.State.AccountCount);
        Assert.Equal(transfers + 1, _ledger.State.TransferCount);
        Assert.True(_ledger.State.TryGetTransfer(hold.Id, out var h));
        Assert.Equal(HoldState.Pending, h.Hold); // the post was rolled back
        Assert.False(_ledger.State.TryGetTransfer(first.Id, out _));
    }

    [Fact]
    public void Chain_RolledBackIds_AreNotRemembered_TheFailingIdIs()
    {
        var first = _ledger.Pay(_coin, _alice, _bob, 10, L);
        var failing = _ledger.Pay(_coin, _alice, _bob, 1000);
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.ExceedsBalance], _ledger.Codes(first, failing));

        // The rolled-back event never failed itself: the same id can be submitted again and succeed.
        Assert.Equal(ResultCode.Ok, _ledger.Submit(first with { Flags = TransferFlags.None }));
        // The event that failed keeps its outcome under its id.
        Assert.Equal(ResultCode.ExceedsBalance, _ledger.Submit(failing with { Amount = 1 }));
    }

    [Fact]
    public void Chain_FirstEventFails_RestSkipped()
    {
        var codes = _ledger.Codes(
            _ledger.Pay(_coin, _bob, _alice, 1, L), // bob has no account
            _ledger.Pay(_coin, _alice, _bob, 1));
        Assert.Equal([ResultCode.DebitAccountNotFound, ResultCode.LinkedEventFailed], codes);
        Assert.Equal(100, _ledger.Balance(_coin, _alice));
    }

    [Fact]
    public void Chain_OpenAtEndOfBlock_LinkedEventChainOpenAndNothingApplied()
    {
        var a = _ledger.Pay(_coin, _alice, _bob, 10, L);
        var b = _ledger.Pay(_coin, _alice, _bob, 20, L);
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventChainOpen], _ledger.Codes(a, b));
        Assert.Equal(100, _ledger.Balance(_coin, _alice));
        Assert.False(_ledger.State.TryGetAccount(_coin.Number, _bob, out _));

        // Neither id is burnt: closing the chain properly now works.
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], _ledger.Codes(a, b with { Flags = TransferFlags.None }));
        Assert.Equal(30, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Chain_OpenAtRequestEnd_ChainOpen_NextRequestUnaffected()
    {
        var codes = _ledger.Codes(
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 10, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 20, L)).With(CommandFlags.RequestEnd),
            Command.Of(_ledger.Pay(_coin, _alice, _carol, 5, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _carol, 6)));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventChainOpen, ResultCode.Ok, ResultCode.Ok], codes);
        Assert.Equal(89, _ledger.Balance(_coin, _alice));
        Assert.Equal(0, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Chain_SingleLinkedEventAtRequestEnd_IsAnOpenChain()
    {
        var codes = _ledger.Codes(
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 10, L)).With(CommandFlags.RequestEnd),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 1)));
        Assert.Equal([ResultCode.LinkedEventChainOpen, ResultCode.Ok], codes);
        Assert.Equal(1, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Chain_UnlinkedLastEventWithRequestEnd_ClosesNormally()
    {
        var codes = _ledger.Codes(
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 10, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 20)).With(CommandFlags.RequestEnd));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], codes);
        Assert.Equal(30, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Chain_NonTransferCommandInside_EndsTheChainOpen()
    {
        var codes = _ledger.Codes(
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 10, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 20, L)),
            TestLedger.Freeze(_coin, _carol),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 30)));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventChainOpen, ResultCode.Ok, ResultCode.Ok], codes);
        Assert.Equal(30, _ledger.Balance(_coin, _bob));
        Assert.True(_ledger.Account(_coin, _carol).IsFrozen);
    }

    /// <summary>
    /// Regression (TigerBeetle precedence): the last event of a chain left open reports
    /// <see cref="ResultCode.LinkedEventChainOpen"/> whatever it would have done, and is not evaluated, so its id
    /// is not remembered as failed. It used to be evaluated: when it failed it reported its own code and burnt
    /// its id, so the same malformed chain answered differently depending on balances.
    /// </summary>
    [Fact]
    public void Chain_OpenChainWhoseLastEventWouldFail_StillReportsChainOpen_AndDoesNotBurnTheId()
    {
        var ok = _ledger.Pay(_coin, _alice, _bob, 10, L);
        var tooMuch = _ledger.Pay(_coin, _alice, _bob, 1000, L);
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventChainOpen], _ledger.Codes(ok, tooMuch));
        Assert.False(_ledger.State.FailedIds.ContainsKey(tooMuch.Id));

        Assert.Equal(ResultCode.Ok, _ledger.Submit(tooMuch with { Amount = 90, Flags = TransferFlags.None }));
    }

    /// <summary>A chain that fails mid-way and is also left open: the failing event keeps its code, the open end reports the open chain.</summary>
    [Fact]
    public void Chain_FailsMidChainAndLeftOpen_LastReportsChainOpen()
    {
        var codes = _ledger.Codes(
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 10, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 0, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 20, L)),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 30, L)).With(CommandFlags.RequestEnd),
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 1)));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.AmountMustNotBeZero, ResultCode.LinkedEventFailed, ResultCode.LinkedEventChainOpen, ResultCode.Ok], codes);
        Assert.Equal(1, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Chain_HoldCreatedAndPostedThenRolledBack_LeavesNoTrace()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 30, timeoutSeconds: 1);
        var codes = _ledger.Codes(
            hold with { Flags = hold.Flags | L },
            _ledger.Post(hold.Id, 10, L),
            _ledger.Pay(_coin, _carol, _alice, 1));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.DebitAccountNotFound], codes);
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _alice).DebitsPending);
        Assert.False(_ledger.State.TryGetTransfer(hold.Id, out _));

        // Its queued expiry is stale and must not touch anything when its time comes.
        _ledger.AdvanceTo(_ledger.Now + (2 * TestLedger.Second));
        Assert.Equal(100, _ledger.Balance(_coin, _alice));
        Assert.Equal(0u, (ulong)_ledger.Account(_coin, _alice).DebitsPending);
    }

    [Fact]
    public void Chain_WithExistingIdReturningExists_CountsAsSuccess()
    {
        var pay = _ledger.Pay(_coin, _alice, _bob, 10);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(pay));
        var codes = _ledger.Codes(pay with { Flags = L }, _ledger.Pay(_coin, _alice, _bob, 5));
        // The retry has a different flag (linked), so it is a different transfer under the same id.
        Assert.Equal([ResultCode.ExistsWithDifferentFlags, ResultCode.LinkedEventFailed], codes);

        var linked = _ledger.Pay(_coin, _alice, _bob, 10, L);
        var tail = _ledger.Pay(_coin, _alice, _bob, 5);
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], _ledger.Codes(linked, tail));
        Assert.Equal([ResultCode.Exists, ResultCode.Exists], _ledger.Codes(linked, tail));
        Assert.Equal(25, _ledger.Balance(_coin, _bob));
    }
}
