using System.Globalization;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Client;

public sealed partial class HolderSigner
{
    /// <summary>Signs the holder's own redemption of <paramref name="amount"/> minor units, paid out to
    /// <paramref name="payTo"/>, valid until <paramref name="deadline"/> (Unix seconds of ledger time).</summary>
    public HolderRedeemRequest SignRedemption(Eip712Domain coinDomain, UInt128 amount, string payTo, ulong deadline, Hash32? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(coinDomain);
        var n = nonce ?? NewNonce();
        var typed = HolderTypedData.Redemption(coinDomain, Address, amount, payTo, n, deadline);
        return new HolderRedeemRequest
        {
            Holder = Address.ToString(),
            Amount = amount.ToString(CultureInfo.InvariantCulture),
            PayTo = payTo,
            Nonce = n.ToString(),
            Deadline = deadline.ToString(CultureInfo.InvariantCulture),
            Signature = SignTypedData(typed),
            ChainId = coinDomain.ChainId.ToString(CultureInfo.InvariantCulture),
            VerifyingContract = coinDomain.VerifyingContract,
        };
    }

    /// <summary>As a party to contracts, grants (or, with <paramref name="validUntil"/> 0, revokes) an ERP system's key
    /// <paramref name="erp"/>: it may then fund contracts this party pays and send contract events as this party.</summary>
    public ErpKeyRequest SignErpKey(ulong chainId, Address erp, ulong validUntil, Hash32? nonce = null)
    {
        var n = nonce ?? NewNonce();
        return new ErpKeyRequest(Address.ToString(), erp.ToString(), validUntil.ToString(CultureInfo.InvariantCulture), n.ToString(),
            SignTypedData(HolderTypedData.ErpKey(chainId, Address, erp, validUntil, n)));
    }

    /// <summary>As a liquidity provider, signs a deposit of <paramref name="amounts"/> (raw, per pool coin) into pool
    /// <paramref name="pool"/> of the node with network id <paramref name="chainId"/>.</summary>
    public AddLiquidityRequest SignAddLiquidity(ulong chainId, uint pool, IReadOnlyList<UInt128> amounts, UInt128 minShares, ulong deadline, Hash32? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(amounts);
        var n = nonce ?? NewNonce();
        var typed = HolderTypedData.AddLiquidity(chainId, Address, pool, amounts, minShares, n, deadline);
        return new AddLiquidityRequest(Address.ToString(), [.. amounts.Select(a => a.ToString(CultureInfo.InvariantCulture))], minShares.ToString(CultureInfo.InvariantCulture))
        {
            Nonce = n.ToString(),
            Deadline = deadline,
            Signature = SignTypedData(typed),
        };
    }

    /// <summary>As a liquidity provider, signs a withdrawal of <paramref name="shares"/> LP shares from pool
    /// <paramref name="pool"/>: proportional (<paramref name="coin"/> null; <paramref name="minAmounts"/> per pool coin or
    /// empty) or all in the pool coin <paramref name="coin"/> (index <paramref name="coinIndex"/>).</summary>
    public RemoveLiquidityRequest SignRemoveLiquidity(ulong chainId, uint pool, UInt128 shares, IReadOnlyList<UInt128> minAmounts, string? coin, int coinIndex, ulong deadline,
        Hash32? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(minAmounts);
        var n = nonce ?? NewNonce();
        var typed = HolderTypedData.RemoveLiquidity(chainId, Address, pool, shares, minAmounts, coin is null ? -1 : coinIndex, n, deadline);
        return new RemoveLiquidityRequest(Address.ToString(), shares.ToString(CultureInfo.InvariantCulture),
            [.. minAmounts.Select(a => a.ToString(CultureInfo.InvariantCulture))], coin)
        {
            Nonce = n.ToString(),
            Deadline = deadline,
            Signature = SignTypedData(typed),
        };
    }

    /// <summary>Signs any EIP-712 typed data (eth_signTypedData_v4 JSON), e.g. what a node's typed-data route answers.</summary>
    public string SignTypedData(string typedDataJson) => _backend.Sign(_privateKey, HolderTypedData.Digest(typedDataJson)).ToHex();
}
