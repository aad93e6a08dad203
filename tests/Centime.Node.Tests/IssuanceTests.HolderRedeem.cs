using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>Holders redeem themselves (issue 12 item 10): a holder-signed EIP-712 Redemption, signed here by ethers over
/// the typed data the node publishes, burns the holder's coins into the issuer's existing payout flow.</summary>
public sealed partial class IssuanceTests
{
    private static readonly byte[] RedeemerKey = Keccak256.Hash("centime holders redeemer"u8);
    private static readonly HolderSigner Redeemer = new(RedeemerKey);

    [Fact]
    public async Task HolderRedeem_EthersSignedTypedData_BurnsIntoPayoutListOnceAndRefusesEveryBadRequest()
    {
        await using var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000");
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Redeemer.Address.ToString(), Amount = "300" + Whole });
        var coin = await issuer.Node.Anonymous.GetCoinAsync("NUSD");
        var node = issuer.Node;

        // The node publishes the typed data; ethers (as a wallet would) signs it; the holder submits — no operator key.
        var draft = await PostAsync<TypedDataToSign>(node, "v1/coins/NUSD/redeem/typed-data",
            new HolderRedeemDraft(Redeemer.Address.ToString(), "120" + Whole, "DE89370400440532013000"));
        var ethers = EthersBridge.Call(new JsonObject
        {
            ["op"] = "signTypedData",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(RedeemerKey),
            ["typedData"] = JsonNode.Parse(draft.TypedData.GetRawText()),
        });
        Assert.Equal(Redeemer.Address.ToString(), ethers["address"]!.GetValue<string>());
        Assert.Equal(draft.Digest, ethers["digest"]!.GetValue<string>());
        Assert.Equal(HolderTypedData.RedemptionType, ethers["encodeType"]!.GetValue<string>());
        var request = new HolderRedeemRequest
        {
            Holder = Redeemer.Address.ToString(),
            Amount = "120" + Whole,
            PayTo = "DE89370400440532013000",
            Nonce = draft.Nonce,
            Deadline = draft.Deadline,
            Signature = ethers["signature"]!.GetValue<string>(),
        };

        // Tampered terms no longer match the signature (nothing moves).
        await RedeemRefusedAsync(node, request with { PayTo = "GB00MALLORY" }, 422, "signer_mismatch");
        await RedeemRefusedAsync(node, request with { Amount = "121" + Whole }, 422, "signer_mismatch");

        var outcome = await PostAsync<HolderRedemptionOutcome>(node, "v1/coins/NUSD/redeem", request);
        var redemption = outcome.Redemption;
        Assert.Equal(("pending", "holder", "120" + Whole), (redemption.Status, redemption.RequestedBy, redemption.Amount));
        Assert.Equal(Redeemer.Address.ToString(), redemption.Holder);
        Assert.True(redemption.Deadline > redemption.RequestedAt);
        Assert.Equal("180" + Whole, await HolderProtectionTests.Balance(node, Redeemer.Address, "NUSD"));
        Assert.Equal("180" + Whole, (await node.Anonymous.GetCoinAsync("NUSD")).Supply);
        Assert.Equal("used", (await node.Anonymous.GetAuthorizationStateAsync("NUSD", Redeemer.Address.ToString(), draft.Nonce)).State);

        // The issuer sees it in the existing payout list and pays it out as before.
        var listed = Assert.Single((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions?status=pending")).Items);
        Assert.Equal(redemption.Id, listed.Id);
        Assert.Equal("DE89370400440532013000", listed.PayTo);
        var paid = await issuer.OkAsync<ActionOutcome>("rm", $"v1/issuance/redemptions/{redemption.Id}/paid", new PayoutPaidRequest { Reference = "SEPA-1" });
        Assert.Equal("executed", paid.Status);

        // Replay: the nonce is spent.
        await RedeemRefusedAsync(node, request, 409, "authorization_used");

        // Past the deadline, above the balance, frozen, paused: each refused with its code; nothing moves.
        var past = Redeemer.SignRedemption(coin.Domain, 1, "acct", (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1);
        await RedeemRefusedAsync(node, past, 422, "authorization_expired");
        await RedeemRefusedAsync(node, Redeemer.SignRedemption(coin.Domain, UInt128.Parse("181" + Whole, System.Globalization.CultureInfo.InvariantCulture), "acct", Later), 422, "exceeds_balance");
        await issuer.OrderAsync("freeze", Redeemer.Address.ToString());
        var whileFrozen = Redeemer.SignRedemption(coin.Domain, 1, "acct", Later);
        await RedeemRefusedAsync(node, whileFrozen, 422, "account_frozen");
        await issuer.OrderAsync("unfreeze", Redeemer.Address.ToString(), reason: "order_lifted");
        await issuer.OkAsync<ActionOutcome>("pz", "v1/issuance/coins/NUSD/pause");
        await RedeemRefusedAsync(node, whileFrozen, 422, "paused");
        await issuer.OkAsync<ActionOutcome>("pz", "v1/issuance/coins/NUSD/unpause");
        Assert.Equal("180" + Whole, await HolderProtectionTests.Balance(node, Redeemer.Address, "NUSD"));
        Assert.Equal("unused", (await node.Anonymous.GetAuthorizationStateAsync("NUSD", Redeemer.Address.ToString(), whileFrozen.Nonce)).State);

        // The refused request, still unused, applies once nothing stands in its way.
        Assert.Equal("1", (await PostAsync<HolderRedemptionOutcome>(node, "v1/coins/NUSD/redeem", whileFrozen)).Redemption.Amount);
        Assert.Equal(2, ((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions")).Items).Count);
    }

    private static ulong Later => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;

    private static async Task<T> PostAsync<T>(TestNode node, string path, object body)
    {
        using var content = JsonContent.Create(body, body.GetType(), options: Json);
        using var response = await node.Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, Json)!;
    }

    private static async Task RedeemRefusedAsync(TestNode node, HolderRedeemRequest request, int status, string code)
    {
        var supply = (await node.Anonymous.GetCoinAsync("NUSD")).Supply;
        using var response = await node.Http.PostAsJsonAsync("v1/coins/NUSD/redeem", request, Json);
        var problem = await node.ReadProblemAsync(response);
        Assert.True(code == problem.Code, $"expected {code}, got {problem.Code}: {problem.Detail}");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(supply, (await node.Anonymous.GetCoinAsync("NUSD")).Supply);
    }
}
