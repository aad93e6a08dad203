using System.Net;
using Centime.Agents.X402;

namespace Centime.Agents.Tests;

/// <summary>The middleware when the facilitator fails: settlement refused after a valid verify, and a facilitator
/// that cannot be reached. A stub facilitator stands in for the node.</summary>
public sealed class MiddlewareFailureTests
{
    private sealed class RefusingSettle : IX402Facilitator
    {
        public int Settles;

        public Task<VerifyResponse> VerifyAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default) =>
            Task.FromResult(VerifyResponse.Valid(LedgerNode.Payer.Address.ToString()));

        public Task<SettleResponse> SettleAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Settles);
            return Task.FromResult(SettleResponse.Failed(X402ErrorReasons.InsufficientFunds, requirements.Network, "stub", LedgerNode.Payer.Address.ToString()));
        }

        public Task<SupportedResponse> GetSupportedAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(new SupportedResponse { Kinds = [] });
    }

    private static readonly X402Asset Asset = new("NUSD", 6, 8402, "0x0000000000000000000000000000000000000402", "Net Dollar", "1");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SettlementRefused_402_WithFailedPaymentResponse(bool settleBefore)
    {
        var facilitator = new RefusingSettle();
        await using var api = await PaidApi.StartAsync(facilitator, new StaticAssetDirectory(Asset), settleBefore);
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous);
        using var http = new HttpClient(handler);

        using var response = await http.GetAsync(api.BaseUrl + "weather");

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.True(X402Headers.TryDecode<SettleResponse>(response.Headers.GetValues(X402Headers.PaymentResponse).Single(), out var settlement));
        Assert.False(settlement.Success);
        Assert.Equal(X402ErrorReasons.InsufficientFunds, settlement.ErrorReason);
        Assert.True(X402Headers.TryDecode<PaymentRequired>(response.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge));
        Assert.Equal(X402ErrorReasons.InsufficientFunds, challenge.Error);
        Assert.DoesNotContain("Lisbon", await response.Content.ReadAsStringAsync());
        Assert.Equal(settleBefore ? 0 : 1, api.HandlerRuns);
        Assert.Equal(1, facilitator.Settles);
        Assert.Equal(UInt128.Zero, handler.SpentToday);   // not settled: the client's budget is given back
    }

    [Fact]
    public async Task FacilitatorUnreachable_503_NotA402()
    {
        using var facilitator = new HttpFacilitatorClient(new Uri("http://127.0.0.1:9/x402"));
        await using var api = await PaidApi.StartAsync(facilitator, new StaticAssetDirectory(Asset));
        using var http = new HttpClient();
        using var challenge = await http.GetAsync(api.BaseUrl + "weather");
        Assert.True(X402Headers.TryDecode<PaymentRequired>(challenge.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var required));
        using var request = new HttpRequestMessage(HttpMethod.Get, api.BaseUrl + "weather");
        request.Headers.Add(X402Headers.PaymentSignature, X402Headers.Encode(Payments.Sign(LedgerNode.Payer, Asset, required.Accepts[0])));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("facilitator_unavailable", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, api.HandlerRuns);
    }
}
