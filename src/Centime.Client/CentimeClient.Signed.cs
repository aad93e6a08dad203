namespace Centime.Client;

// Holder-signed commands: no operator key needed, the signature is the authority (build them with HolderSigner).
public sealed partial class CentimeClient
{
    public Task<SignedOutcome> TransferWithAuthorizationAsync(string coin, AuthorizationRequest request, CancellationToken ct = default) =>
        PostAsync<SignedOutcome>(CoinPath(coin, "transfer-with-authorization"), request, ct);

    public Task<SignedOutcome> ReceiveWithAuthorizationAsync(string coin, AuthorizationRequest request, CancellationToken ct = default) =>
        PostAsync<SignedOutcome>(CoinPath(coin, "receive-with-authorization"), request, ct);

    /// <summary>Up to 8,189 transferWithAuthorization in one durable block; one result per item.</summary>
    public Task<SignedBatchResponse> SubmitAuthorizationsAsync(string coin, IReadOnlyList<AuthorizationRequest> authorizations, CancellationToken ct = default) =>
        PostAsync<SignedBatchResponse>(CoinPath(coin, "authorized-transfers"), new AuthorizationBatchRequest(authorizations), ct);

    public Task<SignedOutcome> CancelAuthorizationAsync(string coin, CancelAuthorizationRequest request, CancellationToken ct = default) =>
        PostAsync<SignedOutcome>(CoinPath(coin, "cancel-authorization"), request, ct);

    public Task<SignedOutcome> PermitAsync(string coin, PermitRequest request, CancellationToken ct = default) =>
        PostAsync<SignedOutcome>(CoinPath(coin, "permit"), request, ct);

    /// <summary>A holder's own redemption (<see cref="HolderSigner.SignRedemption"/>): burns the amount into the issuer's payout list.</summary>
    public Task<HolderRedemptionOutcome> RedeemAsync(string coin, HolderRedeemRequest request, CancellationToken ct = default) =>
        PostAsync<HolderRedemptionOutcome>(CoinPath(coin, "redeem"), request, ct);

    /// <summary>The EIP-712 Redemption a holder signs for these terms (the node fills in a missing nonce and deadline).</summary>
    public Task<TypedDataToSign> RedeemTypedDataAsync(string coin, HolderRedeemDraft draft, CancellationToken ct = default) =>
        PostAsync<TypedDataToSign>(CoinPath(coin, "redeem/typed-data"), draft, ct);

    public Task<SignedOutcome> TransferFromAsync(string coin, TransferFromRequest request, CancellationToken ct = default) =>
        PostAsync<SignedOutcome>(CoinPath(coin, "transfer-from"), request, ct);

    public Task<AuthorizationStateInfo> GetAuthorizationStateAsync(string coin, string authorizer, string nonce, CancellationToken ct = default) =>
        GetAsync<AuthorizationStateInfo>(CoinPath(coin, $"authorizations/{Uri.EscapeDataString(authorizer)}/{Uri.EscapeDataString(nonce)}"), ct);

    public Task<AllowanceInfo> GetAllowanceAsync(string coin, string owner, string spender, CancellationToken ct = default) =>
        GetAsync<AllowanceInfo>(CoinPath(coin, $"allowances/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(spender)}"), ct);

    public Task<PermitNonceInfo> GetPermitNonceAsync(string coin, string owner, CancellationToken ct = default) =>
        GetAsync<PermitNonceInfo>(CoinPath(coin, "nonces/" + Uri.EscapeDataString(owner)), ct);

    private static string CoinPath(string coin, string rest) => $"v1/coins/{Uri.EscapeDataString(coin)}/{rest}";
}
