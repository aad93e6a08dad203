using System.Net;

namespace Centime.Node.Tests;

/// <summary>Every kind of bad input gets its documented problem code and leaves the ledger exactly as it was.</summary>
public sealed class BadInputTests
{
    private const string Good = "\"coin\":\"NUSD\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Bob + "\"";

    public static TheoryData<string, string, int> Cases => new()
    {
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\"}", "malformed_json", 400 },
        { "not json at all", "malformed_json", 400 },
        { "[]", "malformed_json", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\"}]} trailing", "malformed_json", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"ammount\":\"5\"}]}", "unknown_field", 400 },
        { "{\"transfer\":[]}", "unknown_field", 400 },
        { "{\"transfers\":[{\"id\":\"1\",\"coin\":\"NOPE\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"5\"}]}", "coin_not_found", 404 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"0\"}]}", "amount_must_not_be_zero", 422 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"340282366920938463463374607431768211456\"}]}", "amount_out_of_range", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"-5\"}]}", "amount_out_of_range", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":-5}]}", "invalid_field", 400 }, // a JSON number: amounts are JSON strings (docs/api.md)
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"1.5\"}]}", "invalid_field", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\",\"flags\":[\"bogus\"]}]}", "invalid_field", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\",\"flags\":[\"pending\",\"post_pending\"],\"pendingId\":\"9\"}]}", "flags_are_mutually_exclusive", 400 },
        { "{\"transfers\":[{\"id\":\"0\"," + Good + ",\"amount\":\"5\"}]}", "id_must_not_be_zero", 400 },
        { "{\"transfers\":[{\"id\":\"1\",\"coin\":\"NUSD\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Alice + "\",\"amount\":\"5\"}]}", "accounts_must_be_different", 400 },
        { "{\"transfers\":[{\"id\":\"1\",\"coin\":\"NUSD\",\"debit\":\"0x70997970c51812dc3A010C7d01b50e0d17dc79C8\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"5\"}]}", "invalid_address", 400 },
        { "{\"transfers\":[{\"id\":\"1\",\"coin\":\"NUSD\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"5\"}]}", "missing_field", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\",\"timeout\":10}]}", "timeout_reserved_for_pending_transfer", 400 },
        { "{\"transfers\":[]}", "batch_empty", 400 },
        { "{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\"},{\"id\":\"2\"," + Good + ",\"amount\":\"0\"}]}", "amount_must_not_be_zero", 422 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SubmitTransfers_BadInput_ProblemAndNoChange(string body, string code, int status)
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        var before = await node.Anonymous.GetHealthAsync();

        var response = await node.PostRawAsync("v1/transfers", body);
        var problem = await node.ReadProblemAsync(response);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, problem.Code);
        Assert.Equal(status, problem.Status);

        var after = await node.Anonymous.GetHealthAsync();
        Assert.Equal(before.Height, after.Height);
        Assert.Equal(before.Transfers, after.Transfers);
        Assert.Equal("100", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
    }

    [Fact]
    public async Task SubmitTransfers_OversizedBatch_413AndNoChange()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        var items = string.Join(',', Enumerable.Range(1, 8190).Select(i => "{\"id\":\"" + i + "\"," + Good + ",\"amount\":\"1\"}"));
        var response = await node.PostRawAsync("v1/transfers", "{\"transfers\":[" + items + "]}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("batch_too_large", (await node.ReadProblemAsync(response)).Code);
        Assert.Equal("1000000", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);

        // The largest allowed batch goes through whole.
        var max = string.Join(',', Enumerable.Range(1, 8189).Select(i => "{\"id\":\"" + i + "\"," + Good + ",\"amount\":\"1\"}"));
        var ok = await node.PostRawAsync("v1/transfers", "{\"transfers\":[" + max + "]}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal((1_000_000 - 8189).ToString(), (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
    }

    [Fact]
    public async Task SubmitTransfers_WithoutKeyOrWrongKey_401()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        foreach (var auth in new[] { null, "Bearer wrong", "Bearer " + TestNode.OperatorKey + "x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/transfers")
            {
                Content = new StringContent("{\"transfers\":[{\"id\":\"1\"," + Good + ",\"amount\":\"5\"}]}", System.Text.Encoding.UTF8, "application/json"),
            };
            if (auth is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", auth);
            }

            var response = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("unauthorized", (await node.ReadProblemAsync(response)).Code);
        }

        Assert.Equal("100", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
    }

    [Fact]
    public async Task SubmitTransfers_WrongContentType_415()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var response = await node.PostRawAsync("v1/transfers", "{}", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", (await node.ReadProblemAsync(response)).Code);
    }

    [Fact]
    public async Task Queries_BadParameters_ProblemCodes()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        Assert.Equal("invalid_address", (await node.ReadProblemAsync(await node.Http.GetAsync("v1/accounts/0x1234"))).Code);
        Assert.Equal("transfer_not_found", (await node.ReadProblemAsync(await node.Http.GetAsync("v1/transfers/12345"))).Code);
        Assert.Equal("invalid_field", (await node.ReadProblemAsync(await node.Http.GetAsync("v1/transfers/abc"))).Code);
        Assert.Equal("invalid_query", (await node.ReadProblemAsync(await node.Http.GetAsync($"v1/accounts/{Holders.Alice}/history?coin=NUSD&limit=0"))).Code);
        Assert.Equal("coin_not_found", (await node.ReadProblemAsync(await node.Http.GetAsync($"v1/accounts/{Holders.Alice}/history?coin=XXX"))).Code);
        Assert.Equal("route_not_found", (await node.ReadProblemAsync(await node.Http.GetAsync("v1/nothing"))).Code);
    }

    [Fact]
    public async Task CreateCoin_UnknownFieldOrBadSymbol_Problem()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var r1 = await node.PostRawAsync("v1/coins", "{\"symbol\":\"NUSD\",\"currency\":\"USD\",\"decimal\":6}");
        Assert.Equal("unknown_field", (await node.ReadProblemAsync(r1)).Code);
        var r2 = await node.PostRawAsync("v1/coins", "{\"symbol\":\"n-usd\",\"currency\":\"USD\"}");
        Assert.Equal("coin_symbol_invalid", (await node.ReadProblemAsync(r2)).Code);
        var r3 = await node.PostRawAsync("v1/coins", "{\"symbol\":\"NUSD\",\"currency\":\"USD\",\"decimals\":19}");
        Assert.Equal("coin_decimals_invalid", (await node.ReadProblemAsync(r3)).Code);
        Assert.Empty((await node.Anonymous.ListCoinsAsync()).Items);
    }
}
