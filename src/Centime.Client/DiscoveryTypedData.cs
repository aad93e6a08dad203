using System.Globalization;
using System.Text.Json.Nodes;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Client;

/// <summary>
/// The x402 discovery listing a payee signs to register a paid resource at a Centime facilitator
/// (<c>POST /x402/discovery/resources</c>, docs/x402.md "Discovery"): eth_signTypedData_v4 JSON under the domain
/// <c>{name: "Centime x402 discovery", version: "1", chainId}</c>, type
/// <c>DiscoveryListing(string resource,address payTo,string listing,uint256 issuedAt)</c>. <c>listing</c> is the
/// listing's JSON text as sent, so the signature covers every byte of it.
/// </summary>
public static class DiscoveryTypedData
{
    public const string DomainName = "Centime x402 discovery";
    public const string DomainVersion = "1";

    public static string Listing(ulong chainId, string resource, Address payTo, string listing, ulong issuedAt)
    {
        var typed = new JsonObject
        {
            ["types"] = new JsonObject
            {
                ["EIP712Domain"] = new JsonArray(Member("name", "string"), Member("version", "string"), Member("chainId", "uint256")),
                ["DiscoveryListing"] = new JsonArray(Member("resource", "string"), Member("payTo", "address"), Member("listing", "string"), Member("issuedAt", "uint256")),
            },
            ["primaryType"] = "DiscoveryListing",
            ["domain"] = new JsonObject { ["name"] = DomainName, ["version"] = DomainVersion, ["chainId"] = chainId.ToString(CultureInfo.InvariantCulture) },
            ["message"] = new JsonObject
            {
                ["resource"] = resource,
                ["payTo"] = payTo.ToString(),
                ["listing"] = listing,
                ["issuedAt"] = issuedAt.ToString(CultureInfo.InvariantCulture),
            },
        };
        return typed.ToJsonString();
    }

    /// <summary>The digest the payee signs.</summary>
    public static Hash32 Digest(ulong chainId, string resource, Address payTo, string listing, ulong issuedAt) =>
        TypedData.Parse(Listing(chainId, resource, payTo, listing, issuedAt)).Digest();

    private static JsonObject Member(string name, string type) => new() { ["name"] = name, ["type"] = type };
}

/// <summary>Body of <c>POST /x402/discovery/resources</c>: a listing signed by its <c>payTo</c>.</summary>
public sealed record DiscoveryRegistration(string Resource, string PayTo, string Listing, ulong IssuedAt, string Signature);

public sealed partial class HolderSigner
{
    /// <summary>Signs a discovery listing of <paramref name="resource"/> paying this signer (<paramref name="listing"/>:
    /// the JSON text <c>{accepts:[…], description?, mimeType?, metadata?}</c>), issued now unless told.</summary>
    public DiscoveryRegistration SignDiscoveryListing(ulong chainId, string resource, string listing, ulong? issuedAt = null)
    {
        var at = issuedAt ?? (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var digest = DiscoveryTypedData.Digest(chainId, resource, Address, listing, at);
        return new DiscoveryRegistration(resource, Address.ToString(), listing, at, _backend.Sign(_privateKey, digest).ToHex());
    }
}
