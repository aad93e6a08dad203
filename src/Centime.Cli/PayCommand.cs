using System.CommandLine;
using System.Globalization;
using Centime.Client;
using Centime.Crypto;
using Spectre.Console;
using Address = Centime.Ledger.Address;

namespace Centime.Cli;

/// <summary>`centime pay`: a holder pays from a keystore wallet with a signed EIP-3009 authorization (no operator key).</summary>
internal static class PayCommand
{
    public static Command Create()
    {
        var wallet = new Option<string>("--wallet") { Description = "Paying wallet: its name or address in the keystore", Required = true };
        var coin = new Option<string>("--coin") { Description = "Coin symbol, e.g. NUSD", Required = true };
        var to = new Option<string>("--to") { Description = "Payee address", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount in whole coins, e.g. 1.50 (exact)", Required = true };
        var validFor = new Option<uint>("--valid-for") { Description = "Seconds the authorization stays valid", DefaultValueFactory = _ => 3600 };
        var toCoin = new Option<string?>("--to-coin") { Description = "Pay the payee in this coin: quote, show fee and rate, sign the acceptance, swap atomically (--amount is what you spend in --coin)" };
        var command = new Command("pay", "Pay from a wallet: sign an EIP-3009 transferWithAuthorization and submit it (or, with --to-coin, a cross-border payment).")
        {
            wallet, coin, to, amount, validFor, toCoin, Slippage, WalletCommands.KeystoreDir, WalletCommands.PasswordFile,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            if (!Address.TryParse(parse.GetValue(to), out var payee))
            {
                throw new UsageException($"--to '{parse.GetValue(to)}' is not a 0x address with a valid EIP-55 checksum");
            }

            using var client = CliContext.Client(parse);
            var symbol = parse.GetValue(coin)!;
            var info = await client.GetCoinAsync(symbol, ct);
            if (!CoinUnits.TryParse(parse.GetValue(amount)!, info.Decimals, out var units, out var error))
            {
                throw new UsageException(error!);
            }

            var signer = LoadSigner(parse, parse.GetValue(wallet)!);
            if (parse.GetValue(toCoin) is { } target && target != symbol)
            {
                return await PayCrossBorderAsync(parse, client, signer, symbol, target, payee, units, ct);
            }

            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var request = signer.SignAuthorization(info.Domain, payee, units, 0, now + parse.GetValue(validFor));
            var outcome = await client.TransferWithAuthorizationAsync(symbol, request, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(new { outcome.Result, outcome.Id, outcome.Height, From = signer.Address.ToString(), To = payee.ToString(), Amount = units.ToString(CultureInfo.InvariantCulture), request.Nonce });
            }
            else
            {
                AnsiConsole.MarkupLine($"[green]paid[/] {Markup.Escape(CoinUnits.Format(units.ToString(CultureInfo.InvariantCulture), info.Decimals))} {Markup.Escape(symbol)} from {signer.Address} to {payee} " +
                                       $"(transfer {Markup.Escape(outcome.Id ?? "")}, block {outcome.Height})");
            }

            return CliContext.ExitOk;
        }));
        return command;
    }

    /// <summary>Largest accepted shortfall from the quoted output, in basis points.</summary>
    internal static readonly Option<string?> Slippage = new("--slippage-bps") { Description = "Accept up to this shortfall from the quoted output, in basis points (default 10)" };

    /// <summary>Loads a keystore wallet's key (asking for its password) into a signer; the key bytes are cleared.</summary>
    internal static HolderSigner LoadSigner(ParseResult parse, string name)
    {
        var key = WalletCommands.LoadPrivateKey(parse, name);

        try
        {
            return new HolderSigner(key);
        }
        finally
        {
            Array.Clear(key);
        }
    }

    // Quote → show fee and rate → sign the SwapAcceptance of exactly those terms → pay (one atomic swap to the payee).
    private static async Task<int> PayCrossBorderAsync(ParseResult parse, CentimeClient client, HolderSigner signer, string from, string to, Address payee, UInt128 units, CancellationToken ct)
    {
        var quote = await client.QuoteAsync(new QuoteRequest(from, to, units.ToString(CultureInfo.InvariantCulture), signer.Address.ToString(), payee.ToString(), parse.GetValue(Slippage)), ct);
        if (!CliContext.WantsJson(parse))
        {
            await ExchangeCommands.PrintQuoteAsync(client, quote, ct);
        }

        var swap = await client.PayAsync(signer.SignAcceptance(quote), ct);
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(new { quote, swap });
        }
        else
        {
            await ExchangeCommands.PrintSwapAsync(client, swap, ct);
        }

        return CliContext.ExitOk;
    }
}
