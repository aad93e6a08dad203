using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

internal static class TransferCommands
{
    private const int MaxBatch = 8189;

    public static Command CreateTransfer()
    {
        var coin = new Option<string?>("--coin") { Description = "Coin symbol, e.g. NUSD" };
        var from = new Option<string?>("--from") { Description = "Debit address, or 'supply' for the coin's supply account (a mint)" };
        var to = new Option<string?>("--to") { Description = "Credit address, or 'supply' (a burn)" };
        var amount = new Option<string?>("--amount") { Description = "Amount in whole coins, e.g. 12.50 (exact: no more decimals than the coin has)" };
        var id = new Option<string?>("--id") { Description = "Transfer id (128-bit); random if omitted. Resubmitting the same id is idempotent." };
        var pending = new Option<bool>("--pending") { Description = "Place a hold instead of moving the money" };
        var timeout = new Option<uint>("--timeout") { Description = "Seconds before a hold expires (with --pending)" };
        var post = new Option<string?>("--post") { Description = "Post (complete) the hold with this id; --amount posts part of it" };
        var voidHold = new Option<string?>("--void") { Description = "Void (release) the hold with this id" };
        var memo = new Option<string?>("--memo") { Description = "Numeric reference stored with the transfer (e.g. invoice number)" };
        var code = new Option<ushort>("--code") { Description = "Purpose code", DefaultValueFactory = _ => 1 };
        var file = new Option<FileInfo?>("--file") { Description = "Submit transfers from a JSON file ({\"transfers\":[...]} or an array), in batches of 8,189" };
        var command = new Command("transfer", "Move coins, place or settle holds, or submit a file of transfers (operator key needed).")
        {
            coin, from, to, amount, id, pending, timeout, post, voidHold, memo, code, file,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            if (parse.GetValue(file) is { } f)
            {
                return await SubmitFileAsync(parse, client, f, ct);
            }

            var postId = parse.GetValue(post);
            var voidId = parse.GetValue(voidHold);
            var symbol = parse.GetValue(coin);
            string? minor = null;
            CoinInfo? coinInfo = null;
            if (symbol is not null)
            {
                coinInfo = await client.GetCoinAsync(symbol, ct);
            }

            if (parse.GetValue(amount) is { } text)
            {
                if (coinInfo is null)
                {
                    throw new UsageException("--amount needs --coin (to know the coin's decimals)");
                }

                if (!CoinUnits.TryParse(text, coinInfo.Decimals, out var units, out var error))
                {
                    throw new UsageException(error!);
                }

                minor = units.ToString(CultureInfo.InvariantCulture);
            }

            var flags = new List<string>();
            if (parse.GetValue(pending))
            {
                flags.Add("pending");
            }

            if (postId is not null)
            {
                flags.Add("post_pending");
            }

            if (voidId is not null)
            {
                flags.Add("void_pending");
            }

            if (postId is null && voidId is null && (coinInfo is null || minor is null || parse.GetValue(from) is null || parse.GetValue(to) is null))
            {
                throw new UsageException("a transfer needs --coin, --from, --to and --amount (or --post/--void HOLD_ID, or --file)");
            }

            var transferId = parse.GetValue(id);
            if (transferId is null)
            {
                // Said before sending: if the answer is lost, re-running with this id cannot pay twice.
                transferId = NewId();
                CliContext.Stderr.MarkupLine($"transfer id {transferId} (generated; to retry safely, run again with [bold]--id {transferId}[/])");
            }

            var request = new TransferRequest
            {
                Id = transferId,
                Coin = symbol,
                Debit = Resolve(parse.GetValue(from), coinInfo),
                Credit = Resolve(parse.GetValue(to), coinInfo),
                Amount = minor,
                Flags = flags.Count > 0 ? flags : null,
                PendingId = postId ?? voidId,
                Timeout = parse.GetValue(timeout) is var t and > 0 ? t : null,
                Code = parse.GetValue(code),
                Memo = parse.GetValue(memo),
            };
            var response = await client.SubmitTransfersAsync([request], ct);
            var result = response.Results[0];
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(response);
            }
            else if (result.Result is "ok" or "exists")
            {
                var what = postId is not null ? "posted hold" : voidId is not null ? "voided hold" : parse.GetValue(pending) ? "hold placed" : "transferred";
                var shown = minor is not null && coinInfo is not null ? $" {CoinUnits.Format(minor, coinInfo.Decimals)} {coinInfo.Symbol}" : "";
                AnsiConsole.MarkupLine($"[green]{what}[/]{Markup.Escape(shown)}  id {result.Id}  block {response.Height}{(result.Result == "exists" ? "  (already applied earlier: idempotent)" : "")}");
            }
            else
            {
                CliContext.Stderr.MarkupLine($"[red]refused[/] [bold]{Markup.Escape(result.Result)}[/]  id {result.Id}  (nothing moved)");
            }

            return result.Result is "ok" or "exists" ? CliContext.ExitOk : CliContext.ExitFailed;
        }));
        return command;
    }

    private static string? Resolve(string? address, CoinInfo? coin) =>
        address is not null && address.Equals("supply", StringComparison.OrdinalIgnoreCase)
            ? coin?.SupplyAccount ?? throw new UsageException("'supply' needs --coin")
            : address;

    /// <summary>A random 128-bit id (as a decimal string).</summary>
    internal static string NewId()
    {
        Span<byte> b = stackalloc byte[16];
        RandomNumberGenerator.Fill(b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(b).ToString(CultureInfo.InvariantCulture);
    }

    private static async Task<int> SubmitFileAsync(ParseResult parse, CentimeClient client, FileInfo file, CancellationToken ct)
    {
        if (!file.Exists)
        {
            throw new UsageException($"no file {file.FullName}");
        }

        List<TransferRequest> transfers;
        try
        {
            await using var stream = file.OpenRead();
            using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
            var array = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("transfers");
            transfers = array.Deserialize<List<TransferRequest>>(JsonSerializerOptions.Web) ?? [];
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UsageException($"{file.Name}: not a transfer batch ({ex.Message})");
        }

        var ok = 0;
        var failed = new Dictionary<string, int>();
        var batches = (transfers.Count + MaxBatch - 1) / MaxBatch;
        // The progress bar is drawn on stderr (stdout keeps only the result), and not at all under --json.
        var progressConsole = CliContext.WantsJson(parse) ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }) : CliContext.Stderr;
        await progressConsole.Progress().Columns(
                new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"submitting {transfers.Count:N0} transfers", maxValue: transfers.Count);
                for (var b = 0; b < batches; b++)
                {
                    var chunk = transfers.GetRange(b * MaxBatch, Math.Min(MaxBatch, transfers.Count - (b * MaxBatch)));
                    var response = await client.SubmitTransfersAsync(chunk, ct);
                    foreach (var r in response.Results)
                    {
                        if (r.Result is "ok" or "exists")
                        {
                            ok++;
                        }
                        else
                        {
                            failed[r.Result] = failed.GetValueOrDefault(r.Result) + 1;
                        }
                    }

                    task.Increment(chunk.Count);
                }
            });

        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(new { submitted = transfers.Count, succeeded = ok, failed });
        }
        else
        {
            AnsiConsole.MarkupLine($"[green]{ok:N0} succeeded[/], {transfers.Count - ok:N0} failed");
            foreach (var (code, count) in failed)
            {
                AnsiConsole.MarkupLine($"  {Markup.Escape(code)}: {count:N0}");
            }
        }

        return failed.Count == 0 ? CliContext.ExitOk : CliContext.ExitFailed;
    }
}
