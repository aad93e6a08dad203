using System.CommandLine;
using System.Globalization;
using Centime.Client;
using Centime.Issuance;
using Centime.Node.Transparency;
using Spectre.Console;
using Address = Centime.Ledger.Address;
using Hash32 = Centime.Ledger.Hash32;

namespace Centime.Cli;

/// <summary>
/// Proof of liabilities and disclosure reports: <c>centime liabilities publish|show|proof</c>, <c>centime verify-proof</c>
/// (offline), <c>centime report monthly|verify</c> (docs/transparency.md).
/// </summary>
internal static class LiabilityCommands
{
    private static readonly Option<string> Coin = new("--coin") { Description = "Coin symbol", Required = true };

    public static Command CreateLiabilities()
    {
        var command = new Command("liabilities", "Proof of liabilities: publish a root, show it, fetch a holder's proof.");

        var publish = new Command("publish", "Build the Merkle-sum tree over every holder balance now and publish its root (operator).") { Coin };
        publish.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            PrintRoot(parse, await api.PublishLiabilitiesAsync(parse.GetValue(Coin)!, ct));
            return CliContext.ExitOk;
        }));
        command.Add(publish);

        var history = new Option<bool>("--history") { Description = "Every published root, oldest first" };
        var show = CliContext.ListCommand("show", "The latest published root (hash, total, height, holders); with --history every root, oldest first (--limit/--cursor page it).", Coin, history);
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(Coin)!;
            if (parse.GetValue(history))
            {
                var all = await api.ListLiabilitiesAsync(coin, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
                if (CliContext.WantsJson(parse))
                {
                    CliContext.PrintJson(all); // one JSON document, not one per root
                    return CliContext.ExitOk;
                }

                foreach (var root in all.Items)
                {
                    PrintRoot(parse, root);
                }

                CliContext.PrintNext(all);

                return CliContext.ExitOk;
            }

            PrintRoot(parse, await api.GetLiabilitiesAsync(coin, ct));
            return CliContext.ExitOk;
        }));
        command.Add(show);

        var address = new Argument<string>("address") { Description = "Holder address" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the proof to this file (default: print it)" };
        var proof = new Command("proof", "Fetch a holder's inclusion proof and check it against the published root.") { address, Coin, output };
        proof.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(Coin)!;
            var json = await api.GetLiabilityProofJsonAsync(coin, parse.GetValue(address)!, ct);
            var published = await api.GetLiabilitiesAsync(coin, ct);
            if (!Hash32.TryParse(published.Root.Hash, out var rootHash) || !UInt128.TryParse(published.Root.Total, NumberStyles.None, CultureInfo.InvariantCulture, out var rootTotal))
            {
                throw new InvalidDataException("the node published a root that is not a hash and a total");
            }

            var verdict = LiabilityProofVerifier.VerifyJson(json, new LiabilitiesRoot(rootHash, rootTotal));
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, json, ct);
                AnsiConsole.MarkupLine($"proof written to {Markup.Escape(file.FullName)}");
            }
            else
            {
                Console.Out.WriteLine(json);
            }

            AnsiConsole.MarkupLine(verdict.IsValid
                ? $"[green]VALID[/] against the published root {published.Root.Hash} (height {published.Height})"
                : $"[red]INVALID[/] {Markup.Escape(verdict.Code)}: {Markup.Escape(verdict.Reason)}");
            return verdict.IsValid ? CliContext.ExitOk : CliContext.ExitFailed;
        }));
        command.Add(proof);
        return command;
    }

    public static Command CreateVerifyProof()
    {
        var file = new Option<FileInfo>("--proof") { Description = "Proof file (from `centime liabilities proof` or the transparency page)", Required = true };
        var root = new Option<string>("--root") { Description = "The published root hash you trust (0x + 64 hex)", Required = true };
        var total = new Option<string?>("--total") { Description = "The published total liabilities in minor units (default: the total the root hash commits to)" };
        var command = new Command("verify-proof", "Check a proof-of-liabilities inclusion proof offline against a published root.") { file, root, total };
        command.SetAction(parse =>
        {
            string json;
            try
            {
                json = File.ReadAllText(parse.GetValue(file)!.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                CliContext.Error($"{Markup.Escape(ex.Message)}");
                return CliContext.ExitUsage;
            }

            if (!Hash32.TryParse(parse.GetValue(root), out var hash))
            {
                CliContext.Error("--root must be 0x + 64 hex digits");
                return CliContext.ExitUsage;
            }

            UInt128 expectedTotal;
            if (parse.GetValue(total) is { } totalText)
            {
                if (!UInt128.TryParse(totalText, NumberStyles.None, CultureInfo.InvariantCulture, out expectedTotal))
                {
                    CliContext.Error("--total must be an integer in minor units");
                    return CliContext.ExitUsage;
                }
            }
            else
            {
                // The root hash commits to both child sums, so the hash alone fixes the total: take the one the proof
                // recomputes (the proof's own root total, checked by the verifier against the path).
                expectedTotal = LiabilityProofJson.TryParse(json, out var parsed, out _) ? parsed.Root.Total : UInt128.Zero;
            }

            var verdict = LiabilityProofVerifier.VerifyJson(json, new LiabilitiesRoot(hash, expectedTotal));
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(new { valid = verdict.IsValid, code = verdict.Code, reason = verdict.Reason });
            }
            else if (verdict.IsValid)
            {
                var proof = LiabilityProofJson.Parse(json);
                AnsiConsole.MarkupLine($"[green]VALID[/]: {proof.Address} holds {proof.Balance} (minor units) of {Markup.Escape(proof.Coin)} in the tree with root {hash} and total {expectedTotal} at height {proof.Height}");
            }
            else
            {
                AnsiConsole.MarkupLine($"[red]INVALID[/] {Markup.Escape(verdict.Code)}: {Markup.Escape(verdict.Reason)}");
            }

            return verdict.IsValid ? CliContext.ExitOk : CliContext.ExitFailed;
        });
        return command;
    }

    public static Command CreateReport()
    {
        var command = new Command("report", "Signed disclosure reports.");
        var month = new Option<string>("--month") { Description = "Month as YYYY-MM", Required = true };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Directory for <COIN>-<MONTH>.json and .html (default: current directory)" };
        var monthly = new Command("monthly", "Fetch the signed monthly report and write it as JSON and HTML.") { Coin, month, outDir };
        monthly.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var coin = parse.GetValue(Coin)!;
            var m = parse.GetValue(month)!;
            using var api = CliContext.Client(parse);

            // The signed bytes are written exactly as received: re-serialising would break the signature.
            var bytes = await api.GetMonthlyReportAsync(coin, m, ct);
            var directory = parse.GetValue(outDir)?.FullName ?? Directory.GetCurrentDirectory();
            Directory.CreateDirectory(directory);
            var jsonPath = Path.Combine(directory, $"{coin}-{m}.json");
            var htmlPath = Path.Combine(directory, $"{coin}-{m}.html");
            await File.WriteAllBytesAsync(jsonPath, bytes, ct);
            await File.WriteAllTextAsync(htmlPath, MonthlyReportHtml.Render(bytes), ct);
            var verdict = DisclosureSignature.Verify(bytes);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(jsonPath)} and {Markup.Escape(htmlPath)}");
            AnsiConsole.MarkupLine(verdict.IsValid ? $"[green]signed[/] by {verdict.Signer}" : $"[red]signature does not hold[/]: {Markup.Escape(verdict.Reason)}");
            return verdict.IsValid ? CliContext.ExitOk : CliContext.ExitFailed;
        }));
        command.Add(monthly);

        var file = new Argument<FileInfo>("file") { Description = "A signed report (JSON) from `centime report monthly`" };
        var signer = new Option<string?>("--signer") { Description = "The issuer address you trust; the report must be signed by it" };
        var verify = new Command("verify", "Check a report's signature offline.") { file, signer };
        verify.SetAction(parse =>
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(parse.GetValue(file)!.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                CliContext.Error($"{Markup.Escape(ex.Message)}");
                return CliContext.ExitUsage;
            }

            Address? expected = null;
            if (parse.GetValue(signer) is { } s)
            {
                if (!Address.TryParse(s, out var a))
                {
                    CliContext.Error("--signer must be a 0x address (EIP-55 checksum if mixed case)");
                    return CliContext.ExitUsage;
                }

                expected = a;
            }

            var verdict = DisclosureSignature.Verify(bytes, expected);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(new { valid = verdict.IsValid, code = verdict.Code, reason = verdict.Reason, signer = verdict.Signer });
            }
            else
            {
                AnsiConsole.MarkupLine(verdict.IsValid
                    ? $"[green]VALID[/]: {Markup.Escape(verdict.Reason)}"
                    : $"[red]INVALID[/] {Markup.Escape(verdict.Code)}: {Markup.Escape(verdict.Reason)}");
            }

            return verdict.IsValid ? CliContext.ExitOk : CliContext.ExitFailed;
        });
        command.Add(verify);
        return command;
    }

    private static void PrintRoot(ParseResult parse, LiabilitiesInfo root)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(root);
            return;
        }

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(root.Coin)}[/] at height {Markup.Escape(root.Height)}: root {root.Root.Hash}, total {root.Root.Total} ({root.LeafCount:N0} holders; " +
                               $"circulating supply {Markup.Escape(root.CirculatingSupply)} {(root.TotalMatchesSupply ? "[green]matches[/]" : "[red]DIFFERS[/]")}; published {root.PublishedAt:u})");
    }
}
