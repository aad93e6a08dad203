namespace Centime.Ledger;

// Holder-signed commands (EIP-3009, EIP-2612 and Centime's transferFrom). Signatures are checked before the
// sequencer, in parallel (DESIGN.md §1): each command carries the address recovered from its signature over
// the coin's EIP-712 domain, so replay never re-verifies. Apply checks everything that depends on state or
// ledger time: who signed, nonce state, validity window, balances, allowances. Times are Unix seconds, as
// signed; ledger time is compared in whole seconds.

/// <summary>
/// EIP-3009 transferWithAuthorization, or receiveWithAuthorization when <see cref="Receive"/> is set (then
/// <see cref="Submitter"/> must be the payee, which stops front-running). Valid when validAfter &lt; now &lt;
/// validBefore; the (coin, from, nonce) authorization is used at most once. A failed transfer (e.g. not enough
/// balance) leaves the nonce unused, as a reverted transaction would.
/// </summary>
public sealed record TransferWithAuthorization(
    uint Coin,
    Address From,
    Address To,
    UInt128 Value,
    ulong ValidAfter,
    ulong ValidBefore,
    Hash32 Nonce,
    Address Signer,
    bool Receive,
    Address Submitter) : CommandBody
{
    public override CommandKind Kind => CommandKind.TransferWithAuthorization;

    /// <summary>Purpose code of the transfers these authorizations create.</summary>
    public const ushort TransferCode = 3009;

    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(From);
        writer.Address(To);
        writer.UInt128(Value);
        writer.UInt64(ValidAfter);
        writer.UInt64(ValidBefore);
        writer.Hash(Nonce);
        writer.Address(Signer);
        writer.Byte(Receive ? (byte)1 : (byte)0);
        writer.Address(Submitter);
    }

    internal static TransferWithAuthorization Read(BodyReader r) =>
        new(r.UInt32(), r.Address(), r.Address(), r.UInt128(), r.UInt64(), r.UInt64(), r.Hash(), r.Address(), r.Byte() != 0, r.Address());
}

/// <summary>EIP-3009 cancelAuthorization: marks an unused (coin, authorizer, nonce) as canceled.</summary>
public sealed record CancelAuthorization(uint Coin, Address Authorizer, Hash32 Nonce, Address Signer) : CommandBody
{
    public override CommandKind Kind => CommandKind.CancelAuthorization;

    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Authorizer);
        writer.Hash(Nonce);
        writer.Address(Signer);
    }

    internal static CancelAuthorization Read(BodyReader r) => new(r.UInt32(), r.Address(), r.Hash(), r.Address());
}

/// <summary>
/// EIP-2612 permit: sets the allowance of <see cref="Spender"/> over <see cref="Owner"/>'s coins. The nonce
/// must equal the owner's current permit nonce; the deadline is inclusive (now ≤ deadline).
/// <see cref="UInt128.MaxValue"/> (from uint256 max on the wire) is an unlimited allowance.
/// </summary>
public sealed record Permit(uint Coin, Address Owner, Address Spender, UInt128 Value, ulong Nonce, ulong Deadline, Address Signer) : CommandBody
{
    public override CommandKind Kind => CommandKind.Permit;

    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Owner);
        writer.Address(Spender);
        writer.UInt128(Value);
        writer.UInt64(Nonce);
        writer.UInt64(Deadline);
        writer.Address(Signer);
    }

    internal static Permit Read(BodyReader r) => new(r.UInt32(), r.Address(), r.Address(), r.UInt128(), r.UInt64(), r.UInt64(), r.Address());
}

/// <summary>
/// A spender moves an owner's coins within its allowance (ERC-20 transferFrom). There is no msg.sender
/// here, so the spender signs a Centime EIP-712 message
/// <c>TransferFrom(address spender,address from,address to,uint256 value,bytes32 nonce,uint256 validBefore)</c>;
/// its nonce lives in the spender's EIP-3009 authorization space (used at most once).
/// </summary>
public sealed record TransferFrom(uint Coin, Address Spender, Address From, Address To, UInt128 Value, Hash32 Nonce, ulong ValidBefore, Address Signer) : CommandBody
{
    public override CommandKind Kind => CommandKind.TransferFrom;

    /// <summary>Purpose code of the transfers spenders make.</summary>
    public const ushort TransferCode = 2612;

    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Spender);
        writer.Address(From);
        writer.Address(To);
        writer.UInt128(Value);
        writer.Hash(Nonce);
        writer.UInt64(ValidBefore);
        writer.Address(Signer);
    }

    internal static TransferFrom Read(BodyReader r) => new(r.UInt32(), r.Address(), r.Address(), r.Address(), r.UInt128(), r.Hash(), r.UInt64(), r.Address());
}

/// <summary>State of an EIP-3009 authorization nonce.</summary>
public enum AuthorizationState : byte
{
    Unused = 0,
    Used = 1,
    Canceled = 2,
}

/// <summary>Key of an authorization nonce: one space per (coin, authorizer), as per token contract on a chain.</summary>
public readonly record struct AuthorizationKey(uint Coin, Address Authorizer, Hash32 Nonce);

/// <summary>Key of an allowance.</summary>
public readonly record struct AllowanceKey(uint Coin, Address Owner, Address Spender);
