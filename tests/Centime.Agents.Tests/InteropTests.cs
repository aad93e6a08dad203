using System.Net;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Agents.Tests;

/// <summary>
/// The must-shows with the official npm packages (interop/package.json, installed by
/// scripts/install-deps.sh), everything on 127.0.0.1: (a) @x402/fetch pays a Centime-protected ASP.NET endpoint;
/// (b) @x402/express with Centime's facilitator URL is paid by @x402/fetch; (c) the C# client pays that express
/// server. Each checks the ledger.
/// </summary>
public sealed class InteropTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]  // with Centime's hash-chain offer second in accepts: the official client skips it and pays exact
    public async Task OfficialFetchClient_PaysAspNetEndpoint_LedgerShowsTransfer(bool hashChainOffered)
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        await using var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: hashChainOffered);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        var result = await NodeScripts.PayWithOfficialClientAsync(api.BaseUrl + "weather", node.Asset, "1000000");

        Assert.Equal(200, result["status"]!.GetValue<int>());
        Assert.Contains("Lisbon", result["body"]!.GetValue<string>());
        var settlement = result["paymentResponse"]!;
        Assert.True(settlement["success"]!.GetValue<bool>());
        var transfer = await node.Client.GetTransferAsync(settlement["transaction"]!.GetValue<string>());
        Assert.Equal(LedgerNode.Payer.Address.ToString(), transfer.Debit);
        Assert.Equal(LedgerNode.Merchant.ToString(), transfer.Credit);
        Assert.Equal("10000", transfer.Amount);
        Assert.Equal(before - 10000, await node.BalanceAsync(LedgerNode.Payer.Address));
        Assert.Equal(1, api.HandlerRuns);
    }

    [Fact]
    public async Task OfficialFetchClient_PaysOfficialExpressServer_ThroughCentimeFacilitator()
    {
        await using var node = await LedgerNode.StartAsync();
        using var express = await NodeScripts.StartExpressAsync(node.FacilitatorUrl, node.Asset, "25000", LedgerNode.Merchant);

        var result = await NodeScripts.PayWithOfficialClientAsync(express.BaseUrl + "paid", node.Asset, "1000000");

        Assert.Equal(200, result["status"]!.GetValue<int>());
        Assert.Contains("express", result["body"]!.GetValue<string>());
        var settlement = result["paymentResponse"]!;
        Assert.True(settlement["success"]!.GetValue<bool>());
        Assert.Equal("eip155:8402", settlement["network"]!.GetValue<string>());
        var transfer = await node.Client.GetTransferAsync(settlement["transaction"]!.GetValue<string>());
        Assert.Equal("25000", transfer.Amount);
        Assert.Equal((UInt128)25000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    /// <summary>Issue 12 item 3: the official express server keeps no lock of its own (verify → handler → settle),
    /// so only the facilitator can stop copies of one payment; each must run the handler at most once.</summary>
    [Fact]
    public async Task OfficialExpressServer_FiftyConcurrentCopiesOfOnePayment_HandlerRunsOnce_OneDebit()
    {
        await using var node = await LedgerNode.StartAsync();
        using var express = await NodeScripts.StartExpressAsync(node.FacilitatorUrl, node.Asset, "25000", LedgerNode.Merchant);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        var result = await NodeScripts.PayOnceSendCopiesAsync(express.BaseUrl + "paid", node.Asset, "1000000", copies: 50);

        var statuses = result["statuses"]!.AsObject();
        Assert.Equal(1, statuses["200"]?.GetValue<int>());
        Assert.Equal(49, statuses["402"]?.GetValue<int>());
        Assert.True(result["reused"]!.GetValue<int>() >= 45, $"the copies should ride warmed keep-alive connections: {result}");
        Assert.Equal(1, result["runs"]!.GetValue<int>());
        var settlement = result["paymentResponses"]!.AsArray().Single()!;
        Assert.True(settlement["success"]!.GetValue<bool>());
        Assert.Equal((UInt128)25000, await node.BalanceAsync(LedgerNode.Merchant));
        Assert.Equal(before - 25000, await node.BalanceAsync(LedgerNode.Payer.Address));
    }

    [Fact]
    public async Task CSharpClient_PaysOfficialExpressServer()
    {
        await using var node = await LedgerNode.StartAsync();
        using var express = await NodeScripts.StartExpressAsync(node.FacilitatorUrl, node.Asset, "25000", LedgerNode.Merchant);
        using var handler = new X402PaymentHandler(LedgerNode.Other, Payments.Generous);
        using var http = new HttpClient(handler);
        var before = await node.BalanceAsync(LedgerNode.Other.Address);

        using var response = await http.GetAsync(express.BaseUrl + "paid");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("express", await response.Content.ReadAsStringAsync());
        Assert.True(X402Headers.TryDecode<SettleResponse>(response.Headers.GetValues(X402Headers.PaymentResponse).Single(), out var settlement));
        Assert.True(settlement.Success);
        var transfer = await node.Client.GetTransferAsync(settlement.Transaction);
        Assert.Equal(LedgerNode.Other.Address.ToString(), transfer.Debit);
        Assert.Equal(before - 25000, await node.BalanceAsync(LedgerNode.Other.Address));
        Assert.Equal((UInt128)25000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task OfficialExpressServer_ReplayedPayment_Refused_OneDebit()
    {
        await using var node = await LedgerNode.StartAsync();
        using var express = await NodeScripts.StartExpressAsync(node.FacilitatorUrl, node.Asset, "25000", LedgerNode.Merchant);
        using var http = new HttpClient();
        using var challenge = await http.GetAsync(express.BaseUrl + "paid");
        Assert.Equal(HttpStatusCode.PaymentRequired, challenge.StatusCode);
        Assert.True(X402Headers.TryDecode<PaymentRequired>(challenge.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var required));
        var header = X402Headers.Encode(Payments.Sign(LedgerNode.Payer, node.Asset, required.Accepts[0]) with { Resource = required.Resource });

        using var first = await SendAsync(http, express.BaseUrl + "paid", header);
        using var replay = await SendAsync(http, express.BaseUrl + "paid", header);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal((UInt128)25000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string url, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation(X402Headers.PaymentSignature, header);
        return await http.SendAsync(request);
    }
}
