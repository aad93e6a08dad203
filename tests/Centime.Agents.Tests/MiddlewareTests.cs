using System.Net;
using System.Text;
using Centime.Agents.X402;
using Centime.Client;

namespace Centime.Agents.Tests;

/// <summary>An ASP.NET Core API priced with RequirePayment, paid through the node's facilitator over HTTP, by the
/// C# client handler and by hand-made (hostile) headers.</summary>
public sealed class MiddlewareTests
{
    private static async Task<Rig> StartAsync(bool settleBefore = false)
    {
        var node = await LedgerNode.StartAsync();
        var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), settleBefore);
        return new Rig(node, api, facilitator);
    }

    /// <summary>A node (the facilitator) and a paid API using it; disposed API first, node last.</summary>
    private sealed record Rig(LedgerNode Node, PaidApi Api, HttpFacilitatorClient Facilitator) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Facilitator.Dispose();
            await Api.DisposeAsync();
            await Node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unpaid_402_WithChallengeInHeader()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var http = new HttpClient();

        using var response = await http.GetAsync(api.BaseUrl + "weather");

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.True(X402Headers.TryDecode<PaymentRequired>(response.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge));
        Assert.Equal(2, challenge.X402Version);
        Assert.Equal(X402ErrorReasons.PaymentRequired, challenge.Error);
        Assert.Equal(api.BaseUrl + "weather", challenge.Resource.Url);
        Assert.Equal("Weather now", challenge.Resource.Description);
        var offer = Assert.Single(challenge.Accepts);
        Assert.Equal("exact", offer.Scheme);
        Assert.Equal("eip155:8402", offer.Network);
        Assert.Equal("10000", offer.Amount);
        Assert.Equal(node.CoinInfo.Domain.VerifyingContract, offer.Asset);
        Assert.Equal(LedgerNode.Merchant.ToString(), offer.PayTo);
        Assert.Equal(60, offer.MaxTimeoutSeconds);
        Assert.Equal("Net Dollar", offer.ExtraString("name"));
        Assert.Equal("1", offer.ExtraString("version"));
        Assert.Equal(0, api.HandlerRuns);
        Assert.Equal("free", await http.GetStringAsync(api.BaseUrl + "free"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CSharpClient_PaysOnce_LedgerShowsTransfer(bool settleBefore)
    {
        await using var rig = await StartAsync(settleBefore);
        var (node, api, facilitator) = rig;
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous);
        using var http = new HttpClient(handler);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        using var response = await http.GetAsync(api.BaseUrl + "weather");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Lisbon", await response.Content.ReadAsStringAsync());
        Assert.True(X402Headers.TryDecode<SettleResponse>(response.Headers.GetValues(X402Headers.PaymentResponse).Single(), out var settlement));
        Assert.True(settlement.Success);
        Assert.Equal(LedgerNode.Payer.Address.ToString(), settlement.Payer);
        var transfer = await node.Client.GetTransferAsync(settlement.Transaction);
        Assert.Equal("10000", transfer.Amount);
        Assert.Equal(LedgerNode.Payer.Address.ToString(), transfer.Debit);
        Assert.Equal(LedgerNode.Merchant.ToString(), transfer.Credit);
        Assert.Equal(before - 10000, await node.BalanceAsync(LedgerNode.Payer.Address));
        Assert.Equal((UInt128)10000, handler.SpentToday);
        Assert.Equal(1, api.HandlerRuns);
    }

    [Fact]
    public async Task CSharpClient_PostBody_ResentWithPayment()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous);
        using var http = new HttpClient(handler);

        using var response = await http.PostAsync(api.BaseUrl + "echo", new StringContent("hello x402", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello x402", await response.Content.ReadAsStringAsync());
        Assert.Equal((UInt128)20000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task HandlerFails_NotSettled_NothingDebited()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous);
        using var http = new HttpClient(handler);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        using var response = await http.GetAsync(api.BaseUrl + "broken");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(response.Headers.Contains(X402Headers.PaymentResponse));
        Assert.Equal(before, await node.BalanceAsync(LedgerNode.Payer.Address));
    }

    [Fact]
    public async Task ReplayedHeader_402_NonceAlreadyUsed_ServedOnce()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var http = new HttpClient();
        var header = await PaidHeaderAsync(http, api);

        using var first = await SendWithAsync(http, api.BaseUrl + "weather", header);
        using var replay = await SendWithAsync(http, api.BaseUrl + "weather", header);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.PaymentRequired, replay.StatusCode);
        Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, ErrorOf(replay));
        Assert.Equal(1, api.HandlerRuns);
        Assert.Equal((UInt128)10000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task ConcurrentDuplicates_OneServedOneDebit()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var http = new HttpClient();
        var header = await PaidHeaderAsync(http, api);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => SendWithAsync(http, api.BaseUrl + "weather", header))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(X402ErrorReasons.NonceAlreadyUsed, ErrorOf(r)));
        Assert.Equal(1, api.HandlerRuns);
        Assert.Equal((UInt128)10000, await node.BalanceAsync(LedgerNode.Merchant));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Theory]
    [InlineData("not base64!", X402ErrorReasons.InvalidPayload)]
    [InlineData("e30", X402ErrorReasons.InvalidPayload)]                 // unpadded
    [InlineData("eyJ4NDAyVmVyc2lvbiI6Mn0-", X402ErrorReasons.InvalidPayload)] // URL-safe alphabet
    [InlineData("bm90IGpzb24=", X402ErrorReasons.InvalidPayload)]        // "not json"
    [InlineData("eyJ4NDAyVmVyc2lvbiI6Mn0=", X402ErrorReasons.InvalidPayload)] // {"x402Version":2}: no accepted
    [InlineData("eyJ4NDAyVmVyc2lvbiI6N30=", X402ErrorReasons.InvalidX402Version)] // {"x402Version":7}
    public async Task MalformedHeader_402_WithReason(string header, string reason)
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var http = new HttpClient();

        using var response = await SendWithAsync(http, api.BaseUrl + "weather", header);

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal(reason, ErrorOf(response));
        Assert.Equal(0, api.HandlerRuns);
    }

    [Theory]
    [InlineData("payto", X402ErrorReasons.RecipientMismatch)]
    [InlineData("amount", X402ErrorReasons.ValueMismatch)]
    [InlineData("network", X402ErrorReasons.InvalidNetwork)]
    [InlineData("sign_short", X402ErrorReasons.ValueMismatch)]
    [InlineData("sign_other_payee", X402ErrorReasons.RecipientMismatch)]
    [InlineData("expired", X402ErrorReasons.InvalidValidBefore)]
    public async Task TamperedPayment_402_WithReason_NothingDebited(string tamper, string reason)
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var http = new HttpClient();
        using var challengeResponse = await http.GetAsync(api.BaseUrl + "weather");
        X402Headers.TryDecode<PaymentRequired>(challengeResponse.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge);
        var offer = challenge!.Accepts[0];
        var asset = node.Asset;
        var payment = tamper switch
        {
            "payto" => Payments.Sign(LedgerNode.Payer, asset, offer with { PayTo = LedgerNode.Other.Address.ToString() }),
            "amount" => Payments.Sign(LedgerNode.Payer, asset, offer with { Amount = "1" }),
            "network" => Payments.Sign(LedgerNode.Payer, asset, offer with { Network = "eip155:84532" }),
            "sign_short" => Payments.Sign(LedgerNode.Payer, asset, offer, value: 1),
            "sign_other_payee" => Payments.Sign(LedgerNode.Payer, asset, offer, to: LedgerNode.Other.Address),
            "expired" => Payments.Sign(LedgerNode.Payer, asset, offer, validBefore: (ulong)Payments.Now + 2),
            _ => throw new ArgumentOutOfRangeException(nameof(tamper)),
        };

        using var response = await SendWithAsync(http, api.BaseUrl + "weather", X402Headers.Encode(payment));

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal(reason, ErrorOf(response));
        Assert.Equal(0, api.HandlerRuns);
        Assert.Equal(UInt128.Zero, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task V1Header_OnThisNetwork_Accepted_XPaymentResponse()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var http = new HttpClient();
        using var challengeResponse = await http.GetAsync(api.BaseUrl + "weather");
        X402Headers.TryDecode<PaymentRequired>(challengeResponse.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge);
        var v2 = Payments.Sign(LedgerNode.Payer, node.Asset, challenge!.Accepts[0]);
        var v1 = new PaymentPayload { X402Version = 1, Scheme = "exact", Network = "eip155:8402", Payload = v2.Payload };
        using var request = new HttpRequestMessage(HttpMethod.Get, api.BaseUrl + "weather");
        request.Headers.Add(X402Headers.XPayment, X402Headers.Encode(v1));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(X402Headers.TryDecode<SettleResponse>(response.Headers.GetValues(X402Headers.XPaymentResponse).Single(), out var settled));
        Assert.True(settled.Success);
        Assert.Equal((UInt128)10000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task Limits_PerPayment_RefusedBeforeSigning()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous with { MaxPerPayment = 9_999 });
        using var http = new HttpClient(handler);

        var ex = await Assert.ThrowsAsync<X402PaymentRefusedException>(() => http.GetAsync(api.BaseUrl + "weather"));

        Assert.Equal(PaymentRefusal.ExceedsPerPayment, ex.Reason);
        Assert.Equal(UInt128.Zero, await node.BalanceAsync(LedgerNode.Merchant));
        Assert.Equal(UInt128.Zero, handler.SpentToday);
    }

    [Fact]
    public async Task Limits_PerHostAndPerDay_StopAtTheLimit()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var perHost = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous with { MaxPerHostPerDay = 25_000 });
        using var http = new HttpClient(perHost);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(api.BaseUrl + "weather")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(api.BaseUrl + "weather")).StatusCode);
        var host = await Assert.ThrowsAsync<X402PaymentRefusedException>(() => http.GetAsync(api.BaseUrl + "weather"));

        using var perDay = new X402PaymentHandler(LedgerNode.Other, Payments.Generous with { MaxPerDay = 10_000 });
        using var http2 = new HttpClient(perDay);
        Assert.Equal(HttpStatusCode.OK, (await http2.GetAsync(api.BaseUrl + "weather")).StatusCode);
        var day = await Assert.ThrowsAsync<X402PaymentRefusedException>(() => http2.GetAsync(api.BaseUrl + "weather"));

        Assert.Equal(PaymentRefusal.ExceedsPerHostPerDay, host.Reason);
        Assert.Equal(PaymentRefusal.ExceedsPerDay, day.Reason);
        Assert.Equal((UInt128)30_000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task Limits_AssetNotAllowed_Refused()
    {
        await using var rig = await StartAsync();
        var (node, api, facilitator) = rig;
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous with { AllowedAssets = new HashSet<string> { "0x036CbD53842c5426634e7929541eC2318f3dCF7e" } });
        using var http = new HttpClient(handler);

        var ex = await Assert.ThrowsAsync<X402PaymentRefusedException>(() => http.GetAsync(api.BaseUrl + "weather"));

        Assert.Equal(PaymentRefusal.AssetNotAllowed, ex.Reason);
    }

    private static async Task<string> PaidHeaderAsync(HttpClient http, PaidApi api)
    {
        using var response = await http.GetAsync(api.BaseUrl + "weather");
        Assert.True(X402Headers.TryDecode<PaymentRequired>(response.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge));
        var offer = challenge.Accepts[0];
        var asset = new X402Asset(LedgerNode.Coin, 6, 8402, offer.Asset, offer.ExtraString("name")!, offer.ExtraString("version")!);
        return X402Headers.Encode(Payments.Sign(LedgerNode.Payer, asset, offer));
    }

    private static async Task<HttpResponseMessage> SendWithAsync(HttpClient http, string url, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation(X402Headers.PaymentSignature, header);
        return await http.SendAsync(request);
    }

    private static string? ErrorOf(HttpResponseMessage response) =>
        X402Headers.TryDecode<PaymentRequired>(response.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var c) ? c.Error : null;
}
