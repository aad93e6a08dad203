namespace Centime.Agents.X402;

/// <summary>
/// What an <see cref="X402PaymentHandler"/> may spend, in atomic units (minor units) of the asset paid. Days are
/// UTC calendar days. A payment that would pass any limit is refused with <see cref="X402PaymentRefusedException"/>
/// before anything is signed.
/// </summary>
public sealed record SpendingLimits
{
    /// <summary>At most this much per payment.</summary>
    public required UInt128 MaxPerPayment { get; init; }

    /// <summary>At most this much per host (URI authority) per day.</summary>
    public required UInt128 MaxPerHostPerDay { get; init; }

    /// <summary>At most this much in total per day.</summary>
    public required UInt128 MaxPerDay { get; init; }

    /// <summary>Asset addresses (verifying contracts) that may be paid; null allows any asset the signer can sign for.</summary>
    public IReadOnlySet<string>? AllowedAssets { get; init; }

    /// <summary>Networks (CAIP-2) that may be paid; null allows any <c>eip155</c> network.</summary>
    public IReadOnlySet<string>? AllowedNetworks { get; init; }
}

/// <summary>Why a client refused to pay.</summary>
public enum PaymentRefusal
{
    /// <summary>No offer has the <c>exact</c> scheme on an <c>eip155</c> network with <c>extra.name</c>/<c>version</c>.</summary>
    NoSupportedOffer,

    /// <summary>The offers' assets or networks are not allowed.</summary>
    AssetNotAllowed,

    ExceedsPerPayment,
    ExceedsPerHostPerDay,
    ExceedsPerDay,

    /// <summary>The 402 had no readable <c>PAYMENT-REQUIRED</c> challenge.</summary>
    MalformedChallenge,
}

/// <summary>The client refused to pay for a request; nothing was signed or sent.</summary>
public sealed class X402PaymentRefusedException(PaymentRefusal reason, string message) : Exception(message)
{
    public PaymentRefusal Reason { get; } = reason;
}
