using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Contracts;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Api;

namespace Centime.Node.Tests;

/// <summary>Standing orders, oracle-attested facts and idempotent create, end to end over loopback HTTP.</summary>
public sealed partial class ContractTests
{
    private const ulong ChainId = 8402; // NodeOptions default

    private static OracleFactRequest Attest(Party oracle, string key, string value, ulong observedAt, Hash32? nonce = null)
    {
        var n = nonce ?? HolderSigner.NewNonce();
        var signature = OracleFactSignature.Sign(oracle.Key, ChainId, key, value, observedAt, n);
        return new OracleFactRequest(key, value, observedAt.ToString(CultureInfo.InvariantCulture), n.ToString(), signature.ToHex(), oracle.Address);
    }

    private static ulong NowSeconds => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task StandingOrder_PaidOnTriggerAndOnStockFact_RestReturnedAtTheDeadline()
    {
        Party buyer = new(), supplier = new(), erp = new(), oracle = new(), stranger = new();
        await using var m = await Market.StartAsync(null, true, buyer);

        // "Pay the supplier 25 NUSD each time SKU-123 is back in stock, at most 3 times, within 3 seconds."
        var order = await m.CreateAsync(new
        {
            id = "8800001",
            kind = "standing_order",
            coin = "NUSD",
            amount = "25" + Whole,
            maxExecutions = 3,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["supplier"] = supplier.Address, ["erp"] = erp.Address, ["stock"] = oracle.Address },
            payer = "buyer",
            payee = "supplier",
            trigger = "erp",
            oracle = "stock",
            factKey = "stock_available:SKU-123",
            deadlineSeconds = 3,
            reference = "reorder SKU-123",
        });
        Assert.Equal("standing_order", order.Kind);
        Assert.Equal(N("75"), UInt128.Parse(order.Funded!, CultureInfo.InvariantCulture));
        Assert.Equal("true", order.FactValue);
        Assert.Equal(N("925"), await m.BalanceAsync(buyer.Address));
        Assert.Equal(N("75"), await m.BalanceAsync(order.Account!));

        // The ERP triggers one execution with its EIP-712 event; nobody else may.
        await m.RefusedAsync(await m.SendEventAsync("8800001", supplier, "trigger"), 403, "not_designated_party");
        var afterTrigger = await m.EventAsync("8800001", erp, "trigger");
        Assert.Equal(1UL, afterTrigger.Executions);
        Assert.Equal(N("25"), await m.BalanceAsync(supplier.Address));

        // The stock oracle attests the fact: a second execution. Another signer is not the designated oracle.
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", Attest(stranger, "stock_available:SKU-123", "true", NowSeconds), Json), 403, "not_designated_party");
        var attestation = Attest(oracle, "stock_available:SKU-123", "true", NowSeconds);
        using var anonymous = new HttpClient { BaseAddress = new Uri(m.Node.BaseUrl) }; // an oracle needs no operator key
        using (var fired = await anonymous.PostAsJsonAsync("v1/contracts/facts", attestation, Json))
        {
            var text = await fired.Content.ReadAsStringAsync();
            Assert.True(fired.IsSuccessStatusCode, text);
            var outcome = JsonSerializer.Deserialize<OracleFactOutcome>(text, Json)!;
            Assert.Equal(["8800001"], outcome.Fired);
            Assert.Equal(oracle.Address, outcome.Oracle);
        }

        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", attestation, Json), 409, "contract_nonce_used"); // a replayed attestation
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", Attest(oracle, "stock_available:SKU-999", "true", NowSeconds), Json), 422, "fact_not_awaited");
        var tampered = attestation with { Value = "false", Nonce = HolderSigner.NewNonce().ToString() };
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", tampered, Json), 422, "signer_mismatch");
        Assert.Equal(N("50"), await m.BalanceAsync(supplier.Address));

        // The deadline passes (ledger time) with one execution unused: its 25 NUSD go back to the buyer.
        var closed = await m.WaitClosedAsync("8800001");
        Assert.Equal(["fund", "execution", "fact", "return"], closed.Steps.Select(s => s.Step));
        Assert.Equal(2UL, closed.Executions);
        Assert.Equal(N("50"), UInt128.Parse(closed.Released, CultureInfo.InvariantCulture));
        Assert.Equal(N("25"), UInt128.Parse(closed.Returned, CultureInfo.InvariantCulture));

        // Reconciled to the unit: 1000 = 950 (buyer) + 50 (supplier) + 0 (contract account).
        Assert.Equal(N("950"), await m.BalanceAsync(buyer.Address));
        Assert.Equal(N("50"), await m.BalanceAsync(supplier.Address));
        Assert.Equal(UInt128.Zero, await m.BalanceAsync(order.Account!));
        await m.RefusedAsync(await m.SendEventAsync("8800001", erp, "trigger"), 409, "contract_closed");
    }

    [Fact]
    public async Task OracleFact_SignedWithEthers_ReleasesAnEscrowWaitingOnDelivery()
    {
        Party buyer = new(), seller = new(), courier = new();
        await using var m = await Market.StartAsync(null, true, buyer);
        var escrow = await m.CreateAsync(new
        {
            id = "8800002",
            kind = "escrow",
            coin = "NUSD",
            amount = "40" + Whole,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["seller"] = seller.Address, ["courier"] = courier.Address },
            payer = "buyer",
            payee = "seller",
            oracle = "courier",
            factKey = "delivered:order-42",
            factValue = "yes",
            deadlineSeconds = 3600,
        });
        Assert.Equal(courier.Address, escrow.Oracle);

        // The courier's system signs with ethers 6.17.0 (npm); the node recovers the same address from it.
        var observedAt = NowSeconds;
        var nonce = HolderSigner.NewNonce();
        var typedData = new JsonObject
        {
            ["types"] = new JsonObject
            {
                ["EIP712Domain"] = new JsonArray(Field("name", "string"), Field("version", "string"), Field("chainId", "uint256")),
                ["OracleFact"] = new JsonArray(Field("key", "string"), Field("value", "string"), Field("observedAt", "uint256"), Field("nonce", "bytes32")),
            },
            ["primaryType"] = "OracleFact",
            ["domain"] = new JsonObject { ["name"] = "Centime Contracts", ["version"] = "1", ["chainId"] = ChainId },
            ["message"] = new JsonObject { ["key"] = "delivered:order-42", ["value"] = "yes", ["observedAt"] = observedAt.ToString(CultureInfo.InvariantCulture), ["nonce"] = nonce.ToString() },
        };
        var reply = EthersBridge.Call(new JsonObject { ["op"] = "signTypedData", ["privateKey"] = "0x" + Convert.ToHexStringLower(courier.Key), ["typedData"] = typedData });
        Assert.Equal(courier.Address, reply["address"]!.GetValue<string>());
        Assert.Equal(OracleFactSignature.Digest(ChainId, "delivered:order-42", "yes", observedAt, nonce).ToString(), reply["digest"]!.GetValue<string>());
        Assert.Equal(OracleFactSignature.Type, reply["encodeType"]!.GetValue<string>());

        // A fact with another value moves nothing; the awaited one releases the escrow.
        using (var no = await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", Attest(courier, "delivered:order-42", "no", observedAt), Json))
        {
            Assert.True(no.IsSuccessStatusCode);
            Assert.Empty((await no.Content.ReadFromJsonAsync<OracleFactOutcome>(Json))!.Fired);
        }

        var request = new OracleFactRequest("delivered:order-42", "yes", observedAt.ToString(CultureInfo.InvariantCulture), nonce.ToString(), reply["signature"]!.GetValue<string>(), null);
        using (var yes = await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", request, Json))
        {
            var text = await yes.Content.ReadAsStringAsync();
            Assert.True(yes.IsSuccessStatusCode, text);
            Assert.Equal(["8800002"], JsonSerializer.Deserialize<OracleFactOutcome>(text, Json)!.Fired);
        }

        var released = await m.GetAsync("8800002");
        Assert.Equal("closed", released.Status);
        Assert.Equal(["fund", "release"], released.Steps.Select(s => s.Step));
        Assert.Equal(N("40"), await m.BalanceAsync(seller.Address));
        Assert.Equal(N("960"), await m.BalanceAsync(buyer.Address));
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/facts", Attest(courier, "delivered:order-42", "yes", observedAt), Json), 422, "fact_not_awaited");
    }

    [Fact]
    public async Task Create_IdenticalRetry_AnswersTheSameContract_DifferentTermsRefused()
    {
        Party buyer = new(), seller = new();
        await using var m = await Market.StartAsync(null, true, buyer);
        object Document(string amount) => new
        {
            id = "8800003",
            kind = "escrow",
            coin = "NUSD",
            amount,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["seller"] = seller.Address },
            payer = "buyer",
            payee = "seller",
            deadlineSeconds = 3600,
        };

        using var first = await m.PostContractAsync(Document("10" + Whole));
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var height = JsonNode.Parse(await m.Node.Http.GetStringAsync("v1/health"))!["height"]!.GetValue<ulong>();

        using var again = await m.PostContractAsync(Document("10" + Whole));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
        Assert.Equal(N("990"), await m.BalanceAsync(buyer.Address)); // funded once
        Assert.Equal(height, JsonNode.Parse(await m.Node.Http.GetStringAsync("v1/health"))!["height"]!.GetValue<ulong>()); // nothing journaled

        await m.RefusedAsync(await m.PostContractAsync(Document("11" + Whole)), 409, "contract_exists");
        Assert.Equal(N("990"), await m.BalanceAsync(buyer.Address));
        Assert.Single((await m.GetAsync("8800003")).Steps);
    }

    private static JsonObject Field(string name, string type) => new() { ["name"] = name, ["type"] = type };
}
