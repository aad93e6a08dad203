using System.CommandLine;
using System.Globalization;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

internal static class QueryCommands
{
    public static Command CreateBalance()
    {
        var address = new Argument<string>("address") { Description = "0x address" };
        var coin = new Option<string?>("--coin") { Description = "Only this coin" };
        var command = new Command("balance", "Show the balances of an address.") { address, coin };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var only = parse.GetValue(coin);
            if (only is not null)
            {
                await client.GetCoinAsync(only, ct); // an unknown coin is an error (coin_not_found), not an empty balance
            }

            var account = await client.GetAccountAsync(parse.GetValue(address)!, ct);
            var balances = account.Balances.Where(b => only is null || b.Coin == only).ToList();
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(account with { Balances = balances });
                return CliContext.ExitOk;
            }

            var decimals = await CliContext.DecimalsAsync(client, ct);
            if (balances.Count == 0)
            {
                AnsiConsole.MarkupLine($"{account.Address} holds nothing{(only is null ? "" : " in " + Markup.Escape(only))}.");
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Coin", "Balance", "Available", "Held (out)", "Held (in)", "Frozen");
            foreach (var b in balances)
            {
                var d = decimals.GetValueOrDefault(b.Coin);
                table.AddRow(b.Coin, CoinUnits.Format(b.Balance, d), CoinUnits.Format(b.Available, d), CoinUnits.Format(b.DebitsPending, d),
                    CoinUnits.Format(b.CreditsPending, d), b.Frozen ? "[red]yes[/]" : "no");
            }

            AnsiConsole.MarkupLine($"[bold]{account.Address}[/]");
            AnsiConsole.Write(table);
            return CliContext.ExitOk;
        }));
        return command;
    }

    public static Command CreateHistory()
    {
        var address = new Argument<string>("address") { Description = "0x address" };
        var coin = new Option<string>("--coin") { Description = "Coin symbol", Required = true };
        var command = CliContext.ListCommand("history", "Show an account's transfers, newest first.", coin);
        command.Arguments.Add(address);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var who = parse.GetValue(address)!;
            var page = await client.GetHistoryAsync(who, parse.GetValue(coin)!, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            var d = (await client.GetCoinAsync(parse.GetValue(coin)!, ct)).Decimals;
            var table = new Table().AddColumns("Time (UTC)", "Id", "Direction", "Counterparty", "Amount", "Kind", "Block");
            foreach (var t in page.Items)
            {
                var outgoing = string.Equals(t.Debit, who, StringComparison.OrdinalIgnoreCase);
                var kind = t.Hold is not null ? "hold (" + t.Hold + ")" : t.Flags.Count > 0 ? string.Join(',', t.Flags) : "transfer";
                table.AddRow(
                    DateTimeOffset.FromUnixTimeMilliseconds((long)(t.Timestamp / 1_000_000)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    t.Id,
                    outgoing ? "[red]out[/]" : "[green]in[/]",
                    outgoing ? t.Credit : t.Debit,
                    (outgoing ? "-" : "+") + CoinUnits.Format(t.Amount, d),
                    Markup.Escape(kind),
                    t.Height.ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(page);

            return CliContext.ExitOk;
        }));
        return command;
    }

    public static Command CreateBlocks()
    {
        var height = new Argument<ulong?>("height") { Description = "Show this block (default: list the newest)", Arity = ArgumentArity.ZeroOrOne };
        var commands = new Option<bool>("--commands") { Description = "With a height: list the block's commands" };
        var command = CliContext.ListCommand("blocks", "List blocks, newest first, or show one block.", commands);
        command.Arguments.Add(height);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            if (parse.GetValue(height) is ulong h)
            {
                var block = await client.GetBlockAsync(h, parse.GetValue(commands), ct);
                if (CliContext.WantsJson(parse))
                {
                    CliContext.PrintJson(block);
                    return CliContext.ExitOk;
                }

                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("height", block.Height.ToString(CultureInfo.InvariantCulture));
                grid.AddRow("hash", block.Hash);
                grid.AddRow("previous", block.PreviousHash);
                grid.AddRow("time", block.Time.ToString("O", CultureInfo.InvariantCulture));
                grid.AddRow("commands", block.CommandCount.ToString(CultureInfo.InvariantCulture));
                grid.AddRow("commands root", block.CommandsRoot);
                grid.AddRow("results root", block.ResultsRoot);
                AnsiConsole.Write(grid);
                if (block.Commands is { } list)
                {
                    var table = new Table().AddColumns("#", "Kind", "Result", "Id", "From", "To", "Amount (minor units)");
                    foreach (var c in list)
                    {
                        table.AddRow(c.Index.ToString(CultureInfo.InvariantCulture), c.Kind, c.Result, c.Transfer?.Id ?? "", c.Transfer?.Debit ?? "", c.Transfer?.Credit ?? "", c.Transfer?.Amount ?? "");
                    }

                    AnsiConsole.Write(table);
                }

                return CliContext.ExitOk;
            }

            var blocks = await client.ListBlocksAsync(parse.GetValue(CliContext.Limit) ?? 10, parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(blocks);
                return CliContext.ExitOk;
            }

            var t = new Table().AddColumns("Height", "Time (UTC)", "Commands", "Hash");
            foreach (var b in blocks.Items)
            {
                t.AddRow(b.Height.ToString(CultureInfo.InvariantCulture), b.Time.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), b.CommandCount.ToString(CultureInfo.InvariantCulture), b.Hash);
            }

            AnsiConsole.Write(t);
            CliContext.PrintNext(blocks);
            return CliContext.ExitOk;
        }));
        return command;
    }
}
