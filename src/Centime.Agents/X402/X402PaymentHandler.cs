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

        var response = await base.SendAsync(request, cancellationToken);
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
        foreach (var offer in challenge.Accepts ?? [])
        {
            if (offer.Scheme != "exact" || !offer.Network.StartsWith("eip155:", StringComparison.Ordinal)
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
                From = signed.From, To = signed.To, Value = signed.Value, ValidAfter = signed.ValidAfter, ValidBefore = signed.ValidBefore, Nonce = signed.Nonce,
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
