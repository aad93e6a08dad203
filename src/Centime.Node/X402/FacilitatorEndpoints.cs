using System.Text.Json;
using Centime.Agents.X402;
using Centime.Node.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Centime.Node.X402;

/// <summary>
/// The facilitator over HTTP under <c>/x402</c> (docs/x402.md), the API of @x402/core's HTTPFacilitatorClient:
/// <c>POST /x402/verify</c>, <c>POST /x402/settle</c>, <c>GET /x402/supported</c>,
/// <c>GET /x402/discovery/resources</c> (and <c>POST</c> there, operator only, to register a resource).
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
            .WithSummary("x402 facilitator: check a payment (exact scheme, EIP-3009) without moving money.");
        x402.MapPost("/settle", (HttpRequest request) => SettleAsync(facilitator, request.HttpContext)).WithName("X402Settle")
            .WithSummary("x402 facilitator: settle a payment as a ledger transfer; idempotent per (payer, nonce).");
        x402.MapGet("/transactions", (string? asset, string? from, string? nonce) => LookUpAsync(facilitator, asset, from, nonce)).WithName("X402Transaction")
            .WithSummary("x402: the deterministic transaction id of a payment (asset, from, nonce) and whether it settled — ask this, not settle again, after a timeout.");
        x402.MapGet("/supported", () => Results.Json(facilitator.Supported(), X402Headers.Json)).WithName("X402Supported")
            .WithSummary("x402 facilitator: supported (version, scheme, network) kinds.");
        x402.MapGet("/discovery/resources", (string? type, int? limit, int? offset) =>
                Results.Json(facilitator.Resources.Page(type, Math.Clamp(limit ?? 20, 1, 1000), Math.Max(offset ?? 0, 0)), X402Headers.Json))
            .WithName("X402Discovery").WithSummary("x402 discovery (Bazaar): paid resources seen or registered.");
        x402.MapPost("/discovery/resources", (HttpRequest request) => RegisterAsync(node, facilitator, request.HttpContext)).WithName("X402Register")
            .WithSummary("Register a paid resource for discovery (operator).");
        x402.MapPost("/channels/open", (HttpRequest request) => ChannelAsync<ChannelOpenRequest>(request.HttpContext, r => facilitator.OpenChannelAsync(r)))
            .WithName("X402ChannelOpen").WithSummary("centime-hashchain: settle the payer's deposit into the channel escrow.");
        x402.MapPost("/channels/settle", (HttpRequest request) => ChannelAsync<ChannelSettleRequest>(request.HttpContext, r => facilitator.SettleChannelAsync(r)))
            .WithName("X402ChannelSettle").WithSummary("centime-hashchain: pay the payee up to a word; with close, refund the rest.");
        return facilitator;
    }

    private static async Task<IResult> ChannelAsync<T>(HttpContext http, Func<T, Task<ChannelResponse>> run)
        where T : class
    {
        T? request;
        try
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            if (body.Length > MaxBodyBytes)
            {
                return Results.Json(ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, $"the body may be at most {MaxBodyBytes} bytes"), X402Headers.Json, statusCode: 413);
            }

            request = JsonSerializer.Deserialize<T>(body.GetBuffer().AsSpan(0, (int)body.Length), X402Headers.Json);
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
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, new ReadError(413, X402ErrorReasons.InvalidPayload, $"the body may be at most {MaxBodyBytes} bytes"));
        }

        FacilitatorRequest? request;
        try
        {
            using var limited = new MemoryStream();
            await http.Request.Body.CopyToAsync(limited, http.RequestAborted);
            if (limited.Length > MaxBodyBytes)
            {
                return (null, new ReadError(413, X402ErrorReasons.InvalidPayload, $"the body may be at most {MaxBodyBytes} bytes"));
            }

            request = JsonSerializer.Deserialize<FacilitatorRequest>(limited.GetBuffer().AsSpan(0, (int)limited.Length), X402Headers.Json);
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

    private sealed record RegisterRequest(string? Resource, string? Description, string? MimeType, List<PaymentRequirements>? Accepts, Dictionary<string, JsonElement>? Metadata);

    private static async Task<IResult> RegisterAsync(NodeContext node, NodeFacilitator facilitator, HttpContext http)
    {
        Endpoints.RequireOperator(node, http);
        RegisterRequest? r;
        try
        {
            r = await JsonSerializer.DeserializeAsync<RegisterRequest>(http.Request.Body, X402Headers.Json, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            throw new ProblemException(400, ProblemCodes.MalformedJson, "Malformed JSON", ex.Message);
        }

        if (r?.Resource is null || r.Accepts is not { Count: > 0 })
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'resource' (URL) and 'accepts' (at least one PaymentRequirements) are required");
        }

        foreach (var accept in r.Accepts)
        {
            facilitator.Resources.Record(new ResourceInfo { Url = r.Resource, Description = r.Description, MimeType = r.MimeType }, accept, r.Metadata);
        }

        return Results.Json(facilitator.Resources.Page(null, 1000, 0).Items.First(i => i.Resource == r.Resource), X402Headers.Json, statusCode: 201);
    }
}
