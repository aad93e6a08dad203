using System.Globalization;
using System.Text;

namespace Centime.Client;

/// <summary>
/// Programmable payments (docs/contracts.md), the event feed's webhooks (docs/events.md), proof of liabilities and
/// signed reports (docs/transparency.md).
/// </summary>
public sealed partial class CentimeClient
{
    /// <summary>Validates, funds and starts a contract from its JSON document (operator key; see <see cref="GetContractSchemaAsync"/>).</summary>
    public async Task<ContractInfo> CreateContractAsync(string documentJson, CancellationToken ct = default)
    {
        using var content = new StringContent(documentJson, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync("v1/contracts", content, ct).ConfigureAwait(false);
        return await ReadAsync<ContractInfo>(response, ct).ConfigureAwait(false);
    }

    public Task<ContractInfo> GetContractAsync(string id, CancellationToken ct = default) => GetAsync<ContractInfo>("v1/contracts/" + Uri.EscapeDataString(id), ct);

    /// <summary>Contracts, optionally where <paramref name="party"/> has a role, in a status (open, disputed, closed).</summary>
    public Task<Page<ContractInfo>> ListContractsAsync(string? party = null, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<ContractInfo>>("v1/contracts" + PageQuery(limit, cursor, ("party", party), ("status", status)), ct);

    /// <summary>Sends an event signed by the designated party (no operator key).</summary>
    public Task<ContractInfo> SendContractEventAsync(string id, ContractEventSubmission submission, CancellationToken ct = default) =>
        PostAsync<ContractInfo>("v1/contracts/" + Uri.EscapeDataString(id) + "/events", submission, ct);

    /// <summary>Sends an oracle's signed fact; answers the contracts it fired.</summary>
    public Task<OracleFactResult> AttestFactAsync(OracleFactSubmission submission, CancellationToken ct = default) =>
        PostAsync<OracleFactResult>("v1/contracts/facts", submission, ct);

    /// <summary>The JSON Schema of a contract document.</summary>
    public async Task<string> GetContractSchemaAsync(CancellationToken ct = default)
    {
        using var response = await _http.GetAsync("v1/contracts/schema", ct).ConfigureAwait(false);
        await ThrowIfProblemAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a contract funded by its payer without the operator key: <paramref name="payerSignature"/> is the EIP-712
    /// <c>ContractFunding(bytes32 contract,bytes32 document)</c> signature over the exact <paramref name="documentJson"/>
    /// bytes, by the payer or by an ERP key the payer granted (<see cref="RegisterErpKeyAsync"/>).
    /// </summary>
    public async Task<ContractInfo> CreatePayerSignedContractAsync(string documentJson, string payerSignature, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/contracts") { Content = new StringContent(documentJson, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("X-Centime-Payer-Signature", payerSignature);
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        return await ReadAsync<ContractInfo>(response, ct).ConfigureAwait(false);
    }

    /// <summary>Records a party's own signed grant (or revocation) of an ERP system's key; no operator key.</summary>
    public Task<ErpKeyInfo> RegisterErpKeyAsync(ErpKeyRequest request, CancellationToken ct = default) => PostAsync<ErpKeyInfo>("v1/contracts/erp-keys", request, ct);

    /// <summary>The ERP keys <paramref name="party"/> granted, with their validity.</summary>
    /// <summary>The EIP-712 ErpKey typed data a party signs to grant (or, validUntil 0, revoke) an ERP key; the node picks a random nonce when none is given.</summary>
    public Task<TypedDataToSign> ErpKeyTypedDataAsync(ErpKeyGrantDraft draft, CancellationToken ct = default) =>
        PostAsync<TypedDataToSign>("v1/contracts/erp-keys/typed-data", draft, ct);

    /// <summary>The EIP-712 ContractFunding typed data of a contract document (the body exactly as it will be posted) for its payer or the payer's ERP key to sign.</summary>
    public async Task<TypedDataToSign> ContractFundingTypedDataAsync(string documentJson, CancellationToken ct = default)
    {
        using var content = new StringContent(documentJson, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync("v1/contracts/funding/typed-data", content, ct).ConfigureAwait(false);
        return await ReadAsync<TypedDataToSign>(response, ct).ConfigureAwait(false);
    }

    public Task<Page<ErpKeyInfo>> ListErpKeysAsync(string party, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<ErpKeyInfo>>("v1/contracts/erp-keys" + PageQuery(limit, cursor, ("party", party)), ct);

    /// <summary>Subscribes a URL to the event feed (admin); the answer holds the signing secret, shown once.</summary>
    public Task<WebhookCreatedInfo> CreateWebhookAsync(WebhookSubscriptionRequest request, CancellationToken ct = default) => PostAsync<WebhookCreatedInfo>("v1/webhooks", request, ct);

    public Task<Page<WebhookInfo>> ListWebhooksAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<WebhookInfo>>("v1/webhooks" + PageQuery(limit, cursor), ct);

    public Task<WebhookInfo> GetWebhookAsync(string id, CancellationToken ct = default) => GetAsync<WebhookInfo>("v1/webhooks/" + Uri.EscapeDataString(id), ct);

    public async Task DeleteWebhookAsync(string id, CancellationToken ct = default)
    {
        using var response = await _http.DeleteAsync("v1/webhooks/" + Uri.EscapeDataString(id), ct).ConfigureAwait(false);
        await ThrowIfProblemAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>Builds the Merkle-sum tree over every holder balance now and publishes its root (operator).</summary>
    public Task<LiabilitiesInfo> PublishLiabilitiesAsync(string coin, CancellationToken ct = default) =>
        SendAsync<LiabilitiesInfo>(HttpMethod.Post, LiabilitiesPath(coin, ""), null, ct);

    /// <summary>The latest published root.</summary>
    public Task<LiabilitiesInfo> GetLiabilitiesAsync(string coin, CancellationToken ct = default) => GetAsync<LiabilitiesInfo>(LiabilitiesPath(coin, ""), ct);

    /// <summary>Every published root, oldest first.</summary>
    public Task<Page<LiabilitiesInfo>> ListLiabilitiesAsync(string coin, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<LiabilitiesInfo>>(LiabilitiesPath(coin, "/history") + PageQuery(limit, cursor), ct);

    /// <summary>A holder's inclusion proof as the node sent it (JSON), for the offline verifier.</summary>
    public async Task<string> GetLiabilityProofJsonAsync(string coin, string address, CancellationToken ct = default)
    {
        using var response = await _http.GetAsync(LiabilitiesPath(coin, "/proof/" + Uri.EscapeDataString(address)), ct).ConfigureAwait(false);
        await ThrowIfProblemAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The signed monthly report (YYYY-MM) exactly as sent: its bytes are what the signature covers (<see cref="DisclosureSignature.Verify"/>).</summary>
    public async Task<byte[]> GetMonthlyReportAsync(string coin, string month, CancellationToken ct = default)
    {
        using var response = await _http.GetAsync("v1/coins/" + Uri.EscapeDataString(coin) + "/reports/monthly?month=" + Uri.EscapeDataString(month), ct).ConfigureAwait(false);
        await ThrowIfProblemAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The address that signs disclosure reports.</summary>
    public Task<IssuerIdentity> GetIssuerAsync(CancellationToken ct = default) => GetAsync<IssuerIdentity>("v1/issuer", ct);

    private static string LiabilitiesPath(string coin, string rest) => "v1/coins/" + Uri.EscapeDataString(coin) + "/liabilities" + rest;

    /// <summary>A query string of the given parameters that have a value ("" when none has).</summary>
    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
