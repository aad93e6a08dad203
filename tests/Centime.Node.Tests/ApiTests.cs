using System.Net;
using System.Net.Http.Json;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Tests;

public sealed class ApiTests
{
    [Fact]
    public async Task Health_FreshNode_ReportsEmptyChain()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var health = await node.Anonymous.GetHealthAsync();
        Assert.Equal("ok", health.Status);
        Assert.Equal(0UL, health.Height);
        Assert.Equal(8402UL, health.ChainId);
    }

    [Fact]
    public async Task CreateCoin_Published_WithEip712DomainAndZeroSupply()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "2"));
        Assert.Equal("0", coin.Supply);
        var fetched = await node.Anonymous.GetCoinAsync("NUSD");
        Assert.Equal("Net Dollar", fetched.Domain.Name);
        Assert.Equal("2", fetched.Domain.Version);
        Assert.Equal(8402UL, fetched.Domain.ChainId);
        Assert.Equal(Centime.Ledger.Address.Derive("coin:NUSD").ToString(), fetched.Domain.VerifyingContract);
        var again = await Assert.ThrowsAsync<CentimeApiException>(() => node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD")));
        Assert.Equal("coin_exists", again.Code);
        Assert.Equal(409, again.Status);
    }

    [Fact]
    public async Task Transfers_MintPayAndQuery_BalancesSupplyAndHistoryAgree()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000_000, Holders.Alice);
        var pay = await node.Client.SubmitTransfersAsync([
            new TransferRequest { Id = "42", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "12500000", Memo = "9001" },
        ]);
        Assert.Equal("ok", pay.Results[0].Result);

        var alice = await node.Anonymous.GetAccountAsync(Holders.Alice);
        Assert.Equal("987500000", alice.Balances.Single().Balance);
        var bob = await node.Anonymous.GetAccountAsync(Holders.Bob.ToLowerInvariant());
        Assert.Equal("12500000", bob.Balances.Single().Balance);
        Assert.Equal("1000000000", (await node.Anonymous.GetCoinAsync("NUSD")).Supply);

        var t = await node.Anonymous.GetTransferAsync("42");
        Assert.Equal(Holders.Alice, t.Debit);
        Assert.Equal("9001", t.Memo);
        Assert.Equal(pay.Height, t.Height);

        var history = await node.Anonymous.GetHistoryAsync(Holders.Alice, "NUSD");
        Assert.Equal(["42", history.Items[1].Id], history.Items.Select(x => x.Id).ToList());
        Assert.Equal(coin.SupplyAccount, history.Items[1].Debit);
    }

    [Fact]
    public async Task Transfers_SameIdResubmitted_ReturnsExistsAndMovesNothing()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        var batch = new List<TransferRequest> { new() { Id = "7", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "60" } };
        Assert.Equal("ok", (await node.Client.SubmitTransfersAsync(batch)).Results[0].Result);
        Assert.Equal("exists", (await node.Client.SubmitTransfersAsync(batch)).Results[0].Result);
        var second = await node.Client.SubmitTransfersAsync([batch[0] with { Amount = "61" }]);
        Assert.Equal("exists_with_different_amount", second.Results[0].Result);
        Assert.Equal("40", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
    }

    [Fact]
    public async Task History_Paginates_NewestFirstWithoutGapsOrRepeats()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1000, Holders.Alice);
        var ids = Enumerable.Range(0, 25).Select(_ => Ids.Next()).ToList();
        await node.Client.SubmitTransfersAsync(ids.Select(id => new TransferRequest { Id = id, Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1" }).ToList());
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await node.Anonymous.GetHistoryAsync(Holders.Bob, "NUSD", 10, cursor);
            Assert.True(page.Items.Count <= 10);
            seen.AddRange(page.Items.Select(t => t.Id));
            cursor = page.Next;
        }
        while (cursor is not null);

        ids.Reverse();
        Assert.Equal(ids, seen);
    }

    [Fact]
    public async Task Holds_PartialPostAndVoid_ReleaseTheRest()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        var r = await node.Client.SubmitTransfersAsync([
            new() { Id = "1", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "70", Flags = ["pending"] },
            new() { Id = "2", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "31" },
        ]);
        Assert.Equal(["ok", "exceeds_balance"], r.Results.Select(x => x.Result).ToList());
        var alice = (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single();
        Assert.Equal("100", alice.Balance);
        Assert.Equal("30", alice.Available);

        Assert.Equal("ok", (await node.Client.SubmitTransfersAsync([new() { Id = "3", PendingId = "1", Amount = "50", Flags = ["post_pending"] }])).Results[0].Result);
        Assert.Equal("pending_transfer_already_posted", (await node.Client.SubmitTransfersAsync([new() { Id = "4", PendingId = "1", Flags = ["void_pending"] }])).Results[0].Result);
        alice = (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single();
        Assert.Equal("50", alice.Balance);
        Assert.Equal("50", alice.Available);
        Assert.Equal("posted", (await node.Anonymous.GetTransferAsync("1")).Hold);
    }

    [Fact]
    public async Task Holds_Timeout_ExpireOnLedgerTimeWithoutTraffic()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        await node.Client.SubmitTransfersAsync([new() { Id = "1", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "70", Flags = ["pending"], Timeout = 1 }]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? hold;
        do
        {
            await Task.Delay(100);
            hold = (await node.Anonymous.GetTransferAsync("1")).Hold;
        }
        while (hold == "pending" && DateTime.UtcNow < deadline);

        Assert.Equal("expired", hold);
        Assert.Equal("100", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Available);
        var post = await node.Client.SubmitTransfersAsync([new() { Id = "2", PendingId = "1", Flags = ["post_pending"] }]);
        Assert.Equal("pending_transfer_expired", post.Results[0].Result);
    }

    [Fact]
    public async Task LinkedChain_OneFails_NothingMoves()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        var r = await node.Client.SubmitTransfersAsync([
            new() { Id = "1", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "60", Flags = ["linked"] },
            new() { Id = "2", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Carol, Amount = "60" },
        ]);
        Assert.Equal(["linked_event_failed", "exceeds_balance"], r.Results.Select(x => x.Result).ToList());
        Assert.Equal("100", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
        Assert.Empty((await node.Anonymous.GetAccountAsync(Holders.Bob)).Balances);
    }

    [Fact]
    public async Task Proof_VerifiesOffline_AndFailsWhenTampered()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice, Holders.Carol, Holders.Dave);
        await node.Client.SubmitTransfersAsync(Enumerable.Range(0, 5).Select(i => new TransferRequest
        { Id = (100 + i).ToString(), Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1" }).ToList());
        var proof = await node.Anonymous.GetInclusionProofAsync("103");
        var block = await node.Anonymous.GetBlockAsync(proof.Block.Height);
        var ok = InclusionVerifier.Verify(proof, Hash32.Parse(block.Hash));
        Assert.True(ok.Valid, string.Join("; ", ok.Checks.Where(c => !c.Passed).Select(c => c.Check)));

        Assert.False(InclusionVerifier.Verify(proof with { Transfer = proof.Transfer with { Amount = "2" } }).Valid);
        var badSibling = proof.CommandPath.Select((s, i) => i == 0 ? s with { Sibling = Hash32.Sha256([1]).ToString() } : s).ToList();
        Assert.False(InclusionVerifier.Verify(proof with { CommandPath = badSibling }).Valid);
        Assert.False(InclusionVerifier.Verify(proof with { Result = "exceeds_balance" }).Valid);
        Assert.False(InclusionVerifier.Verify(proof with { ResultGroup = proof.ResultGroup.Select(_ => (ushort)71).ToList(), Result = "exceeds_balance" }).Valid);
        Assert.False(InclusionVerifier.Verify(proof, Hash32.Sha256([2])).Valid);
    }

    [Fact]
    public async Task Blocks_ChainLinksAndListsNewestFirst()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        await node.Client.SubmitTransfersAsync([new() { Id = "5", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1" }]);
        var blocks = (await node.Anonymous.ListBlocksAsync()).Items;
        Assert.Equal(blocks.Select(b => b.Height).OrderDescending(), blocks.Select(b => b.Height));
        for (var i = 0; i < blocks.Count - 1; i++)
        {
            Assert.Equal(blocks[i + 1].Hash, blocks[i].PreviousHash);
        }

        var withCommands = await node.Anonymous.GetBlockAsync(blocks[0].Height, withCommands: true);
        Assert.Equal("5", withCommands.Commands!.Single().Transfer!.Id);
        var missing = await Assert.ThrowsAsync<CentimeApiException>(() => node.Anonymous.GetBlockAsync(999));
        Assert.Equal("block_not_found", missing.Code);
    }

    [Fact]
    public async Task Freeze_FrozenHolder_CannotSendOrReceive()
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true);
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice, Holders.Bob);
        await node.FreezeAsync(Holders.Bob, "NUSD", true); // asset protection, not the operator key
        var r = await node.Client.SubmitTransfersAsync([
            new() { Id = "1", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1" },
            new() { Id = "2", Coin = "NUSD", Debit = Holders.Bob, Credit = Holders.Alice, Amount = "1" },
        ]);
        Assert.All(r.Results, x => Assert.Equal("account_frozen", x.Result));
        Assert.True((await node.Anonymous.GetAccountAsync(Holders.Bob)).Balances.Single().Frozen);
    }

    [Fact]
    public async Task OpenApi_Served_ListsTheEndpoints()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var doc = await node.Http.GetStringAsync("openapi/v1.json");
        foreach (var path in new[] { "/v1/transfers", "/v1/coins", "/v1/blocks/{height}", "/v1/accounts/{address}/history", "/v1/transfers/{id}/proof" })
        {
            Assert.Contains("\"" + path + "\"", doc, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Restart_StateAndHistorySurvive()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var node = await TestNode.StartSandboxAsync(data);
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        await node.Client.SubmitTransfersAsync([new() { Id = "11", Coin = "NUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "30" }]);
        var before = await node.Anonymous.GetHealthAsync();
        await node.StopAsync();

        await using var again = await TestNode.StartSandboxAsync(data);
        var after = await again.Anonymous.GetHealthAsync();
        Assert.Equal(before.Height, after.Height);
        Assert.Equal(before.LastBlockHash, after.LastBlockHash);
        Assert.Equal("70", (await again.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
        Assert.Equal("11", (await again.Anonymous.GetHistoryAsync(Holders.Bob, "NUSD")).Items.Single().Id);
        var coinResponse = await again.Http.GetAsync("v1/coins/NUSD");
        Assert.Equal(HttpStatusCode.OK, coinResponse.StatusCode);
        Assert.Equal("100", (await coinResponse.Content.ReadFromJsonAsync<CoinInfo>())!.Supply);
    }
}
