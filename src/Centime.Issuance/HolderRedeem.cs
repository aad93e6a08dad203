using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// A holder's own redemption request: burns <see cref="Amount"/> of <see cref="Holder"/>'s coins and creates the same
/// payout instruction (deadline, overdue list) as an operator's <see cref="Redeem"/>. The holder signs the EIP-712
/// <c>Redemption(address holder,uint256 amount,string payTo,bytes32 nonce,uint256 deadline)</c> under the coin's own
/// domain; the node recovers <see cref="Holder"/> from that signature at admission, so no operator key is involved.
/// <see cref="Nonce"/> lives in the holder's EIP-3009 nonce space of the coin (used once; cancel-authorization cancels an
/// unsubmitted request); <see cref="Deadline"/> is Unix seconds of ledger time. The redemption's id is
/// <see cref="IdOf"/>.
/// </summary>
public sealed record HolderRedeem(uint Coin, Address Holder, UInt128 Amount, string PayTo, Hash32 Nonce, ulong Deadline) : CommandBody
{
    /// <summary>The EIP-712 type the holder signs.</summary>
    public const string TypeString = "Redemption(address holder,uint256 amount,string payTo,bytes32 nonce,uint256 deadline)";

    /// <summary>What a redemption's requester says when the holder asked for it.</summary>
    public const string Requester = "holder";

    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.IssuanceHolderRedeem;

    /// <summary>The redemption id of a holder's request: the same derivation as an authorization's transfer id, so anyone
    /// holding the signed request can look the redemption up.</summary>
    public static UInt128 IdOf(uint coin, Address holder, Hash32 nonce) => LedgerState.AuthorizationTransferId(coin, holder, nonce);

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Holder);
        writer.UInt128(Amount);
        writer.String(PayTo);
        writer.Hash(Nonce);
        writer.UInt64(Deadline);
    }

    internal static HolderRedeem Read(BodyReader r) => new(r.UInt32(), r.Address(), r.UInt128(), r.String(), r.Hash(), r.UInt64());
}
