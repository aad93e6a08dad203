using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Testing;

namespace Centime.Node.Tests;

/// <summary>
/// The one pagination shape (docs/api.md "Lists") over real HTTP: every list route answers <c>{"items":[…],"next":…}</c>,
/// a walk through all pages (1, 2 and 3 items a page) gives exactly the items of one big page, in the same order, none
/// repeated or skipped; bad limits and cursors are 400 problems. And the route table cannot drift: every GET operation
/// of the served OpenAPI that takes <c>limit</c>/<c>cursor</c> answers the page schema and is walked here, and no GET
/// route answers a bare JSON array.
/// </summary>
public sealed class PagingTests
{
    /// <summary>Every list route (OpenAPI path template) and what identifies its items.</summary>
    private static readonly Dictionary<string, string> ListRoutes = new(StringComparer.Ordinal)
    {
        ["/v1/coins"] = "symbol",
        ["/v1/accounts/{address}/history"] = "id",
        ["/v1/blocks"] = "height",
        ["/v1/contracts"] = "id",
        ["/v1/contracts/erp-keys"] = "erp",
        ["/v1/webhooks"] = "id",
        ["/v1/coins/{symbol}/liabilities/history"] = "height",
        ["/v1/exchange/feeds"] = "name",
        ["/v1/exchange/pools"] = "id",
        ["/v1/issuance/operators"] = "id",
        ["/v1/issuance/coins/{coin}/deposits"] = "reference",
        ["/v1/issuance/coins/{coin}/redemptions"] = "id",
        ["/v1/issuance/coins/{coin}/orders"] = "action",
        ["/v1/issuance/approvals"] = "action",
        ["/v1/issuance/audit"] = "sequence",
        ["/v1/compliance/alerts"] = "sequence",
        ["/v1/issuance/coins/{coin}/bank-statements"] = "action",
        ["/v1/issuance/coins/{coin}/reconciliation"] = "id",
        ["/v1/issuance/coins/{coin}/payout-batches"] = "id",
        ["/v1/issuance/coins/{coin}/holidays"] = "date",
    };

    [Fact]
    public async Task EveryListRoute_WalkedPageByPage_GivesEveryItemOnceInOrder()
    {
        var walked = new HashSet<string>(StringComparer.Ordinal);

        // A sandbox node for the ledger, contract, event, liability and exchange lists.
        await using (var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true))
        {
            foreach (var symbol in new[] { "NUSD", "NEUR", "NGBP" })
            {
                await node.CoinWithHoldersAsync(symbol, 1_000_000_000, Holders.Alice, Holders.Bob);
            }

            for (var i = 0; i < 3; i++)
            {
                var paid = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1000" }]);
                Assert.Equal("ok", paid.Results[0].Result);
                using var contract = await node.PostRawAsync("v1/contracts",
                    $$"""{"id":"{{Ids.Next()}}","kind":"escrow","coin":"NUSD","amount":"1000","parties":{"p":"{{Holders.Alice}}","q":"{{Holders.Bob}}"},"payer":"p","payee":"q","deadlineSeconds":3600}""");
                Assert.True(contract.IsSuccessStatusCode, await contract.Content.ReadAsStringAsync());
                await node.Client.CreateWebhookAsync(new WebhookSubscriptionRequest("http://127.0.0.1:9/hook", FromHeight: 1));
                await node.Client.PublishLiabilitiesAsync("NUSD");
                await node.Client.ConfigureFeedAsync("FX" + i, new FeedConfigRequest(60, "0.5", "2", [Holders.Carol]));
            }

            await node.Client.CreatePoolAsync(new CreatePoolRequest(1, "XLP1", [new PoolCoinRequest("NUSD"), new PoolCoinRequest("NEUR")], 100, FeeBps: "4"));
            await node.Client.CreatePoolAsync(new CreatePoolRequest(2, "XLP2", [new PoolCoinRequest("NUSD"), new PoolCoinRequest("NGBP")], 100, FeeBps: "4"));
            await node.Client.CreatePoolAsync(new CreatePoolRequest(3, "XLP3", [new PoolCoinRequest("NEUR"), new PoolCoinRequest("NGBP")], 100, FeeBps: "4"));

            await WalkAsync(node.Http, "/v1/coins", "", walked);
            await WalkAsync(node.Http, "/v1/accounts/{address}/history", $"/v1/accounts/{Holders.Bob}/history?coin=NUSD", walked);
            await WalkAsync(node.Http, "/v1/blocks", "", walked);
            await WalkAsync(node.Http, "/v1/contracts", "", walked);
            await WalkAsync(node.Http, "/v1/contracts", $"/v1/contracts?party={Holders.Bob}&status=open", walked);
            // A party grants three ERP keys (its own signatures).
            var party = new HolderSigner(Centime.Ledger.Keccak256.Hash("paging erp party"u8));
            var chainId = (await node.Anonymous.GetHealthAsync()).ChainId;
            foreach (var erp in new[] { Holders.Alice, Holders.Bob, Holders.Carol })
            {
                await node.Anonymous.RegisterErpKeyAsync(party.SignErpKey(chainId, Centime.Ledger.Address.Parse(erp), ulong.MaxValue / 2));
            }

            await WalkAsync(node.Http, "/v1/contracts/erp-keys", $"/v1/contracts/erp-keys?party={party.Address}", walked);
            await WalkAsync(node.Http, "/v1/webhooks", "", walked);
            await WalkAsync(node.Http, "/v1/coins/{symbol}/liabilities/history", "/v1/coins/NUSD/liabilities/history", walked);
            await WalkAsync(node.Http, "/v1/exchange/feeds", "", walked);
            await WalkAsync(node.Http, "/v1/exchange/pools", "", walked);

            // Three listed addresses, each paid once: three sanctions alerts.
            var listed = Enumerable.Range(0, 3).Select(i => Centime.Ledger.Address.Derive("paging listed " + i).ToString()).ToList();
            await node.Client.LoadSanctionsListAsync("issuer", System.Text.Encoding.UTF8.GetBytes(string.Join("\n", listed)));
            foreach (var address in listed)
            {
                var refused = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Holders.Alice, Credit = address, Amount = "1" }]);
                Assert.Equal("sanctioned_address", refused.Results[0].Result);
            }

            await WalkAsync(node.Http, "/v1/compliance/alerts", "", walked);

            // A cursor marks a place in the order even when its item is gone: removing the webhook a page ended on
            // neither repeats nor skips the ones after it.
            var first = await PageAsync(node.Http, "/v1/webhooks?limit=1");
            await node.Client.DeleteWebhookAsync(first.Items[0]!["id"]!.GetValue<string>());
            var rest = await PageAsync(node.Http, "/v1/webhooks?limit=1000&cursor=" + first.Next);
            var all = await PageAsync(node.Http, "/v1/webhooks?limit=1000");
            Assert.Equal(KeysOf(all.Items, "id"), KeysOf(rest.Items, "id"));

            await RefusedAsync(node.Http, "/v1/coins");
            await RefusedAsync(node.Http, $"/v1/accounts/{Holders.Bob}/history?coin=NUSD");
            await RefusedAsync(node.Http, "/v1/blocks");
            await RefusedAsync(node.Http, "/v1/contracts");
            await RefusedAsync(node.Http, "/v1/exchange/pools");
        }

        // An issued coin with one operator per role for the issuance lists.
        await using (var issuer = await IssuanceTests.Issuer.StartAsync())
        {
            await IssuanceTests.FundAsync(issuer, "1000");
            foreach (var reference in new[] { "WIRE-0002", "WIRE-0003" })
            {
                await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/deposits",
                    new DepositRequest { Bank = "Bank of New York Mellon", Reference = reference, Amount = "1" + IssuanceTests.Whole, ValueDate = IssuanceTests.Today, Holding = "bny" });
            }

            await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "300" + IssuanceTests.Whole });
            for (var i = 0; i < 3; i++)
            {
                await IssuanceTests.RedeemOkAsync(issuer.Node, IssuanceTests.AliceSigner, "10" + IssuanceTests.Whole, "DE89370400440532013000"); // Alice signs
            }

            foreach (var holder in new[] { Holders.Bob, Holders.Carol, Holders.Dave })
            {
                await issuer.OrderAsync("freeze", holder);
            }

            using var http = new HttpClient { BaseAddress = new Uri(issuer.Node.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Keys["aud"]);
            await WalkAsync(http, "/v1/issuance/operators", "", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/deposits", "/v1/issuance/coins/NUSD/deposits", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/redemptions", "/v1/issuance/coins/NUSD/redemptions", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/redemptions", "/v1/issuance/coins/NUSD/redemptions?status=pending", walked);
            await WalkAsync(http, "/v1/issuance/approvals", "/v1/issuance/approvals?status=all", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/orders", "/v1/issuance/coins/NUSD/orders", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/orders", "/v1/issuance/coins/NUSD/orders?status=effective", walked);
            await WalkAsync(http, "/v1/issuance/audit", "", walked);
            await RefusedAsync(http, "/v1/issuance/audit");

            // Bank files: three statements with one unknown credit each (three queue items), three payout batches.
            var redemptions = await issuer.Node.Client.ListRedemptionsAsync("NUSD", "pending");
            for (var i = 1; i <= 3; i++)
            {
                var file = CamtFiles.Statement($"STMT-{i}", "NUSD-RESERVE-1", "1000.00", IssuanceTests.Today, new CamtEntry("1.00", true, $"BNY-{i}", Remittance: "unknown payer", Date: IssuanceTests.Today));
                await issuer.OkAsync<BankImportOutcome>("rm", "v1/issuance/coins/NUSD/bank-statements", new BankStatementImportRequest { File = Convert.ToBase64String(file) });
                await issuer.OkAsync<PayoutBatchOutcome>("rm", "v1/issuance/coins/NUSD/payout-batches", new PayoutExportRequest { Holding = "bny", Redemptions = [redemptions.Items[i - 1].Id] });
            }

            await WalkAsync(http, "/v1/issuance/coins/{coin}/bank-statements", "/v1/issuance/coins/NUSD/bank-statements", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/reconciliation", "/v1/issuance/coins/NUSD/reconciliation", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/reconciliation", "/v1/issuance/coins/NUSD/reconciliation?status=all", walked);
            await WalkAsync(http, "/v1/issuance/coins/{coin}/payout-batches", "/v1/issuance/coins/NUSD/payout-batches", walked);
            await issuer.Node.Client.SetHolidayCalendarAsync("NUSD", "US 2027", "2027-01-01 New Year's Day\n2027-01-18 Martin Luther King Jr. Day\n2027-02-15 Washington's Birthday\n"u8.ToArray());
            await WalkAsync(http, "/v1/issuance/coins/{coin}/holidays", "/v1/issuance/coins/NUSD/holidays", walked);
        }

        Assert.Equal(ListRoutes.Keys.Order(StringComparer.Ordinal), walked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EveryListRouteInTheRouteTable_HasThePageShape_AndNoGetAnswersABareArray()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1000, Holders.Alice);
        var doc = JsonNode.Parse(await node.Http.GetStringAsync("openapi/v1.json"))!;
        var schemas = doc["components"]?["schemas"]?.AsObject();
        var paged = new List<string>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
        {
            if (item?["get"] is not { } get)
            {
                continue;
            }

            var names = (get["parameters"]?.AsArray() ?? []).Select(p => p!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            var schema = Resolve(get["responses"]?["200"]?["content"]?["application/json"]?["schema"], schemas);
            Assert.False(schema?["type"]?.GetValue<string>() == "array", $"GET {path} answers a bare array: a list answers a page (docs/api.md 'Lists')");
            if (path.StartsWith("/x402/", StringComparison.Ordinal))
            {
                continue; // the x402 protocol routes answer in the x402 spec's shapes (discovery: limit/offset/total)
            }

            if (names.Contains("limit") || names.Contains("cursor") || schema?["properties"]?["next"] is not null)
            {
                Assert.True(names.Contains("limit") && names.Contains("cursor"), $"GET {path}: a list takes both ?limit= and ?cursor=");
                Assert.True(schema?["properties"]?["items"] is not null && schema["properties"]!["next"] is not null, $"GET {path}: a list answers {{items, next}}: {schema?.ToJsonString()}");
                paged.Add(path);
            }

            // Routes without path parameters are called too: an undeclared answer must not be a bare array either.
            if (!path.Contains('{', StringComparison.Ordinal) && path != "/v1/events")
            {
                using var response = await node.Http.GetAsync(path.TrimStart('/'));
                var text = await response.Content.ReadAsStringAsync();
                Assert.False(text.TrimStart().StartsWith('['), $"GET {path} answered a bare array: {text[..Math.Min(text.Length, 200)]}");
            }
        }

        Assert.Equal(ListRoutes.Keys.Order(StringComparer.Ordinal), paged.Order(StringComparer.Ordinal));
    }

    private static JsonNode? Resolve(JsonNode? schema, JsonObject? schemas)
    {
        for (var i = 0; i < 5 && schema?["$ref"]?.GetValue<string>() is { } reference; i++)
        {
            schema = schemas?[reference[(reference.LastIndexOf('/') + 1)..]];
        }

        return schema;
    }

    /// <summary>One big page, then walks of 1, 2 and 3 items a page: the same items, in the same order.</summary>
    private static async Task WalkAsync(HttpClient http, string route, string path, HashSet<string> walked)
    {
        path = path.Length == 0 ? route : path;
        var idField = ListRoutes[route];
        var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        var whole = await PageAsync(http, path + separator + "limit=1000");
        Assert.Null(whole.Next);
        var expected = KeysOf(whole.Items, idField);
        Assert.True(expected.Count >= 3, $"{path}: the walk needs at least 3 items, has {expected.Count}");
        Assert.Equal(expected.Count, expected.Distinct().Count());

        foreach (var size in new[] { 1, 2, 3 })
        {
            var seen = new List<string>();
            string? cursor = null;
            var pages = 0;
            do
            {
                var page = await PageAsync(http, path + separator + "limit=" + size + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                Assert.True(page.Items.Count <= size, $"{path}: a page of {page.Items.Count} items for limit={size}");
                Assert.True(page.Items.Count > 0 || page.Next is null, $"{path}: an empty page that says there is more");
                seen.AddRange(KeysOf(page.Items, idField));
                cursor = page.Next;
                Assert.True(++pages <= expected.Count + 1, $"{path}: more pages than items");
            }
            while (cursor is not null);

            Assert.True(expected.SequenceEqual(seen), $"{path} limit={size}: walked [{string.Join(",", seen)}], one page has [{string.Join(",", expected)}]");
        }

        walked.Add(route);
    }

    private static async Task RefusedAsync(HttpClient http, string path)
    {
        var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        foreach (var (query, code) in new[]
        {
            ("limit=0", "invalid_query"), ("limit=1001", "invalid_query"), ("limit=abc", "invalid_query"), ("limit=-1", "invalid_query"), ("limit=1.5", "invalid_query"),
            ("cursor=", "invalid_cursor"), ("cursor=%3D%3D", "invalid_cursor"), ("cursor=not+a+cursor", "invalid_cursor"), ("cursor=" + new string('A', 400), "invalid_cursor"),
            ("cursor=_w", "invalid_cursor"), // base64url of the byte 0xFF: not UTF-8
        })
        {
            using var response = await http.GetAsync(path.TrimStart('/') + separator + query);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 400, $"{path}?{query}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(code == JsonNode.Parse(text)?["code"]?.GetValue<string>(), $"{path}?{query}: {text}");
        }
    }

    private static async Task<(JsonArray Items, string? Next)> PageAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path.TrimStart('/'));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        var page = JsonNode.Parse(text)!.AsObject();
        Assert.True(page.ContainsKey("next"), $"{path}: no 'next' property (null on the last page): {text}");
        return (page["items"]!.AsArray(), page["next"]?.GetValue<string>());
    }

    private static List<string> KeysOf(JsonArray items, string field) => items.Select(i => i![field]!.ToJsonString()).ToList();
}
