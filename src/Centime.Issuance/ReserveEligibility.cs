using System.Globalization;

namespace Centime.Issuance;

/// <summary>
/// One holding as a regime sees it. <see cref="Code"/> is stable: <c>eligible</c> or the first rule it fails
/// (<c>currency_mismatch</c>, <c>rehypothecated</c>, <c>not_segregated</c>, <c>valuation_after_as_of</c>,
/// <c>valuation_stale</c>, <c>not_yet_held</c>, <c>matured</c>, <c>maturity_too_long</c>, <c>deposit_not_demand</c>,
/// <c>institution_not_insured</c>, <c>issuer_not_eligible</c>, <c>not_overnight</c>, <c>collateral_not_eligible</c>,
/// <c>undercollateralised</c>, <c>fund_holdings_not_eligible</c>, <c>asset_class_not_eligible</c>);
/// <see cref="Reason"/> explains every rule it fails, or why it passes.
/// </summary>
/// <param name="Holding">The holding.</param>
/// <param name="IsEligible">Counts towards backing under the regime.</param>
/// <param name="Value">Its value in the book's minor units.</param>
/// <param name="Code">Stable outcome code.</param>
/// <param name="Reason">For people, citing the rule's source.</param>
public sealed record HoldingAssessment(ReserveHolding Holding, bool IsEligible, UInt128 Value, string Code, string Reason);

/// <summary>Totals of one category.</summary>
/// <param name="Category">The category.</param>
/// <param name="Holdings">How many holdings it has.</param>
/// <param name="Total">Their value.</param>
/// <param name="Eligible">The value of those that are eligible.</param>
public readonly record struct CategoryTotal(ReserveCategory Category, int Holdings, UInt128 Total, UInt128 Eligible);

/// <summary>A breached portfolio-level rule. Codes: <c>deposit_share_below_minimum</c>, <c>reserves_below_supply</c>, <c>not_over_collateralised</c>.</summary>
/// <param name="Code">Stable code.</param>
/// <param name="Message">The figures and the rule's source.</param>
public sealed record PortfolioViolation(string Code, string Message);

/// <summary>The result of <see cref="ReserveEligibility.Evaluate"/>.</summary>
public sealed record ReserveEvaluation
{
    /// <summary>The date evaluated.</summary>
    public required DateOnly AsOf { get; init; }

    /// <summary>The rules applied.</summary>
    public required RegimeProfile Profile { get; init; }

    /// <summary>The book's currency.</summary>
    public required string Currency { get; init; }

    /// <summary>Every holding, in book order.</summary>
    public required IReadOnlyList<HoldingAssessment> Holdings { get; init; }

    /// <summary>One row per <see cref="ReserveCategory"/>, all four always present.</summary>
    public required IReadOnlyList<CategoryTotal> Categories { get; init; }

    /// <summary>Value of every holding.</summary>
    public required UInt128 Total { get; init; }

    /// <summary>Value of the eligible holdings: what backs the coin, and what <see cref="MintGate"/> takes.</summary>
    public required UInt128 EligibleTotal { get; init; }

    /// <summary>The supply the book was compared with, when one was given.</summary>
    public UInt128? OutstandingSupply { get; init; }

    /// <summary>Portfolio-level rules breached (empty when none).</summary>
    public required IReadOnlyList<PortfolioViolation> Violations { get; init; }

    /// <summary>True when a portfolio-level rule is breached.</summary>
    public bool HasViolations => Violations.Count > 0;
}

/// <summary>
/// Reserve eligibility under GENIUS, HKMA and MiCA rules (specs/issuer.md §3; every rule and its source is listed in
/// docs/reserves.md). Pure: the same book, profile and date always give the same result.
/// </summary>
public static class ReserveEligibility
{
    /// <summary>Stable code of an eligible holding.</summary>
    public const string Eligible = "eligible";

    /// <summary>
    /// Evaluates every holding of <paramref name="book"/> under <paramref name="profile"/> as of
    /// <paramref name="asOf"/>, totals by category, and checks the portfolio rules. With
    /// <paramref name="outstandingSupply"/> (the coin's supply in the book's minor units) it also checks 1:1 backing,
    /// HKMA's over-collateralisation, and measures MiCA's deposit share against the larger of reserves and supply.
    /// </summary>
    public static ReserveEvaluation Evaluate(ReserveBook book, RegimeProfile profile, DateOnly asOf, UInt128? outstandingSupply = null)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(profile);
        var assessments = new List<HoldingAssessment>(book.Holdings.Count);
        var counts = new int[5];
        var totals = new UInt128[5];
        var eligibleTotals = new UInt128[5];
        var total = UInt128.Zero;
        var eligible = UInt128.Zero;
        var segregatedDeposits = UInt128.Zero;
        foreach (var holding in book.Holdings)
        {
            var assessment = Assess(holding, book, profile, asOf);
            assessments.Add(assessment);
            var c = (int)holding.Category;
            counts[c]++;
            totals[c] = checked(totals[c] + assessment.Value);
            total = checked(total + assessment.Value);
            if (assessment.IsEligible)
            {
                eligibleTotals[c] = checked(eligibleTotals[c] + assessment.Value);
                eligible = checked(eligible + assessment.Value);
                if (holding is BankDeposit { Kind: DepositKind.Demand, Segregated: true })
                {
                    segregatedDeposits = checked(segregatedDeposits + assessment.Value);
                }
            }
        }

        var categories = new List<CategoryTotal>(4);
        foreach (var category in (ReadOnlySpan<ReserveCategory>)[ReserveCategory.BankDeposit, ReserveCategory.TreasuryBill, ReserveCategory.OvernightRepo, ReserveCategory.MoneyMarketFund])
        {
            var c = (int)category;
            categories.Add(new CategoryTotal(category, counts[c], totals[c], eligibleTotals[c]));
        }

        return new ReserveEvaluation
        {
            AsOf = asOf,
            Profile = profile,
            Currency = book.Currency,
            Holdings = assessments,
            Categories = categories,
            Total = total,
            EligibleTotal = eligible,
            OutstandingSupply = outstandingSupply,
            Violations = PortfolioViolations(profile, eligible, segregatedDeposits, outstandingSupply, book.Currency),
        };
    }

    private static List<PortfolioViolation> PortfolioViolations(RegimeProfile profile, UInt128 eligible, UInt128 segregatedDeposits, UInt128? supply, string currency)
    {
        var inv = CultureInfo.InvariantCulture;
        var violations = new List<PortfolioViolation>();
        if (profile.MinimumDepositShareBasisPoints > 0)
        {
            // MiCA Art 54: a share of the funds received; measured against the reserves, or the supply when larger.
            var basis = supply is { } s && s > eligible ? s : eligible;
            var share = ReserveMath.BasisPoints(segregatedDeposits, basis);
            if (basis > UInt128.Zero && share < (UInt128)profile.MinimumDepositShareBasisPoints)
            {
                violations.Add(new PortfolioViolation("deposit_share_below_minimum", string.Create(inv,
                    $"segregated bank demand deposits are {ReserveMath.Percent(share)} of {(basis == eligible ? "eligible reserves" : "the outstanding supply")} ({segregatedDeposits} of {basis} {currency} minor units); {profile.Name} requires at least {ReserveMath.Percent((UInt128)profile.MinimumDepositShareBasisPoints)} (MiCA Art 54{(profile.MinimumDepositShareBasisPoints > 3_000 ? "; significant EMTs, Art 58" : "")})")));
            }
        }

        if (supply is { } outstanding)
        {
            if (eligible < outstanding)
            {
                violations.Add(new PortfolioViolation("reserves_below_supply", string.Create(inv,
                    $"eligible reserves {eligible} are below the outstanding supply {outstanding} by {outstanding - eligible} {currency} minor units; {profile.Name} requires at least 1:1 backing")));
            }
            else if (profile.RequiresOverCollateralisation && outstanding > UInt128.Zero && eligible == outstanding)
            {
                violations.Add(new PortfolioViolation("not_over_collateralised", string.Create(inv,
                    $"eligible reserves {eligible} only equal the outstanding supply; {profile.Name} requires market value ≥ par with over-collateralisation")));
            }
        }

        return violations;
    }

    private static HoldingAssessment Assess(ReserveHolding holding, ReserveBook book, RegimeProfile profile, DateOnly asOf)
    {
        var failures = new List<(string Code, string Reason)>();
        var inv = CultureInfo.InvariantCulture;
        var source = SourceOf(profile);

        // Currency: GENIUS and MiCA back a coin with assets in its own currency; HKMA also lets USD assets back an HKD coin.
        var currencyOk = holding.Currency == book.Currency
            || (profile.Regime == ReserveRegime.HongKong && book.Currency == "HKD" && holding.Currency == "USD");
        if (!currencyOk)
        {
            failures.Add(("currency_mismatch", profile.Regime switch
            {
                ReserveRegime.HongKong => $"denominated in {holding.Currency}; HKMA reserves must be in the coin's currency {book.Currency} (USD may back HKD)",
                ReserveRegime.Mica => $"denominated in {holding.Currency}; MiCA Art 54 wants assets in the token's currency {book.Currency}",
                _ => $"denominated in {holding.Currency}, not the coin's {book.Currency} (conservative: issuer.md lists no foreign-currency assets for {profile.Name})",
            }));
        }

        if (holding.Rehypothecated)
        {
            failures.Add(("rehypothecated", profile.Regime == ReserveRegime.Genius
                ? "rehypothecated: reserves may not be rehypothecated (GENIUS §4(a)(2))"
                : $"rehypothecated: pledged or lent assets are not available to holders (conservative, {profile.Name})"));
        }

        if (profile.Regime == ReserveRegime.HongKong && !holding.Segregated)
        {
            failures.Add(("not_segregated", "not in the coin's segregated trust pool (HKMA: one segregated trust pool per coin)"));
        }

        if (holding.ValuedOn > asOf)
        {
            failures.Add(("valuation_after_as_of", $"valued on {Format(holding.ValuedOn)}, after the as-of date {Format(asOf)}"));
        }
        else if (asOf.DayNumber - holding.ValuedOn.DayNumber > profile.MaxValuationAgeDays)
        {
            failures.Add(("valuation_stale", string.Create(inv,
                $"valuation of {Format(holding.ValuedOn)} is {asOf.DayNumber - holding.ValuedOn.DayNumber} days old; at most {profile.MaxValuationAgeDays} accepted (conservative)")));
        }

        var passed = holding switch
        {
            BankDeposit deposit => AssessDeposit(deposit, profile, asOf, failures),
            TreasuryBill bill => AssessBill(bill, profile, asOf, failures),
            OvernightRepo repo => AssessRepo(repo, profile, asOf, failures),
            GovernmentMoneyMarketFund fund => AssessFund(fund, profile, failures),
            _ => Fail(failures, "asset_class_not_eligible", $"{holding.GetType().Name} is not an asset class {profile.Name} lists"),
        };

        return failures.Count == 0
            ? new HoldingAssessment(holding, true, holding.Value, Eligible, $"{passed} ({source})")
            : new HoldingAssessment(holding, false, holding.Value, failures[0].Code, string.Join("; ", failures.Select(f => f.Reason)) + $" ({profile.Name})");
    }

    private static string AssessDeposit(BankDeposit deposit, RegimeProfile profile, DateOnly asOf, List<(string Code, string Reason)> failures)
    {
        if (deposit.Kind == DepositKind.Term && !Lifecycle("term deposit", deposit.PlacedOn!.Value, deposit.Maturity!.Value, asOf, failures))
        {
            return "";
        }

        switch (profile.Regime, deposit.Kind)
        {
            case (_, DepositKind.CentralBank):
                return $"central-bank balance at {deposit.Bank}";
            case (ReserveRegime.Genius, DepositKind.Term):
                return Fail(failures, "deposit_not_demand", $"term deposit at {deposit.Bank} is not withdrawable on request; GENIUS counts insured demand deposits");
            case (ReserveRegime.Genius, _) when !deposit.InsuredInstitution:
                return Fail(failures, "institution_not_insured", $"{deposit.Bank} is not marked as an insured depository institution; GENIUS counts insured demand deposits");
            case (ReserveRegime.HongKong, DepositKind.Term):
                var limit = deposit.PlacedOn!.Value.AddMonths(3);
                var term = deposit.Maturity!.Value.DayNumber - deposit.PlacedOn.Value.DayNumber;
                return deposit.Maturity <= limit
                    ? $"term deposit at {deposit.Bank} of {term} days, within 3 months"
                    : Fail(failures, "maturity_too_long", $"term deposit at {deposit.Bank} runs {term} days ({Format(deposit.PlacedOn.Value)} to {Format(deposit.Maturity.Value)}), beyond the 3-month limit (HKMA)");
            case (ReserveRegime.Mica, DepositKind.Term):
                var remaining = deposit.Maturity!.Value.DayNumber - asOf.DayNumber;
                return remaining <= profile.BillMaxDays
                    ? $"term deposit at {deposit.Bank} repaid in {remaining} days, within {profile.BillMaxDays} days"
                    : Fail(failures, "maturity_too_long", $"term deposit at {deposit.Bank} repaid in {remaining} days > {profile.BillMaxDays}-day limit for liquid assets (conservative)");
            default:
                return $"demand deposit at {deposit.Bank}";
        }
    }

    private static string AssessBill(TreasuryBill bill, RegimeProfile profile, DateOnly asOf, List<(string Code, string Reason)> failures)
    {
        if (!Lifecycle($"bill {bill.Identifier}", bill.IssueDate, bill.MaturityDate, asOf, failures))
        {
            return "";
        }

        var remaining = bill.MaturityDate.DayNumber - asOf.DayNumber;
        var original = bill.MaturityDate.DayNumber - bill.IssueDate.DayNumber;
        var inv = CultureInfo.InvariantCulture;
        switch (profile.Regime)
        {
            case ReserveRegime.Genius:
                if (bill.IssuingGovernment != "US")
                {
                    return Fail(failures, "issuer_not_eligible", $"bill {bill.Identifier} is issued by {bill.IssuingGovernment}; GENIUS counts US Treasuries");
                }

                if (remaining <= profile.BillMaxDays)
                {
                    return string.Create(inv, $"T-bill {bill.Identifier} matures in {remaining} days ≤ {profile.BillMaxDays}-day limit");
                }

                return original <= profile.BillMaxDays
                    ? string.Create(inv, $"T-bill {bill.Identifier} was issued with a {original}-day term ≤ {profile.BillMaxDays} days")
                    : Fail(failures, "maturity_too_long", string.Create(inv, $"T-bill {bill.Identifier} matures in {remaining} days > {profile.BillMaxDays}-day limit (original term {original} days; GENIUS §4(a)(1)(A))"));
            case ReserveRegime.HongKong:
                return bill.MaturityDate <= bill.IssueDate.AddYears(1)
                    ? string.Create(inv, $"government bill {bill.Identifier} with a {original}-day original term, within 1 year")
                    : Fail(failures, "maturity_too_long", string.Create(inv, $"government debt {bill.Identifier} has a {original}-day original term, beyond the 1-year limit (HKMA)"));
            default:
                return remaining <= profile.BillMaxDays
                    ? string.Create(inv, $"government bill {bill.Identifier} matures in {remaining} days ≤ {profile.BillMaxDays} days")
                    : Fail(failures, "maturity_too_long", string.Create(inv, $"government bill {bill.Identifier} matures in {remaining} days > {profile.BillMaxDays}-day limit for liquid assets (conservative)"));
        }
    }

    private static string AssessRepo(OvernightRepo repo, RegimeProfile profile, DateOnly asOf, List<(string Code, string Reason)> failures)
    {
        if (profile.Regime == ReserveRegime.Mica)
        {
            return Fail(failures, "asset_class_not_eligible", "repos are not established as MiCA Art 54 liquid assets in issuer.md (conservative)");
        }

        if (!Lifecycle($"repo with {repo.Counterparty}", repo.TradeDate, repo.MaturityDate, asOf, failures))
        {
            return "";
        }

        var inv = CultureInfo.InvariantCulture;
        var nextBusinessDay = NextBusinessDay(repo.TradeDate);
        if (repo.MaturityDate > nextBusinessDay)
        {
            Fail(failures, "not_overnight", $"repo with {repo.Counterparty} traded {Format(repo.TradeDate)} matures {Format(repo.MaturityDate)}, after the next business day {Format(nextBusinessDay)}; only overnight repos count");
        }

        var collateralOk = profile.Regime == ReserveRegime.Genius
            ? repo.Collateral == CollateralKind.TreasuryBills
            : repo.Collateral is CollateralKind.TreasuryBills or CollateralKind.OtherGovernmentSecurities;
        if (!collateralOk)
        {
            Fail(failures, "collateral_not_eligible", profile.Regime == ReserveRegime.Genius
                ? $"repo with {repo.Counterparty} is collateralised by {repo.Collateral}; GENIUS repos must be backed by T-bills"
                : $"repo with {repo.Counterparty} is collateralised by {repo.Collateral}; only government securities accepted (conservative)");
        }

        var coverage = ReserveMath.BasisPoints(repo.CollateralValue, repo.Principal);
        if (coverage < (UInt128)profile.MinimumRepoCollateralBasisPoints)
        {
            Fail(failures, "undercollateralised", string.Create(inv,
                $"collateral {repo.CollateralValue} covers {ReserveMath.Percent(coverage)} of the {repo.Principal} lent; at least {ReserveMath.Percent((UInt128)profile.MinimumRepoCollateralBasisPoints)} required (over-collateralised, conservative margin)"));
        }

        return string.Create(inv, $"overnight repo with {repo.Counterparty}, {repo.Collateral} collateral covering {ReserveMath.Percent(coverage)}");
    }

    private static string AssessFund(GovernmentMoneyMarketFund fund, RegimeProfile profile, List<(string Code, string Reason)> failures) =>
        profile.Regime switch
        {
            ReserveRegime.Genius => fund.HoldsOnlyEligibleAssets
                ? $"government money-market fund {fund.Name} holding only eligible assets"
                : Fail(failures, "fund_holdings_not_eligible", $"{fund.Name} is not attested to hold only GENIUS-eligible assets"),
            ReserveRegime.HongKong => Fail(failures, "asset_class_not_eligible",
                $"{fund.Name}: money-market funds are not among HKMA's eligible assets (cash, deposits ≤ 3 months, government debt ≤ 1 year, overnight reverse repo)"),
            _ => Fail(failures, "asset_class_not_eligible", $"{fund.Name}: money-market funds are not established as MiCA Art 54 liquid assets in issuer.md (conservative)"),
        };

    /// <summary>False (with a failure) when the as-of date is before the asset started or on/after its maturity.</summary>
    private static bool Lifecycle(string what, DateOnly start, DateOnly maturity, DateOnly asOf, List<(string Code, string Reason)> failures)
    {
        if (asOf < start)
        {
            failures.Add(("not_yet_held", $"{what} starts {Format(start)}, after the as-of date"));
            return false;
        }

        if (maturity <= asOf)
        {
            // Conservative: on its maturity date the asset has turned into cash owed; book the cash instead.
            failures.Add(("matured", $"{what} matured {Format(maturity)}; book the proceeds instead"));
            return false;
        }

        return true;
    }

    private static string Fail(List<(string Code, string Reason)> failures, string code, string reason)
    {
        failures.Add((code, reason));
        return "";
    }

    private static string SourceOf(RegimeProfile profile) => profile.Regime switch
    {
        ReserveRegime.Genius => "GENIUS §4(a)(1)(A)",
        ReserveRegime.HongKong => "HKMA, Cap. 656",
        _ => profile.MinimumDepositShareBasisPoints > 3_000 ? "MiCA Art 54/58" : "MiCA Art 54",
    };

    /// <summary>The next weekday after <paramref name="day"/> (public holidays are not modelled).</summary>
    private static DateOnly NextBusinessDay(DateOnly day)
    {
        var next = day.AddDays(1);
        while (next.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            next = next.AddDays(1);
        }

        return next;
    }

    private static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
