using Centime.Agents.X402;
using Centime.Client;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Centime.Node.Tests;

/// <summary>
/// Issue 13, "one SDK": every route of the node's route table is called by a typed method of <see cref="CentimeClient"/>
/// (or, for the x402 protocol routes, of <see cref="HttpFacilitatorClient"/>), or is listed below with the reason it is no
/// SDK call. The table names methods with <c>nameof</c>, so renaming or removing one breaks the build; a new route in
/// neither list, or an entry that matches no route any more, fails the test by name.
/// </summary>
public sealed class SdkCoverageTests
{
    /// <summary>(method, route pattern) → the SDK method that calls it.</summary>
    private static readonly Dictionary<(string Method, string Pattern), string> Sdk = new()
    {
        [("GET", "/v1/health")] = nameof(CentimeClient.GetHealthAsync),
        [("GET", "/v1/coins")] = nameof(CentimeClient.ListCoinsAsync),
        [("GET", "/v1/coins/{symbol}")] = nameof(CentimeClient.GetCoinAsync),
        [("POST", "/v1/coins")] = nameof(CentimeClient.CreateCoinAsync),
        [("POST", "/v1/transfers")] = nameof(CentimeClient.SubmitTransfersAsync),
        [("GET", "/v1/transfers/{id}")] = nameof(CentimeClient.GetTransferAsync),
        [("GET", "/v1/transfers/{id}/proof")] = nameof(CentimeClient.GetInclusionProofAsync),
        [("GET", "/v1/accounts/{address}")] = nameof(CentimeClient.GetAccountAsync),
        [("GET", "/v1/accounts/{address}/history")] = nameof(CentimeClient.GetHistoryAsync),
        [("GET", "/v1/blocks")] = nameof(CentimeClient.ListBlocksAsync),
        [("GET", "/v1/blocks/{height}")] = nameof(CentimeClient.GetBlockAsync),

        // Holder-signed (EIP-3009, EIP-2612, redemption).
        [("POST", "/v1/coins/{symbol}/transfer-with-authorization")] = nameof(CentimeClient.TransferWithAuthorizationAsync),
        [("POST", "/v1/coins/{symbol}/receive-with-authorization")] = nameof(CentimeClient.ReceiveWithAuthorizationAsync),
        [("POST", "/v1/coins/{symbol}/authorized-transfers")] = nameof(CentimeClient.SubmitAuthorizationsAsync),
        [("POST", "/v1/coins/{symbol}/cancel-authorization")] = nameof(CentimeClient.CancelAuthorizationAsync),
        [("POST", "/v1/coins/{symbol}/permit")] = nameof(CentimeClient.PermitAsync),
        [("POST", "/v1/coins/{symbol}/transfer-from")] = nameof(CentimeClient.TransferFromAsync),
        [("GET", "/v1/coins/{symbol}/authorizations/{authorizer}/{nonce}")] = nameof(CentimeClient.GetAuthorizationStateAsync),
        [("GET", "/v1/coins/{symbol}/allowances/{owner}/{spender}")] = nameof(CentimeClient.GetAllowanceAsync),
        [("GET", "/v1/coins/{symbol}/nonces/{owner}")] = nameof(CentimeClient.GetPermitNonceAsync),
        [("POST", "/v1/coins/{symbol}/redeem")] = nameof(CentimeClient.RedeemAsync),
        [("POST", "/v1/coins/{symbol}/redeem/typed-data")] = nameof(CentimeClient.RedeemTypedDataAsync),

        // Issuance.
        [("GET", "/v1/issuance/whoami")] = nameof(CentimeClient.WhoAmIAsync),
        [("GET", "/v1/issuance/operators")] = nameof(CentimeClient.ListOperatorsAsync),
        [("POST", "/v1/issuance/operators")] = nameof(CentimeClient.AddOperatorAsync),
        [("POST", "/v1/issuance/operators/{id}/roles")] = nameof(CentimeClient.SetRolesAsync),
        [("POST", "/v1/issuance/operators/{id}/key")] = nameof(CentimeClient.RotateKeyAsync),
        [("GET", "/v1/issuance/policy")] = nameof(CentimeClient.GetPolicyAsync),
        [("POST", "/v1/issuance/policy")] = nameof(CentimeClient.SetPolicyAsync),
        [("POST", "/v1/issuance/issuer-key")] = nameof(CentimeClient.RotateIssuerKeyAsync),
        [("GET", "/v1/issuance/coins/{coin}")] = nameof(CentimeClient.GetCoinIssuanceAsync),
        [("POST", "/v1/issuance/coins/{coin}/config")] = nameof(CentimeClient.ConfigureCoinAsync),
        [("POST", "/v1/issuance/coins/{coin}/minters")] = nameof(CentimeClient.SetMinterAsync),
        [("GET", "/v1/issuance/coins/{coin}/deposits")] = nameof(CentimeClient.ListDepositsAsync),
        [("POST", "/v1/issuance/coins/{coin}/deposits")] = nameof(CentimeClient.RecordDepositAsync),
        [("POST", "/v1/issuance/coins/{coin}/mints")] = nameof(CentimeClient.MintAsync),
        [("GET", "/v1/issuance/coins/{coin}/redemptions")] = nameof(CentimeClient.ListRedemptionsAsync),
        [("POST", "/v1/issuance/redemptions/{id}/paid")] = nameof(CentimeClient.MarkPayoutPaidAsync),
        [("POST", "/v1/issuance/coins/{coin}/bank-statements")] = nameof(CentimeClient.ImportBankStatementAsync),
        [("GET", "/v1/issuance/coins/{coin}/bank-statements")] = nameof(CentimeClient.ListBankStatementsAsync),
        [("GET", "/v1/issuance/coins/{coin}/reconciliation")] = nameof(CentimeClient.ListReconciliationAsync),
        [("POST", "/v1/issuance/coins/{coin}/reconciliation/{item}/resolve")] = nameof(CentimeClient.ResolveReconciliationAsync),
        [("POST", "/v1/issuance/coins/{coin}/payout-batches")] = nameof(CentimeClient.ExportPayoutsAsync),
        [("GET", "/v1/issuance/coins/{coin}/payout-batches")] = nameof(CentimeClient.ListPayoutBatchesAsync),
        [("GET", "/v1/issuance/coins/{coin}/payout-batches/{id}/pain001")] = nameof(CentimeClient.GetPayoutFileAsync),
        [("POST", "/v1/issuance/coins/{coin}/holidays")] = nameof(CentimeClient.SetHolidayCalendarAsync),
        [("GET", "/v1/issuance/coins/{coin}/holidays")] = nameof(CentimeClient.ListHolidaysAsync),
        [("POST", "/v1/issuance/coins/{coin}/pause")] = nameof(CentimeClient.SetPausedAsync),
        [("POST", "/v1/issuance/coins/{coin}/unpause")] = nameof(CentimeClient.SetPausedAsync),
        [("POST", "/v1/issuance/coins/{coin}/orders")] = nameof(CentimeClient.RequestLawfulOrderAsync),
        [("GET", "/v1/issuance/coins/{coin}/orders")] = nameof(CentimeClient.ListLawfulOrdersAsync),
        [("GET", "/v1/coins/{symbol}/accounts/{address}/freeze")] = nameof(CentimeClient.GetFreezeStatusAsync),
        [("GET", "/v1/issuance/coins/{coin}/reserves")] = nameof(CentimeClient.GetReservesAsync),
        [("POST", "/v1/issuance/coins/{coin}/reserves")] = nameof(CentimeClient.AddHoldingAsync),
        [("POST", "/v1/issuance/coins/{coin}/reserves/{id}/value")] = nameof(CentimeClient.ValueHoldingAsync),
        [("DELETE", "/v1/issuance/coins/{coin}/reserves/{id}")] = nameof(CentimeClient.RemoveHoldingAsync),
        [("GET", "/v1/issuance/approvals")] = nameof(CentimeClient.ListApprovalsAsync),
        [("GET", "/v1/issuance/actions/{id}")] = nameof(CentimeClient.GetActionAsync),
        [("POST", "/v1/issuance/approvals/{id}/approve")] = nameof(CentimeClient.ApproveAsync),
        [("POST", "/v1/issuance/approvals/{id}/reject")] = nameof(CentimeClient.RejectAsync),
        [("GET", "/v1/issuance/audit")] = nameof(CentimeClient.GetAuditAsync),

        // Disclosure: liabilities, monthly reports, issuer keys.
        [("POST", "/v1/coins/{symbol}/liabilities")] = nameof(CentimeClient.PublishLiabilitiesAsync),
        [("GET", "/v1/coins/{symbol}/liabilities")] = nameof(CentimeClient.GetLiabilitiesAsync),
        [("GET", "/v1/coins/{symbol}/liabilities/history")] = nameof(CentimeClient.ListLiabilitiesAsync),
        [("GET", "/v1/coins/{symbol}/liabilities/proof/{address}")] = nameof(CentimeClient.GetLiabilityProofJsonAsync),
        [("GET", "/v1/coins/{symbol}/reports/monthly")] = nameof(CentimeClient.GetMonthlyReportAsync),
        [("GET", "/v1/issuer")] = nameof(CentimeClient.GetIssuerAsync),

        // Contracts.
        [("GET", "/v1/contracts/schema")] = nameof(CentimeClient.GetContractSchemaAsync),
        [("POST", "/v1/contracts")] = nameof(CentimeClient.CreateContractAsync),
        [("POST", "/v1/contracts/erp-keys")] = nameof(CentimeClient.RegisterErpKeyAsync),
        [("POST", "/v1/contracts/erp-keys/typed-data")] = nameof(CentimeClient.ErpKeyTypedDataAsync),
        [("GET", "/v1/contracts/erp-keys")] = nameof(CentimeClient.ListErpKeysAsync),
        [("POST", "/v1/contracts/funding/typed-data")] = nameof(CentimeClient.ContractFundingTypedDataAsync),
        [("POST", "/v1/contracts/facts")] = nameof(CentimeClient.AttestFactAsync),
        [("GET", "/v1/contracts")] = nameof(CentimeClient.ListContractsAsync),
        [("GET", "/v1/contracts/{id}")] = nameof(CentimeClient.GetContractAsync),
        [("POST", "/v1/contracts/{id}/events")] = nameof(CentimeClient.SendContractEventAsync),

        // Webhooks.
        [("POST", "/v1/webhooks")] = nameof(CentimeClient.CreateWebhookAsync),
        [("GET", "/v1/webhooks")] = nameof(CentimeClient.ListWebhooksAsync),
        [("GET", "/v1/webhooks/{id}")] = nameof(CentimeClient.GetWebhookAsync),
        [("DELETE", "/v1/webhooks/{id}")] = nameof(CentimeClient.DeleteWebhookAsync),

        // Compliance.
        [("POST", "/v1/compliance/sanctions/{source}")] = nameof(CentimeClient.LoadSanctionsListAsync),
        [("GET", "/v1/compliance/sanctions")] = nameof(CentimeClient.GetSanctionsAsync),
        [("GET", "/v1/compliance/screening/{address}")] = nameof(CentimeClient.ScreenAddressAsync),
        [("GET", "/v1/compliance/alerts")] = nameof(CentimeClient.ListComplianceAlertsAsync),
        [("PUT", "/v1/compliance/coins/{symbol}/kyc-limits")] = nameof(CentimeClient.ConfigureKycLimitsAsync),
        [("GET", "/v1/compliance/coins/{symbol}/kyc-limits")] = nameof(CentimeClient.GetKycLimitsAsync),
        [("PUT", "/v1/compliance/holders/{address}")] = nameof(CentimeClient.RegisterHolderAsync),
        [("GET", "/v1/compliance/holders/{address}")] = nameof(CentimeClient.GetHolderAsync),

        // Exchange.
        [("PUT", "/v1/exchange/feeds/{name}")] = nameof(CentimeClient.ConfigureFeedAsync),
        [("POST", "/v1/exchange/feeds/{name}/rates")] = nameof(CentimeClient.SubmitRateAsync),
        [("GET", "/v1/exchange/feeds")] = nameof(CentimeClient.ListFeedsAsync),
        [("GET", "/v1/exchange/feeds/{name}")] = nameof(CentimeClient.GetFeedAsync),
        [("POST", "/v1/exchange/pools")] = nameof(CentimeClient.CreatePoolAsync),
        [("PATCH", "/v1/exchange/pools/{id}")] = nameof(CentimeClient.ConfigurePoolAsync),
        [("POST", "/v1/exchange/pools/{id}/add")] = nameof(CentimeClient.AddLiquidityAsync),
        [("POST", "/v1/exchange/pools/{id}/remove")] = nameof(CentimeClient.RemoveLiquidityAsync),
        [("POST", "/v1/exchange/pools/{id}/add/typed-data")] = nameof(CentimeClient.AddLiquidityTypedDataAsync),
        [("POST", "/v1/exchange/pools/{id}/remove/typed-data")] = nameof(CentimeClient.RemoveLiquidityTypedDataAsync),
        [("POST", "/v1/exchange/pools/{id}/withdraw-fees")] = nameof(CentimeClient.WithdrawAdminFeesAsync),
        [("GET", "/v1/exchange/pools")] = nameof(CentimeClient.ListPoolsAsync),
        [("GET", "/v1/exchange/pools/{id}")] = nameof(CentimeClient.GetPoolAsync),
        [("POST", "/v1/exchange/quotes")] = nameof(CentimeClient.QuoteAsync),
        [("POST", "/v1/exchange/payments")] = nameof(CentimeClient.PayAsync),
        [("POST", "/v1/exchange/swaps")] = nameof(CentimeClient.SwapAsync),
        [("GET", "/v1/exchange/swaps/{id}")] = nameof(CentimeClient.GetSwapAsync),

        // x402 facilitator protocol: the agents' client speaks it (the wire format is x402's, not the /v1 API's).
        [("POST", "/x402/verify")] = nameof(HttpFacilitatorClient.VerifyAsync),
        [("POST", "/x402/settle")] = nameof(HttpFacilitatorClient.SettleAsync),
        [("GET", "/x402/supported")] = nameof(HttpFacilitatorClient.GetSupportedAsync),
        [("GET", "/x402/discovery/resources")] = nameof(HttpFacilitatorClient.GetDiscoveryResourcesAsync),
        [("POST", "/x402/discovery/resources")] = nameof(HttpFacilitatorClient.RegisterDiscoveryListingAsync),
        [("POST", "/x402/channels/open")] = nameof(HttpFacilitatorClient.OpenChannelAsync),
        [("POST", "/x402/channels/settle")] = nameof(HttpFacilitatorClient.SettleChannelAsync),
        [("GET", "/x402/transactions")] = nameof(HttpFacilitatorClient.LookUpPaymentAsync),
    };

    /// <summary>Routes that are deliberately no SDK call, each with its reason.</summary>
    private static readonly Dictionary<(string Method, string Pattern), string> NotAnSdkCall = new()
    {
        // Prometheus text exposition, scraped by Prometheus, not by applications.
        [("GET", "/metrics")] = "Prometheus scrape endpoint",
        // The OpenAPI document describes the API for generators and tools; it is not itself an operation.
        [("GET", "/openapi/{documentName}.json")] = "OpenAPI document",
        // Human-facing HTML transparency pages and their static assets (the JSON behind them has SDK methods:
        // GetLiabilitiesAsync, GetReservesAsync, GetMonthlyReportAsync, GetIssuerAsync).
        [("GET", "/transparency")] = "HTML page",
        [("GET", "/transparency/{symbol}")] = "HTML page",
        [("GET", "/transparency/assets/{file}")] = "static asset of the HTML pages",
        // Server-sent events: a long-lived text/event-stream consumed with any SSE reader (EventSource, curl -N);
        // the SDK has no streaming method, and webhooks (CreateWebhookAsync) are its push channel.
        [("GET", "/v1/events")] = "SSE stream",
    };

    /// <summary>Routes that should have an SDK method and do not yet: each is a known gap, not a decision.</summary>
    private static readonly Dictionary<(string Method, string Pattern), string> NotYetInSdk = new()
    {
        // Empty: every route that should be an SDK call is one. A route added here is a gap to close, with its reason.
    };

    [Fact]
    public async Task EveryRoute_HasAnSdkMethod_OrAStatedReason_AndNoEntryIsStale()
    {
        await using var node = await TestNode.StartAsync();
        var routes = node.Node.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.Trim('/'))))
            .ToHashSet();
        Assert.True(routes.Count > 100, $"only {routes.Count} routes");

        var listedTwice = Sdk.Keys.Intersect(NotAnSdkCall.Keys).Concat(Sdk.Keys.Intersect(NotYetInSdk.Keys)).Concat(NotAnSdkCall.Keys.Intersect(NotYetInSdk.Keys)).ToList();
        Assert.True(listedTwice.Count == 0, "routes listed in more than one table: " + Show(listedTwice));

        var uncovered = routes.Where(r => !Sdk.ContainsKey(r) && !NotAnSdkCall.ContainsKey(r) && !NotYetInSdk.ContainsKey(r)).ToList();
        Assert.True(uncovered.Count == 0,
            "routes with no SDK method and no stated reason (add a CentimeClient method and an entry in Sdk, or a reason in NotAnSdkCall): " + Show(uncovered));

        var stale = Sdk.Keys.Concat(NotAnSdkCall.Keys).Concat(NotYetInSdk.Keys).Where(k => !routes.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "table entries that match no route (removed or renamed): " + Show(stale));
    }

    private static string Show(IEnumerable<(string Method, string Pattern)> routes) =>
        string.Join(", ", routes.Order().Select(r => r.Method + " " + r.Pattern));
}
