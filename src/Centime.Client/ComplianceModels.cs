namespace Centime.Client;

/// <summary>Body of POST /v1/compliance/sanctions/{source}: the published file's exact bytes in base64 (so the SHA-256
/// the node journals is the file's own: <c>sha256sum sdn.xml</c>), and whether listed holders are frozen (default true).</summary>
public sealed record SanctionsLoadRequest
{
    public string? Content { get; init; }
    public bool? Freeze { get; init; }
}

/// <summary>A loaded sanctions list (docs/compliance.md): its source (<c>ofac_sdn</c>, <c>eu_consolidated</c>, <c>issuer</c>),
/// version and publish date as the file states them, the SHA-256 of the file, how many addresses it blocks, and the
/// block and operator that loaded it.</summary>
public sealed record SanctionsListInfo(string Source, string Version, string Published, string Sha256, int Addresses, ulong Height, string LoadedBy);

/// <summary>Answer of POST /v1/compliance/sanctions/{source}: the list as loaded, how many entries the file had, and how
/// many accounts the load froze.</summary>
public sealed record SanctionsLoadResult(SanctionsListInfo List, int Entries, int Frozen, ulong Height);

/// <summary>GET /v1/compliance/sanctions: every loaded list and how many distinct addresses they block together.</summary>
public sealed record SanctionsStatus(IReadOnlyList<SanctionsListInfo> Lists, int BlockedAddresses);

/// <summary>GET /v1/compliance/screening/{address}: whether a loaded list names the address, and which.</summary>
public sealed record AddressScreening(string Address, bool Sanctioned, IReadOnlyList<string> Lists);

/// <summary>A compliance alert: <c>sanctions_hit</c> (a listed address tried to send or receive; refused) or
/// <c>sanctions_holder_frozen</c> (a list load froze an account that held the coin). One per (kind, address, coin).</summary>
public sealed record ComplianceAlertInfo(ulong Sequence, string Kind, string Address, string Coin, string Lists, ulong FirstHeight, ulong FirstTime,
    ulong LastHeight, ulong Attempts);

/// <summary>One KYC tier's limits in the coin's minor units (decimal strings); null = no limit.</summary>
public sealed record KycTierInfo(string? PerTransfer, string? PerDay, string? PerMonth, string? BalanceCap);

/// <summary>Body of PUT /v1/compliance/coins/{coin}/kyc-limits. No <see cref="Tiers"/>: the coin's regime defaults.</summary>
public sealed record KycLimitsRequest
{
    public bool? Enabled { get; init; }
    public int? SelfHostedMaxTier { get; init; }
    public IReadOnlyList<KycTierInfo>? Tiers { get; init; }
}

/// <summary>A coin's KYC limits: tier 0 is an unverified holder's; a self-hosted wallet gets at most <see cref="SelfHostedMaxTier"/>.</summary>
public sealed record KycLimitsInfo(string Coin, bool Enabled, int SelfHostedMaxTier, IReadOnlyList<KycTierInfo> Tiers);

/// <summary>Body of PUT /v1/compliance/holders/{address}: the holder's KYC record. Identity documents stay with the
/// issuer; only their reference and SHA-256 (0x + 64 hex) are recorded.</summary>
public sealed record HolderRequest
{
    public int? Tier { get; init; }
    public string? Jurisdiction { get; init; }
    public string? VerifiedOn { get; init; }
    public bool? SelfHosted { get; init; }
    public string? DocumentReference { get; init; }
    public string? DocumentHash { get; init; }
}

/// <summary>A holder's KYC record (<see cref="Tier"/> 0 and no <see cref="VerifiedOn"/>: unverified, not registered).</summary>
public sealed record HolderInfo(string Address, bool Registered, int Tier, string? Jurisdiction, string? VerifiedOn, bool SelfHosted, string? DocumentReference,
    string? DocumentHash, ulong Height);
