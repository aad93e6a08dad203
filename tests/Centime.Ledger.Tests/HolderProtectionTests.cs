namespace Centime.Ledger.Tests;

/// <summary>
/// Issue 12 item 10 at the ledger: a frozen holder grants and spends no allowance, and no path credits an address
/// nobody holds a key to. Old blocks (rules <see cref="LedgerRules.Original"/>) still apply as they were recorded.
/// </summary>
public sealed class HolderProtectionTests
{
    private static readonly Address Alice = TestLedger.Holder("alice");
    private static readonly Address Bob = TestLedger.Holder("bob");
    private static readonly Address Carol = TestLedger.Holder("carol");
    private static readonly Hash32 Nonce1 = Hash32.Sha256([1]);

    private static (TestLedger Ledger, Coin Coin) Funded()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Mint(coin, Alice, 1_000)));
        return (ledger, coin);
    }

    private static ulong Deadline(TestLedger l) => (l.Now / TestLedger.Second) + 3600;

    private static ResultCode Run(TestLedger l, CommandBody body) => l.Codes(Command.Of(body))[0];

    [Fact]
    public void Permit_FrozenOwner_AccountFrozenAndNothingChanges()
    {
        var (l, coin) = Funded();
        l.Apply(TestLedger.Freeze(coin, Alice));
        Assert.Equal(ResultCode.AccountFrozen, Run(l, new Permit(coin.Number, Alice, Bob, 500, 0, Deadline(l), Alice)));
        Assert.Equal(0UL, l.State.GetPermitNonce(coin.Number, Alice));
        Assert.Equal(UInt128.Zero, l.State.GetAllowance(coin.Number, Alice, Bob));

        // Unfrozen, the same signed permit (nonce 0) applies: the refusal consumed nothing.
        l.Apply(TestLedger.Freeze(coin, Alice, frozen: false));
        Assert.Equal(ResultCode.Ok, Run(l, new Permit(coin.Number, Alice, Bob, 500, 0, Deadline(l), Alice)));
        Assert.Equal((UInt128)500, l.State.GetAllowance(coin.Number, Alice, Bob));
    }

    [Fact]
    public void Permit_FrozenSpender_AccountFrozen()
    {
        var (l, coin) = Funded();
        l.Apply(TestLedger.Freeze(coin, Bob));
        Assert.Equal(ResultCode.AccountFrozen, Run(l, new Permit(coin.Number, Alice, Bob, 500, 0, Deadline(l), Alice)));
        Assert.Equal(0UL, l.State.GetPermitNonce(coin.Number, Alice));
    }

    [Fact]
    public void TransferFrom_FrozenSpender_AccountFrozenAndNothingMoves()
    {
        var (l, coin) = Funded();
        Assert.Equal(ResultCode.Ok, Run(l, new Permit(coin.Number, Alice, Bob, 500, 0, Deadline(l), Alice)));
        l.Apply(TestLedger.Freeze(coin, Bob));
        var before = l.Balances();
        Assert.Equal(ResultCode.AccountFrozen, Run(l, new TransferFrom(coin.Number, Bob, Alice, Carol, 100, Nonce1, Deadline(l), Bob)));
        Assert.Equal(before, l.Balances());
        Assert.Equal((UInt128)500, l.State.GetAllowance(coin.Number, Alice, Bob));
        Assert.Equal(AuthorizationState.Unused, l.State.GetAuthorizationState(coin.Number, Bob, Nonce1));
    }

    [Fact]
    public void TransferFrom_FrozenOwner_AccountFrozenAndAllowanceKept()
    {
        var (l, coin) = Funded();
        Assert.Equal(ResultCode.Ok, Run(l, new Permit(coin.Number, Alice, Bob, 500, 0, Deadline(l), Alice)));
        l.Apply(TestLedger.Freeze(coin, Alice));
        Assert.Equal(ResultCode.AccountFrozen, Run(l, new TransferFrom(coin.Number, Bob, Alice, Carol, 100, Nonce1, Deadline(l), Bob)));
        Assert.Equal((UInt128)500, l.State.GetAllowance(coin.Number, Alice, Bob));
    }

    [Fact]
    public void TransferWithAuthorization_FrozenPayer_AccountFrozenAndNonceUnused()
    {
        var (l, coin) = Funded();
        l.Apply(TestLedger.Freeze(coin, Alice));
        var auth = new TransferWithAuthorization(coin.Number, Alice, Bob, 10, 0, Deadline(l), Nonce1, Alice, false, Address.Zero);
        Assert.Equal(ResultCode.AccountFrozen, Run(l, auth));
        Assert.Equal(ResultCode.AccountFrozen, Run(l, auth with { Receive = true, Submitter = Bob }));
        Assert.Equal(AuthorizationState.Unused, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
    }

    /// <summary>Cancelling only stops a payment the holder signed; a freeze is about moving money, so it stays allowed.</summary>
    [Fact]
    public void CancelAuthorization_FrozenAuthorizer_StillCancels()
    {
        var (l, coin) = Funded();
        l.Apply(TestLedger.Freeze(coin, Alice));
        Assert.Equal(ResultCode.Ok, Run(l, new CancelAuthorization(coin.Number, Alice, Nonce1, Alice)));
        Assert.Equal(AuthorizationState.Canceled, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
    }

    [Fact]
    public void Permit_FrozenOwnerInAnOriginalRulesBlock_AppliesAsRecorded()
    {
        var (l, coin) = Funded();
        l.Apply(TestLedger.Freeze(coin, Alice));
        Assert.Equal([ResultCode.Ok], l.CodesUnder(LedgerRules.Original, Command.Of(new Permit(coin.Number, Alice, Bob, 5, 0, Deadline(l), Alice))));
        Assert.Equal(1UL, l.State.GetPermitNonce(coin.Number, Alice));
    }

    [Fact]
    public void Transfer_ToAnyCoinsVerifyingContractOrAnotherCoinsSupply_RefusedAndNothingMoves()
    {
        var (l, coin) = Funded();
        var other = l.CreateCoin("JHKD", "HKD");
        var before = l.Balances();
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Pay(coin, Alice, coin.VerifyingContract, 1)));
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Pay(coin, Alice, other.VerifyingContract, 1)));
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Pay(coin, Alice, other.SupplyAccount, 1)));
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Hold(coin, Alice, coin.VerifyingContract, 1)));
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Mint(coin, coin.VerifyingContract, 1)));
        var signed = new TransferWithAuthorization(coin.Number, Alice, coin.VerifyingContract, 10, 0, Deadline(l), Nonce1, Alice, false, Address.Zero);
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, Run(l, signed));
        Assert.Equal(AuthorizationState.Unused, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
        Assert.Equal(before, l.Balances());

        // A burn into the coin's own supply account is not a credit to a keyless holder.
        Assert.Equal(ResultCode.Ok, l.Submit(l.Pay(coin, Alice, coin.SupplyAccount, 1)));
    }

    [Fact]
    public void Transfer_ToVerifyingContractStuckUnderOriginalRules_StaysVisibleTakesNoMoreAndSurvivesSnapshot()
    {
        var (l, coin) = Funded();
        var stuck = l.Pay(coin, Alice, coin.VerifyingContract, 40);
        Assert.Equal([ResultCode.Ok], l.CodesUnder(LedgerRules.Original, Command.Of(stuck)));

        var listed = Assert.Single(l.State.KeylessAccounts());
        Assert.Equal(new AccountKey(coin.Number, coin.VerifyingContract), listed.Key);
        Assert.Equal((Int128)40, listed.Balance);
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Pay(coin, Alice, coin.VerifyingContract, 1)));

        using var snapshot = new MemoryStream();
        l.State.WriteSnapshot(snapshot);
        snapshot.Position = 0;
        var restored = new TestLedger(LedgerState.ReadSnapshot(snapshot));
        Assert.Equal((Int128)40, Assert.Single(restored.State.KeylessAccounts()).Balance);
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, restored.Submit(restored.Pay(coin, Alice, coin.VerifyingContract, 1, id: 99_999)));
    }

    [Fact]
    public void CreateCoin_AfterCoinsReachedItsPredictableAddresses_FlagsThoseAccounts()
    {
        var (l, coin) = Funded();
        var future = Address.Derive("coin:JHKD");
        Assert.Equal(ResultCode.Ok, l.Submit(l.Pay(coin, Alice, future, 7)));
        var other = l.CreateCoin("JHKD", "HKD");
        Assert.Equal(future, other.VerifyingContract);
        Assert.Equal(ResultCode.CreditAccountIsSystemAddress, l.Submit(l.Pay(coin, Alice, future, 1)));
        Assert.Equal((Int128)7, Assert.Single(l.State.KeylessAccounts()).Balance);
    }
}
