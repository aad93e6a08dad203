using System.Collections.Concurrent;
using System.Globalization;
using Centime.Client;

namespace Centime.Agents.X402;

/// <summary>A coin as x402 names it: CAIP-2 network, asset address (the coin's verifying contract), EIP-712
/// name and version (the offer's <c>extra</c>), and decimals to turn a price into atomic units.</summary>
public sealed record X402Asset(string Symbol, int Decimals, ulong ChainId, string Address, string Name, string Version)
{
    /// <summary><c>eip155:&lt;chainId&gt;</c>.</summary>
    public string Network => "eip155:" + ChainId.ToString(CultureInfo.InvariantCulture);

    public static X402Asset From(CoinInfo coin) =>
        new(coin.Symbol, coin.Decimals, coin.Domain.ChainId, coin.Domain.VerifyingContract, coin.Domain.Name, coin.Domain.Version);
}

/// <summary>Finds the asset of a coin symbol.</summary>
public interface IX402AssetDirectory
{
    ValueTask<X402Asset> GetAsync(string symbol, CancellationToken cancellationToken = default);
}

/// <summary>Fixed assets, for servers that know their coins (and for tests).</summary>
public sealed class StaticAssetDirectory(params X402Asset[] assets) : IX402AssetDirectory
{
    private readonly Dictionary<string, X402Asset> _assets = assets.ToDictionary(a => a.Symbol, StringComparer.Ordinal);

    public ValueTask<X402Asset> GetAsync(string symbol, CancellationToken cancellationToken = default) =>
        _assets.TryGetValue(symbol, out var a)
            ? ValueTask.FromResult(a)
            : throw new InvalidOperationException($"x402: no asset configured for coin '{symbol}'");
}

/// <summary>Reads coins from a node (<c>GET /v1/coins/{symbol}</c>) once and caches them: coins never change.</summary>
public sealed class NodeAssetDirectory(CentimeClient client) : IX402AssetDirectory
{
    private readonly ConcurrentDictionary<string, X402Asset> _cache = new(StringComparer.Ordinal);

    public async ValueTask<X402Asset> GetAsync(string symbol, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(symbol, out var a))
        {
            return a;
        }

        a = X402Asset.From(await client.GetCoinAsync(symbol, cancellationToken));
        return _cache.GetOrAdd(symbol, a);
    }
}
