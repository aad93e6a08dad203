using System.Globalization;
using System.Text.Json.Nodes;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Client;

/// <summary>
/// The EIP-712 messages a holder signs for the actions that used to need an operator key, as eth_signTypedData_v4 JSON
/// (what ethers, MetaMask and <c>centime wallet sign</c> sign): a redemption under the coin's own domain, and a liquidity
/// deposit or withdrawal under the exchange's domain <c>{name: "Centime Exchange", version: "1", chainId}</c>. The node
/// builds the same JSON from the request's fields and checks the signature against its digest, so what the holder saw is
/// what is checked (docs/api.md, "Holder-signed redemption" and "Holder-signed liquidity").
/// </summary>
public static class HolderTypedData
{
    /// <summary>EIP-712 type of a holder's redemption request.</summary>
    public const string RedemptionType = "Redemption(address holder,uint256 amount,string payTo,bytes32 nonce,uint256 deadline)";

    /// <summary>EIP-712 type of a provider's deposit.</summary>
    public const string AddLiquidityType = "AddLiquidity(address provider,uint256 pool,uint256[] amounts,uint256 minShares,bytes32 nonce,uint256 deadline)";

    /// <summary>EIP-712 type of a provider's withdrawal; <c>oneCoin</c> is the pool's coin index or -1 (proportional).</summary>
    public const string RemoveLiquidityType = "RemoveLiquidity(address provider,uint256 pool,uint256 shares,uint256[] minAmounts,int256 oneCoin,bytes32 nonce,uint256 deadline)";

    /// <summary>EIP-712 type of a party's grant of an ERP system's key (validUntil 0 revokes).</summary>
    public const string ErpKeyType = "ErpKey(address party,address erp,uint256 validUntil,bytes32 nonce)";

    /// <summary>A party's grant of <paramref name="erp"/> until <paramref name="validUntil"/> (Unix seconds; 0 revokes), under the
    /// contracts domain <c>{name: "Centime Contracts", version: "1", chainId}</c>.</summary>
    public static string ErpKey(ulong chainId, Address party, Address erp, ulong validUntil, Hash32 nonce) =>
        Build(new JsonObject { ["name"] = "Centime Contracts", ["version"] = "1", ["chainId"] = chainId }, false, "ErpKey",
            [("party", "address"), ("erp", "address"), ("validUntil", "uint256"), ("nonce", "bytes32")],
            [party.ToString(), erp.ToString(), Dec(validUntil), nonce.ToString()]);

    /// <summary>A redemption of <paramref name="amount"/> minor units, paid out to <paramref name="payTo"/> (bank instructions), under the coin's domain.</summary>
    public static string Redemption(Eip712Domain coinDomain, Address holder, UInt128 amount, string payTo, Hash32 nonce, ulong deadline)
    {
        ArgumentNullException.ThrowIfNull(coinDomain);
        var domain = new JsonObject
        {
            ["name"] = coinDomain.Name,
            ["version"] = coinDomain.Version,
            ["chainId"] = coinDomain.ChainId,
            ["verifyingContract"] = coinDomain.VerifyingContract,
        };
        return Build(domain, true, "Redemption",
            [("holder", "address"), ("amount", "uint256"), ("payTo", "string"), ("nonce", "bytes32"), ("deadline", "uint256")],
            [holder.ToString(), Dec(amount), payTo, nonce.ToString(), Dec(deadline)]);
    }

    /// <summary>A deposit of <paramref name="amounts"/> (raw units, one per pool coin) into pool <paramref name="pool"/>, minting at least <paramref name="minShares"/>.</summary>
    public static string AddLiquidity(ulong chainId, Address provider, uint pool, IReadOnlyList<UInt128> amounts, UInt128 minShares, Hash32 nonce, ulong deadline) =>
        Build(ExchangeDomain(chainId), false, "AddLiquidity",
            [("provider", "address"), ("pool", "uint256"), ("amounts", "uint256[]"), ("minShares", "uint256"), ("nonce", "bytes32"), ("deadline", "uint256")],
            [provider.ToString(), Dec(pool), Array(amounts), Dec(minShares), nonce.ToString(), Dec(deadline)]);

    /// <summary>A withdrawal of <paramref name="shares"/> LP shares from pool <paramref name="pool"/>: proportional (<paramref name="oneCoin"/> -1, <paramref name="minAmounts"/> per coin or empty) or in one coin (its index, one minimum or none).</summary>
    public static string RemoveLiquidity(ulong chainId, Address provider, uint pool, UInt128 shares, IReadOnlyList<UInt128> minAmounts, int oneCoin, Hash32 nonce, ulong deadline) =>
        Build(ExchangeDomain(chainId), false, "RemoveLiquidity",
            [("provider", "address"), ("pool", "uint256"), ("shares", "uint256"), ("minAmounts", "uint256[]"), ("oneCoin", "int256"), ("nonce", "bytes32"), ("deadline", "uint256")],
            [provider.ToString(), Dec(pool), Dec(shares), Array(minAmounts), oneCoin.ToString(CultureInfo.InvariantCulture), nonce.ToString(), Dec(deadline)]);

    /// <summary>The digest a signature of <paramref name="typedDataJson"/> signs.</summary>
    public static Hash32 Digest(string typedDataJson) => TypedData.Parse(typedDataJson).Digest();

    private static JsonObject ExchangeDomain(ulong chainId) => new()
    {
        ["name"] = ExchangeTypedData.DomainName,
        ["version"] = ExchangeTypedData.DomainVersion,
        ["chainId"] = chainId,
    };

    private static string Build(JsonObject domain, bool withContract, string primaryType, (string Name, string Type)[] fields, JsonNode?[] values)
    {
        var domainType = new JsonArray(Member("name", "string"), Member("version", "string"), Member("chainId", "uint256"));
        if (withContract)
        {
            domainType.Add(Member("verifyingContract", "address"));
        }

        var primary = new JsonArray();
        var message = new JsonObject();
        for (var i = 0; i < fields.Length; i++)
        {
            primary.Add(Member(fields[i].Name, fields[i].Type));
            message[fields[i].Name] = values[i];
        }

        var root = new JsonObject
        {
            ["types"] = new JsonObject { ["EIP712Domain"] = domainType, [primaryType] = primary },
            ["primaryType"] = primaryType,
            ["domain"] = domain,
            ["message"] = message,
        };
        return root.ToJsonString();
    }

    private static JsonObject Member(string name, string type) => new() { ["name"] = name, ["type"] = type };

    private static JsonArray Array(IReadOnlyList<UInt128> values)
    {
        var array = new JsonArray();
        foreach (var v in values)
        {
            array.Add(Dec(v));
        }

        return array;
    }

    private static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Dec(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Dec(uint v) => v.ToString(CultureInfo.InvariantCulture);
}
