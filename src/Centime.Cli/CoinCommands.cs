using System.CommandLine;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

internal static class CoinCommands
{
    public static Command Create()
    {
        var coin = new Command("coin", "Create and list coins.");

        var symbol = new Argument<string>("symbol") { Description = "Ticker, e.g. NUSD" };
        var currency = new Option<string>("--currency") { Description = "ISO 4217 currency tracked, e.g. USD", Required = true };
        var decimals = new Option<int>("--decimals") { Description = "Decimal places of the minor unit", DefaultValueFactory = _ => 6 };
        var name = new Option<string?>("--name") { Description = "EIP-712 domain name (defaults to the symbol)" };
        var version = new Option<string>("--domain-version") { Description = "EIP-712 domain version", DefaultValueFactory = _ => "1" };
        var sandbox = new Option<bool?>("--sandbox") { Description = "An unbacked test coin the operator key may mint and move (only on a node started with --sandbox, where it is the default)" };
        var create = new Command("create", "Create a coin (operator key needed).") { symbol, currency, decimals, name, version, sandbox };
        create.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var info = await client.CreateCoinAsync(new CreateCoinRequest(parse.GetValue(symbol)!, parse.GetValue(currency)!, parse.GetValue(decimals), parse.GetValue(name), parse.GetValue(version)) { Sandbox = parse.GetValue(sandbox) }, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(info);
            }
            else
            {
                AnsiConsole.MarkupLine($"[green]created[/] {info.Symbol} ({info.Currency}, {info.Decimals} decimals)");
                PrintCoins([info]);
            }

            return CliContext.ExitOk;
        }));
        coin.Add(create);

        var list = CliContext.ListCommand("list", "List coins with supply and EIP-712 domain.");
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var coins = await client.ListCoinsAsync(parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(coins);
            }
            else
            {
                PrintCoins(coins.Items);
                CliContext.PrintNext(coins);
            }

            return CliContext.ExitOk;
        }));
        coin.Add(list);
        return coin;
    }

    private static void PrintCoins(IEnumerable<CoinInfo> coins)
    {
        var table = new Table().AddColumns("Symbol", "Currency", "Supply", "Supply account", "EIP-712 domain (name, version, chainId, verifyingContract)");
        foreach (var c in coins)
        {
            table.AddRow(c.Symbol, c.Currency, CoinUnits.Format(c.Supply, c.Decimals), c.SupplyAccount,
                Markup.Escape($"{c.Domain.Name}, {c.Domain.Version}, {c.Domain.ChainId}, {c.Domain.VerifyingContract}"));
        }

        AnsiConsole.Write(table);
    }
}
