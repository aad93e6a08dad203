using System.Text.Json.Nodes;

namespace Centime.Node.Tests;

/// <summary>
/// The grammar table: every field kind (amount, id, address, deadline seconds) × accepted and refused forms, on every
/// route of the table that takes it; an amount given as a JSON number is invalid_field on every route that takes one. A refused form gets the same 400 code on every route; an accepted form is read as
/// the same value everywhere (1000 minor units moved or contracted, whatever its spelling). One node, real HTTP.
/// </summary>
public sealed class FieldGrammarTableTests
{
    private const string Alice = Holders.Alice;
    private const string Bob = Holders.Bob;

    /// <summary>Spellings of 1000 that every route accepts (docs/api.md: decimal or 0x-hex).</summary>
    private static readonly string[] Thousand = ["\"1000\"", "\"0x3e8\"", "\"0X3E8\"", "\"0x00003e8\"", "\"001000\""];

    /// <summary>Refused amount forms and the one code every route answers.</summary>
    private static readonly (string Form, string Code)[] BadAmounts =
    [
        ("\"-1\"", "amount_out_of_range"),
        ("\"340282366920938463463374607431768211456\"", "amount_out_of_range"),
        ("\"0x100000000000000000000000000000000\"", "amount_out_of_range"),
        ("\"1.5\"", "invalid_field"),
        ("\"1e3\"", "invalid_field"),
        ("\" 1000\"", "invalid_field"),
        ("\"+1000\"", "invalid_field"),
        ("\"1_000\"", "invalid_field"),
        ("\"0x\"", "invalid_field"),
        ("\"0xzz\"", "invalid_field"),
        ("\"\"", "invalid_field"),
        ("\"\u0661\u0660\u0660\u0660\"", "invalid_field"), // Arabic-Indic digits are not digits here
    ];

    /// <summary>JSON numbers where an amount goes: refused on every route (docs/api.md: amounts are JSON strings), whatever
    /// the number — even one that fits, since a client may already have rounded it above 2^53.</summary>
    private static readonly string[] NumberForms = ["1000", "9007199254740993", "340282366920938463463374607431768211456", "1e3", "1.5", "-1", "0"];

    private static readonly (string Form, string Code)[] BadIds =
    [
        ("\"-1\"", "invalid_field"),
        ("\"1.5\"", "invalid_field"),
        ("\"abc\"", "invalid_field"),
        ("\"0x\"", "invalid_field"),
        ("\"" + new string('9', 90) + "\"", "invalid_field"),
    ];

    private static readonly string[] BadAddresses =
    [
        "\"0x1234\"",
        "\"70997970C51812dc3A010C7d01b50e0d17dc79C8\"",
        "\"0x70997970c51812dc3A010C7d01b50e0d17dc79C8\"", // one letter's case changed: EIP-55 checksum fails
        "\"0x70997970C51812dc3A010C7d01b50e0d17dc79CZ\"",
    ];

    private int _next = 1000;

    private string NextId() => (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Routes taking an amount, as (name, body with the amount form, the amount read back from a success or null).</summary>
    private (string Route, string Path, Func<string, string> Body)[] AmountRoutes() =>
    [
        ("transfer amount", "v1/transfers", a => $$"""{"transfers":[{"id":"{{NextId()}}","coin":"NUSD","debit":"{{Alice}}","credit":"{{Bob}}","amount":{{a}}}]}"""),
        ("contract amount", "v1/contracts", a => $$"""{"id":"{{NextId()}}","kind":"escrow","coin":"NUSD","amount":{{a}},"parties":{"p":"{{Alice}}","q":"{{Bob}}"},"payer":"p","payee":"q","deadlineSeconds":3600}"""),
        ("quote amountIn", "v1/exchange/quotes", a => $$"""{"from":"NUSD","to":"JHKD","amountIn":{{a}}}"""),
    ];

    [Fact]
    public async Task FieldKinds_AcceptedAndRefusedForms_SameOnEveryRoute()
    {
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.Sandbox = true;
            o.SingleOperator = true;
        });
        await node.CoinWithHoldersAsync("NUSD", 1_000_000_000, Alice);
        await node.CoinWithHoldersAsync("JHKD", 1_000_000_000, Alice);

        // Amounts: refused forms, the same code on every route, nothing applied.
        foreach (var (route, path, body) in AmountRoutes())
        {
            foreach (var (form, code) in BadAmounts)
            {
                await RefusedAsync(node, route, path, body(form), code);
            }

            // A wrong JSON type is a 400 problem too (its code says which: the field's type or the JSON).
            foreach (var wrongType in new[] { "true", "{}", "[]" })
            {
                await RefusedAsync(node, route, path, body(wrongType), null);
            }
        }

        // JSON numbers in an amount: the same invalid_field on every route that takes an amount, nothing applied.
        var reserveManager = (await node.Client.AddOperatorAsync(new Centime.Client.AddOperatorRequest("rm", ["reserve_manager"]))).Key!;
        var numberRoutes = AmountRoutes().Select(r => (r.Route, r.Path, r.Body, Key: (string?)null)).Concat(
        [
            ("deposit amount", "v1/issuance/coins/NUSD/deposits", a => $$"""{"bank":"BNY","reference":"W-{{NextId()}}","amount":{{a}},"valueDate":"2026-12-01"}""", reserveManager),
            ("transfer-with-authorization value", "v1/coins/NUSD/transfer-with-authorization",
                a => $$"""{"from":"{{Alice}}","to":"{{Bob}}","value":{{a}},"validAfter":0,"validBefore":"99999999999","nonce":"0x{{new string('1', 64)}}","signature":"0x{{new string('2', 130)}}"}""", null),
            ("holder redeem amount", "v1/coins/NUSD/redeem",
                a => $$"""{"holder":"{{Alice}}","amount":{{a}},"payTo":"DE89","nonce":"0x{{new string('1', 64)}}","deadline":"99999999999","signature":"0x{{new string('2', 130)}}"}""", null),
            ("liquidity amounts[]", "v1/exchange/pools/1/add", a => $$"""{"provider":"{{Alice}}","amounts":["1000",{{a}}]}""", null),
            ("liquidity minMint", "v1/exchange/pools/1/add", a => $$"""{"provider":"{{Alice}}","amounts":["1000","1000"],"minMint":{{a}}}""", null),
        ]);
        foreach (var (route, path, body, key) in numberRoutes)
        {
            foreach (var number in NumberForms)
            {
                await RefusedAsync(node, route + " (JSON number)", path, body(number), "invalid_field", key);
            }

            // The same value as a JSON string is not refused for its form.
            var (status, json) = await PostAsync(node, path, body("\"1000\""), key);
            Assert.False(status == 400 && json?["detail"]?.GetValue<string>()?.Contains("JSON string", StringComparison.Ordinal) == true,
                $"{route}: the string form was refused as a number: {json}");
        }

        // Accepted spellings of 1000 are the same value: the transfer moves 1000, the contract holds 1000, the quote
        // is not refused for its amount.
        foreach (var form in Thousand)
        {
            var before = await BalanceAsync(node, Bob);
            var transfer = await PostAsync(node, "v1/transfers", AmountRoutes()[0].Body(form));
            Assert.True(200 == transfer.Status, $"transfer amount {form}: {transfer.Status} {transfer.Json}");
            Assert.Equal("ok", transfer.Json!["results"]![0]!["result"]!.GetValue<string>());
            Assert.Equal(before + 1000, await BalanceAsync(node, Bob));

            var contract = await PostAsync(node, "v1/contracts", AmountRoutes()[1].Body(form));
            Assert.True(contract.Status is 200 or 201, $"contract amount {form}: {contract.Status} {contract.Json}");
            Assert.Equal("1000", contract.Json!["amount"]!.GetValue<string>());

            var quote = await PostAsync(node, "v1/exchange/quotes", AmountRoutes()[2].Body(form));
            Assert.False(quote.Status == 400 && quote.Json?["code"]?.GetValue<string>() is "invalid_field" or "amount_out_of_range",
                $"quote amountIn {form} refused for its form: {quote.Json}");
        }

        // Ids: transfer ids and contract ids read the same forms.
        foreach (var (form, code) in BadIds)
        {
            await RefusedAsync(node, "transfer id", "v1/transfers",
                $$"""{"transfers":[{"id":{{form}},"coin":"NUSD","debit":"{{Alice}}","credit":"{{Bob}}","amount":"1"}]}""", code);
            await RefusedAsync(node, "contract id", "v1/contracts",
                $$"""{"id":{{form}},"kind":"escrow","coin":"NUSD","amount":"1","parties":{"p":"{{Alice}}","q":"{{Bob}}"},"payer":"p","payee":"q","deadlineSeconds":3600}""", code);
        }

        var hexId = await PostAsync(node, "v1/contracts",
            $$"""{"id":"0x4d2","kind":"escrow","coin":"NUSD","amount":"1","parties":{"p":"{{Alice}}","q":"{{Bob}}"},"payer":"p","payee":"q","deadlineSeconds":3600}""");
        Assert.True(hexId.Status is 200 or 201, hexId.Json?.ToJsonString());
        Assert.Equal("1234", hexId.Json!["id"]!.GetValue<string>());

        // Addresses: the same invalid_address wherever an address is read; one case (no checksum) is accepted.
        foreach (var form in BadAddresses)
        {
            await RefusedAsync(node, "transfer credit", "v1/transfers",
                $$"""{"transfers":[{"id":"{{NextId()}}","coin":"NUSD","debit":"{{Alice}}","credit":{{form}},"amount":"1"}]}""", "invalid_address");
            await RefusedAsync(node, "contract party", "v1/contracts",
                $$"""{"kind":"escrow","coin":"NUSD","amount":"1","parties":{"p":"{{Alice}}","q":{{form}}},"payer":"p","payee":"q","deadlineSeconds":3600}""", "invalid_address");
            await RefusedAsync(node, "quote payer", "v1/exchange/quotes", $$"""{"from":"NUSD","to":"JHKD","amountIn":"1000","payer":{{form}}}""", "invalid_address");
        }

        var lower = await PostAsync(node, "v1/transfers",
            $$"""{"transfers":[{"id":"{{NextId()}}","coin":"NUSD","debit":"{{Alice}}","credit":"{{Bob.ToLowerInvariant()}}","amount":"1"}]}""");
        Assert.Equal("ok", lower.Json!["results"]![0]!["result"]!.GetValue<string>());

        // Deadline seconds (contracts): a JSON integer 1 … max; a string (was a 500), zero, negative, fraction, bool refused.
        foreach (var form in new[] { "\"3600\"", "0", "-1", "1.5", "true", "3162240001" })
        {
            await RefusedAsync(node, "contract deadlineSeconds", "v1/contracts",
                $$"""{"kind":"escrow","coin":"NUSD","amount":"1","parties":{"p":"{{Alice}}","q":"{{Bob}}"},"payer":"p","payee":"q","deadlineSeconds":{{form}}}""", "invalid_field");
        }

        // Duplicate keys, missing required fields: 400 with their codes on each route of the table.
        foreach (var (route, path, body) in AmountRoutes())
        {
            var once = body("\"1000\"");
            var twice = once.Insert(1, "\"coin\":\"NUSD\",\"from\":\"NUSD\",\"id\":\"1\",");
            await RefusedAsync(node, route + " duplicate key", path, twice, null);
            await RefusedAsync(node, route + " missing fields", path, "{}", null);
        }
    }

    private static async Task RefusedAsync(TestNode node, string route, string path, string body, string? code, string? key = null)
    {
        var before = await node.Anonymous.GetHealthAsync();
        var (status, json) = await PostAsync(node, path, body, key);
        Assert.True(status == 400, $"{route}: {body}\n→ {status} {json?.ToJsonString()} (expected 400 {code})");
        if (code is not null)
        {
            Assert.True(code == json?["code"]?.GetValue<string>(), $"{route}: {body}\n→ {json?.ToJsonString()} (expected {code})");
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(json?["code"]?.GetValue<string>()), $"{route}: {body}\n→ no problem code");
        }

        var after = await node.Anonymous.GetHealthAsync();
        Assert.Equal(before.Height, after.Height);
    }

    private static async Task<(int Status, JsonNode? Json)> PostAsync(TestNode node, string path, string body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key ?? TestNode.OperatorKey);
        using var response = await node.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static async Task<long> BalanceAsync(TestNode node, string address) =>
        (await node.Anonymous.GetAccountAsync(address)).Balances.Where(b => b.Coin == "NUSD").Select(b => long.Parse(b.Balance, System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
}
