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

    /// <summary>Moves the money, once: settling an already-settled payment again answers <c>success: false</c>
    /// (<c>invalid_exact_evm_nonce_already_used</c>); after a timeout, look the payment up instead (docs/x402.md).</summary>
    Task<SettleResponse> SettleAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default);

    Task<SupportedResponse> GetSupportedAsync(CancellationToken cancellationToken = default);
}

/// <summary>A facilitator could not be asked (network error, non-x402 answer). Whether to retry: <see cref="IsTransient"/>.</summary>
public sealed class X402FacilitatorException(string message, int? status = null, Exception? inner = null, string? code = null) : Exception(message, inner)
{
    public int? Status { get; } = status;

    /// <summary>The problem <c>code</c> of a refusal answered as an RFC 7807 problem (e.g. <c>discovery_rate_limited</c>), if any.</summary>
    public string? Code { get; } = code;

    public bool IsTransient => Status is null or 429 or >= 500;
}
