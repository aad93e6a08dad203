using System.CommandLine;
using System.Globalization;
using Centime.Client;
using Centime.Contracts;
using Centime.Crypto;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// `centime contract create|show|list|event|fact|schema` (docs/contracts.md). Creating needs the operator key; an event is
/// signed with the designated party's keystore wallet (EIP-712 ContractEvent), no operator key. Amounts on the command
/// line and in tables are whole coins, like every command; the contract document (the API's body) and --json keep minor units.
/// </summary>
internal static class ContractCommands
{
    public static Command Create()
    {
        var command = new Command("contract", "Programmable payments: escrow, bond, split, refund, milestones, stream, subscription, standing_order.");

        var file = new Argument<string>("file") { Description = "The contract document (JSON; see 'centime contract schema'); - reads stdin" };
        var create = new Command("create", "Validate, fund and start a contract (operator key).") { file };
        create.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var path = parse.GetValue(file)!;
            var text = path == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            using var api = CliContext.Client(parse);
            await PrintAsync(parse, api, await api.CreateContractAsync(text, ct), ct);
            return CliContext.ExitOk;
        }));
        command.Add(create);

        var id = new Argument<string>("id") { Description = "Contract id" };
        var show = new Command("show", "A contract: terms, status, amounts and every movement.") { id };
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            await PrintAsync(parse, api, await api.GetContractAsync(parse.GetValue(id)!, ct), ct, steps: true);
            return CliContext.ExitOk;
        }));
        command.Add(show);

        var party = new Option<string?>("--party") { Description = "Only contracts where this address has a role" };
        var status = new Option<string?>("--status") { Description = "open, disputed or closed" };
        var list = CliContext.ListCommand("list", "List contracts, by id.", party, status);
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var contracts = await api.ListContractsAsync(parse.GetValue(party), parse.GetValue(status), parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(contracts);
                return CliContext.ExitOk;
            }

            var decimals = await CliContext.DecimalsAsync(api, ct);
            var table = new Table().AddColumns("Id", "Kind", "Coin", "Status", "Amount", "Released", "Returned", "Remaining");
            foreach (var c in contracts.Items)
            {
                var d = decimals.GetValueOrDefault(c.Coin);
                table.AddRow(c.Id, c.Kind, c.Coin, c.Status, CoinUnits.Format(c.Amount, d), CoinUnits.Format(c.Released, d), CoinUnits.Format(c.Returned, d), CoinUnits.Format(c.Remaining, d));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(contracts);
            return CliContext.ExitOk;
        }));
        command.Add(list);

        var eventId = new Argument<string>("id") { Description = "Contract id" };
        var action = new Argument<string>("action") { Description = "confirm, dispute, decide, slash, milestone, withdraw, cancel, charge, trigger" };
        var wallet = new Option<string>("--wallet") { Description = "The signing party's wallet (name or address in the keystore)", Required = true };
        var amount = new Option<string?>("--amount") { Description = "decide: the payee's share; slash, charge: the amount (whole coins, e.g. 30 or 2.50)" };
        var milestone = new Option<uint?>("--milestone") { Description = "milestone: its number, from 0" };
        var reason = new Option<string?>("--reason") { Description = "slash: why (required)" };
        var signedEvent = new Command("event", "Sign an event with a wallet (EIP-712) and send it.") { eventId, action, wallet, amount, milestone, reason, WalletCommands.KeystoreDir, WalletCommands.PasswordFile };
        signedEvent.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var contractText = parse.GetValue(eventId)!;
            if (!UInt128.TryParse(contractText, NumberStyles.None, CultureInfo.InvariantCulture, out var contract))
            {
                throw new UsageException($"'{contractText}' is not a contract id");
            }

            if (!ContractNames.TryParseAction(parse.GetValue(action), out var a))
            {
                throw new UsageException("the action is one of confirm, dispute, decide, slash, milestone, withdraw, cancel, charge, trigger");
            }

            using var api = CliContext.Client(parse);
            UInt128 units = 0; // the signed value: minor units, or the milestone's number
            if (parse.GetValue(milestone) is uint number)
            {
                units = number;
            }
            else if (parse.GetValue(amount) is { } whole)
            {
                var decimals = (await api.GetCoinAsync((await api.GetContractAsync(contractText, ct)).Coin, ct)).Decimals;
                if (!CoinUnits.TryParse(whole, decimals, out units, out var error))
                {
                    throw new UsageException("--amount: " + error);
                }
            }

            var key = WalletCommands.LoadPrivateKey(parse, parse.GetValue(wallet)!);

            var nonce = HolderSigner.NewNonce();
            var signature = ContractEventSignature.Sign(key, contract, a, units, nonce);
            var signer = Secp256k1.Default.AddressOf(key);
            Array.Clear(key);
            var request = new ContractEventSubmission(ContractNames.Of(a), units.ToString(CultureInfo.InvariantCulture), nonce.ToString(), signature.ToHex(), parse.GetValue(reason), signer.ToString());
            await PrintAsync(parse, api, await api.SendContractEventAsync(contractText, request, ct), ct);
            return CliContext.ExitOk;
        }));
        command.Add(signedEvent);

        var factKey = new Argument<string>("key") { Description = "The fact, e.g. stock_available:SKU-123 or delivered:order-42" };
        var factValue = new Argument<string>("value") { Description = "Its value (contracts fire on their factValue, \"true\" by default)", DefaultValueFactory = _ => "true" };
        var oracleWallet = new Option<string>("--wallet") { Description = "The oracle's wallet (name or address in the keystore)", Required = true };
        var observed = new Option<ulong?>("--observed-at") { Description = "When the fact was observed, Unix seconds (default: now)" };
        var chain = new Option<ulong>("--chain-id") { Description = "The node's network id (EIP-712 domain)", DefaultValueFactory = _ => 8402 };
        var fact = new Command("fact", "Attest a fact as an oracle (EIP-712 OracleFact) and send it: fires the contracts waiting on it.")
            { factKey, factValue, oracleWallet, observed, chain, WalletCommands.KeystoreDir, WalletCommands.PasswordFile };
        fact.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var key = WalletCommands.LoadPrivateKey(parse, parse.GetValue(oracleWallet)!);

            var k = parse.GetValue(factKey)!;
            var v = parse.GetValue(factValue)!;
            var at = parse.GetValue(observed) ?? (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var nonce = HolderSigner.NewNonce();
            var signature = OracleFactSignature.Sign(key, parse.GetValue(chain), k, v, at, nonce);
            var oracle = Secp256k1.Default.AddressOf(key);
            Array.Clear(key);
            using var api = CliContext.Client(parse);
            var request = new OracleFactSubmission(k, v, at.ToString(CultureInfo.InvariantCulture), nonce.ToString(), signature.ToHex(), oracle.ToString());
            var outcome = await api.AttestFactAsync(request, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(outcome);
            }
            else
            {
                AnsiConsole.MarkupLine($"fact [bold]{Markup.Escape(k)}[/] = {Markup.Escape(v)} by {outcome.Oracle} in block {outcome.Height}: " +
                                       (outcome.Fired.Count == 0 ? "no contract fired" : "fired " + string.Join(", ", outcome.Fired)));
            }

            return CliContext.ExitOk;
        }));
        command.Add(fact);

        var schema = new Command("schema", "Print the JSON Schema of a contract document.");
        schema.SetAction(_ =>
        {
            Console.Out.WriteLine(ContractDocument.Schema);
            return CliContext.ExitOk;
        });
        command.Add(schema);
        return command;
    }

    private static async Task PrintAsync(ParseResult parse, CentimeClient api, ContractInfo c, CancellationToken ct, bool steps = false)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(c);
            return;
        }

        var d = (await api.GetCoinAsync(c.Coin, ct)).Decimals;
        string Coins(string minor) => CoinUnits.Format(minor, d);
        AnsiConsole.MarkupLine($"contract [bold]{c.Id}[/] {c.Kind} [bold]{Markup.Escape(c.Status)}[/]: amount {Coins(c.Amount)} {Markup.Escape(c.Coin)}, released {Coins(c.Released)}, " +
                               $"returned {Coins(c.Returned)}, remaining {Coins(c.Remaining)}" + (c.Account is null ? "" : $" (account {c.Account})"));
        if (steps)
        {
            var table = new Table().AddColumns("Transfer", "Step", "To", "Amount", "Reason");
            foreach (var s in c.Steps)
            {
                table.AddRow(s.Transfer, s.Step, s.To, Coins(s.Amount), Markup.Escape(s.Reason ?? ""));
            }

            AnsiConsole.Write(table);
        }
    }
}
