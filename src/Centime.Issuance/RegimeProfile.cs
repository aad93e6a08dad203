namespace Centime.Issuance;

/// <summary>The rule set a <see cref="RegimeProfile"/> applies.</summary>
public enum ReserveRegime
{
    /// <summary>US GENIUS Act (Pub. L. 119-27) §4(a).</summary>
    Genius = 1,
    /// <summary>Hong Kong Stablecoins Ordinance (Cap. 656), HKMA licence conditions.</summary>
    HongKong = 2,
    /// <summary>EU MiCA e-money tokens, Art 54 (and Art 58 for significant EMTs).</summary>
    Mica = 3,
}

/// <summary>
/// A jurisdiction's reserve rules: the regime selects the rule set (docs/reserves.md lists every rule and its
/// source in specs/issuer.md §3) and these numbers parameterise it. The static profiles carry the figures from
/// issuer.md and, where it is silent, the conservative choices written down in docs/reserves.md; derive a variant
/// with <c>with</c> only when a regulator's final text says otherwise.
/// </summary>
public sealed record RegimeProfile
{
    /// <summary>Which rule set applies.</summary>
    public required ReserveRegime Regime { get; init; }

    /// <summary>Short name used in reasons, e.g. "GENIUS".</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Longest remaining maturity, in days, of an eligible government bill (GENIUS: 93, §4(a)(1)(A), which also
    /// accepts bills issued with a term of at most this many days; MiCA: 93, our conservative choice). Not used by
    /// the Hong Kong rules, which count an original term of at most one year.
    /// </summary>
    public int BillMaxDays { get; init; }

    /// <summary>Minimum share of reserves in segregated bank demand deposits, in basis points (MiCA Art 54: 3,000; significant EMTs: 6,000); 0 = none.</summary>
    public int MinimumDepositShareBasisPoints { get; init; }

    /// <summary>Minimum collateral value of a repo as basis points of the cash lent (10,200 = 102%, our conservative reading of "over-collateralised").</summary>
    public int MinimumRepoCollateralBasisPoints { get; init; } = 10_200;

    /// <summary>Oldest usable valuation (price, NAV, collateral mark, bank balance), in days before the as-of date (3 covers a weekend).</summary>
    public int MaxValuationAgeDays { get; init; } = 3;

    /// <summary>Eligible reserves must exceed (not only equal) the supply (HKMA: "market value ≥ par at all times, with over-collateralisation").</summary>
    public bool RequiresOverCollateralisation { get; init; }

    /// <summary>
    /// Business days a redemption's payout may take (GENIUS: 2, the OCC proposal of 25 Feb 2026; Hong Kong: 1, the HKMA
    /// licence condition; MiCA: 1 — Art 49 says "at any time" and sets no period, so we hold MiCA coins to the strictest
    /// one in use). Counted on the coin's holiday calendar; a coin's explicit redemption window overrides it.
    /// </summary>
    public int RedemptionBusinessDays { get; init; } = 1;

    /// <summary>US GENIUS Act.</summary>
    public static RegimeProfile Genius { get; } = new() { Regime = ReserveRegime.Genius, Name = "GENIUS", BillMaxDays = 93, RedemptionBusinessDays = 2 };

    /// <summary>Hong Kong (HKMA).</summary>
    public static RegimeProfile HongKong { get; } = new() { Regime = ReserveRegime.HongKong, Name = "HKMA", RequiresOverCollateralisation = true, RedemptionBusinessDays = 1 };

    /// <summary>EU MiCA e-money token.</summary>
    public static RegimeProfile Mica { get; } = new() { Regime = ReserveRegime.Mica, Name = "MiCA", BillMaxDays = 93, MinimumDepositShareBasisPoints = 3_000, RedemptionBusinessDays = 1 };

    /// <summary>EU MiCA significant e-money token (EBA supervision, 60% in deposits).</summary>
    public static RegimeProfile MicaSignificant { get; } = Mica with { Name = "MiCA significant EMT", MinimumDepositShareBasisPoints = 6_000 };
}
