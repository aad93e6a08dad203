namespace Centime.Issuance.Tests;

public sealed class ReserveEligibilityTests
{
    private static readonly DateOnly AsOf = new(2026, 3, 2); // a Monday
    private static readonly DateOnly Friday = new(2026, 2, 27);

    private static TreasuryBill Bill(int daysLeft, int originalTerm = 182, string id = "912797LB1", string government = "US", string currency = "USD", UInt128? face = null) => new()
    {
        Id = "bill-" + daysLeft,
        Currency = currency,
        ValuedOn = AsOf,
        Identifier = SecurityIdentifier.Parse(id),
        IssuingGovernment = government,
        IssueDate = AsOf.AddDays(daysLeft - originalTerm),
        MaturityDate = AsOf.AddDays(daysLeft),
        FaceValue = face ?? 1_000_000_000_000,
        Price = Price.Of(99_123_456, 100_000_000),
        Segregated = true,
    };

    private static BankDeposit Deposit(UInt128 amount, string id = "bny", bool segregated = true, bool insured = true, string currency = "USD") => new()
    {
        Id = id,
        Currency = currency,
        ValuedOn = AsOf,
        Bank = "BNY",
        AccountReference = "RES-" + id,
        Amount = amount,
        InsuredInstitution = insured,
        Segregated = segregated,
    };

    private static OvernightRepo Repo(DateOnly trade, DateOnly maturity, CollateralKind collateral = CollateralKind.TreasuryBills, UInt128? collateralValue = null) => new()
    {
        Id = "repo",
        Currency = "USD",
        ValuedOn = AsOf,
        Counterparty = "Primary Dealer A",
        Principal = 500_000_000,
        CollateralDescription = "T-bills 912797MA2 via tri-party agent",
        Collateral = collateral,
        CollateralValue = collateralValue ?? 510_000_000,
        TradeDate = trade,
        MaturityDate = maturity,
        Segregated = true,
    };

    private static GovernmentMoneyMarketFund Fund(bool eligibleHoldings = true) => new()
    {
        Id = "fund",
        Currency = "USD",
        ValuedOn = AsOf,
        Name = "Reserve Government Fund",
        Units = 1_234_567, // 1,234.567 units
        UnitDecimals = 3,
        NavPerUnit = 1_000_000,
        HoldsOnlyEligibleAssets = eligibleHoldings,
        Segregated = true,
    };

    private static HoldingAssessment One(ReserveHolding holding, RegimeProfile profile, string currency = "USD")
    {
        var book = new ReserveBook(currency, 6);
        book.Add(holding);
        return ReserveEligibility.Evaluate(book, profile, AsOf).Holdings.Single();
    }

    [Fact]
    public void Evaluate_Genius180DayBill_IneligibleWithReason()
    {
        var result = One(Bill(daysLeft: 180), RegimeProfile.Genius);
        Assert.False(result.IsEligible);
        Assert.Equal("maturity_too_long", result.Code);
        Assert.Contains("matures in 180 days > 93-day limit", result.Reason, StringComparison.Ordinal);
        Assert.Contains("GENIUS", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Genius60DayBill_EligibleAtMarketValue()
    {
        var result = One(Bill(daysLeft: 60), RegimeProfile.Genius);
        Assert.True(result.IsEligible, result.Reason);
        Assert.Equal(ReserveEligibility.Eligible, result.Code);
        Assert.Contains("matures in 60 days ≤ 93-day limit", result.Reason, StringComparison.Ordinal);

        // 1,000,000 USD face at 99.123456% = 991,234.56 USD, in micro-dollars, rounded down.
        Assert.Equal((UInt128)991_234_560_000, result.Value);
    }

    [Theory]
    [InlineData(93, true)]
    [InlineData(94, false)]
    public void Evaluate_GeniusBillAtLimit_EligibleUpTo93Days(int daysLeft, bool eligible) =>
        Assert.Equal(eligible, One(Bill(daysLeft), RegimeProfile.Genius).IsEligible);

    [Fact]
    public void Evaluate_GeniusForeignGovernmentBill_Ineligible()
    {
        var result = One(Bill(30, government: "DE"), RegimeProfile.Genius);
        Assert.Equal("issuer_not_eligible", result.Code);
    }

    [Fact]
    public void Evaluate_MaturedOrUnissuedBill_Ineligible()
    {
        Assert.Equal("matured", One(Bill(0), RegimeProfile.Genius).Code);
        Assert.Equal("not_yet_held", One(Bill(40, originalTerm: 28), RegimeProfile.Genius).Code);
    }

    [Fact]
    public void Evaluate_StaleOrFutureValuation_Ineligible()
    {
        Assert.Equal("valuation_stale", One(Bill(30) with { ValuedOn = AsOf.AddDays(-4) }, RegimeProfile.Genius).Code);
        Assert.True(One(Bill(30) with { ValuedOn = Friday }, RegimeProfile.Genius).IsEligible);
        Assert.Equal("valuation_after_as_of", One(Bill(30) with { ValuedOn = AsOf.AddDays(1) }, RegimeProfile.Genius).Code);
    }

    [Fact]
    public void Evaluate_GeniusDeposits_InsuredDemandAndCentralBankOnly()
    {
        Assert.True(One(Deposit(1_000), RegimeProfile.Genius).IsEligible);
        Assert.Equal("institution_not_insured", One(Deposit(1_000, insured: false), RegimeProfile.Genius).Code);
        Assert.True(One(Deposit(1_000, insured: false) with { Kind = DepositKind.CentralBank, Bank = "Federal Reserve Bank of New York" }, RegimeProfile.Genius).IsEligible);
        var term = Deposit(1_000) with { Kind = DepositKind.Term, PlacedOn = AsOf.AddDays(-10), Maturity = AsOf.AddDays(20) };
        Assert.Equal("deposit_not_demand", One(term, RegimeProfile.Genius).Code);
    }

    [Fact]
    public void Evaluate_GeniusRepos_OvernightTBillBackedAndOverCollateralised()
    {
        var overnight = One(Repo(AsOf, AsOf.AddDays(1)), RegimeProfile.Genius);
        Assert.True(overnight.IsEligible, overnight.Reason);
        Assert.Equal((UInt128)500_000_000, overnight.Value);

        // Friday to Monday is overnight (next business day), and on Monday it has matured.
        var book = new ReserveBook("USD", 6);
        book.Add(Repo(Friday, AsOf) with { ValuedOn = Friday });
        var saturday = ReserveEligibility.Evaluate(book, RegimeProfile.Genius, new DateOnly(2026, 2, 28)).Holdings[0];
        Assert.True(saturday.IsEligible, saturday.Reason);
        Assert.Equal("matured", ReserveEligibility.Evaluate(book, RegimeProfile.Genius, AsOf).Holdings[0].Code);

        var twoDays = One(Repo(AsOf, AsOf.AddDays(2)), RegimeProfile.Genius);
        Assert.Equal("not_overnight", twoDays.Code);
        Assert.Equal("collateral_not_eligible", One(Repo(AsOf, AsOf.AddDays(1), CollateralKind.OtherGovernmentSecurities), RegimeProfile.Genius).Code);
        var thin = One(Repo(AsOf, AsOf.AddDays(1), collateralValue: 500_000_000), RegimeProfile.Genius);
        Assert.Equal("undercollateralised", thin.Code);
        Assert.Contains("100.00%", thin.Reason, StringComparison.Ordinal);
        Assert.True(One(Repo(AsOf, AsOf.AddDays(1), collateralValue: 510_000_000), RegimeProfile.Genius).IsEligible);
    }

    [Fact]
    public void Evaluate_GeniusFund_NeedsEligibleHoldings()
    {
        var fund = One(Fund(), RegimeProfile.Genius);
        Assert.True(fund.IsEligible, fund.Reason);
        Assert.Equal((UInt128)1_234_567_000, fund.Value); // 1,234.567 units × 1.000000 USD
        Assert.Equal("fund_holdings_not_eligible", One(Fund(eligibleHoldings: false), RegimeProfile.Genius).Code);
    }

    [Fact]
    public void Evaluate_RehypothecatedOrForeignCurrency_Ineligible()
    {
        var pledged = One(Bill(30) with { Rehypothecated = true }, RegimeProfile.Genius);
        Assert.Equal("rehypothecated", pledged.Code);
        Assert.Contains("§4(a)(2)", pledged.Reason, StringComparison.Ordinal);
        Assert.Equal("currency_mismatch", One(Deposit(1_000, currency: "EUR"), RegimeProfile.Genius).Code);
    }

    [Fact]
    public void Evaluate_SeveralFailures_ReasonListsAllCodeIsFirst()
    {
        var result = One(Bill(180, currency: "EUR") with { Rehypothecated = true }, RegimeProfile.Genius);
        Assert.Equal("currency_mismatch", result.Code);
        Assert.Contains("rehypothecated", result.Reason, StringComparison.Ordinal);
        Assert.Contains("180 days", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_HongKong_SegregatedUsdAssetsBackHkdCoin()
    {
        Assert.True(One(Bill(180), RegimeProfile.HongKong, currency: "HKD").IsEligible);
        Assert.Equal("not_segregated", One(Bill(180) with { Segregated = false }, RegimeProfile.HongKong, currency: "HKD").Code);
        Assert.Equal("currency_mismatch", One(Deposit(1, currency: "EUR"), RegimeProfile.HongKong, currency: "HKD").Code);
        Assert.Equal("currency_mismatch", One(Deposit(1, currency: "HKD"), RegimeProfile.HongKong, currency: "USD").Code);
        Assert.Equal("maturity_too_long", One(Bill(200, originalTerm: 730, id: "912797NZ6"), RegimeProfile.HongKong, currency: "USD").Code);
        Assert.Equal("asset_class_not_eligible", One(Fund(), RegimeProfile.HongKong).Code);

        var threeMonths = Deposit(1) with { Kind = DepositKind.Term, PlacedOn = new DateOnly(2026, 1, 15), Maturity = new DateOnly(2026, 4, 15) };
        Assert.True(One(threeMonths, RegimeProfile.HongKong).IsEligible);
        Assert.Equal("maturity_too_long", One(threeMonths with { Maturity = new DateOnly(2026, 4, 16) }, RegimeProfile.HongKong).Code);
        Assert.True(One(Repo(AsOf, AsOf.AddDays(1), CollateralKind.OtherGovernmentSecurities), RegimeProfile.HongKong).IsEligible);
    }

    [Fact]
    public void Evaluate_HongKongReservesEqualSupply_ReportsMissingOverCollateralisation()
    {
        var book = new ReserveBook("HKD", 6);
        book.Add(Deposit(1_000, currency: "HKD"));
        Assert.Equal("not_over_collateralised", ReserveEligibility.Evaluate(book, RegimeProfile.HongKong, AsOf, outstandingSupply: 1_000).Violations.Single().Code);
        Assert.False(ReserveEligibility.Evaluate(book, RegimeProfile.HongKong, AsOf, outstandingSupply: 999).HasViolations);
        Assert.Equal("reserves_below_supply", ReserveEligibility.Evaluate(book, RegimeProfile.HongKong, AsOf, outstandingSupply: 1_001).Violations.Single().Code);
        Assert.DoesNotContain(ReserveEligibility.Evaluate(book, RegimeProfile.Genius, AsOf, outstandingSupply: 1_000).Violations, v => v.Code == "not_over_collateralised");
    }

    [Fact]
    public void Evaluate_MicaDepositsBelow30Percent_ReportsViolation()
    {
        var book = new ReserveBook("USD", 6);
        book.Add(Deposit(250, id: "seg"));
        book.Add(Deposit(400, id: "unsegregated", segregated: false));
        book.Add(Bill(30, face: 350) with { Price = Price.Par });

        var evaluation = ReserveEligibility.Evaluate(book, RegimeProfile.Mica, AsOf);
        Assert.Equal((UInt128)1_000, evaluation.EligibleTotal);
        var violation = Assert.Single(evaluation.Violations);
        Assert.Equal("deposit_share_below_minimum", violation.Code);
        Assert.Contains("25.00%", violation.Message, StringComparison.Ordinal);
        Assert.Contains("30.00%", violation.Message, StringComparison.Ordinal);
        Assert.Contains("Art 54", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_MicaDepositsExactly30Percent_NoViolationButSignificantNeeds60()
    {
        var book = new ReserveBook("USD", 6);
        book.Add(Deposit(300, id: "seg"));
        book.Add(Bill(30, face: 700) with { Price = Price.Par });
        Assert.False(ReserveEligibility.Evaluate(book, RegimeProfile.Mica, AsOf).HasViolations);

        var significant = ReserveEligibility.Evaluate(book, RegimeProfile.MicaSignificant, AsOf);
        Assert.Equal("deposit_share_below_minimum", significant.Violations.Single().Code);
        Assert.Contains("60.00%", significant.Violations.Single().Message, StringComparison.Ordinal);

        // Measured against the supply when it is larger than the reserves: 300 of 1,100 is 27.27%.
        var underBacked = ReserveEligibility.Evaluate(book, RegimeProfile.Mica, AsOf, outstandingSupply: 1_100);
        Assert.Contains(underBacked.Violations, v => v.Code == "deposit_share_below_minimum" && v.Message.Contains("27.27%", StringComparison.Ordinal));
        Assert.Contains(underBacked.Violations, v => v.Code == "reserves_below_supply");
    }

    [Fact]
    public void Evaluate_MicaReposAndFunds_ExcludedConservatively()
    {
        Assert.Equal("asset_class_not_eligible", One(Repo(AsOf, AsOf.AddDays(1)), RegimeProfile.Mica).Code);
        Assert.Equal("asset_class_not_eligible", One(Fund(), RegimeProfile.Mica).Code);
        Assert.Equal("maturity_too_long", One(Bill(120), RegimeProfile.Mica).Code);
    }

    [Fact]
    public void Evaluate_MixedBook_TotalsByCategory()
    {
        var book = new ReserveBook("USD", 6);
        book.Add(Deposit(1_000_000, id: "a"));
        book.Add(Deposit(2_000_000, id: "b", insured: false));
        book.Add(Bill(60) with { Id = "short", FaceValue = 5_000_000, Price = Price.FromBasisPoints(9_900) });
        book.Add(Bill(180) with { Id = "long", FaceValue = 1_000_000, Price = Price.Par });
        book.Add(Repo(AsOf, AsOf.AddDays(1)));
        book.Add(Fund());

        var evaluation = ReserveEligibility.Evaluate(book, RegimeProfile.Genius, AsOf);
        Assert.Equal(6, evaluation.Holdings.Count);
        Assert.Equal(4, evaluation.Categories.Count);
        var deposits = evaluation.Categories.Single(c => c.Category == ReserveCategory.BankDeposit);
        Assert.Equal((2, (UInt128)3_000_000, (UInt128)1_000_000), (deposits.Holdings, deposits.Total, deposits.Eligible));
        var bills = evaluation.Categories.Single(c => c.Category == ReserveCategory.TreasuryBill);
        Assert.Equal((2, (UInt128)5_950_000, (UInt128)4_950_000), (bills.Holdings, bills.Total, bills.Eligible));
        Assert.Equal((UInt128)(3_000_000 + 5_950_000 + 500_000_000 + 1_234_567_000), evaluation.Total);
        Assert.Equal((UInt128)(1_000_000 + 4_950_000 + 500_000_000 + 1_234_567_000), evaluation.EligibleTotal);
        Assert.Equal(evaluation.EligibleTotal, evaluation.Holdings.Where(h => h.IsEligible).Aggregate(UInt128.Zero, (s, h) => s + h.Value));

        // The eligible total feeds the mint gate.
        Assert.True(MintGate.Check(evaluation.EligibleTotal - 10, 10, evaluation.EligibleTotal).IsAllowed);
        Assert.Equal(MintDecision.ReservesInsufficient, MintGate.Check(evaluation.EligibleTotal - 10, 11, evaluation.EligibleTotal).Code);
    }

    [Fact]
    public void ValuationUpdates_ReplaceValueAndDate()
    {
        var book = new ReserveBook("USD", 6);
        book.Add(Bill(60));
        book.Add(Fund());
        book.Add(Deposit(10));
        book.Add(Repo(AsOf, AsOf.AddDays(1)));

        book.UpdatePrice("bill-60", Price.FromBasisPoints(9_950), AsOf);
        book.UpdateNav("fund", 1_000_100, AsOf);
        book.UpdateBalance("bny", 20, AsOf);
        book.UpdateCollateralValue("repo", 400_000_000, AsOf);

        Assert.True(book.TryGet("bill-60", out var bill));
        Assert.Equal((UInt128)995_000_000_000, bill.Value);
        Assert.True(book.TryGet("fund", out var fund));
        Assert.Equal((UInt128)1_234_690_456, fund.Value); // ⌊1,234,567 × 1,000,100 / 1,000⌋
        Assert.True(book.TryGet("bny", out var cash));
        Assert.Equal((UInt128)20, cash.Value);
        Assert.Equal("undercollateralised", ReserveEligibility.Evaluate(book, RegimeProfile.Genius, AsOf).Holdings.Single(h => h.Holding.Id == "repo").Code);

        Assert.Throws<ArgumentException>(() => book.UpdateNav("bny", 1, AsOf));
        Assert.Throws<KeyNotFoundException>(() => book.UpdateBalance("nope", 1, AsOf));
    }

    [Fact]
    public void Book_DuplicateInvalidOrWrongKind_Throws()
    {
        var book = new ReserveBook("USD", 6);
        book.Add(Deposit(1));
        Assert.Throws<ArgumentException>(() => book.Add(Deposit(2)));
        Assert.Throws<ArgumentException>(() => book.Replace(Fund() with { Id = "bny" }));
        Assert.Throws<ArgumentException>(() => book.Add(Bill(30) with { Id = "x", MaturityDate = AsOf.AddDays(-400) }));
        Assert.Throws<ArgumentException>(() => book.Add(Repo(AsOf, AsOf)));
        Assert.Throws<ArgumentException>(() => book.Add(Deposit(1, id: "t") with { Kind = DepositKind.Term }));
        Assert.Throws<ArgumentException>(() => book.Add(Deposit(1, id: "c", currency: "usd")));
        Assert.Throws<ArgumentException>(() => book.Add(Bill(30) with { Id = "big", FaceValue = UInt128.MaxValue, Price = Price.Par }));
        Assert.Throws<ArgumentException>(() => new ReserveBook("dollars", 6));
        Assert.True(book.Remove("bny"));
        Assert.False(book.Remove("bny"));
        Assert.Empty(book.Holdings);
    }

    [Theory]
    [InlineData("037833100", SecurityIdentifierScheme.Cusip)]
    [InlineData("912797LB1", SecurityIdentifierScheme.Cusip)]
    [InlineData("US0378331005", SecurityIdentifierScheme.Isin)]
    [InlineData("us912797lb15", SecurityIdentifierScheme.Isin)]
    public void SecurityIdentifier_ValidCheckDigit_Parses(string text, SecurityIdentifierScheme scheme)
    {
        Assert.True(SecurityIdentifier.TryParse(text, out var identifier));
        Assert.Equal(scheme, identifier.Scheme);
        Assert.Equal(text.ToUpperInvariant(), identifier.Value);
    }

    [Theory]
    [InlineData("037833101")]
    [InlineData("US0378331004")]
    [InlineData("12345")]
    [InlineData("0378331 0")]
    [InlineData(null)]
    public void SecurityIdentifier_BadCheckDigitOrForm_Refused(string? text) =>
        Assert.False(SecurityIdentifier.TryParse(text, out _));

    [Fact]
    public void Price_Factories_ValidateAndRoundDown()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Price.Of(1, 0));
        Assert.Equal((UInt128)33, Price.Of(1, 3).ApplyTo(100));
        Assert.Equal((UInt128)9_950, Price.FromBasisPoints(9_950).ApplyTo(10_000));
    }
}
