namespace Centime.Ledger.Tests;

/// <summary>
/// The transfer id is the idempotency key. Mapping of a retry's result to the original outcome:
/// applied (Ok, or Exists) → <see cref="ResultCode.Exists"/> when the fields are the same, and
/// <c>ExistsWithDifferent…</c> naming the first differing field otherwise; failed → the same failure code,
/// whatever the fields of the retry (a failure never flips to success under the same id).
/// </summary>
public sealed class IdempotencyTests
{
    private const TransferFlags L = TransferFlags.Linked;

    private readonly TestLedger _ledger = new();
    private readonly Coin _coin;
    private readonly Coin _hkd;
    private readonly Address _alice = TestLedger.Holder("alice");
    private readonly Address _bob = TestLedger.Holder("bob");
    private readonly Address _carol = TestLedger.Holder("carol");

    public IdempotencyTests()
    {
        _coin = _ledger.CreateCoin("NUSD");
        _hkd = _ledger.CreateCoin("JHKD", "HKD");
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Mint(_coin, _alice, 100)));
    }

    /// <summary>
    /// A whole batch resubmitted (a client that never heard back retries it): applied → Exists, failed → the same
    /// code, open chain → still open, and no balance moves. The failed chain here is rolled back and fails again
    /// for the same reason, because its rolled-back events are still valid. (Rolled-back events are re-evaluated
    /// on a retry, since they never failed themselves: when the state has moved so that one of them now fails on
    /// its own, it reports that code instead — the chain still fails as a whole; the property test checks that.)
    /// </summary>
    [Fact]
    public void ResubmittedBatch_ReturnsOriginalOutcomes_AppliedBecomeExists_AndChangesNoBalance()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 20, timeoutSeconds: 3600);
        var partial = _ledger.Hold(_coin, _alice, _carol, 10);
        Command[] batch =
        [
            Command.Of(_ledger.Mint(_hkd, _bob, 50)),                          // Ok
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 30)),                  // Ok
            Command.Of(_ledger.Pay(_coin, _bob, _alice, 1000)),                // ExceedsBalance
            Command.Of(hold),                                                   // Ok
            Command.Of(partial),                                                // Ok
            Command.Of(_ledger.Post(partial.Id, 4)),                            // Ok (partial)
            Command.Of(_ledger.Pay(_coin, _alice, _carol, 5, L)),              // LinkedEventFailed
            Command.Of(_ledger.Pay(_coin, _carol, _alice, 0)),                 // AmountMustNotBeZero
            Command.Of(_ledger.Pay(_coin, _alice, _carol, 1, L)),              // Ok, chain closed
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 1)).With(CommandFlags.RequestEnd), // Ok
            Command.Of(_ledger.Pay(_coin, _alice, _bob, 2, L)).With(CommandFlags.RequestEnd), // LinkedEventChainOpen
            Command.Of(_ledger.Void(999_999)),                                  // PendingTransferNotFound
            Command.Of(default(Transfer)),                                      // IdMustNotBeZero
            Command.Of(_ledger.Pay(_hkd, _carol, _bob, 1)),                    // DebitAccountNotFound
        ];
        var first = _ledger.Codes(batch);
        Assert.Equal(
            [
                ResultCode.Ok, ResultCode.Ok, ResultCode.ExceedsBalance, ResultCode.Ok, ResultCode.Ok, ResultCode.Ok,
                ResultCode.LinkedEventFailed, ResultCode.AmountMustNotBeZero, ResultCode.Ok, ResultCode.Ok,
                ResultCode.LinkedEventChainOpen, ResultCode.PendingTransferNotFound, ResultCode.IdMustNotBeZero, ResultCode.DebitAccountNotFound,
            ],
            first);

        var balances = _ledger.Balances();
        var transfers = _ledger.State.TransferCount;
        var again = _ledger.Codes(batch);

        var expected = first.Select(c => c == ResultCode.Ok ? ResultCode.Exists : c).ToArray();
        Assert.Equal(expected, again);
        Assert.Equal(balances, _ledger.Balances());
        Assert.Equal(transfers, _ledger.State.TransferCount);

        // And a third time, for good measure, after the holds have moved on.
        _ledger.Submit(_ledger.Void(hold.Id));
        balances = _ledger.Balances();
        Assert.Equal(expected, _ledger.Codes(batch));
        Assert.Equal(balances, _ledger.Balances());
    }

    [Fact]
    public void Retry_OfAFailedId_ReturnsTheOriginalCode_EvenWhenItWouldNowSucceedOrHasOtherFields()
    {
        var pay = _ledger.Pay(_coin, _bob, _alice, 10);
        Assert.Equal(ResultCode.DebitAccountNotFound, _ledger.Submit(pay));
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Mint(_coin, _bob, 100)));
        Assert.Equal(ResultCode.DebitAccountNotFound, _ledger.Submit(pay));
        Assert.Equal(ResultCode.DebitAccountNotFound, _ledger.Submit(pay with { Amount = 1, Memo = 5 }));
        Assert.Equal(ResultCode.DebitAccountNotFound, _ledger.State.FailedIds[pay.Id]);
        Assert.Equal(0, _ledger.Balance(_coin, _alice) - 100);
    }

    [Fact]
    public void Retry_OfAFailedPost_StaysFailed_AfterTheHoldAppears()
    {
        var post = _ledger.Post(77_777);
        Assert.Equal(ResultCode.PendingTransferNotFound, _ledger.Submit(post));
        var hold = _ledger.Hold(_coin, _alice, _bob, 5) with { Id = 77_777 };
        Assert.Equal(ResultCode.Ok, _ledger.Submit(hold));
        Assert.Equal(ResultCode.PendingTransferNotFound, _ledger.Submit(post));
    }

    [Fact]
    public void Retry_OfAnAppliedId_WithEachFieldChanged_NamesTheField()
    {
        var pay = _ledger.Pay(_coin, _alice, _bob, 10) with { Memo = 3 };
        Assert.Equal(ResultCode.Ok, _ledger.Submit(pay));
        Assert.Equal(ResultCode.Exists, _ledger.Submit(pay));
        Assert.Equal(ResultCode.Exists, _ledger.Submit(pay with { Timestamp = 12345 })); // input timestamps are ignored
        Assert.Equal(ResultCode.ExistsWithDifferentFlags, _ledger.Submit(pay with { Flags = TransferFlags.Pending }));
        Assert.Equal(ResultCode.ExistsWithDifferentPendingId, _ledger.Submit(pay with { PendingId = 1 }));
        Assert.Equal(ResultCode.ExistsWithDifferentTimeout, _ledger.Submit(pay with { Timeout = 1 }));
        Assert.Equal(ResultCode.ExistsWithDifferentDebitAccount, _ledger.Submit(pay with { DebitAccount = _carol }));
        Assert.Equal(ResultCode.ExistsWithDifferentCreditAccount, _ledger.Submit(pay with { CreditAccount = _carol }));
        Assert.Equal(ResultCode.ExistsWithDifferentCoin, _ledger.Submit(pay with { Coin = _hkd.Number }));
        Assert.Equal(ResultCode.ExistsWithDifferentAmount, _ledger.Submit(pay with { Amount = 11 }));
        Assert.Equal(ResultCode.ExistsWithDifferentMemo, _ledger.Submit(pay with { Memo = 4 }));
        Assert.Equal(ResultCode.ExistsWithDifferentCode, _ledger.Submit(pay with { Code = 9 }));
        Assert.Equal(90, _ledger.Balance(_coin, _alice));
        Assert.False(_ledger.State.FailedIds.ContainsKey(pay.Id));
    }

    [Fact]
    public void Retry_OfAPost_ZeroFieldsMatchWhatWasInherited()
    {
        var hold = _ledger.Hold(_coin, _alice, _bob, 40);
        _ledger.Submit(hold);
        var post = _ledger.Post(hold.Id); // amount 0 = the full 40, accounts and coin inherited
        Assert.Equal(ResultCode.Ok, _ledger.Submit(post));
        Assert.Equal(ResultCode.Exists, _ledger.Submit(post));
        Assert.Equal(ResultCode.Exists, _ledger.Submit(post with { Amount = 40, DebitAccount = _alice, CreditAccount = _bob, Coin = _coin.Number }));
        Assert.Equal(ResultCode.ExistsWithDifferentAmount, _ledger.Submit(post with { Amount = 39 }));
        Assert.Equal(ResultCode.ExistsWithDifferentDebitAccount, _ledger.Submit(post with { DebitAccount = _carol }));
        Assert.Equal(40, _ledger.Balance(_coin, _bob));
    }

    /// <summary>
    /// Regression: a retry of an applied id with a reserved flag fails validation before the exists check
    /// (TigerBeetle's order), and used to record the id as failed as well — an id both applied and failed, and
    /// after a chain rollback, an id burnt by an event that never was applied.
    /// </summary>
    [Fact]
    public void Retry_OfAnAppliedIdWithReservedFlag_IsRejectedButNotRecordedAsFailed()
    {
        var pay = _ledger.Pay(_coin, _alice, _bob, 10);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(pay));
        Assert.Equal(ResultCode.ReservedFlag, _ledger.Submit(pay with { Flags = (TransferFlags)0x40 }));
        Assert.Equal(ResultCode.FlagsAreMutuallyExclusive, _ledger.Submit(pay with { Flags = TransferFlags.Pending | TransferFlags.VoidPending }));
        Assert.False(_ledger.State.FailedIds.ContainsKey(pay.Id));
        Assert.Equal(ResultCode.Exists, _ledger.Submit(pay));
    }

    [Fact]
    public void SameIdTwiceInOneBlock_SecondIsExists()
    {
        var pay = _ledger.Pay(_coin, _alice, _bob, 10);
        Assert.Equal([ResultCode.Ok, ResultCode.Exists, ResultCode.ExistsWithDifferentAmount], _ledger.Codes(pay, pay, pay with { Amount = 1 }));
        Assert.Equal(10, _ledger.Balance(_coin, _bob));
    }
}
