using System.Text.Json;
using System.Text.Json.Serialization;
using Centime.Client;

namespace Centime.Agents.X402;

/// <summary>
/// The listing text a payee signs to register a paid resource for x402 discovery (docs/x402.md "Discovery"):
/// <c>{accepts:[…], description?, mimeType?}</c>. The facilitator lists it only if every <c>accepts</c> entry pays
/// the signer.
/// </summary>
public static class DiscoveryListing
{
    private sealed record Body(
        [property: JsonPropertyName("accepts")] IReadOnlyList<PaymentRequirements> Accepts,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("mimeType")] string? MimeType);

    /// <summary>The listing's JSON text, exactly as it will be signed and sent.</summary>
    public static string Json(IReadOnlyList<PaymentRequirements> accepts, string? description = null, string? mimeType = null) =>
        JsonSerializer.Serialize(new Body(accepts, description, mimeType), X402Headers.Json);

    /// <summary>Signs a listing of <paramref name="resource"/> whose <paramref name="accepts"/> pay <paramref name="payee"/>,
    /// for <see cref="HttpFacilitatorClient.RegisterDiscoveryListingAsync"/>.</summary>
    public static DiscoveryRegistration Sign(HolderSigner payee, ulong chainId, string resource, IReadOnlyList<PaymentRequirements> accepts, string? description = null, string? mimeType = null) =>
        payee.SignDiscoveryListing(chainId, resource, Json(accepts, description, mimeType));
}
