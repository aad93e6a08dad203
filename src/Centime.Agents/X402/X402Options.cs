namespace Centime.Agents.X402;

/// <summary>Settings of the resource-server middleware (<see cref="X402ApplicationExtensions.UseX402"/>).</summary>
public sealed class X402Options
{
    /// <summary>Who verifies and settles: <see cref="HttpFacilitatorClient"/> for a node's <c>/x402</c>, or in process.</summary>
    public required IX402Facilitator Facilitator { get; set; }

    /// <summary>Where coins are priced: a node (<see cref="NodeAssetDirectory"/>) or fixed (<see cref="StaticAssetDirectory"/>).</summary>
    public required IX402AssetDirectory Assets { get; set; }

    /// <summary>Default recipient of payments (an endpoint's <c>payTo</c> overrides it).</summary>
    public required string PayTo { get; set; }

    /// <summary>The offer's <c>maxTimeoutSeconds</c>: how long a signed payment stays valid. 60 by default.</summary>
    public int MaxTimeoutSeconds { get; set; } = 60;

    /// <summary>Settle before running the handler (the reference's <c>upfront</c>) instead of after it succeeds.</summary>
    public bool SettleBeforeHandler { get; set; }

    /// <summary>Also offer Centime's high-frequency scheme <c>centime-hashchain</c> (second in <c>accepts</c>, after
    /// <c>exact</c>). The facilitator must implement <see cref="IX402ChannelFacilitator"/>.</summary>
    public bool EnableHashChain { get; set; }

    /// <summary>Open hash-chain channels; settle them with <see cref="ChannelBook.SettleAsync"/>.</summary>
    public ChannelBook Channels { get; } = new();

    /// <summary>Settle hash-chain channels this often in the background (null: only when the application calls
    /// <see cref="ChannelBook.SettleAsync"/>).</summary>
    public TimeSpan? SettleChannelsEvery { get; set; }

    /// <summary>Refuse words of a channel this close to its expiry: they must still be settled in time.</summary>
    public int ChannelExpiryMarginSeconds { get; set; } = 30;

    /// <summary>Accept the v1 wire format (<c>X-PAYMENT</c>) when it names this server's network. On by default.</summary>
    public bool AcceptV1 { get; set; } = true;
}

/// <summary>Endpoint metadata: what a call costs. Added by <see cref="X402ApplicationExtensions.RequirePayment"/>.</summary>
/// <param name="Price">Whole-coin decimal, e.g. "0.01".</param>
public sealed record PriceTag(string Price, string Coin, string? Description = null, string? MimeType = null, string? PayTo = null);
