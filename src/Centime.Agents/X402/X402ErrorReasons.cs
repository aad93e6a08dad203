namespace Centime.Agents.X402;

/// <summary>Error reasons of x402 (spec §9 and the 2.27 reference code). They appear in
/// <c>invalidReason</c>, <c>errorReason</c> and the <c>error</c> of a 402 challenge; never change their text.</summary>
public static class X402ErrorReasons
{
    public const string InsufficientFunds = "insufficient_funds";
    public const string InvalidValidAfter = "invalid_exact_evm_payload_authorization_valid_after";
    public const string InvalidValidBefore = "invalid_exact_evm_payload_authorization_valid_before";
    public const string ValueMismatch = "invalid_exact_evm_payload_authorization_value_mismatch";
    public const string InvalidSignature = "invalid_exact_evm_payload_signature";
    public const string RecipientMismatch = "invalid_exact_evm_payload_recipient_mismatch";
    public const string NonceAlreadyUsed = "invalid_exact_evm_nonce_already_used";
    public const string InvalidNetwork = "invalid_network";
    public const string InvalidPayload = "invalid_payload";
    public const string InvalidPaymentRequirements = "invalid_payment_requirements";
    public const string InvalidScheme = "invalid_scheme";
    public const string UnsupportedScheme = "unsupported_scheme";
    public const string InvalidX402Version = "invalid_x402_version";
    public const string InvalidTransactionState = "invalid_transaction_state";
    public const string UnexpectedVerifyError = "unexpected_verify_error";
    public const string UnexpectedSettleError = "unexpected_settle_error";

    /// <summary>The challenge's <c>error</c> when a request carries no payment.</summary>
    public const string PaymentRequired = "PAYMENT-SIGNATURE header is required";
}

/// <summary>Reasons of the <c>centime-hashchain</c> scheme (Centime's; docs/x402.md).</summary>
public static class HashChainErrorReasons
{
    public const string InvalidTerms = "invalid_centime_hashchain_terms";
    public const string UnknownChannel = "invalid_centime_hashchain_channel";
    public const string InvalidWord = "invalid_centime_hashchain_word";
    public const string InvalidIndex = "invalid_centime_hashchain_index";
    public const string ChannelExhausted = "invalid_centime_hashchain_exhausted";
    public const string ChannelExpired = "invalid_centime_hashchain_expired";
    public const string ChannelNotClosable = "invalid_centime_hashchain_not_closable";
    public const string ChannelClosed = "invalid_centime_hashchain_closed";
}
