using System.Globalization;
using System.Net.Http.Json;

namespace Centime.Client;

/// <summary>The exchange: FX feeds, StableSwap pools, quotes, swaps and cross-border payments (docs/api.md, "Exchange").</summary>
public sealed partial class CentimeClient
{
    /// <summary>Creates or replaces a feed's settings (operator key).</summary>
    public Task<FeedView> ConfigureFeedAsync(string name, FeedConfigRequest request, CancellationToken ct = default) =>
        SendAsync<FeedView>(HttpMethod.Put, "v1/exchange/feeds/" + Uri.EscapeDataString(name), request, ct);

    /// <summary>Submits a signed rate (see <see cref="HolderSigner.SignRate"/>); no operator key.</summary>
    public Task<FeedView> SubmitRateAsync(string name, RateRequest request, CancellationToken ct = default) =>
        PostAsync<FeedView>("v1/exchange/feeds/" + Uri.EscapeDataString(name) + "/rates", request, ct);

    public Task<Page<FeedView>> ListFeedsAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<FeedView>>("v1/exchange/feeds" + PageQuery(limit, cursor), ct);

    public Task<FeedView> GetFeedAsync(string name, CancellationToken ct = default) => GetAsync<FeedView>("v1/exchange/feeds/" + Uri.EscapeDataString(name), ct);

    /// <summary>Creates an empty pool and its LP share coin (operator key).</summary>
    public Task<PoolView> CreatePoolAsync(CreatePoolRequest request, CancellationToken ct = default) => PostAsync<PoolView>("v1/exchange/pools", request, ct);

    /// <summary>Changes a pool's risk controls, pause, fee or A ramp (operator key).</summary>
    public Task<PoolView> ConfigurePoolAsync(uint pool, ConfigurePoolRequest request, CancellationToken ct = default) =>
        SendAsync<PoolView>(HttpMethod.Patch, "v1/exchange/pools/" + Id(pool), request, ct);

    /// <summary>Deposits from a provider and mints LP shares to it: signed by the provider (<see cref="HolderSigner.SignAddLiquidity"/>),
    /// or with the operator key.</summary>
    public Task<LiquidityView> AddLiquidityAsync(uint pool, AddLiquidityRequest request, CancellationToken ct = default) =>
        PostAsync<LiquidityView>("v1/exchange/pools/" + Id(pool) + "/add", request, ct);

    /// <summary>Burns a provider's LP shares for the pool's coins: signed by the provider (<see cref="HolderSigner.SignRemoveLiquidity"/>),
    /// or with the operator key.</summary>
    public Task<LiquidityView> RemoveLiquidityAsync(uint pool, RemoveLiquidityRequest request, CancellationToken ct = default) =>
        PostAsync<LiquidityView>("v1/exchange/pools/" + Id(pool) + "/remove", request, ct);

    /// <summary>The EIP-712 AddLiquidity the provider signs for these terms (the node fills in a missing nonce and deadline).</summary>
    public Task<TypedDataToSign> AddLiquidityTypedDataAsync(uint pool, AddLiquidityRequest request, CancellationToken ct = default) =>
        PostAsync<TypedDataToSign>("v1/exchange/pools/" + Id(pool) + "/add/typed-data", request, ct);

    /// <summary>The EIP-712 RemoveLiquidity the provider signs for these terms (the node fills in a missing nonce and deadline).</summary>
    public Task<TypedDataToSign> RemoveLiquidityTypedDataAsync(uint pool, RemoveLiquidityRequest request, CancellationToken ct = default) =>
        PostAsync<TypedDataToSign>("v1/exchange/pools/" + Id(pool) + "/remove/typed-data", request, ct);

    /// <summary>Pays the pool's admin fees to an address (operator key).</summary>
    public Task<PoolView> WithdrawAdminFeesAsync(uint pool, string to, CancellationToken ct = default) =>
        PostAsync<PoolView>("v1/exchange/pools/" + Id(pool) + "/withdraw-fees", new WithdrawFeesRequest(to), ct);

    public Task<Page<PoolView>> ListPoolsAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<PoolView>>("v1/exchange/pools" + PageQuery(limit, cursor), ct);

    public Task<PoolView> GetPoolAsync(uint pool, CancellationToken ct = default) => GetAsync<PoolView>("v1/exchange/pools/" + Id(pool), ct);

    /// <summary>The best route now, with fees, price impact, expiry and (with a payer) the acceptance to sign.</summary>
    public Task<QuoteView> QuoteAsync(QuoteRequest request, CancellationToken ct = default) => PostAsync<QuoteView>("v1/exchange/quotes", request, ct);

    /// <summary>A cross-border payment: the payer's signed acceptance of a quote (see <see cref="HolderSigner.SignAcceptance(QuoteView)"/>).</summary>
    public Task<SwapView> PayAsync(PaymentRequest request, CancellationToken ct = default) => PostAsync<SwapView>("v1/exchange/payments", request, ct);

    /// <summary>A swap: signed by the payer, or with the operator key (then the route may be omitted).</summary>
    public Task<SwapView> SwapAsync(PaymentRequest request, CancellationToken ct = default) => PostAsync<SwapView>("v1/exchange/swaps", request, ct);

    public Task<SwapView> GetSwapAsync(string id, CancellationToken ct = default) => GetAsync<SwapView>("v1/exchange/swaps/" + Uri.EscapeDataString(id), ct);

    /// <summary>Quote, sign the acceptance with <paramref name="payer"/>'s key and pay <paramref name="recipient"/> in one call.</summary>
    public async Task<(QuoteView Quote, SwapView Swap)> PayCrossBorderAsync(HolderSigner payer, string recipient, string fromCoin, string toCoin, UInt128 amountIn,
        string? slippageBps = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var quote = await QuoteAsync(new QuoteRequest(fromCoin, toCoin, amountIn.ToString(CultureInfo.InvariantCulture), payer.Address.ToString(), recipient, slippageBps), ct)
            .ConfigureAwait(false);
        var swap = await PayAsync(payer.SignAcceptance(quote), ct).ConfigureAwait(false);
        return (quote, swap);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json) };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private static string Id(uint pool) => pool.ToString(CultureInfo.InvariantCulture);
}
