using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// Issuance commands (docs/issuance.md): operators, deposits, mint, approvals, redemptions, payouts, reserves, pause.
/// Amounts are whole coins, converted exactly with the coin's decimals.
/// </summary>
internal static class IssuanceCommands
{
    private static readonly Option<string> CoinOption = new("--coin") { Description = "Coin symbol, e.g. NUSD", Required = true };

    /// <summary>Adds every issuance command to the root command (Program.cs).</summary>
    public static void AddTo(RootCommand root)
    {
        Command[] commands =
        [
            CreateOperator(), CreateDeposit(), CreateMint(), CreateDecision("approve", true), CreateDecision("reject", false), CreateApprovals(),
            CreateRedeem(), CreateRedemptions(), CreatePayout(), CreateReserves(), CreatePause("pause", true), CreatePause("unpause", false), CreateOrder(), CreateOrders(), CreateFreezeStatus(), CreateAudit(),
        ];
        foreach (var command in commands)
        {
            root.Add(command);
        }
    }

    private static Command CreateOperator()
    {
        var command = new Command("operator", "Issuance operators and their roles.");
        var id = new Argument<string>("id") { Description = "Operator id (a-z, 0-9, _-.)" };
        var roles = new Option<string[]>("--role") { Description = "admin, minter_manager, minter, pauser, asset_protection, reserve_manager, auditor (repeatable)", AllowMultipleArgumentsPerToken = true };
        var add = new Command("add", "Add an operator (admin); prints their new API key once.") { id, roles };
        add.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var outcome = await api.AddOperatorAsync(new AddOperatorRequest(parse.GetValue(id)!, parse.GetValue(roles) ?? []), ct);
            PrintOutcome(parse, outcome);
            if (!CliContext.WantsJson(parse) && outcome.Key is not null)
            {
                AnsiConsole.MarkupLine($"API key for [bold]{Markup.Escape(parse.GetValue(id)!)}[/] (shown once; the node keeps only its SHA-256):");
                Console.Out.WriteLine(outcome.Key);
            }

            return CliContext.ExitOk;
        }));
        command.Add(add);

        var roleId = new Argument<string>("id") { Description = "Operator id" };
        var newRoles = new Option<string[]>("--role") { Description = "The new roles (none: disable)", AllowMultipleArgumentsPerToken = true };
        var setRoles = new Command("roles", "Replace an operator's roles (admin).") { roleId, newRoles };
        setRoles.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            PrintOutcome(parse, await api.SetRolesAsync(parse.GetValue(roleId)!, new SetRolesRequest(parse.GetValue(newRoles) ?? []), ct));
            return CliContext.ExitOk;
        }));
        command.Add(setRoles);

        var rotateId = new Argument<string?>("id") { Description = "Operator id (default: the caller's own)", Arity = ArgumentArity.ZeroOrOne };
        var rotate = new Command("rotate-key", "Replace an operator's API key; prints the new key once, the old one is refused from then on. "
            + "Your own: any operator (afterwards nobody else knows your key); another's: admin, a privileged change.") { rotateId };
        rotate.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var target = parse.GetValue(rotateId) ?? (await api.WhoAmIAsync(ct)).Operator;
            var outcome = await api.RotateKeyAsync(target, null, ct);
            PrintOutcome(parse, outcome);
            if (!CliContext.WantsJson(parse) && outcome.Key is not null)
            {
                AnsiConsole.MarkupLine($"New API key for [bold]{Markup.Escape(target)}[/] (shown once{(outcome.Status == "pending_approval" ? "; valid once approved" : "")}):");
                Console.Out.WriteLine(outcome.Key);
            }

            return CliContext.ExitOk;
        }));
        command.Add(rotate);

        var list = CliContext.ListCommand("list", "List operators, by id (admin, auditor).");
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var operators = await api.ListOperatorsAsync(parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(operators);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Operator", "Roles", "Key SHA-256", "Added by", "Key also known to");
            table.AddRow("admin", "admin", "(the node's operator key)", "", "");
            foreach (var o in operators.Items)
            {
                table.AddRow(Markup.Escape(o.Id), o.Roles.Count == 0 ? "[grey]disabled[/]" : string.Join(", ", o.Roles), o.KeyHash[..18] + "…",
                    Markup.Escape(o.CreatedBy ?? ""), Markup.Escape(o.ControlledBy ?? "nobody"));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(operators);
            return CliContext.ExitOk;
        }));
        command.Add(list);
        return command;
    }

    private static Command CreateDeposit()
    {
        var command = new Command("deposit", "Fiat deposits that back mints.");
        var bank = new Option<string>("--bank") { Description = "Bank that received the funds", Required = true };
        var reference = new Option<string>("--reference") { Description = "Unique bank reference of the deposit", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount in whole coins, e.g. 1000", Required = true };
        var valueDate = new Option<string?>("--value-date") { Description = "Value date yyyy-MM-dd (default today, UTC)" };
        var holding = new Option<string?>("--holding") { Description = "Bank holding of the reserve book the deposit raises" };
        var record = new Command("record", "Record a fiat deposit (reserve_manager).") { CoinOption, bank, reference, amount, valueDate, holding };
        record.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var request = new DepositRequest
            {
                Bank = parse.GetValue(bank),
                Reference = parse.GetValue(reference),
                Amount = await MinorAsync(api, coin, parse.GetValue(amount)!, ct),
                ValueDate = parse.GetValue(valueDate) ?? DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Holding = parse.GetValue(holding),
            };
            PrintOutcome(parse, await api.RecordDepositAsync(coin, request, ct));
            return CliContext.ExitOk;
        }));
        command.Add(record);

        var list = CliContext.ListCommand("list", "List deposits and what is left to mint, oldest first.", CoinOption);
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var decimals = await DecimalsAsync(api, coin, ct);
            var deposits = await api.ListDepositsAsync(coin, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(deposits);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Reference", "Bank", "Value date", "Amount", "Minted", "Unminted");
            foreach (var d in deposits.Items)
            {
                table.AddRow(Markup.Escape(d.Reference), Markup.Escape(d.Bank), d.ValueDate, CoinUnits.Format(d.Amount, decimals), CoinUnits.Format(d.Minted, decimals), CoinUnits.Format(d.Unminted, decimals));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(deposits);
            return CliContext.ExitOk;
        }));
        command.Add(list);
        return command;
    }

    private static Command CreateMint()
    {
        var deposit = new Option<string>("--deposit") { Description = "Reference of the recorded deposit", Required = true };
        var to = new Option<string>("--to") { Description = "Address credited", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount in whole coins", Required = true };
        var command = new Command("mint", "Mint against a recorded deposit (minter); passes the mint gate; may wait for a second approval.") { CoinOption, deposit, to, amount };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var request = new MintRequest { Deposit = parse.GetValue(deposit), To = parse.GetValue(to), Amount = await MinorAsync(api, coin, parse.GetValue(amount)!, ct) };
            PrintOutcome(parse, await api.MintAsync(coin, request, ct));
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateDecision(string name, bool approve)
    {
        var id = new Argument<string>("id") { Description = "Action id of the pending action" };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit trail)" };
        var command = approve
            ? new Command(name, "Approve a pending action; it executes now (a different operator with a qualifying role).") { id }
            : new Command(name, "Reject a pending action (a different operator with a qualifying role).") { id, reason };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var action = parse.GetValue(id)!;
            PrintOutcome(parse, approve ? await api.ApproveAsync(action, ct) : await api.RejectAsync(action, parse.GetValue(reason), ct));
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateApprovals()
    {
        var all = new Option<bool>("--all") { Description = "Every action, not only those waiting" };
        var command = CliContext.ListCommand("approvals", "Actions waiting for a second approval, oldest first.", all);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var actions = await api.ListApprovalsAsync(parse.GetValue(all), parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(actions);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Action", "Status", "Requester", "Decider", "What");
            foreach (var a in actions.Items)
            {
                table.AddRow(a.Action, a.Status, Markup.Escape(a.Requester), Markup.Escape(a.Decider ?? ""), Markup.Escape(a.Summary));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(actions);
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateRedeem()
    {
        var wallet = new Option<string>("--wallet") { Description = "The holder's wallet: it signs the request (EIP-712 Redemption); no operator key", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount in whole coins", Required = true };
        var payTo = new Option<string>("--pay-to") { Description = "Payout instruction: the holder's bank account", Required = true };
        var command = new Command("redeem", "Redeem your own coins: your wallet signs an EIP-712 Redemption; the coins are burned and the issuer owes a payout by a deadline.")
        {
            CoinOption, wallet, amount, payTo, WalletCommands.KeystoreDir, WalletCommands.PasswordFile,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var minor = await MinorAsync(api, coin, parse.GetValue(amount)!, ct);
            var key = WalletCommands.LoadPrivateKey(parse, parse.GetValue(wallet)!);
            var signer = new HolderSigner(key);
            Array.Clear(key);
            var coinInfo = await api.GetCoinAsync(coin, ct);
            var signed = signer.SignRedemption(coinInfo.Domain, UInt128.Parse(minor, CultureInfo.InvariantCulture), parse.GetValue(payTo)!,
                (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);
            var outcome = await api.RedeemAsync(coin, signed, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(outcome);
                return CliContext.ExitOk;
            }

            var r = outcome.Redemption;
            var due = DateTimeOffset.FromUnixTimeMilliseconds((long)(r.Deadline / 1_000_000UL)).ToString("u", CultureInfo.InvariantCulture);
            Console.Out.WriteLine($"redemption {r.Id}: {CoinUnits.Format(r.Amount, coinInfo.Decimals)} {coinInfo.Symbol} of {r.Holder} burned at height {outcome.Height}; payout due by {due}");
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateRedemptions()
    {
        var overdue = new Option<bool>("--overdue") { Description = "Only payouts past their deadline and unpaid" };
        var status = new Option<string?>("--status") { Description = "pending, overdue, paid or all (default all)" };
        var command = CliContext.ListCommand("redemptions", "Redemptions and their payout deadlines, oldest first.", CoinOption, overdue, status);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var filter = parse.GetValue(overdue) ? "overdue" : parse.GetValue(status) ?? "all";
            var decimals = await DecimalsAsync(api, coin, ct);
            var list = await api.ListRedemptionsAsync(coin, filter, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(list);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Id", "Holder", "Amount", "Pay to", "Deadline (UTC)", "Status", "Paid reference");
            foreach (var r in list.Items)
            {
                var color = r.Status switch { "overdue" => "red", "paid_late" => "yellow", "paid" => "green", _ => "default" };
                table.AddRow(r.Id, r.Holder, CoinUnits.Format(r.Amount, decimals), Markup.Escape(r.PayTo), Time(r.Deadline), $"[{color}]{r.Status}[/]", Markup.Escape(r.PaidReference ?? ""));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(list);
            if (list.Items.Count == 0)
            {
                AnsiConsole.MarkupLine(filter == "overdue" ? "[green]no overdue redemptions[/]" : "no redemptions");
            }

            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreatePayout()
    {
        var command = new Command("payout", "Payout instructions of redemptions.");
        var id = new Argument<string>("id") { Description = "Redemption id" };
        var reference = new Option<string>("--reference") { Description = "Bank reference of the payout", Required = true };
        var holding = new Option<string?>("--holding") { Description = "Bank holding of the reserve book the payout left" };
        var paid = new Command("paid", "Mark a payout paid (reserve_manager).") { id, reference, holding };
        paid.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            PrintOutcome(parse, await api.MarkPayoutPaidAsync(parse.GetValue(id)!,
                new PayoutPaidRequest { Reference = parse.GetValue(reference), Holding = parse.GetValue(holding) }, ct));
            return CliContext.ExitOk;
        }));
        command.Add(paid);
        return command;
    }

    private static Command CreateReserves()
    {
        var asOf = new Option<string?>("--as-of") { Description = "Evaluate at this date, yyyy-MM-dd (default today)" };
        var command = new Command("reserves", "The reserve book: holdings, eligibility with reasons, coverage.") { CoinOption, asOf };
        command.SetAction((parse, ct) => ShowReservesAsync(parse, parse.GetValue(CoinOption)!, parse.GetValue(asOf), ct));
        var showAsOf = new Option<string?>("--as-of") { Description = "Evaluate at this date, yyyy-MM-dd (default today)" };
        var show = new Command("show", "Show the reserve book (public).") { CoinOption, showAsOf };
        show.SetAction((parse, ct) => ShowReservesAsync(parse, parse.GetValue(CoinOption)!, parse.GetValue(showAsOf), ct));
        command.Add(show);

        var type = new Option<string?>("--type") { Description = "bank_deposit, treasury_bill, overnight_repo, money_market_fund" };
        var id = new Option<string?>("--id") { Description = "Holding id, unique in the book" };
        var file = new Option<FileInfo?>("--file") { Description = "The holding as JSON (fields of POST /v1/issuance/coins/{coin}/reserves; amounts in minor units)" };
        var bank = new Option<string?>("--bank") { Description = "bank_deposit: bank name" };
        var account = new Option<string?>("--account") { Description = "bank_deposit: account reference" };
        var amount = new Option<string?>("--amount") { Description = "bank_deposit: balance (whole coins)" };
        var insured = new Option<bool>("--insured") { Description = "bank_deposit: at an insured depository institution" };
        var segregated = new Option<bool>("--segregated") { Description = "held segregated for the coin's holders" };
        var identifier = new Option<string?>("--identifier") { Description = "treasury_bill: CUSIP or ISIN" };
        var issueDate = new Option<string?>("--issue-date") { Description = "treasury_bill: issue date" };
        var maturity = new Option<string?>("--maturity") { Description = "treasury_bill/overnight_repo: maturity date" };
        var face = new Option<string?>("--face") { Description = "treasury_bill: face value (whole coins)" };
        var price = new Option<string?>("--price") { Description = "treasury_bill: price as a fraction of face, e.g. 0.9950" };
        var counterparty = new Option<string?>("--counterparty") { Description = "overnight_repo: borrower" };
        var principal = new Option<string?>("--principal") { Description = "overnight_repo: cash lent (whole coins)" };
        var collateral = new Option<string?>("--collateral") { Description = "overnight_repo: collateral description" };
        var collateralKind = new Option<string?>("--collateral-kind") { Description = "overnight_repo: treasury_bills, other_government_securities, other" };
        var collateralValue = new Option<string?>("--collateral-value") { Description = "overnight_repo: collateral market value (whole coins)" };
        var tradeDate = new Option<string?>("--trade-date") { Description = "overnight_repo: trade date" };
        var fund = new Option<string?>("--fund") { Description = "money_market_fund: fund name" };
        var units = new Option<string?>("--units") { Description = "money_market_fund: units held (whole units)" };
        var nav = new Option<string?>("--nav") { Description = "money_market_fund: NAV per unit (whole coins)" };
        var onlyEligible = new Option<bool>("--holds-only-eligible") { Description = "money_market_fund: invests only in eligible assets" };
        var add = new Command("add", "Add a holding (reserve_manager).")
        {
            CoinOption, type, id, file, bank, account, amount, insured, segregated, identifier, issueDate, maturity, face, price, counterparty, principal,
            collateral, collateralKind, collateralValue, tradeDate, fund, units, nav, onlyEligible,
        };
        add.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            HoldingInfo holding;
            if (parse.GetValue(file) is { } f)
            {
                holding = JsonSerializer.Deserialize<HoldingInfo>(await File.ReadAllTextAsync(f.FullName, ct), CliContext.JsonOut) ?? throw new UsageException("empty holding file");
            }
            else
            {
                var decimals = await DecimalsAsync(api, coin, ct);
                string? Minor(Option<string?> o) => parse.GetValue(o) is { } text ? Convert(text, decimals) : null;
                holding = new HoldingInfo
                {
                    Type = parse.GetValue(type) ?? throw new UsageException("--type or --file is required"),
                    Id = parse.GetValue(id),
                    Segregated = parse.GetValue(segregated),
                    Bank = parse.GetValue(bank),
                    AccountReference = parse.GetValue(account),
                    Amount = Minor(amount),
                    Insured = parse.GetValue(type) == "bank_deposit" ? parse.GetValue(insured) : null,
                    Identifier = parse.GetValue(identifier),
                    IssueDate = parse.GetValue(issueDate),
                    MaturityDate = parse.GetValue(maturity),
                    FaceValue = Minor(face),
                    Price = parse.GetValue(price),
                    Counterparty = parse.GetValue(counterparty),
                    Principal = Minor(principal),
                    CollateralDescription = parse.GetValue(collateral),
                    CollateralKind = parse.GetValue(collateralKind),
                    CollateralValue = Minor(collateralValue),
                    TradeDate = parse.GetValue(tradeDate),
                    Name = parse.GetValue(fund),
                    Units = parse.GetValue(units),
                    NavPerUnit = Minor(nav),
                    HoldsOnlyEligibleAssets = parse.GetValue(type) == "money_market_fund" ? parse.GetValue(onlyEligible) : null,
                };
            }

            PrintOutcome(parse, await api.AddHoldingAsync(coin, holding, ct));
            return CliContext.ExitOk;
        }));
        command.Add(add);

        var valueId = new Argument<string>("id") { Description = "Holding id" };
        var newAmount = new Option<string?>("--amount") { Description = "bank_deposit: new balance (whole coins)" };
        var newPrice = new Option<string?>("--price") { Description = "treasury_bill: new price as a fraction of face" };
        var newCollateral = new Option<string?>("--collateral-value") { Description = "overnight_repo: new collateral value (whole coins)" };
        var newNav = new Option<string?>("--nav") { Description = "money_market_fund: new NAV per unit (whole coins)" };
        var valuedOn = new Option<string?>("--valued-on") { Description = "Valuation date, yyyy-MM-dd (default today)" };
        var value = new Command("value", "Valuation update of a holding (reserve_manager).") { CoinOption, valueId, newAmount, newPrice, newCollateral, newNav, valuedOn };
        value.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var decimals = await DecimalsAsync(api, coin, ct);
            string? Minor(Option<string?> o) => parse.GetValue(o) is { } text ? Convert(text, decimals) : null;
            var request = new ValuationRequest
            {
                Amount = Minor(newAmount),
                Price = parse.GetValue(newPrice),
                CollateralValue = Minor(newCollateral),
                NavPerUnit = Minor(newNav),
                ValuedOn = parse.GetValue(valuedOn),
            };
            PrintOutcome(parse, await api.ValueHoldingAsync(coin, parse.GetValue(valueId)!, request, ct));
            return CliContext.ExitOk;
        }));
        command.Add(value);
        return command;
    }

    private static Task<int> ShowReservesAsync(ParseResult parse, string coin, string? asOf, CancellationToken ct) => CliContext.RunAsync(parse, async () =>
    {
        using var api = CliContext.Client(parse);
        var decimals = await DecimalsAsync(api, coin, ct);
        var reserves = await api.GetReservesAsync(coin, asOf, ct);
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(reserves);
            return CliContext.ExitOk;
        }

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(coin)}[/] reserves under [bold]{reserves.Regime}[/] as of {reserves.AsOf}: supply {CoinUnits.Format(reserves.Supply, decimals)}, " +
            $"eligible {CoinUnits.Format(reserves.Eligible, decimals)} of {CoinUnits.Format(reserves.Total, decimals)}, coverage {reserves.Coverage ?? "n/a (no supply)"}");
        var table = new Table().AddColumns("Holding", "Type", "Value", "Eligible", "Reason");
        foreach (var h in reserves.Holdings)
        {
            table.AddRow(Markup.Escape(h.Id ?? ""), h.Type ?? "", CoinUnits.Format(h.Value ?? "0", decimals), h.Eligible == true ? "[green]yes[/]" : $"[red]no[/] ({h.Code})", Markup.Escape(h.Reason ?? ""));
        }

        AnsiConsole.Write(table);
        foreach (var v in reserves.Violations)
        {
            AnsiConsole.MarkupLine($"[red]violation[/] {Markup.Escape(v)}");
        }

        return CliContext.ExitOk;
    });

    private static Command CreatePause(string name, bool pause)
    {
        var command = new Command(name, pause
            ? "Pause a coin (pauser): stops mints, redemption burns and every transfer of the coin; payouts, reserve updates and reads continue."
            : "Unpause a coin (pauser).") { CoinOption };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            PrintOutcome(parse, await api.SetPausedAsync(parse.GetValue(CoinOption)!, pause, null, ct));
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateOrder()
    {
        var command = new Command("order", "Request a lawful order (asset_protection): it waits for a different asset_protection operator's approval ('centime approve ID') and takes effect in the approving block.");
        foreach (var kind in new[] { "freeze", "unfreeze", "seize", "burn" })
        {
            var account = new Argument<string>("account") { Description = "The holder's address the order names" };
            var reference = new Option<string>("--reference") { Description = "The order's reference (court case, warrant, regulator's letter)", Required = true };
            var reason = new Option<string>("--reason") { Description = "sanctions, court_order, law_enforcement, regulatory_direction, fraud, aml_investigation, order_lifted", Required = true };
            var to = new Option<string>("--to") { Description = "The designated account the seized coins go to", Required = true };
            var amount = new Option<string>("--amount") { Description = "Amount in whole coins", Required = true };
            var sub = new Command(kind, kind switch
            {
                "freeze" => "Freeze an account: it can neither send nor receive; its coins stay the holder's and stay counted as backed supply.",
                "unfreeze" => "Lift a freeze.",
                "seize" => "Move an amount (frozen or not) to the account the order designates.",
                _ => "Burn an amount of the account: supply falls by it, reserves stay as booked.",
            }) { CoinOption, account, reference, reason };
            if (kind == "seize")
            {
                sub.Add(to);
            }

            if (kind is "seize" or "burn")
            {
                sub.Add(amount);
            }

            sub.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
            {
                using var api = CliContext.Client(parse);
                var coin = parse.GetValue(CoinOption)!;
                PrintOutcome(parse, await api.RequestLawfulOrderAsync(coin, new LawfulOrderRequest
                {
                    Kind = kind,
                    Account = parse.GetValue(account),
                    To = kind == "seize" ? parse.GetValue(to) : null,
                    Amount = kind is "seize" or "burn" ? await MinorAsync(api, coin, parse.GetValue(amount)!, ct) : null,
                    Reference = parse.GetValue(reference),
                    Reason = parse.GetValue(reason),
                }, ct));
                return CliContext.ExitOk;
            }));
            command.Add(sub);
        }

        return command;
    }

    private static Command CreateOrders()
    {
        var status = new Option<string?>("--status") { Description = "pending, effective, rejected or all (default all)" };
        var command = CliContext.ListCommand("orders", "Lawful orders of a coin, oldest first: who asked, who approved, the block each took effect in (asset_protection, admin, auditor).", CoinOption, status);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var list = await api.ListLawfulOrdersAsync(coin, parse.GetValue(status), parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(list);
                return CliContext.ExitOk;
            }

            var decimals = await DecimalsAsync(api, coin, ct);
            var table = new Table().AddColumns("Action", "Kind", "Account", "Amount", "To", "Reference", "Reason", "Status", "Requester", "Approver", "Effective block");
            foreach (var o in list.Items)
            {
                table.AddRow(o.Action, o.Kind, o.Account, o.Amount is null ? "" : CoinUnits.Format(o.Amount, decimals), o.To ?? "", Markup.Escape(o.Reference), o.Reason, o.Status,
                    Markup.Escape(o.Requester), Markup.Escape(o.Decider ?? ""), o.EffectiveHeight?.ToString(CultureInfo.InvariantCulture) ?? "");
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(list);
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateFreezeStatus()
    {
        var address = new Argument<string>("address") { Description = "The account's address" };
        var command = new Command("freeze-status", "Whether an account is frozen in a coin, and why: the order's reason code and reference (public).") { CoinOption, address };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var status = await api.GetFreezeStatusAsync(parse.GetValue(CoinOption)!, parse.GetValue(address)!, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(status);
                return CliContext.ExitOk;
            }

            AnsiConsole.MarkupLine(status.Frozen
                ? $"[red]frozen[/] since block {status.SinceHeight?.ToString(CultureInfo.InvariantCulture) ?? "?"}: reason {Markup.Escape(status.Reason ?? "not recorded")}, order {Markup.Escape(status.OrderReference ?? "not recorded")}. The balance stays yours and stays counted as backed supply."
                : "[green]not frozen[/]");
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateAudit()
    {
        var command = CliContext.ListCommand("audit", "The issuance audit trail, oldest first: who requested, who approved, what happened (admin, auditor).");
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var page = await api.GetAuditAsync(parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("#", "Time (UTC)", "Block", "Event", "Requester", "Approver", "What");
            foreach (var e in page.Items)
            {
                table.AddRow(e.Sequence.ToString(CultureInfo.InvariantCulture), Time(e.Time), e.Height.ToString(CultureInfo.InvariantCulture), e.Event,
                    Markup.Escape(e.Requester), Markup.Escape(e.Approver ?? ""), Markup.Escape(e.Detail));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(page);

            return CliContext.ExitOk;
        }));
        return command;
    }

    // ------------------------------------------------------------------ plumbing

    internal static void PrintOutcome(ParseResult parse, ActionOutcome outcome)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(outcome);
            return;
        }

        var (color, what) = outcome.Status switch
        {
            "pending_approval" => ("yellow", "pending approval"),
            "approved" => ("green", "approved and executed"),
            "rejected" => ("yellow", "rejected"),
            _ => ("green", "executed"),
        };
        AnsiConsole.MarkupLine($"[{color}]{what}[/] {Markup.Escape(outcome.Summary)}  (action {outcome.Action}, block {outcome.Height}, requested by {Markup.Escape(outcome.Requester)}" +
            (outcome.Approver is null ? "" : $", decided by {Markup.Escape(outcome.Approver)}") + ")");
        if (outcome.Status == "pending_approval")
        {
            AnsiConsole.MarkupLine($"another operator runs: [bold]centime approve {outcome.Action}[/]");
        }
    }

    private static string Time(ulong ns) =>
        DateTime.UnixEpoch.AddTicks((long)(ns / 100)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    internal static async Task<int> DecimalsAsync(CentimeClient api, string coin, CancellationToken ct) =>
        (await api.GetCoinAsync(coin, ct)).Decimals;

    private static async Task<string> MinorAsync(CentimeClient api, string coin, string whole, CancellationToken ct) =>
        Convert(whole, await DecimalsAsync(api, coin, ct));

    private static string Convert(string whole, int decimals) => CoinUnits.TryParse(whole, decimals, out var units, out var error)
        ? units.ToString(CultureInfo.InvariantCulture)
        : throw new UsageException(error!);
}
