using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Issuance;
using Centime.Node.Liabilities;
using Microsoft.Extensions.Logging;

namespace Centime.Node.Tests;

public sealed class LiabilitiesApiTests
{
    private static readonly string[] Everyone = [Holders.Alice, Holders.Bob, Holders.Carol, Holders.Dave];

    [Fact]
    public async Task Publish_HoldersAfterPayments_EveryProofVerifiesAndTotalEqualsSupply()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000_000, Everyone);
        var pay = await node.Client.SubmitTransfersAsync([
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "250000000" },
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Holders.Carol, Credit = Holders.Dave, Amount = "1000000000" },
        ]);
        Assert.All(pay.Results, r => Assert.Equal("ok", r.Result));

        var published = await PublishAsync(node, "NUSD");
        var coin = await node.Anonymous.GetCoinAsync("NUSD");
        Assert.Equal(coin.Supply, published.CirculatingSupply);
        Assert.Equal(coin.Supply, published.Root.Total.ToString());
        Assert.True(published.TotalMatchesSupply);
        Assert.Equal(3, published.LeafCount); // Carol paid everything away: zero balances are not leaves
        Assert.Equal(pay.Height.ToString(), published.Height);

        var latest = await node.Http.GetFromJsonAsync<LiabilitiesRootInfo>("v1/coins/NUSD/liabilities");
        Assert.Equal(published.Root, latest!.Root);

        UInt128 sum = 0;
        foreach (var holder in new[] { Holders.Alice, Holders.Bob, Holders.Dave })
        {
            var json = await node.Http.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{holder.ToLowerInvariant()}");
            var verdict = LiabilityProofVerifier.VerifyJson(json, latest.Root);
            Assert.True(verdict.IsValid, $"{holder}: {verdict.Code} {verdict.Reason}");
            var proof = LiabilityProofJson.Parse(json);
            Assert.Equal(holder, proof.Address.ToString());
            var account = await node.Anonymous.GetAccountAsync(holder);
            Assert.Equal(account.Balances.Single().Balance, proof.Balance.ToString());
            sum += proof.Balance;
        }

        Assert.Equal(latest.Root.Total, sum);
    }

    [Fact]
    public async Task Proof_Tampered_FailsVerification()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 5_000_000, Everyone);
        var root = (await PublishAsync(node, "NUSD")).Root;
        var json = await node.Http.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Bob}");
        Assert.True(LiabilityProofVerifier.VerifyJson(json, root).IsValid);

        Assert.Equal("root_hash_mismatch", Verify(json, root, p => p["balance"] = "5000001"));
        Assert.Equal("root_hash_mismatch", Verify(json, root, p => Step(p)["hash"] = "0x" + new string('1', 64)));
        Assert.Equal("root_hash_mismatch", Verify(json, root, p => Step(p)["sum"] = "4999999"));
        Assert.Equal("amount_out_of_range", Verify(json, root, p => Step(p)["sum"] = "-5000000"));
        Assert.Equal("amount_out_of_range", Verify(json, root, p => p["balance"] = "-1"));
        Assert.Equal("root_total_mismatch", LiabilityProofVerifier.VerifyJson(json, root with { Total = root.Total + 1 }).Code);
    }

    [Fact]
    public async Task Proof_UnknownOrBadAddressOrNothingPublished_Problems()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 5_000_000, Holders.Alice);

        await AssertProblemAsync(node, await node.Http.GetAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Alice}"), 404, "liabilities_not_published");
        await AssertProblemAsync(node, await node.Http.GetAsync("v1/coins/NUSD/liabilities"), 404, "liabilities_not_published");
        await AssertProblemAsync(node, await node.Http.GetAsync("v1/coins/NOPE/liabilities"), 404, "coin_not_found");

        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        await AssertProblemAsync(node, await anonymous.PostAsync("v1/coins/NUSD/liabilities", null), 401, "unauthorized");
        await AssertProblemAsync(node, await node.Http.PostAsync("v1/coins/NOPE/liabilities", null), 404, "coin_not_found");

        await PublishAsync(node, "NUSD");
        await AssertProblemAsync(node, await node.Http.GetAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Bob}"), 404, "holder_not_in_tree");
        await AssertProblemAsync(node, await node.Http.GetAsync("v1/coins/NUSD/liabilities/proof/0x1234"), 400, "invalid_address");
        await AssertProblemAsync(node, await node.Http.GetAsync($"v1/coins/NUSD/liabilities/proof/{Ledger.Address.Derive("supply:NUSD")}"), 404, "holder_not_in_tree");
    }

    [Fact]
    public async Task Publish_Twice_HistoryKeepsBothAndProofsFollowTheLatest()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 5_000_000, Holders.Alice, Holders.Bob);
        var first = await PublishAsync(node, "NUSD");
        await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Carol, Amount = "1" }]);
        var second = await PublishAsync(node, "NUSD");
        Assert.NotEqual(first.Root.Hash, second.Root.Hash);
        Assert.Equal(first.Root.Total, second.Root.Total);

        var history = (await node.Http.GetFromJsonAsync<Centime.Client.Page<LiabilitiesRootInfo>>("v1/coins/NUSD/liabilities/history"))!.Items;
        Assert.Equal([first.Root, second.Root], history!.Select(h => h.Root).ToList());
        var json = await node.Http.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Carol}");
        Assert.True(LiabilityProofVerifier.VerifyJson(json, second.Root).IsValid);
        Assert.Equal("root_hash_mismatch", LiabilityProofVerifier.VerifyJson(json, first.Root).Code);
    }

    [Fact]
    public async Task Restart_ProofsServedFromSavedBalances_EvenAfterNewBlocks_UnavailableOnlyWhenLost()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var node = await TestNode.StartSandboxAsync(data);
        await node.CoinWithHoldersAsync("NUSD", 5_000_000, Holders.Alice, Holders.Bob);
        var published = await PublishAsync(node, "NUSD");
        await node.StopAsync();

        // Same height: the same root, and proofs against it.
        node = await TestNode.StartSandboxAsync(data);
        var latest = await node.Http.GetFromJsonAsync<LiabilitiesRootInfo>("v1/coins/NUSD/liabilities");
        Assert.Equal(published.Root, latest!.Root);
        var json = await node.Http.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Alice}");
        Assert.True(LiabilityProofVerifier.VerifyJson(json, published.Root).IsValid);
        await node.StopAsync();

        // The ledger moved after the restart: the tree comes from the balances saved with the root.
        node = await TestNode.StartSandboxAsync(data);
        await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1" }]);
        var bob = await node.Http.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Bob}");
        Assert.True(LiabilityProofVerifier.VerifyJson(bob, published.Root).IsValid);
        Assert.Equal((UInt128)5_000_000, LiabilityProofJson.Parse(bob).Balance); // the balance at the published height
        await node.StopAsync();

        // Saved balances damaged (one byte of a balance flipped: the checksum catches it) and the ledger moved: no
        // proof until the next publication.
        var saved = Path.Combine(data, LiabilitiesPublisher.DirectoryName, "NUSD.balances");
        var bytes = await File.ReadAllBytesAsync(saved);
        bytes[24 + 20] ^= 1;
        await File.WriteAllBytesAsync(saved, bytes);
        node = await TestNode.StartSandboxAsync(data);
        try
        {
            await AssertProblemAsync(node, await node.Http.GetAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Bob}"), 409, "liabilities_proof_unavailable");
            Assert.True(LiabilityProofVerifier.VerifyJson(json, published.Root).IsValid); // a proof already handed out stays checkable offline
            var again = await PublishAsync(node, "NUSD");
            Assert.True(LiabilityProofVerifier.VerifyJson(await node.Http.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{Holders.Bob}"), again.Root).IsValid);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task AutomaticPublication_EveryBlock_PublishesAfterTransfers()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        await using var node = CentimeNode.Create(
            new NodeOptions { DataDirectory = data, Urls = "http://127.0.0.1:0", OperatorKey = TestNode.OperatorKey, SnapshotEveryCommands = 0, LiabilitiesEveryBlocks = 1, Sandbox = true },
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await node.StartAsync();
        var url = node.Urls.First(u => u.StartsWith("http://127.0.0.1", StringComparison.Ordinal)) + "/";
        using var client = new CentimeClient(new Uri(url), TestNode.OperatorKey);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var coin = await client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD"));
        var mint = await client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = coin.SupplyAccount, Credit = Holders.Alice, Amount = "7000000" }]);

        LiabilitiesRootInfo? latest = null;
        for (var i = 0; i < 100 && (latest is null || latest.Height != mint.Height.ToString()); i++)
        {
            await Task.Delay(100);
            using var response = await http.GetAsync("v1/coins/NUSD/liabilities");
            latest = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<LiabilitiesRootInfo>() : null;
        }

        Assert.NotNull(latest);
        Assert.Equal(mint.Height.ToString(), latest.Height);
        Assert.Equal((UInt128)7_000_000, latest.Root.Total);
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task OpenApi_ListsLiabilityAndReportEndpoints()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var doc = await node.Http.GetStringAsync("openapi/v1.json");
        foreach (var path in new[] { "/v1/coins/{symbol}/liabilities", "/v1/coins/{symbol}/liabilities/history", "/v1/coins/{symbol}/liabilities/proof/{address}", "/v1/coins/{symbol}/reports/monthly", "/v1/issuer" })
        {
            Assert.Contains("\"" + path + "\"", doc, StringComparison.Ordinal);
        }
    }

    internal static async Task<LiabilitiesRootInfo> PublishAsync(TestNode node, string coin)
    {
        using var response = await node.Http.PostAsync($"v1/coins/{coin}/liabilities", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<LiabilitiesRootInfo>())!;
    }

    private static async Task AssertProblemAsync(TestNode node, HttpResponseMessage response, int status, string code)
    {
        using (response)
        {
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(code, (await node.ReadProblemAsync(response)).Code);
        }
    }

    private static JsonObject Step(JsonObject proof) => proof["path"]!.AsArray()[0]!.AsObject();

    private static string Verify(string json, LiabilitiesRoot root, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        edit(node);
        return LiabilityProofVerifier.VerifyJson(node.ToJsonString(), root).Code;
    }
}
