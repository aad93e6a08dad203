namespace Centime.Agents.X402;

/// <summary>
/// What a resource server asks of a facilitator. <see cref="HttpFacilitatorClient"/> talks to one over HTTP
/// (a Centime node's <c>/x402</c>, or any x402 facilitator); the node's own facilitator implements it in process.
/// Expected outcomes (invalid payment, failed settlement) are results, never exceptions.
/// </summary>
public interface IX402Facilitator
{
    /// <summary>Checks a payment without moving money (signature, recipient, window, amount, nonce, funds).</summary>
    Task<VerifyResponse> VerifyAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default);

    /// <summary>Moves the money. Settling the identical payment again returns the first settlement.</summary>
    Task<SettleResponse> SettleAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default);

    Task<SupportedResponse> GetSupportedAsync(CancellationToken cancellationToken = default);
}

/// <summary>A facilitator could not be asked (network error, non-x402 answer). Whether to retry: <see cref="IsTransient"/>.</summary>
public sealed class X402FacilitatorException(string message, int? status = null, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;

    public bool IsTransient => Status is null or 429 or >= 500;
}
