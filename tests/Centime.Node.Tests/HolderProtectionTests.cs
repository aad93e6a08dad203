using System.Net.Http.Json;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>Issue 12 item 10 over REST on a real node: a frozen holder grants and spends no allowance, and no path
/// sends coins to an address nobody holds a key to. Each refusal has its code and changes nothing.</summary>
public sealed class HolderProtectionTests
{
    private static readonly HolderSigner Alice = new(Keccak256.Hash("centime holders alice"u8));
    private static readonly HolderSigner Bob = new(Keccak256.Hash("centime holders bob"u8));
    private static readonly HolderSigner Carol = new(Keccak256.Hash("centime holders carol"u8));

    private static ulong Now => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task Permit_FrozenOwner_AccountFrozenNonceUnusedThenAppliesOnceUnfrozen()
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true); // one admin seats asset protection
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000, Alice.Address.ToString());
        await node.FreezeAsync(Alice.Address.ToString(), "NUSD", true);
        var permit = Alice.SignPermit(coin.Domain, Bob.Address, 500, nonce: 0, deadline: Now + 3600);

        await Refused(node, "permit", permit, "account_frozen");

        Assert.Equal("0", (await node.Anonymous.GetPermitNonceAsync("NUSD", Alice.Address.ToString())).Nonce);
        Assert.Equal("0", (await node.Anonymous.GetAllowanceAsync("NUSD", Alice.Address.ToString(), Bob.Address.ToString())).Value);

        // The same signed permit applies after the freeze is lifted: the refusal consumed nothing.
        await node.FreezeAsync(Alice.Address.ToString(), "NUSD", false);
        Assert.Equal("ok", (await node.Anonymous.PermitAsync("NUSD", permit)).Result);
        Assert.Equal("500", (await node.Anonymous.GetAllowanceAsync("NUSD", Alice.Address.ToString(), Bob.Address.ToString())).Value);
    }

    [Fact]
    public async Task PermitAndTransferFrom_FrozenSpender_AccountFrozenNothingMoves()
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true); // one admin seats asset protection
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000, Alice.Address.ToString());
        Assert.Equal("ok", (await node.Anonymous.PermitAsync("NUSD", Alice.SignPermit(coin.Domain, Bob.Address, 500, 0, Now + 3600))).Result);
        await node.FreezeAsync(Bob.Address.ToString(), "NUSD", true);

        await Refused(node, "permit", Alice.SignPermit(coin.Domain, Bob.Address, 900, 1, Now + 3600), "account_frozen");
        var pull = Bob.SignTransferFrom(coin.Domain, Alice.Address, Carol.Address, 100, Now + 3600);
        await Refused(node, "transfer-from", pull, "account_frozen");

        Assert.Equal("500", (await node.Anonymous.GetAllowanceAsync("NUSD", Alice.Address.ToString(), Bob.Address.ToString())).Value);
        Assert.Equal("unused", (await node.Anonymous.GetAuthorizationStateAsync("NUSD", Bob.Address.ToString(), pull.Nonce)).State);
        Assert.Equal("1000", await Balance(node, Alice.Address, "NUSD"));
        Assert.Equal("0", await Balance(node, Carol.Address, "NUSD"));
    }

    [Fact]
    public async Task SignedTransfers_FrozenPayerOrPayee_AccountFrozenNonceUnused()
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true); // one admin seats asset protection
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000, Alice.Address.ToString());
        await node.FreezeAsync(Bob.Address.ToString(), "NUSD", true);
        var toFrozen = Alice.SignAuthorization(coin.Domain, Bob.Address, 10, 0, Now + 3600);
        await Refused(node, "transfer-with-authorization", toFrozen, "account_frozen");
        await node.FreezeAsync(Alice.Address.ToString(), "NUSD", true);
        var fromFrozen = Alice.SignAuthorization(coin.Domain, Carol.Address, 10, 0, Now + 3600);
        await Refused(node, "transfer-with-authorization", fromFrozen, "account_frozen");
        Assert.Equal("unused", (await node.Anonymous.GetAuthorizationStateAsync("NUSD", Alice.Address.ToString(), toFrozen.Nonce)).State);
        Assert.Equal("unused", (await node.Anonymous.GetAuthorizationStateAsync("NUSD", Alice.Address.ToString(), fromFrozen.Nonce)).State);
        Assert.Equal("1000", await Balance(node, Alice.Address, "NUSD"));
    }

    [Fact]
    public async Task Transfers_ToAVerifyingContractOrAnotherCoinsSupply_RefusedOnEveryPath()
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true); // one admin seats asset protection
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000, Alice.Address.ToString());
        var other = await node.Client.CreateCoinAsync(new CreateCoinRequest("JHKD", "HKD", 6, "Hong Kong Dollar", "1"));
        var contract = Address.Parse(coin.Domain.VerifyingContract);
        var height = (await node.Anonymous.GetHealthAsync()).Height;

        // Operator transfers (REST batch): each item refused with the code.
        var batch = await node.Client.SubmitTransfersAsync(
        [
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Alice.Address.ToString(), Credit = contract.ToString(), Amount = "1" },
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Alice.Address.ToString(), Credit = other.Domain.VerifyingContract, Amount = "1" },
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Alice.Address.ToString(), Credit = other.SupplyAccount, Amount = "1" },
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = Alice.Address.ToString(), Credit = contract.ToString(), Amount = "1", Flags = ["pending"] },
        ]);
        Assert.All(batch.Results, r => Assert.Equal("credit_account_is_system_address", r.Result));

        // Holder-signed: transfer, receive (the payee cannot be the keyless address anyway) and transferFrom.
        await Refused(node, "transfer-with-authorization", Alice.SignAuthorization(coin.Domain, contract, 10, 0, Now + 3600), "credit_account_is_system_address");
        Assert.Equal("ok", (await node.Anonymous.PermitAsync("NUSD", Alice.SignPermit(coin.Domain, Bob.Address, 500, 0, Now + 3600))).Result);
        await Refused(node, "transfer-from", Bob.SignTransferFrom(coin.Domain, Alice.Address, contract, 10, Now + 3600), "credit_account_is_system_address");

        Assert.Equal("1000", await Balance(node, Alice.Address, "NUSD"));
        var keyless = await node.Anonymous.GetAccountAsync(contract.ToString());
        Assert.All(keyless.Balances, b => Assert.Equal("0", b.Balance));
        Assert.True((await node.Anonymous.GetHealthAsync()).Height > height);
    }

    internal static async Task Refused<T>(TestNode node, string action, T body, string code, int status = 422, string coin = "NUSD")
    {
        using var response = await node.Http.PostAsJsonAsync($"v1/coins/{coin}/{action}", body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        });
        var problem = await node.ReadProblemAsync(response);
        Assert.True(code == problem.Code, $"{action}: expected {code}, got {problem.Code}: {problem.Detail}");
        Assert.Equal(status, (int)response.StatusCode);
    }

    internal static async Task<string> Balance(TestNode node, Address a, string coin)
    {
        var account = await node.Anonymous.GetAccountAsync(a.ToString());
        return account.Balances.FirstOrDefault(b => b.Coin == coin)?.Balance ?? "0";
    }
}
