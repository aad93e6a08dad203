using System.Numerics;
using Centime.Ledger;
using CsCheck;

namespace Centime.Issuance.Tests;

public sealed class MintGateTests
{
    [Fact]
    public void Check_SupplyPlusMintEqualsReserves_IsAllowed()
    {
        var decision = MintGate.Check(currentSupply: 900, mintAmount: 100, eligibleReserves: 1_000);
        Assert.True(decision.IsAllowed);
        Assert.Equal(MintDecision.Ok, decision.Code);
        Assert.Equal((UInt128)1_000, decision.SupplyAfter);
        Assert.Equal(UInt128.Zero, decision.Shortfall);
    }

    [Fact]
    public void Check_OneUnitOverReserves_RefusedWithShortfallOne()
    {
        var decision = MintGate.Check(currentSupply: 900, mintAmount: 101, eligibleReserves: 1_000);
        Assert.False(decision.IsAllowed);
        Assert.Equal("reserves_insufficient", decision.Code);
        Assert.Equal(UInt128.One, decision.Shortfall);
        Assert.Contains("1001", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SupplyAlreadyAboveReserves_ShortfallIncludesExistingGap()
    {
        var decision = MintGate.Check(currentSupply: 1_200, mintAmount: 1, eligibleReserves: 1_000);
        Assert.Equal(MintDecision.ReservesInsufficient, decision.Code);
        Assert.Equal((UInt128)201, decision.Shortfall);
    }

    [Fact]
    public void Check_NoReserves_RefusesAnyMint()
    {
        Assert.Equal(MintDecision.ReservesInsufficient, MintGate.Check(0, 1, 0).Code);
        Assert.True(MintGate.Check(0, 0, 0).IsAllowed);
    }

    [Fact]
    public void Check_SupplyWouldPassLedgerMaximum_RefusedAsOverflow()
    {
        var max = LedgerState.MaxSupply;
        Assert.True(MintGate.Check(max - 1, 1, UInt128.MaxValue).IsAllowed);
        Assert.Equal(MintDecision.SupplyOverflow, MintGate.Check(max, 1, UInt128.MaxValue).Code);
        Assert.Equal(MintDecision.SupplyOverflow, MintGate.Check(UInt128.MaxValue, UInt128.MaxValue, UInt128.MaxValue).Code);
        Assert.Equal(MintDecision.SupplyOverflow, MintGate.Check(1, UInt128.MaxValue, UInt128.MaxValue).Code);
    }

    [Fact]
    public void Check_RandomAmounts_AgreesWithBigIntegerModel()
    {
        var genAmount = Gen.OneOf(
            Gen.Select(Gen.ULong, Gen.ULong, (hi, lo) => new UInt128(hi, lo)),
            Gen.ULong[0, 1_000_000].Select(v => (UInt128)v),
            Gen.ULong[0, 3].Select(v => LedgerState.MaxSupply - (UInt128)v));
        Gen.Select(genAmount, genAmount, genAmount).Sample((supply, amount, reserves) =>
        {
            var decision = MintGate.Check(supply, amount, reserves);
            var after = (BigInteger)supply + amount;
            if (after > (BigInteger)LedgerState.MaxSupply)
            {
                return decision.Code == MintDecision.SupplyOverflow && !decision.IsAllowed;
            }

            return after <= reserves
                ? decision.IsAllowed && decision.Shortfall == 0 && decision.SupplyAfter == (UInt128)after
                : !decision.IsAllowed && decision.Code == MintDecision.ReservesInsufficient && (BigInteger)decision.Shortfall == after - reserves;
        }, iter: 5_000);
    }
}
