using System.CommandLine;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// <c>centime compliance sanctions load|status|check</c>, <c>centime compliance alerts</c>,
/// <c>centime compliance kyc limits|holder</c> (docs/cli.md, docs/compliance.md).
/// </summary>
internal static class ComplianceCommands
{
    public static Command Create()
    {
        var command = new Command("compliance", "Sanctions lists, alerts, KYC tiers and limits (compliance officer).");
        command.Add(CreateSanctions());
        command.Add(CreateAlerts());
        command.Add(CreateKyc());
        return command;
    }

    private static Command CreateSanctions()
    {
        var sanctions = new Command("sanctions", "Sanctions lists: load a published file, show what is loaded, check an address.");

        var ofac = new Option<FileInfo?>("--ofac") { Description = "OFAC SDN list (sdn.xml)" };
        var eu = new Option<FileInfo?>("--eu") { Description = "EU consolidated financial sanctions list (XML export)" };
        var list = new Option<FileInfo?>("--list") { Description = "The issuer's own list: one 0x address per line ('# version: …' names it)" };
        var noFreeze = new Option<bool>("--no-freeze") { Description = "Do not freeze the accounts listed addresses already hold (default: freeze them)" };
        var load = new Command("load", "Load one published sanctions file; it replaces that source's list (compliance or admin role; audited).") { ofac, eu, list, noFreeze };
        load.Validators.Add(result =>
        {
            var given = new[] { ofac, eu, list }.Count(o => result.GetValue(o) is not null);
            if (given != 1)
            {
                result.AddError("give exactly one of --ofac FILE, --eu FILE, --list FILE");
            }
        });
        load.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var (source, file) = parse.GetValue(ofac) is { } o ? ("ofac", o) : parse.GetValue(eu) is { } e ? ("eu", e) : ("issuer", parse.GetValue(list)!);
            var content = await File.ReadAllBytesAsync(file.FullName, ct);
            using var api = CliContext.Client(parse);
            var loaded = await api.LoadSanctionsListAsync(source, content, !parse.GetValue(noFreeze), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(loaded);
                return CliContext.ExitOk;
            }

            var l = loaded.List;
            AnsiConsole.MarkupLineInterpolated($"loaded [bold]{l.Source}[/] version {l.Version} (published {l.Published}) at block {loaded.Height}: {l.Addresses} addresses from {loaded.Entries} entries, {loaded.Frozen} accounts frozen");
            AnsiConsole.MarkupLineInterpolated($"sha256 {l.Sha256}");
            return CliContext.ExitOk;
        }));
        sanctions.Add(load);

        var status = new Command("status", "The loaded lists: source, version, publish date, SHA-256, addresses.");
        status.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var s = await api.GetSanctionsAsync(ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(s);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("source", "version", "published", "addresses", "block", "loaded by", "sha256");
            foreach (var l in s.Lists)
            {
                table.AddRow(Markup.Escape(l.Source), Markup.Escape(l.Version), Markup.Escape(l.Published), l.Addresses.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    l.Height.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(l.LoadedBy), Markup.Escape(l.Sha256));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{s.BlockedAddresses} distinct addresses blocked");
            return CliContext.ExitOk;
        }));
        sanctions.Add(status);

        var address = new Argument<string>("address") { Description = "0x address" };
        var check = new Command("check", "Whether a loaded list names an address (exit 1 when it does).") { address };
        check.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var screening = await api.ScreenAddressAsync(parse.GetValue(address)!, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(screening);
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"{screening.Address}: {(screening.Sanctioned ? "SANCTIONED (" + string.Join(", ", screening.Lists) + ")" : "not listed")}");
            }

            return screening.Sanctioned ? CliContext.ExitFailed : CliContext.ExitOk;
        }));
        sanctions.Add(check);
        return sanctions;
    }

    private static Command CreateAlerts()
    {
        var alerts = CliContext.ListCommand("alerts", "Compliance alerts, oldest first (sanctions hits, holders frozen by a list load).");
        alerts.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var page = await api.ListComplianceAlertsAsync(parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            foreach (var a in page.Items)
            {
                AnsiConsole.MarkupLineInterpolated($"#{a.Sequence} {a.Kind} {a.Address} {a.Coin} lists={a.Lists} blocks {a.FirstHeight}..{a.LastHeight} attempts {a.Attempts}");
            }

            CliContext.PrintNext(page);
            return CliContext.ExitOk;
        }));
        return alerts;
    }

    private static Command CreateKyc()
    {
        var kyc = new Command("kyc", "KYC tiers, limits and the holder registry.");

        var coin = new Option<string>("--coin") { Description = "Coin symbol", Required = true };
        var off = new Option<bool>("--off") { Description = "Turn the coin's limits off" };
        var tiers = new Option<string[]>("--tier")
        {
            Description = "A tier's limits in minor units, PERTRANSFER,PERDAY,PERMONTH,BALANCECAP ('-' = none); repeat from tier 0 (unverified) up; none = the coin's regime defaults",
            AllowMultipleArgumentsPerToken = false,
        };
        var selfHosted = new Option<int?>("--self-hosted-max-tier") { Description = "Highest tier a self-hosted wallet gets (default 1)" };
        var limits = new Command("limits", "Show a coin's KYC tier limits; 'limits set' turns them on or off.") { coin };
        limits.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            PrintLimits(parse, await api.GetKycLimitsAsync(parse.GetValue(coin)!, ct));
            return CliContext.ExitOk;
        }));
        var set = new Command("set", "Turn a coin's KYC limits on (the regime's defaults unless --tier is given) or --off (compliance or admin role; audited).")
        {
            coin, off, tiers, selfHosted,
        };
        set.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var parsed = (parse.GetValue(tiers) ?? []).Select(ParseTier).ToList();
            var request = new KycLimitsRequest { Enabled = !parse.GetValue(off), SelfHostedMaxTier = parse.GetValue(selfHosted), Tiers = parsed.Count == 0 ? null : parsed };
            PrintLimits(parse, await api.ConfigureKycLimitsAsync(parse.GetValue(coin)!, request, ct));
            return CliContext.ExitOk;
        }));
        limits.Add(set);
        kyc.Add(limits);

        var holderAddress = new Argument<string>("address") { Description = "Holder address" };
        var tier = new Option<int?>("--tier") { Description = "KYC tier (0 = unverified)" };
        var jurisdiction = new Option<string?>("--jurisdiction") { Description = "ISO 3166 alpha-2 country code" };
        var verified = new Option<string?>("--verified-on") { Description = "Verification date, yyyy-MM-dd" };
        var selfHostedWallet = new Option<bool>("--self-hosted") { Description = "A self-hosted (unhosted) wallet" };
        var document = new Option<string?>("--document") { Description = "Reference to the identity documents (kept by the issuer, never on the ledger)" };
        var documentFile = new Option<FileInfo?>("--document-file") { Description = "The identity document file: only its SHA-256 is recorded" };
        var holder = new Command("holder", "Show a holder's KYC record; with --tier, record or replace it (compliance role; audited).")
        {
            holderAddress, tier, jurisdiction, verified, selfHostedWallet, document, documentFile,
        };
        holder.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var who = parse.GetValue(holderAddress)!;
            HolderInfo info;
            if (parse.GetValue(tier) is int t)
            {
                var file = parse.GetValue(documentFile) ?? throw new ArgumentException("--document-file FILE is required with --tier (only its SHA-256 is recorded)");
                var hash = "0x" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file.FullName, ct)));
                info = await api.RegisterHolderAsync(who, new HolderRequest
                {
                    Tier = t,
                    Jurisdiction = parse.GetValue(jurisdiction),
                    VerifiedOn = parse.GetValue(verified),
                    SelfHosted = parse.GetValue(selfHostedWallet),
                    DocumentReference = parse.GetValue(document) ?? file.Name,
                    DocumentHash = hash,
                }, ct);
            }
            else
            {
                info = await api.GetHolderAsync(who, ct);
            }

            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(info);
            }
            else if (!info.Registered)
            {
                AnsiConsole.MarkupLineInterpolated($"{info.Address}: not registered (unverified, tier 0)");
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"{info.Address}: tier {info.Tier}, {info.Jurisdiction}, verified {info.VerifiedOn}, {(info.SelfHosted ? "self-hosted" : "hosted")}, documents {info.DocumentReference} sha256 {info.DocumentHash}");
            }

            return CliContext.ExitOk;
        }));
        kyc.Add(holder);
        return kyc;
    }

    private static KycTierInfo ParseTier(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 4)
        {
            throw new ArgumentException($"--tier '{text}': four limits PERTRANSFER,PERDAY,PERMONTH,BALANCECAP ('-' = none)");
        }

        string? Part(int i) => parts[i].Trim() is "-" or "" ? null : parts[i].Trim();
        return new KycTierInfo(Part(0), Part(1), Part(2), Part(3));
    }

    private static void PrintLimits(ParseResult parse, KycLimitsInfo info)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(info);
            return;
        }

        AnsiConsole.MarkupLineInterpolated($"{info.Coin}: KYC limits {(info.Enabled ? "on" : "off")}, self-hosted wallets at most tier {info.SelfHostedMaxTier}");
        var table = new Table().AddColumns("tier", "per transfer", "per day", "per month", "balance cap");
        for (var i = 0; i < info.Tiers.Count; i++)
        {
            var t = info.Tiers[i];
            table.AddRow(i.ToString(System.Globalization.CultureInfo.InvariantCulture), t.PerTransfer ?? "-", t.PerDay ?? "-", t.PerMonth ?? "-", t.BalanceCap ?? "-");
        }

        AnsiConsole.Write(table);
    }
}
