using Centime.Ledger;

namespace Centime.Exchange;

/// <summary>
/// A liquidity provider's own deposit, signed by the provider (EIP-712 <see cref="TypeString"/> under the
/// "Centime Exchange" domain; the node recovers <see cref="Provider"/> from the signature at admission). Applied as
/// <see cref="AddLiquidity"/> from and to the signer, with the same pool checks (paused or halted pool, caps, frozen
/// provider). <see cref="Nonce"/> lives in the provider's EIP-3009 nonce space of the pool's LP coin (used once;
/// cancel-authorization on the LP coin cancels an unsubmitted one); <see cref="Deadline"/> is Unix seconds of ledger time.
/// </summary>
public sealed record HolderAddLiquidity(uint Pool, Address Provider, IReadOnlyList<UInt128> Amounts, UInt128 MinMint, Hash32 Nonce, ulong Deadline) : ExchangeCommand
{
    /// <summary>The EIP-712 type the provider signs.</summary>
    public const string TypeString = "AddLiquidity(address provider,uint256 pool,uint256[] amounts,uint256 minShares,bytes32 nonce,uint256 deadline)";

    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeHolderAddLiquidity;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        writer.Address(Provider);
        WriteAmounts(writer, Amounts);
        writer.UInt128(MinMint);
        writer.Hash(Nonce);
        writer.UInt64(Deadline);
    }

    internal static HolderAddLiquidity Read(BodyReader r) => new(r.UInt32(), r.Address(), ReadAmounts(r), r.UInt128(), r.Hash(), r.UInt64());
}

/// <summary>
/// A liquidity provider's own withdrawal, signed like <see cref="HolderAddLiquidity"/> (EIP-712 <see cref="TypeString"/>;
/// <c>oneCoin</c> is the pool's coin index, or -1 for a proportional withdrawal). Applied as <see cref="RemoveLiquidity"/>
/// of the signer's shares, paid to the signer.
/// </summary>
public sealed record HolderRemoveLiquidity(uint Pool, Address Provider, UInt128 Burn, IReadOnlyList<UInt128> MinAmounts, int OneCoin, Hash32 Nonce, ulong Deadline)
    : ExchangeCommand
{
    /// <summary>The EIP-712 type the provider signs.</summary>
    public const string TypeString = "RemoveLiquidity(address provider,uint256 pool,uint256 shares,uint256[] minAmounts,int256 oneCoin,bytes32 nonce,uint256 deadline)";

    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeHolderRemoveLiquidity;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        writer.Address(Provider);
        writer.UInt128(Burn);
        WriteAmounts(writer, MinAmounts);
        WriteOneCoin(writer, OneCoin);
        writer.Hash(Nonce);
        writer.UInt64(Deadline);
    }

    internal static HolderRemoveLiquidity Read(BodyReader r)
    {
        var pool = r.UInt32();
        var provider = r.Address();
        var burn = r.UInt128();
        var mins = ReadAmounts(r);
        return new HolderRemoveLiquidity(pool, provider, burn, mins, ReadOneCoin(r), r.Hash(), r.UInt64());
    }
}
