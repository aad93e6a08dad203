using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.X402;

namespace Centime.Agents.Tests;

/// <summary>The node's facilitator over HTTP (/x402): each reference check refuses with the spec's reason, in
/// order, and a payment moves money at most once however it is retried.</summary>
public sealed class FacilitatorTests
{
    [Fact]
    public async Task Supported_ListsExactOnTheNodesNetwork()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));

        var supported = await facilitator.GetSupportedAsync();

        Assert.Contains(supported.Kinds, k => k is { X402Version: 2, Scheme: "exact", Network: "eip155:8402" });
    }

    [Fact]
    public async Task VerifyThenSettle_Valid_MovesExactlyTheAmountOnce()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset, "10000");
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        var verdict = await facilitator.VerifyAsync(payment, offer);
        var settled = await facilitator.SettleAsync(payment, offer);

        Assert.True(verdict.IsValid, verdict.InvalidReason);
        Assert.Equal(LedgerNode.Payer.Address.ToString(), verdict.Payer);
        Assert.True(settled.Success, settled.ErrorReason);
        Assert.Equal("eip155:8402", settled.Network);
        Assert.Matches("^0x[0-9a-f]{32}$", settled.Transaction);
        Assert.Equal(before - 10000, await node.BalanceAsync(LedgerNode.Payer.Address));
        Assert.Equal((UInt128)10000, await node.BalanceAsync(LedgerNode.Merchant));
        var transfer = await node.Client.GetTransferAsync(settled.Transaction);
        Assert.Equal("10000", transfer.Amount);
        Assert.Equal(LedgerNode.Merchant.ToString(), transfer.Credit);
    }

    [Fact]
    public async Task Settle_DuplicateOfSettledPayment_NonceAlreadyUsed_LookupShowsTheSettlement()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);
        var nonce = payment.Payload.GetProperty("authorization").GetProperty("nonce").GetString()!;
        var beforeSettle = await facilitator.LookUpPaymentAsync(node.Asset.Address, LedgerNode.Payer.Address.ToString(), nonce);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        var first = await facilitator.SettleAsync(payment, offer);
        var duplicate = await facilitator.SettleAsync(payment, offer);
        var afterSettle = await facilitator.LookUpPaymentAsync(node.Asset.Address, LedgerNode.Payer.Address.ToString(), nonce);

        Assert.True(first.Success);
        Assert.False(duplicate.Success);
        Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, duplicate.ErrorReason);
        Assert.Equal("", duplicate.Transaction);
        Assert.Equal(before - 10000, await node.BalanceAsync(LedgerNode.Payer.Address));
        // The caller whose settle timed out asks for the deterministic transaction id instead of settling again.
        Assert.Equal(first.Transaction, beforeSettle.Transaction);
        Assert.False(beforeSettle.Settled);
        Assert.Equal("unused", beforeSettle.Authorization);
        Assert.Equal(first.Transaction, afterSettle.Transaction);
        Assert.True(afterSettle.Settled);
        Assert.Equal("used", afterSettle.Authorization);
        Assert.Equal("10000", afterSettle.Amount);
    }

    [Fact]
    public async Task Verify_TwentyConcurrentCopies_OneValid_RestNonceAlreadyUsed()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);

        var verdicts = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => facilitator.VerifyAsync(payment, offer))));

        Assert.Single(verdicts, v => v.IsValid);
        Assert.All(verdicts.Where(v => !v.IsValid), v => Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, v.InvalidReason));
        // The one that verified settles; nothing else moves.
        Assert.True((await facilitator.SettleAsync(payment, offer)).Success);
        Assert.Equal((UInt128)10000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task UnfundedPayer_VerifyAndSettle_BothInsufficientFunds()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var stranger = new HolderSigner(Keccak256.Hash("centime x402 test unfunded stranger"u8));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(stranger, node.Asset, offer);

        var verdict = await facilitator.VerifyAsync(payment, offer);
        var settled = await facilitator.SettleAsync(payment, offer);

        Assert.False(verdict.IsValid);
        Assert.Equal(X402ErrorReasons.InsufficientFunds, verdict.InvalidReason);
        Assert.False(settled.Success);
        Assert.Equal(X402ErrorReasons.InsufficientFunds, settled.ErrorReason);
        Assert.Equal(UInt128.Zero, await node.BalanceAsync(LedgerNode.Merchant));
    }

    /// <summary>A spec-shaped v1 request (payload with scheme/network at the top; requirements with
    /// maxAmountRequired, resource, description, mimeType, outputSchema) verifies and settles like v2.</summary>
    [Fact]
    public async Task V1SpecShapedRequest_MaxAmountRequired_VerifiesAndSettles()
    {
        await using var node = await LedgerNode.StartAsync();
        var offer = Payments.Offer(node.Asset, "7000");
        var signed = Payments.Sign(LedgerNode.Payer, node.Asset, offer);
        var extra = System.Text.Json.JsonSerializer.Serialize(offer.Extra);
        var body = $$$"""
            {"x402Version":1,
             "paymentPayload":{"x402Version":1,"scheme":"exact","network":"{{{offer.Network}}}","payload":{{{signed.Payload.GetRawText()}}}},
             "paymentRequirements":{"scheme":"exact","network":"{{{offer.Network}}}","maxAmountRequired":"7000","resource":"http://127.0.0.1/v1",
               "description":"a v1 resource","mimeType":"application/json","outputSchema":null,"payTo":"{{{offer.PayTo}}}","maxTimeoutSeconds":60,
               "asset":"{{{offer.Asset}}}","extra":{{{extra}}}}}
            """;
        using var http = new HttpClient();

        using var verify = await http.PostAsync(node.FacilitatorUrl + "/verify", new StringContent(body, Encoding.UTF8, "application/json"));
        var verdict = JsonNode.Parse(await verify.Content.ReadAsStringAsync())!;
        using var settle = await http.PostAsync(node.FacilitatorUrl + "/settle", new StringContent(body, Encoding.UTF8, "application/json"));
        var settled = JsonNode.Parse(await settle.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.True(verdict["isValid"]!.GetValue<bool>(), verdict.ToJsonString());
        Assert.True(settled["success"]!.GetValue<bool>(), settled.ToJsonString());
        Assert.Equal("7000", settled["amount"]!.GetValue<string>());
        Assert.Equal((UInt128)7000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task Settle_TwentyConcurrentDuplicates_ExactlyOneDebit()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => facilitator.SettleAsync(payment, offer))));

        // One settles; the others are duplicates of a settled payment, refused as the reference chain refuses them.
        Assert.Single(results, r => r.Success);
        Assert.All(results.Where(r => !r.Success), r => Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, r.ErrorReason));
        Assert.Equal(before - 10000, await node.BalanceAsync(LedgerNode.Payer.Address));
        Assert.Equal((UInt128)10000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task Replay_VerifyAfterSettle_NonceAlreadyUsed()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);
        Assert.True((await facilitator.SettleAsync(payment, offer)).Success);

        var verdict = await facilitator.VerifyAsync(payment, offer);

        Assert.False(verdict.IsValid);
        Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, verdict.InvalidReason);
    }

    [Fact]
    public async Task Settle_DifferentPaymentReusingNonce_NonceAlreadyUsed_NothingMoves()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var nonce = HolderSigner.NewNonce();
        var offer = Payments.Offer(node.Asset, "10000");
        Assert.True((await facilitator.SettleAsync(Payments.Sign(LedgerNode.Payer, node.Asset, offer, nonce: nonce), offer)).Success);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);
        var other = Payments.Offer(node.Asset, "20000");

        var settled = await facilitator.SettleAsync(Payments.Sign(LedgerNode.Payer, node.Asset, other, nonce: nonce), other);

        Assert.False(settled.Success);
        Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, settled.ErrorReason);
        Assert.Equal("", settled.Transaction);
        Assert.Equal(before, await node.BalanceAsync(LedgerNode.Payer.Address));
    }

    public static TheoryData<string> Attacks => ["wrong_payto", "short_amount", "expired", "not_yet_valid", "unknown_network", "payload_network", "wrong_chain_signature",
        "forged_signature", "other_signer", "scheme", "version", "unknown_asset", "insufficient_funds"];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Attack_RefusedWithSpecReason_NothingDebited(string attack)
    {
        await using var node = await LedgerNode.StartAsync(fund: 1_000_000);
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var asset = node.Asset;
        var offer = Payments.Offer(asset, "10000");
        var payer = LedgerNode.Payer;
        var (payment, requirements, reason) = attack switch
        {
            "wrong_payto" => (Payments.Sign(payer, asset, offer, to: LedgerNode.Other.Address), offer, X402ErrorReasons.RecipientMismatch),
            "short_amount" => (Payments.Sign(payer, asset, offer, value: 9999), offer, X402ErrorReasons.ValueMismatch),
            "expired" => (Payments.Sign(payer, asset, offer, validBefore: (ulong)Payments.Now - 1), offer, X402ErrorReasons.InvalidValidBefore),
            "not_yet_valid" => (Payments.Sign(payer, asset, offer, validAfter: (ulong)Payments.Now + 600), offer, X402ErrorReasons.InvalidValidAfter),
            "unknown_network" => (Payments.Sign(payer, asset, offer with { Network = "eip155:1" }), offer with { Network = "eip155:1" }, X402ErrorReasons.InvalidNetwork),
            "payload_network" => (Payments.Sign(payer, asset, offer with { Network = "eip155:84532" }), offer, X402ErrorReasons.InvalidNetwork),
            "wrong_chain_signature" => (Payments.Sign(payer, asset, offer, chainId: 84532), offer, X402ErrorReasons.InvalidSignature),
            "forged_signature" => (Forge(Payments.Sign(payer, asset, offer)), offer, X402ErrorReasons.InvalidSignature),
            "other_signer" => (Impersonate(Payments.Sign(LedgerNode.Other, asset, offer), payer.Address), offer, X402ErrorReasons.InvalidSignature),
            "scheme" => (Payments.Sign(payer, asset, offer with { Scheme = "upto" }), offer with { Scheme = "upto" }, X402ErrorReasons.UnsupportedScheme),
            "version" => (Payments.Sign(payer, asset, offer) with { X402Version = 3 }, offer, X402ErrorReasons.InvalidX402Version),
            "unknown_asset" => (Payments.Sign(payer, asset, offer), offer with { Asset = LedgerNode.Other.Address.ToString() }, X402ErrorReasons.InvalidPaymentRequirements),
            "insufficient_funds" => (Payments.Sign(payer, asset, Payments.Offer(asset, "2000000")), Payments.Offer(asset, "2000000"), X402ErrorReasons.InsufficientFunds),
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };
        var before = await node.BalanceAsync(payer.Address);

        var verdict = await facilitator.VerifyAsync(payment, requirements);
        var settled = await facilitator.SettleAsync(payment, requirements);

        Assert.False(verdict.IsValid);
        Assert.Equal(reason, verdict.InvalidReason);
        Assert.False(settled.Success);
        Assert.Equal(reason, settled.ErrorReason);
        Assert.Equal(before, await node.BalanceAsync(payer.Address));
        Assert.Equal(UInt128.Zero, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"x402Version\":2}")]
    [InlineData("{\"x402Version\":2,\"paymentPayload\":{\"x402Version\":2,\"accepted\":{\"scheme\":\"exact\"}},\"paymentRequirements\":{}}")]
    public async Task Verify_MalformedBody_400_InvalidPayload(string body)
    {
        await using var node = await LedgerNode.StartAsync();
        using var http = new HttpClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(node.FacilitatorUrl + "/verify", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(json["isValid"]!.GetValue<bool>());
        Assert.Equal(X402ErrorReasons.InvalidPayload, json["invalidReason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verify_PayloadFieldsMissing_InvalidPayload()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer) with { Payload = System.Text.Json.JsonSerializer.SerializeToElement(new { signature = "0x00" }) };

        var verdict = await facilitator.VerifyAsync(payment, offer);

        Assert.Equal(X402ErrorReasons.InvalidPayload, verdict.InvalidReason);
    }

    /// <summary>Issue 12 item 5: a payment's <c>resource</c> is not signed by the payee, so verifying or settling one
    /// lists nothing (listings are registered by the payTo's signature).</summary>
    [Fact]
    public async Task Discovery_PaymentsDoNotListTheirUnsignedResource()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);
        Assert.True((await facilitator.VerifyAsync(payment, offer)).IsValid);
        Assert.True((await facilitator.SettleAsync(payment, offer)).Success);
        using var http = new HttpClient();

        var page = (await http.GetFromJsonAsync<DiscoveryResponse>(node.FacilitatorUrl + "/discovery/resources?type=http&limit=20&offset=0", X402Headers.Json))!;

        Assert.Equal(0, page.Pagination.Total);
    }

    [Fact]
    public async Task InProcess_NodeFacilitator_SettlesLikeHttp()
    {
        await using var node = await LedgerNode.StartAsync();
        var facilitator = new NodeFacilitator(node.Node.Context);
        var offer = Payments.Offer(node.Asset);
        var payment = Payments.Sign(LedgerNode.Payer, node.Asset, offer);

        var settled = await facilitator.SettleAsync(payment, offer);

        Assert.True(settled.Success);
        var id = LedgerState.AuthorizationTransferId(node.CoinInfo.Number, LedgerNode.Payer.Address,
            Hash32.Parse(payment.Payload.GetProperty("authorization").GetProperty("nonce").GetString()!));
        Assert.Equal(NodeFacilitator.TransactionOf(id), settled.Transaction);
    }

    private static PaymentPayload Forge(PaymentPayload p)
    {
        var node = JsonNode.Parse(p.Payload.GetRawText())!;
        var sig = node["signature"]!.GetValue<string>();
        node["signature"] = sig[..10] + (sig[10] == 'a' ? 'b' : 'a') + sig[11..];
        return p with { Payload = System.Text.Json.JsonSerializer.SerializeToElement(node) };
    }

    private static PaymentPayload Impersonate(PaymentPayload p, Address victim)
    {
        var node = JsonNode.Parse(p.Payload.GetRawText())!;
        node["authorization"]!["from"] = victim.ToString();
        return p with { Payload = System.Text.Json.JsonSerializer.SerializeToElement(node) };
    }
}
