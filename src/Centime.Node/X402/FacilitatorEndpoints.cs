using System.Text.Json;
using Centime.Agents.X402;
using Centime.Node.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Centime.Node.X402;

/// <summary>
/// The facilitator over HTTP under <c>/x402</c> (docs/x402.md), the API of @x402/core's HTTPFacilitatorClient:
/// <c>POST /x402/verify</c>, <c>POST /x402/settle</c>, <c>GET /x402/supported</c>,
/// <c>GET /x402/discovery/resources</c> (and <c>POST</c> there to register a listing, signed by its payTo).
/// Public like the holder-signed endpoints: the signature is the authority. Verdicts answer 200; a body that is
/// not a facilitator request answers 400 with the verdict <c>invalid_payload</c>.
/// </summary>
public static class FacilitatorEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

    public static NodeFacilitator Map(WebApplication app, NodeContext node)
    {
        var facilitator = new NodeFacilitator(node);
        var x402 = app.MapGroup("/x402").WithTags("x402");
        x402.MapPost("/verify", (HttpRequest request) => VerifyAsync(facilitator, request.HttpContext)).WithName("X402Verify")
            .WithSummary("x402 facilitator: check a payment (exact scheme, EIP-3009) without moving money.").Public();
        x402.MapPost("/settle", (HttpRequest request) => SettleAsync(facilitator, request.HttpContext)).WithName("X402Settle")
            .WithSummary("x402 facilitator: settle a payment as a ledger transfer; idempotent per (payer, nonce).").Public();
        x402.MapGet("/transactions", (string? asset, string? from, string? nonce) => LookUpAsync(facilitator, asset, from, nonce)).WithName("X402Transaction")
            .WithSummary("x402: the deterministic transaction id of a payment (asset, from, nonce) and whether it settled — ask this, not settle again, after a timeout.").Public();
        x402.MapGet("/supported", () => Results.Json(facilitator.Supported(), X402Headers.Json)).WithName("X402Supported")
            .WithSummary("x402 facilitator: supported (version, scheme, network) kinds.").Public();
        x402.MapGet("/discovery/resources", (string? type, int? limit, int? offset) =>
                Results.Json(facilitator.Resources.Page(type, Math.Clamp(limit ?? 20, 1, 1000), Math.Max(offset ?? 0, 0)), X402Headers.Json))
            .WithName("X402Discovery").WithSummary("x402 discovery (Bazaar): paid resources seen or registered.").Public();
        x402.MapPost("/discovery/resources", (HttpRequest request) => RegisterAsync(node, facilitator, request.HttpContext)).WithName("X402Register")
            .WithSummary("Register a paid resource for discovery, signed by its payTo (rate-limited, capped).").Public();
        x402.MapPost("/channels/open", (HttpRequest request) => ChannelAsync<ChannelOpenRequest>(request.HttpContext, r => facilitator.OpenChannelAsync(r)))
            .WithName("X402ChannelOpen").WithSummary("centime-hashchain: settle the payer's deposit into the channel escrow.").Public();
        x402.MapPost("/channels/settle", (HttpRequest request) => ChannelAsync<ChannelSettleRequest>(request.HttpContext, r => facilitator.SettleChannelAsync(r)))
            .WithName("X402ChannelSettle").WithSummary("centime-hashchain: pay the payee up to a word; with close, refund the rest.").Public();
        return facilitator;
    }

    private static async Task<IResult> ChannelAsync<T>(HttpContext http, Func<T, Task<ChannelResponse>> run)
        where T : class
    {
        T? request;
        try
        {
            if (await ReadBodyAsync(http) is not { } body)
            {
                return Results.Json(ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, $"the body may be at most {MaxBodyBytes} bytes"), X402Headers.Json, statusCode: 413);
            }

            request = JsonSerializer.Deserialize<T>(body.Span, X402Headers.Json);
        }
        catch (JsonException ex)
        {
            return Results.Json(ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, "malformed JSON: " + ex.Message), X402Headers.Json, statusCode: 400);
        }

        if (request is null)
        {
            return Results.Json(ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, "the body must be a JSON object"), X402Headers.Json, statusCode: 400);
        }

        // Channel transfers complete even if the caller hangs up.
        return Results.Json(await run(request), X402Headers.Json);
    }

    private static async Task<IResult> VerifyAsync(NodeFacilitator facilitator, HttpContext http)
    {
        var (request, error) = await ReadAsync(http);
        if (request is null)
        {
            return Results.Json(VerifyResponse.Invalid(error.Reason, error.Message), X402Headers.Json, statusCode: error.Status);
        }

        return Results.Json(await facilitator.VerifyAsync(request.PaymentPayload!, request.PaymentRequirements!, http.RequestAborted), X402Headers.Json);
    }

    private static async Task<IResult> SettleAsync(NodeFacilitator facilitator, HttpContext http)
    {
        var (request, error) = await ReadAsync(http);
        if (request is null)
        {
            return Results.Json(SettleResponse.Failed(error.Reason, facilitator.Network, error.Message), X402Headers.Json, statusCode: error.Status);
        }

        // Not the request's token: a settlement handed to the sequencer completes even if the caller hangs up.
        return Results.Json(await facilitator.SettleAsync(request.PaymentPayload!, request.PaymentRequirements!, CancellationToken.None), X402Headers.Json);
    }

    private static async Task<IResult> LookUpAsync(NodeFacilitator facilitator, string? asset, string? from, string? nonce)
    {
        if (!Centime.Ledger.Address.TryParse(asset, out var contract) || !Centime.Ledger.Address.TryParse(from, out var payer) || !Centime.Ledger.Hash32.TryParse(nonce, out var n))
        {
            return ProblemResults.BadRequest(ProblemCodes.InvalidQuery, "asset (the coin's verifying contract), from (the payer) and nonce (32-byte 0x-hex) are required");
        }

        return await facilitator.LookUpAsync(contract, payer, n) is { } found
            ? Results.Json(found, X402Headers.Json)
            : ProblemResults.NotFound(ProblemCodes.CoinNotFound, $"asset {asset} is not a coin's verifying contract on {facilitator.Network}");
    }

    private readonly record struct ReadError(int Status, string Reason, string Message);

    private static async Task<(FacilitatorRequest? Request, ReadError Error)> ReadAsync(HttpContext http)
    {
        FacilitatorRequest? request;
        try
        {
            if (await ReadBodyAsync(http) is not { } body)
            {
                return (null, new ReadError(413, X402ErrorReasons.InvalidPayload, $"the body may be at most {MaxBodyBytes} bytes"));
            }

            request = JsonSerializer.Deserialize<FacilitatorRequest>(body.Span, X402Headers.Json);
        }
        catch (JsonException ex)
        {
            return (null, new ReadError(400, X402ErrorReasons.InvalidPayload, "malformed JSON: " + ex.Message));
        }

        if (request?.PaymentPayload is null || request.PaymentRequirements is null)
        {
            return (null, new ReadError(400, X402ErrorReasons.InvalidPayload, "'paymentPayload' and 'paymentRequirements' are required"));
        }

        if (request.X402Version is not (1 or 2) || request.X402Version != request.PaymentPayload.X402Version)
        {
            return (null, new ReadError(400, X402ErrorReasons.InvalidX402Version, $"x402Version {request.X402Version} (payload {request.PaymentPayload.X402Version}): 1 or 2, the same in both"));
        }

        return (request, default);
    }

    private sealed record ListingBody(List<PaymentRequirements>? Accepts, string? Description, string? MimeType, Dictionary<string, JsonElement>? Metadata);

    /// <summary>How far a registration's issuedAt may be from the node's clock: an old signed registration cannot be replayed later.</summary>
    private const int RegistrationWindowSeconds = 300;

    /// <summary>Longest listing text: bounds the list's memory (capacity × this) whatever registrants send.</summary>
    internal const int MaxListingChars = 4096;

    private static async Task<IResult> RegisterAsync(NodeContext node, NodeFacilitator facilitator, HttpContext http)
    {
        // The node's one body reader: JSON only, size-limited, unknown fields refused (a problem, not a verdict: this is not a facilitator request).
        var r = await Endpoints.ReadJsonAsync<Centime.Client.DiscoveryRegistration>(http);
        if (r.Resource is null || r.PayTo is null || r.Listing is null || r.Signature is null || r.IssuedAt == 0)
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'resource', 'payTo', 'listing', 'issuedAt' and 'signature' (the payTo's EIP-712 signature) are required");
        }

        if (r.Resource.Length > 2048 || !Uri.TryCreate(r.Resource, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'resource' must be an absolute http(s) URL of at most 2,048 characters");
        }

        if (r.Listing.Length > MaxListingChars)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'listing' may be at most {MaxListingChars} characters");
        }

        if (!Centime.Ledger.Address.TryParse(r.PayTo, out var payTo))
        {
            throw new ProblemException(400, ProblemCodes.InvalidAddress, "Invalid address", "'payTo' must be a 0x 20-byte address");
        }

        // Compared without adding to issuedAt: any ulong the caller sends is refused, never an overflow.
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (r.IssuedAt < now - RegistrationWindowSeconds || r.IssuedAt > now + RegistrationWindowSeconds)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'issuedAt' must be within {RegistrationWindowSeconds} s of the node's clock ({now})");
        }

        // Only the payee registers its listing: the signature must recover to payTo.
        var digest = Centime.Client.DiscoveryTypedData.Digest(node.Options.ChainId, r.Resource, payTo, r.Listing, r.IssuedAt);
        var signed = $"DiscoveryListing(resource, payTo, listing, issuedAt) in the domain {{name: \"{Centime.Client.DiscoveryTypedData.DomainName}\", version: \"{Centime.Client.DiscoveryTypedData.DomainVersion}\", chainId: {node.Options.ChainId}}}";
        var signer = Signing.AuthorizationChecker.RecoverField(digest, r.Signature, "signature", "payTo's low-s EIP-712 signature of " + signed);
        if (signer != payTo)
        {
            throw Signing.AuthorizationChecker.SignerMismatch($"the signature recovers to {signer}, not payTo {payTo}, over {signed} (another key signed, or the listing was changed)");
        }

        ListingBody? listing;
        try
        {
            listing = JsonSerializer.Deserialize<ListingBody>(r.Listing, X402Headers.Json);
        }
        catch (JsonException ex)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'listing' must be the JSON text {accepts:[…], description?, mimeType?, metadata?}: " + ex.Message);
        }

        if (listing?.Accepts is not { Count: > 0 and <= 16 } accepts)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "the listing needs 1 to 16 'accepts' entries");
        }

        foreach (var accept in accepts)
        {
            if (accept is null)
            {
                throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "an 'accepts' entry is null");
            }

            if (!Centime.Ledger.Address.TryParse(accept.PayTo, out var to) || to != payTo)
            {
                throw new ProblemException(403, ProblemCodes.DiscoveryPayToMismatch, "Not the payee's listing",
                    $"every 'accepts' entry must pay the signer {payTo}; '{accept.PayTo}' does not");
            }

            // The facilitator settles only its own ledger: a listing for another network could not be paid here.
            if (accept.Network != facilitator.Network)
            {
                throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'accepts[].network' must be this facilitator's {facilitator.Network}, not '{accept.Network}'");
            }
        }

        var metadata = listing.Metadata ?? [];
        if (listing.Description is not null)
        {
            metadata["description"] = JsonSerializer.SerializeToElement(listing.Description);
        }

        if (listing.MimeType is not null)
        {
            metadata["mimeType"] = JsonSerializer.SerializeToElement(listing.MimeType);
        }

        var item = new DiscoveryItem { Resource = r.Resource, Accepts = accepts, LastUpdated = ResourceRegistry.Stamp(DateTimeOffset.UtcNow), Metadata = metadata.Count > 0 ? metadata : null };
        switch (facilitator.Resources.Register(payTo, item, r.IssuedAt, ResourceRegistry.NowMs()))
        {
            case ResourceRegistry.Outcome.Registered:
                return Results.Json(item, X402Headers.Json, statusCode: 201);
            case ResourceRegistry.Outcome.Stale:
                return ProblemResults.Of(409, ProblemCodes.DiscoveryRegistrationStale, "Stale registration",
                    "a registration of this (resource, payTo) with the same or a later issuedAt is already listed");
            case ResourceRegistry.Outcome.RateLimited:
                http.Response.Headers.RetryAfter = ResourceRegistry.RefillSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return ProblemResults.Of(429, ProblemCodes.DiscoveryRateLimited, "Too many registrations",
                    $"a payTo registers at most {ResourceRegistry.BurstPerPayTo} listings at once, then one per {ResourceRegistry.RefillSeconds} s");
            case ResourceRegistry.Outcome.PayToFull:
                return ProblemResults.Of(409, ProblemCodes.DiscoveryPayToFull, "Too many listings",
                    $"a payTo holds at most {ResourceRegistry.MaxPerPayTo} listings");
            default:
                return ProblemResults.Of(409, ProblemCodes.DiscoveryFull, "Discovery list full",
                    $"the list holds its maximum of {facilitator.Resources.Capacity} listings; none is evicted");
        }
    }

    /// <summary>The request body, or null when it is longer than <see cref="MaxBodyBytes"/> (read no further than that).</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted)) > 0)
        {
            length += read;
        }

        return length > MaxBodyBytes ? null : buffer.AsMemory(0, length);
    }
}
