namespace Centime.Client;

/// <summary>Compliance: sanctions lists, alerts, KYC tiers and limits (docs/api.md, "Compliance"; docs/compliance.md).</summary>
public sealed partial class CentimeClient
{
    /// <summary>
    /// Loads a published sanctions file (compliance role): <paramref name="source"/> is <c>ofac</c> (OFAC SDN XML),
    /// <c>eu</c> (EU consolidated list XML) or <c>issuer</c> (one 0x address per line). The node parses it and journals
    /// the addresses with the file's SHA-256; with <paramref name="freeze"/> listed holders' accounts are also frozen.
    /// </summary>
    public Task<SanctionsLoadResult> LoadSanctionsListAsync(string source, byte[] content, bool freeze = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return PostAsync<SanctionsLoadResult>("v1/compliance/sanctions/" + Uri.EscapeDataString(source),
            new SanctionsLoadRequest { Content = Convert.ToBase64String(content), Freeze = freeze }, ct);
    }

    /// <summary>The loaded sanctions lists (compliance, admin, auditor).</summary>
    public Task<SanctionsStatus> GetSanctionsAsync(CancellationToken ct = default) => GetAsync<SanctionsStatus>("v1/compliance/sanctions", ct);

    /// <summary>Whether a loaded list names <paramref name="address"/> (compliance, admin, auditor).</summary>
    public Task<AddressScreening> ScreenAddressAsync(string address, CancellationToken ct = default) =>
        GetAsync<AddressScreening>("v1/compliance/screening/" + Uri.EscapeDataString(address), ct);

    /// <summary>Compliance alerts, oldest first (compliance, admin, auditor; a page).</summary>
    public Task<Page<ComplianceAlertInfo>> ListComplianceAlertsAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<ComplianceAlertInfo>>("v1/compliance/alerts" + PageQuery(limit, cursor), ct);

    /// <summary>Turns a coin's KYC limits on (regime defaults unless tiers are given) or off (compliance role).</summary>
    public Task<KycLimitsInfo> ConfigureKycLimitsAsync(string coin, KycLimitsRequest request, CancellationToken ct = default) =>
        SendAsync<KycLimitsInfo>(HttpMethod.Put, "v1/compliance/coins/" + Uri.EscapeDataString(coin) + "/kyc-limits", request, ct);

    /// <summary>A coin's KYC limits (compliance, admin, auditor).</summary>
    public Task<KycLimitsInfo> GetKycLimitsAsync(string coin, CancellationToken ct = default) =>
        GetAsync<KycLimitsInfo>("v1/compliance/coins/" + Uri.EscapeDataString(coin) + "/kyc-limits", ct);

    /// <summary>Records or replaces a holder's KYC record (compliance role).</summary>
    public Task<HolderInfo> RegisterHolderAsync(string address, HolderRequest request, CancellationToken ct = default) =>
        SendAsync<HolderInfo>(HttpMethod.Put, "v1/compliance/holders/" + Uri.EscapeDataString(address), request, ct);

    /// <summary>A holder's KYC record (compliance, admin, auditor).</summary>
    public Task<HolderInfo> GetHolderAsync(string address, CancellationToken ct = default) =>
        GetAsync<HolderInfo>("v1/compliance/holders/" + Uri.EscapeDataString(address), ct);
}
