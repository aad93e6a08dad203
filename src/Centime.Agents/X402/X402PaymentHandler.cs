using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Agents.X402;

/// <summary>
/// An <see cref="HttpClient"/> handler that pays x402 v2 challenges: on a 402 with <c>PAYMENT-REQUIRED</c> it picks
/// the first <c>exact</c> EVM offer within <see cref="SpendingLimits"/>, signs an EIP-3009
/// <c>TransferWithAuthorization</c> for it with the wallet (offline: the domain comes from the offer) and retries
/// once with <c>PAYMENT-SIGNATURE</c>. A payment the limits forbid throws <see cref="X402PaymentRefusedException"/>;
/// it never pays silently beyond them. Spending is counted when signed, and given back only when the server
/// answers that it did not settle.
/// </summary>
public sealed class X402PaymentHandler : DelegatingHandler
{
    private readonly HolderSigner _signer;
    private readonly SpendingLimits _limits;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UInt128> _spentPerHost = new(StringComparer.OrdinalIgnoreCase);
    private UInt128 _spentToday;
    private DateOnly _day;

    public X402PaymentHandler(HolderSigner signer, SpendingLimits limits, HttpMessageHandler? inner = null, TimeProvider? time = null)
        : base(inner ?? new SocketsHttpHandler())
    {
        _signer = signer;
        _limits = limits;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Pays with a raw secp256k1 private key.</summary>
    public X402PaymentHandler(ReadOnlySpan<byte> privateKey, SpendingLimits limits, HttpMessageHandler? inner = null, TimeProvider? time = null)
        : this(new HolderSigner(privateKey), limits, inner, time)
    {
    }

    /// <summary>Pay <c>centime-hashchain</c> offers (when a server makes one) through channels of this many words
    /// (0: off, pay every request with <c>exact</c>). A channel's whole deposit (price × capacity) counts against
    /// the limits when it opens; later requests to the same URL carry the next word at once, without a 402.</summary>
    public int HashChainCapacity { get; init; }

    /// <summary>How long a channel stays open (its <c>expiry</c>); the server settles within it. One hour by default.</summary>
    public TimeSpan HashChainLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The paying address.</summary>
    public Address Payer => _signer.Address;

    /// <summary>Raised after each settled payment (the decoded <c>PAYMENT-RESPONSE</c>).</summary>
    public event Action<Uri, PaymentRequirements, SettleResponse>? Paid;

    /// <summary>Spent today (UTC), all hosts.</summary>
    public UInt128 SpentToday
    {
        get
        {
            lock (_gate)
            {
                RollDay();
                return _spentToday;
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The body may be needed twice: buffer it before the first send.
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken);
        }

        var url = request.Method.Method + " " + request.RequestUri;
        HttpResponseMessage response;
        if (HashChainCapacity > 0 && !request.Headers.Contains(X402Headers.PaymentSignature)
            && _preemptive.TryGetValue(url, out var known) && NextWord(known.Channel, known.Challenge, known.Offer) is { } preemptive)
        {
            using var paidAtOnce = await CloneAsync(request, cancellationToken);
            paidAtOnce.Headers.Add(X402Headers.PaymentSignature, X402Headers.Encode(preemptive));
            response = await base.SendAsync(paidAtOnce, cancellationToken);
            if ((int)response.StatusCode != 402)
            {
                return response;
            }

            // Refused (e.g. a concurrent word overtook this one): answer the fresh challenge below, once.
        }
        else
        {
            response = await base.SendAsync(request, cancellationToken);
        }

        if ((int)response.StatusCode != 402 || request.Headers.Contains(X402Headers.PaymentSignature))
        {
            return response;
        }

        if (!response.Headers.TryGetValues(X402Headers.PaymentRequired, out var values)
            || !X402Headers.TryDecode<PaymentRequired>(values.FirstOrDefault(), out var challenge))
        {
            // A v1 server (challenge in the body) or no x402 at all: hand the 402 back unchanged.
            return response;
        }

        var host = request.RequestUri!.Authority;
        var (offer, chainId) = Choose(challenge);
        if (offer.Scheme == HashChain.Scheme)
        {
            return await PayWithChannelAsync(request, response, url, host, challenge, offer, chainId, cancellationToken);
        }

        var amount = UInt128.Parse(offer.Amount, CultureInfo.InvariantCulture);
        Reserve(host, amount);
        HttpResponseMessage paid;
        try
        {
            var payment = Sign(challenge, offer, chainId, amount);
            using var retry = await CloneAsync(request, cancellationToken);
            retry.Headers.Add(X402Headers.PaymentSignature, X402Headers.Encode(payment));
            response.Dispose();
            paid = await base.SendAsync(retry, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not HttpRequestException)
        {
            Release(host, amount);
            throw;
        }

        SettleResponse? settlement = null;
        if (paid.Headers.TryGetValues(X402Headers.PaymentResponse, out var settled))
        {
            X402Headers.TryDecode(settled.FirstOrDefault(), out settlement);
        }

        if ((int)paid.StatusCode == 402 && settlement is not { Success: true })
        {
            // Refused or not settled: the signed authorization moved nothing.
            Release(host, amount);
        }
        else if (settlement is { Success: true })
        {
            Paid?.Invoke(request.RequestUri, offer, settlement);
        }

        return paid;
    }

    private (PaymentRequirements Offer, ulong ChainId) Choose(PaymentRequired challenge)
    {
        var sawSupported = false;
        PaymentRequirements? tooExpensive = null;
        var offers = challenge.Accepts ?? [];
        if (HashChainCapacity > 0)
        {
            // Channels first: a hash-chain offer is the cheap way to pay the same server many times.
            offers = [.. offers.Where(o => o.Scheme == HashChain.Scheme), .. offers.Where(o => o.Scheme != HashChain.Scheme)];
        }

        foreach (var offer in offers)
        {
            if ((offer.Scheme != "exact" && (offer.Scheme != HashChain.Scheme || HashChainCapacity <= 0)) || !offer.Network.StartsWith("eip155:", StringComparison.Ordinal)
                || !ulong.TryParse(offer.Network.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var chainId)
                || offer.ExtraString("name") is null || offer.ExtraString("version") is null
                || !Address.TryParse(offer.Asset, out _) || !Address.TryParse(offer.PayTo, out _)
                || !UInt128.TryParse(offer.Amount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount == UInt128.Zero
                || (offer.ExtraString("assetTransferMethod") is { } method && method != "eip3009"))
            {
                continue;
            }

            sawSupported = true;
            if ((_limits.AllowedAssets is { } assets && !assets.Contains(offer.Asset) && !assets.Contains(offer.Asset.ToLowerInvariant()))
                || (_limits.AllowedNetworks is { } networks && !networks.Contains(offer.Network)))
            {
                continue;
            }

            if (amount > _limits.MaxPerPayment)
            {
                tooExpensive ??= offer;
                continue;
            }

            return (offer, chainId);
        }

        if (tooExpensive is not null)
        {
            throw new X402PaymentRefusedException(PaymentRefusal.ExceedsPerPayment,
                $"x402: the price {tooExpensive.Amount} of {tooExpensive.Asset} exceeds the per-payment limit {_limits.MaxPerPayment}");
        }

        throw sawSupported
            ? new X402PaymentRefusedException(PaymentRefusal.AssetNotAllowed, "x402: no offered asset/network is allowed by the spending limits")
            : new X402PaymentRefusedException(PaymentRefusal.NoSupportedOffer, "x402: no offer uses the exact scheme (EIP-3009) on an eip155 network with extra.name/version");
    }

    private sealed class ClientChannel(ChannelTerms terms, Hash32 id, Hash32[] words, ExactEvmPayload deposit, string host, UInt128 reserved)
    {
        public ChannelTerms Terms { get; } = terms;
        public Hash32 Id { get; } = id;
        public Hash32[] Words { get; } = words;
        public ExactEvmPayload Deposit { get; } = deposit;
        public string Host { get; } = host;
        public UInt128 Reserved { get; } = reserved;
        public long Next;
        public volatile bool Opened;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ClientChannel> _channels = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ClientChannel Channel, PaymentRequired Challenge, PaymentRequirements Offer)> _preemptive = new(StringComparer.Ordinal);

    private async Task<HttpResponseMessage> PayWithChannelAsync(HttpRequestMessage request, HttpResponseMessage challengeResponse, string url, string host,
        PaymentRequired challenge, PaymentRequirements offer, ulong chainId, CancellationToken cancellationToken)
    {
        var key = string.Join('|', host, offer.Network, offer.Asset.ToUpperInvariant(), offer.PayTo.ToUpperInvariant(), offer.Amount);
        PaymentPayload? payment = null;
        ClientChannel? channel = null;
        for (var attempt = 0; attempt < 2 && payment is null; attempt++)
        {
            channel = _channels.GetOrAdd(key, _ => OpenChannel(host, offer, chainId));
            payment = NextWord(channel, challenge, offer);
            if (payment is null)
            {
                // Spent: the server closes it; open a new one.
                _channels.TryRemove(new KeyValuePair<string, ClientChannel>(key, channel));
            }
        }

        using var retry = await CloneAsync(request, cancellationToken);
        retry.Headers.Add(X402Headers.PaymentSignature, X402Headers.Encode(payment!));
        challengeResponse.Dispose();
        var paid = await base.SendAsync(retry, cancellationToken);
        if ((int)paid.StatusCode != 402)
        {
            channel!.Opened = true;
            _preemptive[url] = (channel, challenge, offer);
        }
        else if (!channel!.Opened && _channels.TryRemove(new KeyValuePair<string, ClientChannel>(key, channel)))
        {
            // The channel never opened: its deposit was not taken.
            Release(channel.Host, channel.Reserved);
        }

        return paid;
    }

    private ClientChannel OpenChannel(string host, PaymentRequirements offer, ulong chainId)
    {
        var unit = UInt128.Parse(offer.Amount, CultureInfo.InvariantCulture);
        var capacity = (ulong)HashChainCapacity;

        // A smaller channel when the day's budget left cannot hold a full one; none (a refusal) when not one unit fits.
        lock (_gate)
        {
            RollDay();
            var hostSpent = _spentPerHost.GetValueOrDefault(host);
            var hostRoom = _limits.MaxPerHostPerDay > hostSpent ? _limits.MaxPerHostPerDay - hostSpent : UInt128.Zero;
            var dayRoom = _limits.MaxPerDay > _spentToday ? _limits.MaxPerDay - _spentToday : UInt128.Zero;
            var fit = UInt128.Min(hostRoom, dayRoom) / unit;
            capacity = fit < capacity ? (ulong)fit : capacity;
        }

        if (capacity == 0)
        {
            Reserve(host, unit);   // throws the refusal that applies
            Release(host, unit);
            throw new X402PaymentRefusedException(PaymentRefusal.ExceedsPerDay, "x402: the day's budget left cannot hold one payment");
        }

        var deposit = unit * capacity;
        Reserve(host, deposit);
        var words = HashChain.Generate(HolderSigner.NewNonce(), (int)capacity);
        var expiry = (ulong)_time.GetUtcNow().Add(HashChainLifetime).ToUnixTimeSeconds();
        var payTo = Address.Parse(offer.PayTo);
        var asset = Address.Parse(offer.Asset);
        var id = HashChain.ChannelId(_signer.Address, payTo, asset, chainId, unit, capacity, words[0], expiry);
        var terms = new ChannelTerms
        {
            Payer = _signer.Address.ToString(),
            PayTo = payTo.ToString(),
            Asset = offer.Asset,
            Network = offer.Network,
            Unit = offer.Amount,
            Capacity = (long)capacity,
            Root = words[0].ToString(),
            Expiry = (long)expiry,
        };
        var domain = new Eip712Domain(offer.ExtraString("name")!, offer.ExtraString("version")!, chainId, offer.Asset);
        var now = (ulong)_time.GetUtcNow().ToUnixTimeSeconds();
        var signed = _signer.SignAuthorization(domain, HashChain.Escrow(id), deposit, 0, now + (ulong)Math.Max(offer.MaxTimeoutSeconds, 60), id);
        var exact = new ExactEvmPayload
        {
            Signature = signed.Signature!,
            Authorization = new ExactEvmAuthorization { From = signed.From, To = signed.To, Value = signed.Value, ValidAfter = signed.ValidAfter, ValidBefore = signed.ValidBefore, Nonce = signed.Nonce },
        };
        return new ClientChannel(terms, id, words, exact, host, deposit);
    }

    /// <summary>The next word of a channel as a payment, or null when the channel is spent.</summary>
    private static PaymentPayload? NextWord(ClientChannel channel, PaymentRequired challenge, PaymentRequirements offer)
    {
        var index = Interlocked.Increment(ref channel.Next);
        if (index >= channel.Words.Length)
        {
            return null;
        }

        var opened = channel.Opened;
        var payload = new HashChainPayload
        {
            ChannelId = channel.Id.ToString(),
            Index = index,
            Word = channel.Words[index].ToString(),
            Terms = opened ? null : channel.Terms,
            Deposit = opened ? null : channel.Deposit,
        };
        return new PaymentPayload
        {
            X402Version = 2,
            Resource = challenge.Resource,
            Accepted = offer,
            Payload = JsonSerializer.SerializeToElement(payload, X402Headers.Json),
            Extensions = challenge.Extensions ?? [],
        };
    }

    private void Reserve(string host, UInt128 amount)
    {
        lock (_gate)
        {
            RollDay();
            var hostSpent = _spentPerHost.GetValueOrDefault(host);
            if (amount > _limits.MaxPerHostPerDay || hostSpent > _limits.MaxPerHostPerDay - amount)
            {
                throw new X402PaymentRefusedException(PaymentRefusal.ExceedsPerHostPerDay,
                    $"x402: paying {amount} to {host} would pass its daily limit {_limits.MaxPerHostPerDay} (spent {hostSpent} today)");
            }

            if (amount > _limits.MaxPerDay || _spentToday > _limits.MaxPerDay - amount)
            {
                throw new X402PaymentRefusedException(PaymentRefusal.ExceedsPerDay,
                    $"x402: paying {amount} would pass the daily limit {_limits.MaxPerDay} (spent {_spentToday} today)");
            }

            _spentPerHost[host] = hostSpent + amount;
            _spentToday += amount;
        }
    }

    private void Release(string host, UInt128 amount)
    {
        lock (_gate)
        {
            // A day rollover since Reserve already cleared the counters.
            if (_spentPerHost.TryGetValue(host, out var spent) && spent >= amount && _spentToday >= amount)
            {
                _spentPerHost[host] = spent - amount;
                _spentToday -= amount;
            }
        }
    }

    private void RollDay()
    {
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        if (today != _day)
        {
            _day = today;
            _spentToday = UInt128.Zero;
            _spentPerHost.Clear();
        }
    }

    private PaymentPayload Sign(PaymentRequired challenge, PaymentRequirements offer, ulong chainId, UInt128 amount)
    {
        var domain = new Eip712Domain(offer.ExtraString("name")!, offer.ExtraString("version")!, chainId, offer.Asset);
        var now = (ulong)_time.GetUtcNow().ToUnixTimeSeconds();
        var signed = _signer.SignAuthorization(domain, Address.Parse(offer.PayTo), amount, 0, now + (ulong)Math.Max(offer.MaxTimeoutSeconds, 0));
        var exact = new ExactEvmPayload
        {
            Signature = signed.Signature!,
            Authorization = new ExactEvmAuthorization
            {
                From = signed.From,
                To = signed.To,
                Value = signed.Value,
                ValidAfter = signed.ValidAfter,
                ValidBefore = signed.ValidBefore,
                Nonce = signed.Nonce,
            },
        };
        return new PaymentPayload
        {
            X402Version = 2,
            Resource = challenge.Resource,
            Accepted = offer,
            Payload = JsonSerializer.SerializeToElement(exact, X402Headers.Json),
            Extensions = challenge.Extensions ?? [],
        };
    }

    private static async Task<HttpRequestMessage> CloneAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var (name, value) in request.Headers)
        {
            clone.Headers.TryAddWithoutValidation(name, value);
        }

        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            clone.Content = new ByteArrayContent(bytes);
            foreach (var (name, value) in request.Content.Headers)
            {
                clone.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        foreach (var (key, value) in request.Options)
        {
            ((IDictionary<string, object?>)clone.Options)[key] = value;
        }

        return clone;
    }
}
