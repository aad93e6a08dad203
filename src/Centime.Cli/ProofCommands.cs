using System.CommandLine;
using System.Text.Json;
using Centime.Client;
using Hash32 = Centime.Ledger.Hash32;
using Spectre.Console;

namespace Centime.Cli;

internal static class ProofCommands
{
    public static Command CreateProof()
    {
        var id = new Argument<string>("id") { Description = "Transfer id" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the proof to this file (default: print it)" };
        var command = new Command("proof", "Fetch a transfer's Merkle inclusion proof.") { id, output };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var proof = await client.GetInclusionProofAsync(parse.GetValue(id)!, ct);
            var json = JsonSerializer.Serialize(proof, CliContext.JsonOut);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, json, ct);
                if (!CliContext.WantsJson(parse))
                {
                    AnsiConsole.MarkupLine($"proof of transfer {proof.Transfer.Id} in block {proof.Block.Height} ({proof.Block.Hash}) written to {Markup.Escape(file.FullName)}");
                }
            }
            else
            {
                Console.Out.WriteLine(json);
            }

            return CliContext.ExitOk;
        }));
        return command;
    }

    public static Command CreateVerifyInclusion()
    {
        var file = new Argument<FileInfo>("proof") { Description = "Proof file from `centime proof ID -o FILE` or GET /v1/transfers/{id}/proof" };
        var blockHash = new Option<string?>("--block-hash") { Description = "A block hash you trust (e.g. from another node); the proof must end in it" };
        var command = new Command("verify-inclusion", "Check an inclusion proof offline (no network).") { file, blockHash };
        command.SetAction((parse, ct) =>
        {
            var f = parse.GetValue(file)!;
            InclusionProof? proof;
            try
            {
                proof = JsonSerializer.Deserialize<InclusionProof>(File.ReadAllText(f.FullName), JsonSerializerOptions.Web);
            }
            catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
            {
                CliContext.Error($"cannot read {Markup.Escape(f.FullName)}: {Markup.Escape(ex.Message)}");
                return Task.FromResult(CliContext.ExitUsage);
            }

            if (proof is null || proof.Transfer is null || proof.Block is null)
            {
                CliContext.Error("not an inclusion proof");
                return Task.FromResult(CliContext.ExitUsage);
            }

            Hash32? trusted = null;
            if (parse.GetValue(blockHash) is { } text)
            {
                if (!Hash32.TryParse(text, out var h))
                {
                    CliContext.Error("--block-hash must be 0x + 64 hex digits");
                    return Task.FromResult(CliContext.ExitUsage);
                }

                trusted = h;
            }

            var result = InclusionVerifier.Verify(proof, trusted);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(new { valid = result.Valid, blockHash = result.BlockHash, checks = result.Checks.Select(c => new { check = c.Check, passed = c.Passed, detail = c.Detail }) });
            }
            else
            {
                foreach (var (check, passed, detail) in result.Checks)
                {
                    AnsiConsole.MarkupLine($"{(passed ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape(check)} [grey]{Markup.Escape(detail)}[/]");
                }

                AnsiConsole.MarkupLine(result.Valid
                    ? $"[green]VALID[/]: transfer {proof.Transfer.Id} is in block {proof.Block.Height} with hash {result.BlockHash}" + (trusted is null ? " (compare this hash with one you trust, or pass --block-hash)" : "")
                    : "[red]INVALID[/]: the proof does not hold");
            }

            return Task.FromResult(result.Valid ? CliContext.ExitOk : CliContext.ExitFailed);
        });
        return command;
    }
}
