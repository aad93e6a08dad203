using System.Collections.Concurrent;
using System.Text.Json;
using Centime.Client;
using Centime.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Centime.Agents.X402;

/// <summary>
/// The resource-server side of x402 v2: answers a priced endpoint with 402 and a <c>PAYMENT-REQUIRED</c>
/// challenge; with a <c>PAYMENT-SIGNATURE</c> (or v1 <c>X-PAYMENT</c>) it matches the offer, verifies through the
/// facilitator, runs the handler and settles if it succeeded (status &lt; 400), or settles first with
/// <see cref="X402Options.SettleBeforeHandler"/>; the settlement goes back in <c>PAYMENT-RESPONSE</c>.
/// A payment (asset, payer, nonce) buys one response from this server: a replayed header is refused even while
/// its settlement is still in flight (the facilitator refuses it too once settled).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The channel settle timer lives as long as the app: ASP.NET Core never disposes conventional middleware, so IDisposable here would be dead code")]
public sealed class X402Middleware
{
    private const long SweepEveryMilliseconds = 1000;

    private readonly RequestDelegate _next;
    private readonly X402Options _options;
    private readonly ConcurrentDictionary<PaymentKey, long> _claimed = new();
    private readonly ConcurrentDictionary<(Endpoint, string), IReadOnlyList<PaymentRequirements>> _offers = new();
    private long _lastSweep = Environment.TickCount64;

    public X402Middleware(RequestDelegate next, X402Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.PayTo);
        if (options.MaxTimeoutSeconds <= 6)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxTimeoutSeconds must exceed the facilitator's 6 s margin");
        }

        if (options.EnableHashChain && options.Facilitator is not IX402ChannelFacilitator)
        {
            throw new ArgumentException("EnableHashChain needs a facilitator that implements IX402ChannelFacilitator", nameof(options));
        }

        _next = next;
        _options = options;
        if (options.EnableHashChain && options.SettleChannelsEvery is { } every && options.Facilitator is IX402ChannelFacilitator channels)
        {
            _settleTimer = new Timer(_ => _ = SettleChannelsQuietlyAsync(channels), null, every, every);
        }
    }

    private readonly Timer? _settleTimer;

    private async Task SettleChannelsQuietlyAsync(IX402ChannelFacilitator facilitator)
    {
        try
        {
            await _options.Channels.SettleAsync(facilitator, close: true);
        }
        catch (X402FacilitatorException)
        {
            // The next round retries; words stay in the book until settled.
        }
    }

    public async Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        var price = endpoint?.Metadata.GetMetadata<PriceTag>();
        if (endpoint is null || price is null)
        {
            await _next(http);
            return;
        }

        var offers = await OffersAsync(endpoint, price, http.RequestAborted);
        var offer = offers[0];
        var resource = new ResourceInfo { Url = ResourceUrl(http.Request), Description = price.Description, MimeType = price.MimeType };

        var v2Header = http.Request.Headers[X402Headers.PaymentSignature].ToString();
        var v1Header = v2Header.Length == 0 && _options.AcceptV1 ? http.Request.Headers[X402Headers.XPayment].ToString() : "";
        if (v2Header.Length == 0 && v1Header.Length == 0)
        {
            await ChallengeAsync(http, resource, offers, X402ErrorReasons.PaymentRequired);
            return;
        }

        var v1 = v2Header.Length == 0;
        if (!X402Headers.TryDecode<PaymentPayload>(v1 ? v1Header : v2Header, out var payment))
        {
            await ChallengeAsync(http, resource, offers, X402ErrorReasons.InvalidPayload);
            return;
        }

        if (!v1 && offers.Count > 1 && payment.Accepted?.Scheme == HashChain.Scheme)
        {
            await HashChainAsync(http, payment, offers[1], offers, resource);
            return;
        }

        if (Match(payment, offer, v1) is { } mismatch)
        {
            await ChallengeAsync(http, resource, offers, mismatch);
            return;
        }

        // The exact scheme's payload names the payer and nonce; claim them before verifying so two concurrent
        // requests carrying one payment cannot both be served.
        if (!TryReadKey(payment, offer, out var key, out var validBefore))
        {
            await ChallengeAsync(http, resource, offers, X402ErrorReasons.InvalidPayload);
            return;
        }

        if (!_claimed.TryAdd(key, validBefore))
        {
            await ChallengeAsync(http, resource, offers, X402ErrorReasons.NonceAlreadyUsed);
            return;
        }

        var keep = false;
        try
        {
            keep = await PayAndServeAsync(http, payment, offer, offers, resource, v1);
        }
        finally
        {
            if (!keep)
            {
                _claimed.TryRemove(key, out _);
            }

            SweepNowAndThen();
        }
    }

    /// <summary>Returns true when the payment was settled (the claim stays).</summary>
    private async Task<bool> PayAndServeAsync(HttpContext http, PaymentPayload payment, PaymentRequirements offer, IReadOnlyList<PaymentRequirements> offers, ResourceInfo resource, bool v1)
    {
        VerifyResponse verdict;
        try
        {
            verdict = await _options.Facilitator.VerifyAsync(payment, offer, http.RequestAborted);
        }
        catch (X402FacilitatorException ex)
        {
            await FacilitatorUnavailableAsync(http, ex);
            return false;
        }

        if (!verdict.IsValid)
        {
            await ChallengeAsync(http, resource, offers, verdict.InvalidReason ?? X402ErrorReasons.UnexpectedVerifyError);
            return false;
        }

        var responseHeader = v1 ? X402Headers.XPaymentResponse : X402Headers.PaymentResponse;
        if (_options.SettleBeforeHandler)
        {
            var settled = await SettleAsync(http, payment, offer);
            if (settled is null)
            {
                return false;
            }

            if (!settled.Success)
            {
                http.Response.Headers[responseHeader] = X402Headers.Encode(settled);
                await ChallengeAsync(http, resource, offers, settled.ErrorReason ?? X402ErrorReasons.UnexpectedSettleError);
                return false;
            }

            http.Response.Headers[responseHeader] = X402Headers.Encode(settled);
            await _next(http);
            return true;
        }

        // Settle after the handler: buffer its response so PAYMENT-RESPONSE can still be added, or the
        // response replaced by a 402 when settlement fails.
        var original = http.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        var buffered = new StreamResponseBodyFeature(buffer, original);
        http.Features.Set<IHttpResponseBodyFeature>(buffered);
        try
        {
            await _next(http);
            await buffered.CompleteAsync();
        }
        finally
        {
            http.Features.Set(original);
        }

        if (http.Response.StatusCode >= 400)
        {
            await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted);
            return false;
        }

        var settlement = await SettleAsync(http, payment, offer);
        if (settlement is null)
        {
            return false;
        }

        if (!settlement.Success)
        {
            ResetForChallenge(http);
            http.Response.Headers[responseHeader] = X402Headers.Encode(settlement);
            await ChallengeAsync(http, resource, offers, settlement.ErrorReason ?? X402ErrorReasons.UnexpectedSettleError);
            return false;
        }

        http.Response.Headers[responseHeader] = X402Headers.Encode(settlement);
        http.Response.Headers.AccessControlExposeHeaders = responseHeader;
        if (http.Response.ContentLength is null && !http.Response.HasStarted)
        {
            http.Response.ContentLength = buffer.Length;
        }

        await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted);
        return true;
    }

    private async Task<SettleResponse?> SettleAsync(HttpContext http, PaymentPayload payment, PaymentRequirements offer)
    {
        try
        {
            // Not the request's token: once the handler ran, settlement must finish even if the client hung up.
            return await _options.Facilitator.SettleAsync(payment, offer, CancellationToken.None);
        }
        catch (X402FacilitatorException ex)
        {
            ResetForChallenge(http);
            await FacilitatorUnavailableAsync(http, ex);
            return null;
        }
    }

    private static void ResetForChallenge(HttpContext http)
    {
        var keepCors = http.Response.Headers.AccessControlAllowOrigin;
        http.Response.Clear();
        if (keepCors.Count > 0)
        {
            http.Response.Headers.AccessControlAllowOrigin = keepCors;
        }
    }

    private async ValueTask<IReadOnlyList<PaymentRequirements>> OffersAsync(Endpoint endpoint, PriceTag price, CancellationToken cancellationToken)
    {
        var payTo = price.PayTo ?? _options.PayTo;
        if (_offers.TryGetValue((endpoint, payTo), out var offers))
        {
            return offers;
        }

        var asset = await _options.Assets.GetAsync(price.Coin, cancellationToken);
        if (!CoinUnits.TryParse(price.Price, asset.Decimals, out var atomic, out var error) || atomic == UInt128.Zero)
        {
            throw new InvalidOperationException($"x402: price '{price.Price}' {price.Coin} of {endpoint.DisplayName} is not a positive amount: {error}");
        }

        var offer = new PaymentRequirements
        {
            Scheme = "exact",
            Network = asset.Network,
            Amount = atomic.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Asset = asset.Address,
            PayTo = payTo,
            MaxTimeoutSeconds = _options.MaxTimeoutSeconds,
            Extra = new Dictionary<string, JsonElement>
            {
                ["name"] = JsonSerializer.SerializeToElement(asset.Name),
                ["version"] = JsonSerializer.SerializeToElement(asset.Version),
            },
        };
        offers = _options.EnableHashChain ? [offer, offer with { Scheme = HashChain.Scheme }] : [offer];
        return _offers.GetOrAdd((endpoint, payTo), offers);
    }

    /// <summary>The spec's matching: every field of <c>accepted</c> equal to the offer except <c>extra</c>, whose
    /// offer keys must be present with equal values. A mismatch is named by its most specific reason.</summary>
    internal static string? Match(PaymentPayload payment, PaymentRequirements offer, bool v1)
    {
        if (v1)
        {
            if (payment.X402Version != 1)
            {
                return X402ErrorReasons.InvalidX402Version;
            }

            return payment.Scheme != offer.Scheme ? X402ErrorReasons.UnsupportedScheme
                : payment.Network != offer.Network ? X402ErrorReasons.InvalidNetwork
                : null;
        }

        if (payment.X402Version != 2)
        {
            return X402ErrorReasons.InvalidX402Version;
        }

        var accepted = payment.Accepted;
        if (accepted is null)
        {
            return X402ErrorReasons.InvalidPayload;
        }

        if (accepted.Scheme != offer.Scheme)
        {
            return X402ErrorReasons.UnsupportedScheme;
        }

        if (accepted.Network != offer.Network)
        {
            return X402ErrorReasons.InvalidNetwork;
        }

        if (!string.Equals(accepted.PayTo, offer.PayTo, StringComparison.OrdinalIgnoreCase))
        {
            return X402ErrorReasons.RecipientMismatch;
        }

        if (accepted.Amount != offer.Amount)
        {
            return X402ErrorReasons.ValueMismatch;
        }

        if (!string.Equals(accepted.Asset, offer.Asset, StringComparison.OrdinalIgnoreCase) || accepted.MaxTimeoutSeconds != offer.MaxTimeoutSeconds)
        {
            return X402ErrorReasons.InvalidPaymentRequirements;
        }

        if (offer.Extra is not null)
        {
            foreach (var (k, v) in offer.Extra)
            {
                if (accepted.Extra is null || !accepted.Extra.TryGetValue(k, out var theirs) || !JsonElement.DeepEquals(v, theirs))
                {
                    return X402ErrorReasons.InvalidPaymentRequirements;
                }
            }
        }

        return null;
    }

    private static bool TryReadKey(PaymentPayload payment, PaymentRequirements offer, out PaymentKey key, out long validBefore)
    {
        key = default;
        validBefore = 0;
        if (payment.Payload.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        ExactEvmPayload? exact;
        try
        {
            exact = payment.Payload.Deserialize<ExactEvmPayload>(X402Headers.Json);
        }
        catch (JsonException)
        {
            return false;
        }

        if (exact?.Authorization is not { } a || a.From is null || a.Nonce is null)
        {
            return false;
        }

        validBefore = long.TryParse(a.ValidBefore, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var vb) ? vb : long.MaxValue;
        key = new PaymentKey(offer.Asset.ToUpperInvariant(), a.From.ToUpperInvariant(), a.Nonce.ToUpperInvariant());
        return true;
    }

    private void SweepNowAndThen()
    {
        // At most once a second, and by one request at a time: the walk is O(claims).
        var now64 = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastSweep);
        if (now64 - last < SweepEveryMilliseconds || Interlocked.CompareExchange(ref _lastSweep, now64, last) != last)
        {
            return;
        }

        // After validBefore the facilitator refuses the payment anyway; the claim is no longer needed.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var (k, expires) in _claimed)
        {
            if (expires < now)
            {
                _claimed.TryRemove(k, out _);
            }
        }
    }

    /// <summary>
    /// A <c>centime-hashchain</c> payment: the first one of a channel opens it at the facilitator (settling the
    /// deposit); each one advances the channel by the price in units, checked by hashing the word back to the last
    /// one released. Nothing is settled per request; <see cref="ChannelBook.SettleAsync"/> settles the net.
    /// </summary>
    private async Task HashChainAsync(HttpContext http, PaymentPayload payment, PaymentRequirements offer, IReadOnlyList<PaymentRequirements> offers, ResourceInfo resource)
    {
        var accepted = payment.Accepted!;
        if (accepted.Network != offer.Network || !string.Equals(accepted.Asset, offer.Asset, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(accepted.PayTo, offer.PayTo, StringComparison.OrdinalIgnoreCase) || accepted.Amount != offer.Amount)
        {
            await ChallengeAsync(http, resource, offers, Match(payment, offer, v1: false) ?? X402ErrorReasons.InvalidPaymentRequirements);
            return;
        }

        HashChainPayload? p;
        try
        {
            p = payment.Payload.ValueKind == JsonValueKind.Object ? payment.Payload.Deserialize<HashChainPayload>(X402Headers.Json) : null;
        }
        catch (JsonException)
        {
            p = null;
        }

        if (p is null || !Hash32.TryParse(p.ChannelId, out var channelId) || !Hash32.TryParse(p.Word, out var word))
        {
            await ChallengeAsync(http, resource, offers, X402ErrorReasons.InvalidPayload);
            return;
        }

        var channel = _options.Channels.Get(channelId);
        if (channel is null)
        {
            var opened = await OpenChannelAsync(http, p, channelId, offer);
            if (opened.Error is not null)
            {
                await ChallengeAsync(http, resource, offers, opened.Error);
                return;
            }

            channel = opened.Channel!;
        }

        var price = UInt128.Parse(offer.Amount, System.Globalization.CultureInfo.InvariantCulture);
        if (price % channel.Resolved.Unit != UInt128.Zero || price / channel.Resolved.Unit > (UInt128)HashChain.MaxStep)
        {
            await ChallengeAsync(http, resource, offers, HashChainErrorReasons.InvalidTerms);
            return;
        }

        var steps = (long)(price / channel.Resolved.Unit);
        if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + _options.ChannelExpiryMarginSeconds >= channel.Terms.Expiry)
        {
            await ChallengeAsync(http, resource, offers, HashChainErrorReasons.ChannelExpired);
            return;
        }

        string? refusal = null;
        long previousIndex;
        Hash32 previousWord;
        lock (channel)
        {
            previousIndex = channel.Index;
            previousWord = channel.Word;
            var advance = p.Index - channel.Index;
            if (p.Index > channel.Terms.Capacity)
            {
                refusal = HashChainErrorReasons.ChannelExhausted;
            }
            else if (advance < steps || advance > HashChain.MaxStep)
            {
                refusal = HashChainErrorReasons.InvalidIndex;
            }
            else if (HashChain.Advance(word, advance) != channel.Word)
            {
                refusal = HashChainErrorReasons.InvalidWord;
            }
            else
            {
                channel.Index = p.Index;
                channel.Word = word;
            }
        }

        if (refusal is not null)
        {
            await ChallengeAsync(http, resource, offers, refusal);
            return;
        }

        var receipt = new SettleResponse
        {
            Success = true,
            Transaction = channelId.ToString(),
            Network = offer.Network,
            Payer = channel.Resolved.Payer.ToString(),
            Amount = offer.Amount,
        };
        http.Response.OnStarting(() =>
        {
            if (http.Response.StatusCode < 400)
            {
                http.Response.Headers[X402Headers.PaymentResponse] = X402Headers.Encode(receipt);
                http.Response.Headers.AccessControlExposeHeaders = X402Headers.PaymentResponse;
            }

            return Task.CompletedTask;
        });
        await _next(http);
        if (http.Response.StatusCode >= 400)
        {
            // Not served: give the units back if no later word moved the channel on.
            lock (channel)
            {
                if (channel.Index == p.Index)
                {
                    channel.Index = previousIndex;
                    channel.Word = previousWord;
                }
            }
        }
    }

    private async Task<(ServerChannel? Channel, string? Error)> OpenChannelAsync(HttpContext http, HashChainPayload p, Hash32 channelId, PaymentRequirements offer)
    {
        if (p.Terms is null || p.Deposit is null)
        {
            return (null, HashChainErrorReasons.UnknownChannel);
        }

        if (!p.Terms.TryResolve(out var resolved) || resolved.Id != channelId || resolved.PayTo.ToString() != Address.Parse(offer.PayTo).ToString()
            || !string.Equals(p.Terms.Asset, offer.Asset, StringComparison.OrdinalIgnoreCase) || p.Terms.Network != offer.Network)
        {
            return (null, HashChainErrorReasons.InvalidTerms);
        }

        ChannelResponse opened;
        try
        {
            opened = await ((IX402ChannelFacilitator)_options.Facilitator).OpenChannelAsync(new ChannelOpenRequest { Terms = p.Terms, Deposit = p.Deposit }, http.RequestAborted);
        }
        catch (X402FacilitatorException)
        {
            return (null, X402ErrorReasons.UnexpectedSettleError);
        }

        if (!opened.Success)
        {
            return (null, opened.ErrorReason ?? X402ErrorReasons.UnexpectedSettleError);
        }

        // The ledger says how far the channel was already paid (a channel this server forgot — after a restart, or
        // after closing it — resumes there): words up to that index are spent and never served again.
        if (opened.Closed || !Hash32.TryParse(opened.Word, out var paidWord) || opened.Index < 0 || opened.Index > p.Terms.Capacity)
        {
            return (null, HashChainErrorReasons.ChannelClosed);
        }

        var channel = new ServerChannel(channelId, p.Terms, resolved) { Index = opened.Index, Word = paidWord, SettledIndex = opened.Index };
        return (_options.Channels.Add(channel), null);
    }

    private static async Task ChallengeAsync(HttpContext http, ResourceInfo resource, IReadOnlyList<PaymentRequirements> offers, string error)
    {
        var challenge = new PaymentRequired { X402Version = 2, Error = error, Resource = resource, Accepts = offers, Extensions = [] };
        http.Response.StatusCode = StatusCodes.Status402PaymentRequired;
        http.Response.Headers[X402Headers.PaymentRequired] = X402Headers.Encode(challenge);
        http.Response.Headers.AccessControlExposeHeaders = X402Headers.PaymentRequired + ", " + X402Headers.PaymentResponse;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(challenge, X402Headers.Json), http.RequestAborted);
    }

    private static async Task FacilitatorUnavailableAsync(HttpContext http, X402FacilitatorException ex)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(
            new Dictionary<string, string> { ["error"] = "facilitator_unavailable", ["detail"] = ex.Message }, X402Headers.Json), http.RequestAborted);
    }

    private static string ResourceUrl(HttpRequest r) => string.Concat(r.Scheme, "://", r.Host.Value, r.PathBase.Value, r.Path.Value);

    private readonly record struct PaymentKey(string Asset, string Payer, string Nonce);
}

/// <summary>The one-liners: <c>app.UseX402(options)</c> and <c>.RequirePayment("0.01", "NUSD")</c>.</summary>
public static class X402ApplicationExtensions
{
    /// <summary>Adds the x402 middleware. Endpoints opt in with <see cref="RequirePayment"/>; others pass through.
    /// Call after routing (WebApplication routes first by itself) and before the endpoints run.</summary>
    public static IApplicationBuilder UseX402(this IApplicationBuilder app, X402Options options) =>
        app.UseMiddleware<X402Middleware>(options);

    /// <summary>Prices an endpoint: each call costs <paramref name="amount"/> (whole-coin decimal) of <paramref name="coin"/>.</summary>
    public static TBuilder RequirePayment<TBuilder>(this TBuilder builder, string amount, string coin, string? description = null, string? mimeType = null, string? payTo = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PriceTag(amount, coin, description, mimeType, payTo));
}
