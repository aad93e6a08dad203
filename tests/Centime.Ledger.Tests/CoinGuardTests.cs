namespace Centime.Ledger.Tests;

/// <summary>Per-coin guards a module sets (pause, module-only supply): checked by the ledger on every transfer.</summary>
public sealed class CoinGuardTests
{
    private static readonly Address Alice = Address.Derive("test:alice");
    private static readonly Address Bob = Address.Derive("test:bob");

    [Fact]
    public void Paused_TransfersHoldsAndPosts_Refused_VoidsAndOtherCoinsContinue()
    {
        var ledger = new TestLedger();
        var nusd = ledger.CreateCoin("NUSD");
        var other = ledger.CreateCoin("JHKD", "HKD");
        Assert.Equal([ResultCode.Ok, ResultCode.Ok, ResultCode.Ok], ledger.Codes(ledger.Mint(nusd, Alice, 100), ledger.Mint(other, Alice, 100), ledger.Hold(nusd, Alice, Bob, 10)));
        var hold = ledger.State.Transfers[2].Transfer.Id;
        var secondHold = ledger.Hold(nusd, Alice, Bob, 5);
        Assert.Equal(ResultCode.Ok, ledger.Submit(secondHold));

        ledger.State.SetCoinGuard(nusd.Number, CoinGuard.Paused);
        Assert.Equal(ResultCode.Paused, ledger.Submit(ledger.Pay(nusd, Alice, Bob, 1)));
        Assert.Equal(ResultCode.Paused, ledger.Submit(ledger.Hold(nusd, Alice, Bob, 1)));
        Assert.Equal(ResultCode.Paused, ledger.Submit(ledger.Post(hold)));
        Assert.Equal(ResultCode.Paused, ledger.Submit(ledger.Mint(nusd, Bob, 1)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Void(secondHold.Id)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(other, Alice, Bob, 1)));
        Assert.Equal((Int128)100, ledger.Account(nusd, Alice).Balance);

        ledger.State.SetCoinGuard(nusd.Number, CoinGuard.None);
        Assert.Equal(CoinGuard.None, ledger.State.GetCoinGuard(nusd.Number));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Post(hold)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(nusd, Alice, Bob, 1)));
    }

    [Fact]
    public void SupplyManaged_PlainMintsAndBurns_Refused_HolderTransfersContinue()
    {
        var ledger = new TestLedger();
        var nusd = ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Mint(nusd, Alice, 100)));
        ledger.State.SetCoinGuard(nusd.Number, CoinGuard.SupplyManaged);
        Assert.Equal(ResultCode.SupplyManaged, ledger.Submit(ledger.Mint(nusd, Alice, 1)));
        Assert.Equal(ResultCode.SupplyManaged, ledger.Submit(ledger.Pay(nusd, Alice, nusd.SupplyAccount, 1)));
        Assert.Equal(ResultCode.SupplyManaged, ledger.Submit(ledger.Hold(nusd, Alice, nusd.SupplyAccount, 1)));
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Pay(nusd, Alice, Bob, 1)));
    }

    [Fact]
    public void SetCoinGuard_UnknownCoin_Throws()
    {
        var ledger = new TestLedger();
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.State.SetCoinGuard(1, CoinGuard.Paused));
    }
}
