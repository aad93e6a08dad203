namespace Centime.Ledger.Tests;

/// <summary>Every way a single transfer or administrative command is rejected, and that a rejection changes nothing.</summary>
public sealed class ValidationTests
{
    private readonly TestLedger _ledger = new();
    private readonly Coin _coin;
    private readonly Address _alice = TestLedger.Holder("alice");
    private readonly Address _bob = TestLedger.Holder("bob");

    public ValidationTests()
    {
        _coin = _ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Mint(_coin, _alice, 100)));
    }

    public static TheoryData<string, ResultCode> Malformed => new()
    {
        { "id zero", ResultCode.IdMustNotBeZero },
        { "id max", ResultCode.IdMustNotBeMax },
        { "amount zero", ResultCode.AmountMustNotBeZero },
        { "debit zero", ResultCode.DebitAccountMustNotBeZero },
        { "credit zero", ResultCode.CreditAccountMustNotBeZero },
        { "same accounts", ResultCode.AccountsMustBeDifferent },
        { "coin zero", ResultCode.CoinNotFound },
        { "unknown coin", ResultCode.CoinNotFound },
        { "reserved flag 16", ResultCode.ReservedFlag },
        { "reserved flag 0x8000", ResultCode.ReservedFlag },
        { "pending and post", ResultCode.FlagsAreMutuallyExclusive },
        { "post and void", ResultCode.FlagsAreMutuallyExclusive },
        { "pending, post and void", ResultCode.FlagsAreMutuallyExclusive },
        { "timeout without pending", ResultCode.TimeoutReservedForPendingTransfer },
        { "pending id on a plain transfer", ResultCode.PendingIdMustBeZero },
        { "pending id on a hold", ResultCode.PendingIdMustBeZero },
        { "unknown debit account", ResultCode.DebitAccountNotFound },
        { "exceeds balance", ResultCode.ExceedsBalance },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Transfer_Malformed_GivesItsCodeAndChangesNothing(string what, ResultCode expected)
    {
        var t = _ledger.Pay(_coin, _alice, _bob, 10);
        t = what switch
        {
            "id zero" => t with { Id = 0 },
            "id max" => t with { Id = UInt128.MaxValue },
            "amount zero" => t with { Amount = 0 },
            "debit zero" => t with { DebitAccount = Address.Zero },
            "credit zero" => t with { CreditAccount = Address.Zero },
            "same accounts" => t with { CreditAccount = _alice },
            "coin zero" => t with { Coin = 0 },
            "unknown coin" => t with { Coin = 2 },
            "reserved flag 16" => t with { Flags = (TransferFlags)16 },
            "reserved flag 0x8000" => t with { Flags = (TransferFlags)0x8000 | TransferFlags.Pending },
            "pending and post" => t with { Flags = TransferFlags.Pending | TransferFlags.PostPending },
            "post and void" => t with { Flags = TransferFlags.PostPending | TransferFlags.VoidPending, PendingId = 5 },
            "pending, post and void" => t with { Flags = TransferFlags.Pending | TransferFlags.PostPending | TransferFlags.VoidPending },
            "timeout without pending" => t with { Timeout = 1 },
            "pending id on a plain transfer" => t with { PendingId = 5 },
            "pending id on a hold" => t with { PendingId = 5, Flags = TransferFlags.Pending },
            "unknown debit account" => t with { DebitAccount = TestLedger.Holder("nobody") },
            "exceeds balance" => t with { Amount = 101 },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        var before = _ledger.Balances();
        var transfers = _ledger.State.TransferCount;
        Assert.Equal(expected, _ledger.Submit(t));
        Assert.Equal(before, _ledger.Balances());
        Assert.Equal(transfers, _ledger.State.TransferCount);
    }

    [Fact]
    public void Transfer_ToAFrozenAccountOrFromOne_AccountFrozen_UntilUnfrozen()
    {
        Assert.Equal(ResultCode.Ok, _ledger.Codes(TestLedger.Freeze(_coin, _bob))[0]);
        Assert.Equal(ResultCode.AccountFrozen, _ledger.Submit(_ledger.Pay(_coin, _alice, _bob, 1)));
        Assert.Equal(ResultCode.AccountFrozen, _ledger.Submit(_ledger.Mint(_coin, _bob, 1)));
        Assert.Equal(ResultCode.AccountFrozen, _ledger.Submit(_ledger.Hold(_coin, _alice, _bob, 1)));

        Assert.Equal(ResultCode.Ok, _ledger.Codes(TestLedger.Freeze(_coin, _bob, frozen: false), TestLedger.Freeze(_coin, _alice))[0]);
        Assert.Equal(ResultCode.AccountFrozen, _ledger.Submit(_ledger.Pay(_coin, _alice, _bob, 1)));
        Assert.Equal(ResultCode.Ok, _ledger.Codes(TestLedger.Freeze(_coin, _alice, frozen: false))[0]);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Pay(_coin, _alice, _bob, 1)));
        Assert.Equal(1, _ledger.Balance(_coin, _bob));
    }

    [Fact]
    public void Freeze_IsPerCoin()
    {
        var other = _ledger.CreateCoin("JHKD", "HKD");
        _ledger.Codes(TestLedger.Freeze(other, _alice));
        Assert.True(_ledger.Account(other, _alice).IsFrozen);
        Assert.Equal(ResultCode.Ok, _ledger.Submit(_ledger.Pay(_coin, _alice, _bob, 1)));
    }

    [Fact]
    public void SetAccountFrozen_Invalid_GivesItsCode()
    {
        Assert.Equal(
            [ResultCode.CoinNotFound, ResultCode.CoinNotFound, ResultCode.DebitAccountMustNotBeZero],
            _ledger.Codes(
                Command.Of(new SetAccountFrozen(0, _alice, true)),
                Command.Of(new SetAccountFrozen(9, _alice, true)),
                Command.Of(new SetAccountFrozen(_coin.Number, Address.Zero, true))));
    }

    [Theory]
    [InlineData("N", 6, "USD", "Name", "1", ResultCode.CoinSymbolInvalid)]
    [InlineData("nusd", 6, "USD", "Name", "1", ResultCode.CoinSymbolInvalid)]
    [InlineData("1USD", 6, "USD", "Name", "1", ResultCode.CoinSymbolInvalid)]
    [InlineData("ABCDEFGHIJKLM", 6, "USD", "Name", "1", ResultCode.CoinSymbolInvalid)]
    [InlineData("EURC", 19, "EUR", "Name", "1", ResultCode.CoinDecimalsInvalid)]
    [InlineData("EURC", 6, "EU", "Name", "1", ResultCode.CoinCurrencyInvalid)]
    [InlineData("EURC", 6, "eur", "Name", "1", ResultCode.CoinCurrencyInvalid)]
    [InlineData("EURC", 6, "EUR", " ", "1", ResultCode.CoinNameInvalid)]
    [InlineData("EURC", 6, "EUR", "Name", "", ResultCode.CoinNameInvalid)]
    [InlineData("NUSD", 6, "USD", "Name", "1", ResultCode.CoinExists)]
    [InlineData("EURC", 18, "EUR", "Euro Coin", "2", ResultCode.Ok)]
    [InlineData("Z9", 0, "XAU", "Gold", "1", ResultCode.Ok)]
    public void CreateCoin_Validation(string symbol, byte decimals, string currency, string name, string version, ResultCode expected)
    {
        Assert.Equal(expected, _ledger.Codes(Command.Of(new CreateCoin(symbol, decimals, currency, name, version)))[0]);
        if (expected == ResultCode.Ok)
        {
            Assert.True(_ledger.State.TryGetCoin(symbol, out var coin));
            Assert.Equal(2u, coin.Number);
            Assert.Same(coin, _ledger.State.GetCoin(2));
            Assert.True(_ledger.State.TryGetAccount(2, coin.SupplyAccount, out var supply));
            Assert.Equal(AccountFlags.Supply, supply.Flags);
        }
        else
        {
            Assert.Equal(1, _ledger.State.CoinCount);
        }
    }

    [Fact]
    public void CreateCoin_NameTooLong_CoinNameInvalid()
    {
        Assert.Equal(ResultCode.CoinNameInvalid, _ledger.Codes(Command.Of(new CreateCoin("EURC", 6, "EUR", new string('x', 65), "1")))[0]);
        Assert.Equal(ResultCode.CoinNameInvalid, _ledger.Codes(Command.Of(new CreateCoin("EURC", 6, "EUR", "x", new string('1', 17))))[0]);
        Assert.Equal(ResultCode.Ok, _ledger.Codes(Command.Of(new CreateCoin("EURC", 6, "EUR", new string('x', 64), new string('1', 16))))[0]);
    }

    [Fact]
    public void UnknownCommandBody_UnknownCommand()
    {
        Assert.Equal(ResultCode.UnknownCommand, _ledger.Codes(Command.Of(new UnknownBody()))[0]);
    }

    /// <summary>
    /// Overflow at the top of the range. Supply accounts may issue at most <see cref="LedgerState.MaxSupply"/>
    /// (2^127 − 1) so that every balance fits <see cref="Int128"/>; a holder's posted debits and credits may each
    /// grow to 2^128 − 1 as funds cycle through it. Every overflow is refused before anything changes.
    /// </summary>
    [Fact]
    public void Amounts_NearTheTop_GiveOverflowCodesAndChangeNothing()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        var x = TestLedger.Holder("x");
        var y = TestLedger.Holder("y");
        var max = UInt128.MaxValue;
        var cap = LedgerState.MaxSupply;

        // Issuance beyond the cap.
        Assert.Equal(ResultCode.OverflowsDebits, Unchanged(ledger, ledger.Mint(coin, x, max)));
        Assert.Equal(ResultCode.OverflowsDebits, Unchanged(ledger, ledger.Mint(coin, x, cap + 1)));
        Assert.Equal(ResultCode.OverflowsDebitsPending, Unchanged(ledger, ledger.Hold(coin, coin.SupplyAccount, x, cap + 1)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Mint(coin, x, cap - 5)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Hold(coin, coin.SupplyAccount, x, 5)));
        Assert.Equal(ResultCode.OverflowsDebits, Unchanged(ledger, ledger.Mint(coin, x, 1)));
        Assert.Equal(ResultCode.OverflowsDebitsPending, Unchanged(ledger, ledger.Hold(coin, coin.SupplyAccount, x, 1)));
        Assert.Equal(-(Int128)(cap - 5), ledger.Balance(coin, coin.SupplyAccount));
        Assert.Equal(-(Int128)cap, ledger.Account(coin, coin.SupplyAccount).Available);
        Assert.Equal((Int128)(cap - 5), ledger.Balance(coin, x));

        // Cycle funds between x and y until x's credits approach 2^128 − 1; balances stay exact.
        var amount = cap - 5;
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(coin, x, y, amount))); // x: dp=a cp=a; y: cp=a
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(coin, y, x, amount))); // x: cp=2a
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(coin, x, y, amount))); // y: cp=2a
        var xa = ledger.Account(coin, x);
        Assert.Equal(2 * amount, xa.CreditsPosted);
        Assert.True(xa.CreditsPosted > (UInt128)Int128.MaxValue); // past what a signed 128-bit side could hold
        Assert.Equal(0, xa.Balance);
        Assert.Equal((Int128)amount, ledger.Balance(coin, y));

        // y sends back: x's credits would reach 3a > 2^128 − 1.
        Assert.Equal(ResultCode.OverflowsCredits, Unchanged(ledger, ledger.Pay(coin, y, x, amount)));
        Assert.Equal(ResultCode.OverflowsCreditsPending, Unchanged(ledger, ledger.Hold(coin, y, x, amount)));
        // The largest amounts that fit still go through.
        var room = max - xa.CreditsPosted - xa.CreditsPending; // x also has 5 held for it from the supply
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Hold(coin, y, x, room)));
        Assert.Equal(ResultCode.OverflowsCreditsPending, Unchanged(ledger, ledger.Hold(coin, y, x, 1)));
        Assert.Equal(ResultCode.OverflowsCredits, Unchanged(ledger, ledger.Pay(coin, y, x, 1)));
    }

    [Fact]
    public void Snapshot_WithAmountsAbove2Pow64_RoundTrips()
    {
        // Regression: the snapshot writer cast UInt128 to ulong in a checked build and threw for any amount
        // ≥ 2^64 (18.4 whole units of an 18-decimal coin), so no such ledger could be snapshotted or hashed.
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("WETH");
        var big = (UInt128)ulong.MaxValue * 3;
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Mint(coin, TestLedger.Holder("x"), big)));
        using var stream = new MemoryStream();
        ledger.State.WriteSnapshot(stream);
        stream.Position = 0;
        var back = LedgerState.ReadSnapshot(stream);
        Assert.True(back.TryGetAccount(coin.Number, TestLedger.Holder("x"), out var account));
        Assert.Equal(big, account.CreditsPosted);
        Assert.Equal(ledger.State.ComputeStateHash(), back.ComputeStateHash());
    }

    private static ResultCode Unchanged(TestLedger ledger, Transfer t)
    {
        var before = ledger.Balances();
        var code = ledger.Submit(t);
        Assert.Equal(before, ledger.Balances());
        return code;
    }

    private sealed record UnknownBody : CommandBody
    {
        public override CommandKind Kind => (CommandKind)200;

        protected override void Write(BodyWriter writer) => writer.Byte(1);
    }
}
