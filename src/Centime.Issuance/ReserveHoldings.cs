using System.Globalization;
using System.Numerics;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>Reserve asset categories, as reported in totals (GENIUS §4(a)(1)(C–D) asks for each category's amount).</summary>
public enum ReserveCategory
{
    /// <summary>Cash at a bank or a central bank.</summary>
    BankDeposit = 1,
    /// <summary>Short-term government bills.</summary>
    TreasuryBill = 2,
    /// <summary>Cash lent overnight against collateral.</summary>
    OvernightRepo = 3,
    /// <summary>Shares of a government money-market fund.</summary>
    MoneyMarketFund = 4,
}

/// <summary>How deposited cash can be withdrawn.</summary>
public enum DepositKind
{
    /// <summary>Withdrawable on request.</summary>
    Demand = 1,
    /// <summary>Fixed term: placed on one date, repaid at maturity.</summary>
    Term = 2,
    /// <summary>A balance at a central bank (e.g. a Federal Reserve Bank).</summary>
    CentralBank = 3,
}

/// <summary>What backs an overnight repo.</summary>
public enum CollateralKind
{
    /// <summary>Government bills (e.g. US Treasury bills).</summary>
    TreasuryBills = 1,
    /// <summary>Other government securities (notes, bonds).</summary>
    OtherGovernmentSecurities = 2,
    /// <summary>Anything else.</summary>
    Other = 3,
}

/// <summary>
/// A price as an exact fraction of face value (no floating point): 99.5% of face is <c>Price.Of(995, 1000)</c>,
/// 9,950 basis points is <c>Price.FromBasisPoints(9950)</c>. Values are rounded down (reserves are never overstated).
/// </summary>
public readonly record struct Price
{
    private Price(ulong numerator, ulong denominator)
    {
        Numerator = numerator;
        Denominator = denominator;
    }

    /// <summary>Numerator of the fraction of face value.</summary>
    public ulong Numerator { get; }

    /// <summary>Denominator of the fraction of face value; never 0 for a price made by a factory.</summary>
    public ulong Denominator { get; }

    /// <summary>100% of face.</summary>
    public static Price Par => new(1, 1);

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/> of face value.</summary>
    public static Price Of(ulong numerator, ulong denominator)
    {
        ArgumentOutOfRangeException.ThrowIfZero(denominator);
        return new Price(numerator, denominator);
    }

    /// <summary>A price in basis points of face (10,000 = par).</summary>
    public static Price FromBasisPoints(uint basisPoints) => new(basisPoints, 10_000);

    /// <summary><paramref name="amount"/> × this price, rounded down.</summary>
    public UInt128 ApplyTo(UInt128 amount) => ReserveMath.MultiplyDivide(amount, Numerator, Denominator);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Numerator}/{Denominator}");
}

/// <summary>The scheme of a <see cref="SecurityIdentifier"/>.</summary>
public enum SecurityIdentifierScheme
{
    /// <summary>9-character CUSIP (8 characters and a check digit).</summary>
    Cusip = 1,
    /// <summary>12-character ISIN (country, 9 characters, Luhn check digit).</summary>
    Isin = 2,
}

/// <summary>A CUSIP or ISIN, check digit verified.</summary>
public readonly record struct SecurityIdentifier
{
    private SecurityIdentifier(SecurityIdentifierScheme scheme, string value)
    {
        Scheme = scheme;
        Value = value;
    }

    /// <summary>CUSIP or ISIN.</summary>
    public SecurityIdentifierScheme Scheme { get; }

    /// <summary>The identifier, upper case.</summary>
    public string Value { get; }

    /// <summary>Parses a CUSIP (9 characters) or an ISIN (12), verifying the check digit.</summary>
    public static bool TryParse(string? text, out SecurityIdentifier identifier)
    {
        identifier = default;
        if (text is null)
        {
            return false;
        }

        var upper = text.ToUpperInvariant();
        if (upper.Length == 9 && IsCusip(upper))
        {
            identifier = new SecurityIdentifier(SecurityIdentifierScheme.Cusip, upper);
            return true;
        }

        if (upper.Length == 12 && IsIsin(upper))
        {
            identifier = new SecurityIdentifier(SecurityIdentifierScheme.Isin, upper);
            return true;
        }

        return false;
    }

    /// <summary>Parses or throws <see cref="FormatException"/>.</summary>
    public static SecurityIdentifier Parse(string text) =>
        TryParse(text, out var identifier) ? identifier : throw new FormatException($"'{text}' is not a CUSIP or ISIN with a valid check digit.");

    /// <inheritdoc/>
    public override string ToString() => Value ?? "";

    private static bool IsCusip(string s)
    {
        var sum = 0;
        for (var i = 0; i < 8; i++)
        {
            var v = s[i] switch
            {
                >= '0' and <= '9' => s[i] - '0',
                >= 'A' and <= 'Z' => s[i] - 'A' + 10,
                '*' => 36,
                '@' => 37,
                '#' => 38,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }

            if (i % 2 == 1)
            {
                v *= 2;
            }

            sum += (v / 10) + (v % 10);
        }

        return s[8] == (char)('0' + ((10 - (sum % 10)) % 10));
    }

    private static bool IsIsin(string s)
    {
        if (s[0] is < 'A' or > 'Z' || s[1] is < 'A' or > 'Z' || s[11] is < '0' or > '9')
        {
            return false;
        }

        // Letters become two digits (A = 10 … Z = 35); then Luhn over the whole digit string, check digit included.
        Span<int> digits = stackalloc int[24];
        var n = 0;
        foreach (var c in s)
        {
            if (c is >= '0' and <= '9')
            {
                digits[n++] = c - '0';
            }
            else if (c is >= 'A' and <= 'Z')
            {
                var v = c - 'A' + 10;
                digits[n++] = v / 10;
                digits[n++] = v % 10;
            }
            else
            {
                return false;
            }
        }

        var sum = 0;
        for (var i = 0; i < n; i++)
        {
            var d = digits[n - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }
}

/// <summary>
/// One reserve asset in a <see cref="ReserveBook"/>. Every amount is in the book's minor units (the coin's), already
/// converted when the asset is denominated in another currency; <see cref="Currency"/> records the denomination
/// the eligibility rules look at. Records are immutable: a valuation update replaces the holding.
/// </summary>
public abstract record ReserveHolding
{
    private protected ReserveHolding()
    {
    }

    /// <summary>Unique id within the book (e.g. "bny-operating", "912797LB1").</summary>
    public required string Id { get; init; }

    /// <summary>ISO 4217 currency the asset is denominated in.</summary>
    public required string Currency { get; init; }

    /// <summary>Date of the amount, price, NAV or collateral value this record carries.</summary>
    public required DateOnly ValuedOn { get; init; }

    /// <summary>Where the asset is held (custodian, bank), for disclosure.</summary>
    public string? Custodian { get; init; }

    /// <summary>Held in an account or trust segregated for this coin's holders (required by HKMA; MiCA's deposit share counts only segregated deposits).</summary>
    public bool Segregated { get; init; }

    /// <summary>Pledged, lent or reused by the issuer or custodian; GENIUS §4(a)(2) forbids it.</summary>
    public bool Rehypothecated { get; init; }

    /// <summary>The category this holding is reported under.</summary>
    public abstract ReserveCategory Category { get; }

    /// <summary>Value in the book's minor units, rounded down.</summary>
    public abstract UInt128 Value { get; }

    /// <summary>Throws <see cref="ArgumentException"/> for a holding that cannot be valued or is self-contradictory.</summary>
    internal virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            throw new ArgumentException("A holding needs an id.");
        }

        if (!Coin.IsValidCurrency(Currency))
        {
            throw new ArgumentException($"Holding {Id}: '{Currency}' is not an ISO 4217 currency code.");
        }

        if (Value > ReserveMath.MaxAmount)
        {
            throw new ArgumentException($"Holding {Id}: value {Value} is above 2^127 − 1 minor units.");
        }
    }

    private protected void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Holding {Id}: {problem}.");
        }
    }
}

/// <summary>Cash at a named bank (or a central bank).</summary>
public sealed record BankDeposit : ReserveHolding
{
    /// <summary>The bank's name.</summary>
    public required string Bank { get; init; }

    /// <summary>The account's reference at the bank.</summary>
    public required string AccountReference { get; init; }

    /// <summary>Balance in minor units.</summary>
    public required UInt128 Amount { get; init; }

    /// <summary>Demand, term, or central-bank balance.</summary>
    public DepositKind Kind { get; init; } = DepositKind.Demand;

    /// <summary>The bank is an insured depository institution (e.g. FDIC-insured); GENIUS counts insured deposits.</summary>
    public bool InsuredInstitution { get; init; }

    /// <summary>Placement date of a term deposit.</summary>
    public DateOnly? PlacedOn { get; init; }

    /// <summary>Maturity of a term deposit.</summary>
    public DateOnly? Maturity { get; init; }

    /// <inheritdoc/>
    public override ReserveCategory Category => ReserveCategory.BankDeposit;

    /// <inheritdoc/>
    public override UInt128 Value => Amount;

    internal override void Validate()
    {
        base.Validate();
        Require(!string.IsNullOrWhiteSpace(Bank), "the bank is missing");
        Require(!string.IsNullOrWhiteSpace(AccountReference), "the account reference is missing");
        Require(Enum.IsDefined(Kind), "unknown deposit kind");
        if (Kind == DepositKind.Term)
        {
            Require(PlacedOn is not null && Maturity is not null && Maturity > PlacedOn, "a term deposit needs a placement date before its maturity");
        }
        else
        {
            Require(PlacedOn is null && Maturity is null, "only a term deposit has a placement date and maturity");
        }
    }
}

/// <summary>A short-term government bill (e.g. a US Treasury bill), valued at face × price.</summary>
public sealed record TreasuryBill : ReserveHolding
{
    /// <summary>CUSIP or ISIN.</summary>
    public required SecurityIdentifier Identifier { get; init; }

    /// <summary>ISO 3166 alpha-2 code of the issuing government ("US" for Treasury bills).</summary>
    public required string IssuingGovernment { get; init; }

    /// <summary>Issue date (the original term runs from here to <see cref="MaturityDate"/>).</summary>
    public required DateOnly IssueDate { get; init; }

    /// <summary>Maturity date.</summary>
    public required DateOnly MaturityDate { get; init; }

    /// <summary>Face (par) value in minor units.</summary>
    public required UInt128 FaceValue { get; init; }

    /// <summary>Market price as a fraction of face, as of <see cref="ReserveHolding.ValuedOn"/>.</summary>
    public required Price Price { get; init; }

    /// <inheritdoc/>
    public override ReserveCategory Category => ReserveCategory.TreasuryBill;

    /// <inheritdoc/>
    public override UInt128 Value => Price.ApplyTo(FaceValue);

    internal override void Validate()
    {
        Require(Identifier.Value is not null, "the CUSIP/ISIN is missing");
        Require(Price.Denominator != 0, "the price is missing");
        base.Validate();
        Require(IssuingGovernment is { Length: 2 } && IssuingGovernment.All(c => c is >= 'A' and <= 'Z'), "the issuing government must be an ISO 3166 alpha-2 code");
        Require(MaturityDate > IssueDate, "it must mature after its issue date");
        Require(FaceValue > UInt128.Zero, "the face value must be positive");
    }
}

/// <summary>
/// Cash the issuer lent overnight against collateral (a reverse repo from the issuer's side: the reserve asset is the
/// claim to the cash back at maturity). Valued at the principal lent.
/// </summary>
public sealed record OvernightRepo : ReserveHolding
{
    /// <summary>Who borrowed the cash.</summary>
    public required string Counterparty { get; init; }

    /// <summary>Cash lent, in minor units.</summary>
    public required UInt128 Principal { get; init; }

    /// <summary>What the collateral is (securities, CUSIPs, tri-party agent).</summary>
    public required string CollateralDescription { get; init; }

    /// <summary>The collateral's class, as the eligibility rules see it.</summary>
    public required CollateralKind Collateral { get; init; }

    /// <summary>Market value of the collateral, in minor units, as of <see cref="ReserveHolding.ValuedOn"/>.</summary>
    public required UInt128 CollateralValue { get; init; }

    /// <summary>The day the cash went out.</summary>
    public required DateOnly TradeDate { get; init; }

    /// <summary>The day the cash comes back.</summary>
    public required DateOnly MaturityDate { get; init; }

    /// <inheritdoc/>
    public override ReserveCategory Category => ReserveCategory.OvernightRepo;

    /// <inheritdoc/>
    public override UInt128 Value => Principal;

    internal override void Validate()
    {
        base.Validate();
        Require(!string.IsNullOrWhiteSpace(Counterparty), "the counterparty is missing");
        Require(!string.IsNullOrWhiteSpace(CollateralDescription), "the collateral description is missing");
        Require(Enum.IsDefined(Collateral), "unknown collateral kind");
        Require(MaturityDate > TradeDate, "it must mature after its trade date");
        Require(Principal > UInt128.Zero, "the principal must be positive");
        Require(CollateralValue <= ReserveMath.MaxAmount, "the collateral value is above 2^127 − 1");
    }
}

/// <summary>Shares of a government money-market fund, valued at units × NAV.</summary>
public sealed record GovernmentMoneyMarketFund : ReserveHolding
{
    /// <summary>The fund's name (and share class).</summary>
    public required string Name { get; init; }

    /// <summary>Units held, in 10^−<see cref="UnitDecimals"/> of a unit.</summary>
    public required UInt128 Units { get; init; }

    /// <summary>Decimal places of <see cref="Units"/> (0–18).</summary>
    public byte UnitDecimals { get; init; }

    /// <summary>Net asset value of one whole unit, in minor units, as of <see cref="ReserveHolding.ValuedOn"/>.</summary>
    public required UInt128 NavPerUnit { get; init; }

    /// <summary>The fund invests only in assets GENIUS lists as eligible (its prospectus and holdings say so).</summary>
    public bool HoldsOnlyEligibleAssets { get; init; }

    /// <inheritdoc/>
    public override ReserveCategory Category => ReserveCategory.MoneyMarketFund;

    /// <inheritdoc/>
    public override UInt128 Value => ReserveMath.MultiplyDivide(Units, NavPerUnit, BigInteger.Pow(10, UnitDecimals));

    internal override void Validate()
    {
        Require(UnitDecimals <= 18, "unit decimals must be 0–18");
        base.Validate();
        Require(!string.IsNullOrWhiteSpace(Name), "the fund name is missing");
        Require(NavPerUnit > UInt128.Zero, "the NAV must be positive");
    }
}

/// <summary>Exact integer arithmetic for valuations.</summary>
internal static class ReserveMath
{
    /// <summary>Largest amount a holding or total may reach: 2^127 − 1, like the ledger's supply.</summary>
    public static UInt128 MaxAmount => LedgerState.MaxSupply;

    /// <summary>⌊a × b / c⌋, exact; saturates at <see cref="UInt128.MaxValue"/> so validation can report it.</summary>
    public static UInt128 MultiplyDivide(UInt128 a, BigInteger b, BigInteger c)
    {
        var result = (BigInteger)a * b / c;
        return result > UInt128.MaxValue ? UInt128.MaxValue : (UInt128)result;
    }

    /// <summary>Basis points of <paramref name="part"/> in <paramref name="whole"/>, rounded down (0 when whole is 0).</summary>
    public static UInt128 BasisPoints(UInt128 part, UInt128 whole) =>
        whole == UInt128.Zero ? UInt128.Zero : MultiplyDivide(part, 10_000, whole);

    /// <summary>"12.34%" from basis points.</summary>
    public static string Percent(UInt128 basisPoints) =>
        string.Create(CultureInfo.InvariantCulture, $"{basisPoints / 100}.{(int)(basisPoints % 100):D2}%");
}
