using System.Globalization;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// Outcome of <see cref="MintGate.Check"/>. <see cref="Code"/> is stable (it becomes the API problem code):
/// <c>ok</c>, <c>reserves_insufficient</c>, <c>supply_overflow</c>.
/// </summary>
/// <param name="IsAllowed">True when the mint keeps the coin fully backed.</param>
/// <param name="Code">Stable machine-readable outcome.</param>
/// <param name="SupplyAfter">Supply after the mint (0 when it would overflow).</param>
/// <param name="Shortfall">Eligible reserves missing for the mint to pass (0 when allowed or on overflow).</param>
/// <param name="Reason">What was compared, for people.</param>
public readonly record struct MintDecision(bool IsAllowed, string Code, UInt128 SupplyAfter, UInt128 Shortfall, string Reason)
{
    /// <summary>The mint keeps supply ≤ eligible reserves.</summary>
    public const string Ok = "ok";
    /// <summary>Supply after the mint would exceed eligible reserves; <see cref="Shortfall"/> says by how much.</summary>
    public const string ReservesInsufficient = "reserves_insufficient";
    /// <summary>Supply after the mint would exceed 2^127 − 1 minor units, the most the ledger can issue.</summary>
    public const string SupplyOverflow = "supply_overflow";
}

/// <summary>
/// The 1:1 mint gate (GENIUS §4(a)(1)(A); Chainlink's SecureMintPolicy, specs/issuer.md §2): a mint passes only
/// when <c>currentSupply + mintAmount ≤ eligibleReserves</c>. Feed it the eligible total of a
/// <see cref="ReserveEvaluation"/> in the coin's minor units. Pure and overflow-checked; never throws.
/// </summary>
public static class MintGate
{
    /// <summary>Checks one mint against the eligible reserves.</summary>
    public static MintDecision Check(UInt128 currentSupply, UInt128 mintAmount, UInt128 eligibleReserves)
    {
        var inv = CultureInfo.InvariantCulture;
        if (currentSupply > LedgerState.MaxSupply || mintAmount > LedgerState.MaxSupply - currentSupply)
        {
            return new MintDecision(false, MintDecision.SupplyOverflow, UInt128.Zero, UInt128.Zero,
                string.Create(inv, $"supply {currentSupply} + mint {mintAmount} exceeds the ledger's maximum supply {LedgerState.MaxSupply}"));
        }

        // Cannot overflow: both are ≤ 2^127 − 1 and their sum ≤ MaxSupply by the check above.
        var supplyAfter = currentSupply + mintAmount;
        if (supplyAfter > eligibleReserves)
        {
            var shortfall = supplyAfter - eligibleReserves;
            return new MintDecision(false, MintDecision.ReservesInsufficient, supplyAfter, shortfall,
                string.Create(inv, $"supply after the mint {supplyAfter} would exceed eligible reserves {eligibleReserves} by {shortfall}"));
        }

        return new MintDecision(true, MintDecision.Ok, supplyAfter, UInt128.Zero,
            string.Create(inv, $"supply after the mint {supplyAfter} ≤ eligible reserves {eligibleReserves}"));
    }
}
