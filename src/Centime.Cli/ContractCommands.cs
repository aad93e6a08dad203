using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Centime.Client;
using Centime.Contracts;
using Centime.Crypto;
using Centime.Node.Api;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// `centime contract create|show|list|event|fact|schema` (docs/contracts.md). Creating needs the operator key; an event is
/// signed with the designated party's keystore wallet (EIP-712 ContractEvent), no operator key. Amounts are minor
/// units, as in the contract document.
/// </summary>
internal static class ContractCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var command = new Command("contract", "Programmable payments: escrow, bond, split, refund, milestones, stream, subscription, standing_order.");

        var file = new Argument<string>("file") { Description = "The contract document (JSON; see 'centime contract schema'); - reads stdin" };
        var create = new Command("create", "Validate, fund and start a contract (operator key).") { file };
        create.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var path = parse.GetValue(file)!;
            var text = path == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            using var http = Http(parse, withKey: true);
            using var content = new StringContent(text, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("v1/contracts", content, ct);
            Print(parse, await CentimeClient.ReadResponseAsync<ContractView>(response, ct));
            return CliContext.ExitOk;
        }));
        command.Add(create);

        var id = new Argument<string>("id") { Description = "Contract id" };
        var show = new Command("show", "A contract: terms, status, amounts and every movement.") { id };
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var http = Http(parse, withKey: false);
            using var response = await http.GetAsync($"v1/contracts/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            Print(parse, await CentimeClient.ReadResponseAsync<ContractView>(response, ct), steps: true);
            return CliContext.ExitOk;
        }));
        command.Add(show);

        var party = new Option<string?>("--party") { Description = "Only contracts where this address has a role" };
        var status = new Option<string?>("--status") { Description = "open, disputed or closed" };
        var list = new Command("list", "List contracts.") { party, status };
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var http = Http(parse, withKey: false);
            var query = new List<string>();
            if (parse.GetValue(party) is { } p)
            {
                query.Add("party=" + Uri.EscapeDataString(p));
            }

            if (parse.GetValue(status) is { } s)
            {
                query.Add("status=" + Uri.EscapeDataString(s));
            }

            using var response = await http.GetAsync("v1/contracts" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
            var contracts = await CentimeClient.ReadResponseAsync<List<ContractView>>(response, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(contracts);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Id", "Kind", "Coin", "Status", "Amount", "Released", "Returned", "Remaining");
            foreach (var c in contracts)
            {
                table.AddRow(c.Id, c.Kind, c.Coin, c.Status, c.Amount, c.Released, c.Returned, c.Remaining);
            }

            AnsiConsole.Write(table);
            return CliContext.ExitOk;
        }));
        command.Add(list);

        var eventId = new Argument<string>("id") { Description = "Contract id" };
        var action = new Argument<string>("action") { Description = "confirm, dispute, decide, slash, milestone, withdraw, cancel, charge, trigger" };
        var wallet = new Option<string>("--wallet") { Description = "The signing party's wallet (name or address in the keystore)", Required = true };
        var amount = new Option<string>("--amount") { Description = "decide: the payee's share; slash, charge: the amount (minor units); milestone: its number from 0", DefaultValueFactory = _ => "0" };
        var reason = new Option<string?>("--reason") { Description = "slash: why (required)" };
        var signedEvent = new Command("event", "Sign an event with a wallet (EIP-712) and send it.") { eventId, action, wallet, amount, reason, WalletCommands.KeystoreDir, WalletCommands.PasswordFile };
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

            if (!UInt128.TryParse(parse.GetValue(amount), NumberStyles.None, CultureInfo.InvariantCulture, out var units))
            {
                throw new UsageException("--amount is a whole number of minor units (or a milestone number)");
            }

            var key = WalletCommands.LoadPrivateKey(parse, parse.GetValue(wallet)!);

            var nonce = HolderSigner.NewNonce();
            var signature = ContractEventSignature.Sign(key, contract, a, units, nonce);
            var signer = Secp256k1.Default.AddressOf(key);
            Array.Clear(key);
            using var http = Http(parse, withKey: false);
            var request = new ContractEventRequest(ContractNames.Of(a), units.ToString(CultureInfo.InvariantCulture), nonce.ToString(), signature.ToHex(), parse.GetValue(reason), signer.ToString());
            using var response = await http.PostAsJsonAsync($"v1/contracts/{contract}/events", request, Json, ct);
            Print(parse, await CentimeClient.ReadResponseAsync<ContractView>(response, ct));
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
            using var http = Http(parse, withKey: false);
            var request = new OracleFactRequest(k, v, at.ToString(CultureInfo.InvariantCulture), nonce.ToString(), signature.ToHex(), oracle.ToString());
            using var response = await http.PostAsJsonAsync("v1/contracts/facts", request, Json, ct);
            var outcome = await CentimeClient.ReadResponseAsync<OracleFactOutcome>(response, ct);
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

    private static void Print(ParseResult parse, ContractView c, bool steps = false)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(c);
            return;
        }

        AnsiConsole.MarkupLine($"contract [bold]{c.Id}[/] {c.Kind} [bold]{Markup.Escape(c.Status)}[/]: amount {c.Amount} {Markup.Escape(c.Coin)}, released {c.Released}, returned {c.Returned}, remaining {c.Remaining}" +
                               (c.Account is null ? "" : $" (account {c.Account})"));
        if (steps)
        {
            var table = new Table().AddColumns("Transfer", "Step", "To", "Amount", "Reason");
            foreach (var s in c.Steps)
            {
                table.AddRow(s.Transfer, s.Step, s.To, s.Amount, Markup.Escape(s.Reason ?? ""));
            }

            AnsiConsole.Write(table);
        }
    }

    private static HttpClient Http(ParseResult parse, bool withKey)
    {
        var url = parse.GetValue(CliContext.NodeUrl)!;
        var http = new HttpClient { BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/"), Timeout = TimeSpan.FromSeconds(100) };
        if (withKey)
        {
            var key = parse.GetValue(CliContext.ApiKey) ?? Environment.GetEnvironmentVariable("CENTIME_API_KEY");
            if (key is null && File.Exists(Path.Combine("centime-data", "operator.key")))
            {
                key = File.ReadAllText(Path.Combine("centime-data", "operator.key")).Trim();
            }

            if (key is not null)
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        }

        return http;
    }
}
