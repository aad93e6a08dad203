using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Serialization;
using Centime.Ledger;

namespace Centime.Agents.X402;

/// <summary>
/// Centime's high-frequency x402 scheme, <c>centime-hashchain</c> (docs/x402.md): a PayWord channel
/// (Rivest–Shamir 1996). The payer commits once to the root of a keccak-256 hash chain and deposits
/// <c>unit × capacity</c> into the channel's escrow with one EIP-3009 authorization (nonce = channel id); each
/// paid request then reveals the next word. The server checks a word with one keccak per unit (~0.5 µs) instead
/// of an ECDSA recovery, and settles the net on the ledger periodically or on close: word <c>i</c> proves that
/// the payer consented to pay <c>i × unit</c>.
/// </summary>
public static class HashChain
{
    public const string Scheme = "centime-hashchain";

    /// <summary>Longest chain a facilitator settles (the settlement hashes up to this many times).</summary>
    public const long MaxCapacity = 1_000_000;

    /// <summary>Most units one request may advance (the server hashes that many times).</summary>
    public const int MaxStep = 4096;

    public static Hash32 Next(in Hash32 word)
    {
        Span<byte> input = stackalloc byte[32];
        Span<byte> output = stackalloc byte[32];
        word.WriteTo(input);
        Keccak256.Hash(input, output);
        return Hash32.FromBytes(output);
    }

    /// <summary>Hashes <paramref name="steps"/> times.</summary>
    public static Hash32 Advance(Hash32 word, long steps)
    {
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        word.WriteTo(a);
        for (long i = 0; i < steps; i++)
        {
            Keccak256.Hash(a, b);
            b.CopyTo(a);
        }

        return Hash32.FromBytes(a);
    }

    /// <summary>The words of a chain from a secret seed: <c>words[0]</c> is the root, <c>words[i]</c> pays i units,
    /// <c>words[capacity]</c> is the seed.</summary>
    public static Hash32[] Generate(in Hash32 seed, int capacity)
    {
        var words = new Hash32[capacity + 1];
        words[capacity] = seed;
        for (var i = capacity - 1; i >= 0; i--)
        {
            words[i] = Next(words[i + 1]);
        }

        return words;
    }

    /// <summary>keccak256("centime:x402-channel" ‖ payer ‖ payTo ‖ asset ‖ chainId u64 ‖ unit u128 ‖ capacity u64 ‖ root ‖ expiry u64),
    /// integers big-endian. It is the deposit authorization's nonce, so the signed deposit commits to the terms.</summary>
    public static Hash32 ChannelId(Address payer, Address payTo, Address asset, ulong chainId, UInt128 unit, ulong capacity, in Hash32 root, ulong expiry)
    {
        Span<byte> data = stackalloc byte[20 + 20 + 20 + 20 + 8 + 16 + 8 + 32 + 8];
        "centime:x402-channel"u8.CopyTo(data);
        payer.WriteTo(data[20..]);
        payTo.WriteTo(data[40..]);
        asset.WriteTo(data[60..]);
        BinaryPrimitives.WriteUInt64BigEndian(data[80..], chainId);
        BinaryPrimitives.WriteUInt128BigEndian(data[88..], unit);
        BinaryPrimitives.WriteUInt64BigEndian(data[104..], capacity);
        root.WriteTo(data[112..]);
        BinaryPrimitives.WriteUInt64BigEndian(data[144..], expiry);
        return Hash32.FromBytes(Keccak256.Hash(data));
    }

    /// <summary>The escrow holding a channel's deposit: <c>Address.Derive("x402-channel:" + channelId)</c> (no key exists).</summary>
    public static Address Escrow(in Hash32 channelId) => Address.Derive("x402-channel:" + channelId.ToString());
}

/// <summary>The terms a payer commits to when opening a channel (all strings as on the x402 wire).</summary>
public sealed record ChannelTerms
{
    [JsonPropertyName("payer")] public required string Payer { get; init; }
    [JsonPropertyName("payTo")] public required string PayTo { get; init; }
    [JsonPropertyName("asset")] public required string Asset { get; init; }
    [JsonPropertyName("network")] public required string Network { get; init; }

    /// <summary>Atomic units per word.</summary>
    [JsonPropertyName("unit")] public required string Unit { get; init; }
    [JsonPropertyName("capacity")] public required long Capacity { get; init; }
    [JsonPropertyName("root")] public required string Root { get; init; }

    /// <summary>Unix seconds; after it the payer's unspent deposit can be refunded.</summary>
    [JsonPropertyName("expiry")] public required long Expiry { get; init; }

    /// <summary>Parses and derives the channel id; false for malformed terms.</summary>
    public bool TryResolve(out ResolvedChannel channel)
    {
        channel = default;
        if (!Address.TryParse(Payer, out var payer) || !Address.TryParse(PayTo, out var payTo) || !Address.TryParse(Asset, out var asset)
            || !Network.StartsWith("eip155:", StringComparison.Ordinal) || !ulong.TryParse(Network.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var chainId)
            || !UInt128.TryParse(Unit, NumberStyles.None, CultureInfo.InvariantCulture, out var unit) || unit == UInt128.Zero
            || Capacity is <= 0 or > HashChain.MaxCapacity || Expiry <= 0 || !Hash32.TryParse(Root, out var root))
        {
            return false;
        }

        var id = HashChain.ChannelId(payer, payTo, asset, chainId, unit, (ulong)Capacity, root, (ulong)Expiry);
        channel = new ResolvedChannel(id, HashChain.Escrow(id), payer, payTo, asset, chainId, unit, (ulong)Capacity, root, (ulong)Expiry);
        return true;
    }
}

/// <summary>Parsed channel terms with their id and escrow.</summary>
public readonly record struct ResolvedChannel(Hash32 Id, Address Escrow, Address Payer, Address PayTo, Address Asset, ulong ChainId, UInt128 Unit, ulong Capacity, Hash32 Root, ulong Expiry)
{
    /// <summary>unit × capacity, or null on overflow.</summary>
    public UInt128? Deposit => Capacity == 0 || Unit <= UInt128.MaxValue / Capacity ? Unit * Capacity : null;
}

/// <summary>The <c>payload</c> of a <c>centime-hashchain</c> payment. The first payment of a channel also carries
/// <see cref="Terms"/> and <see cref="Deposit"/> (an exact EVM payload paying the deposit to the escrow).</summary>
public sealed record HashChainPayload
{
    [JsonPropertyName("channelId")] public required string ChannelId { get; init; }
    [JsonPropertyName("index")] public required long Index { get; init; }
    [JsonPropertyName("word")] public required string Word { get; init; }
    [JsonPropertyName("terms")] public ChannelTerms? Terms { get; init; }
    [JsonPropertyName("deposit")] public ExactEvmPayload? Deposit { get; init; }
}

/// <summary>Body of the facilitator's <c>POST /x402/channels/open</c>.</summary>
public sealed record ChannelOpenRequest
{
    [JsonPropertyName("terms")] public required ChannelTerms Terms { get; init; }
    [JsonPropertyName("deposit")] public required ExactEvmPayload Deposit { get; init; }
}

/// <summary>Body of the facilitator's <c>POST /x402/channels/settle</c>: pay the payee up to word <c>index</c>;
/// with <c>close</c>, also refund the rest to the payer (only once the channel expired or is spent).</summary>
public sealed record ChannelSettleRequest
{
    [JsonPropertyName("terms")] public required ChannelTerms Terms { get; init; }
    [JsonPropertyName("index")] public required long Index { get; init; }
    [JsonPropertyName("word")] public required string Word { get; init; }
    [JsonPropertyName("close")] public bool Close { get; init; }
}

/// <summary>Answer of the channel endpoints.</summary>
public sealed record ChannelResponse
{
    [JsonPropertyName("success")] public bool Success { get; init; }
    [JsonPropertyName("errorReason")] public string? ErrorReason { get; init; }
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("channelId")] public string? ChannelId { get; init; }
    [JsonPropertyName("escrow")] public string? Escrow { get; init; }

    /// <summary>The ledger transfer(s) this call made, 0x-hex ids (deposit, payment, refund).</summary>
    [JsonPropertyName("transactions")] public IReadOnlyList<string> Transactions { get; init; } = [];

    /// <summary>Atomic units paid to the payee so far.</summary>
    [JsonPropertyName("paid")] public string? Paid { get; init; }

    /// <summary>Atomic units left in escrow.</summary>
    [JsonPropertyName("remaining")] public string? Remaining { get; init; }

    /// <summary>How many words the ledger has paid (words up to it are spent), and word <see cref="Index"/> itself
    /// (the root while nothing was paid): a resource server that forgot the channel resumes from here.</summary>
    [JsonPropertyName("index")] public long Index { get; init; }

    [JsonPropertyName("word")] public string? Word { get; init; }

    /// <summary>True once the channel was closed (refunded): it never opens again.</summary>
    [JsonPropertyName("closed")] public bool Closed { get; init; }

    public static ChannelResponse Failed(string reason, string? message = null) => new() { Success = false, ErrorReason = reason, ErrorMessage = message };
}

/// <summary>A facilitator that also runs <c>centime-hashchain</c> channels (the node's does, in process and over HTTP).</summary>
public interface IX402ChannelFacilitator
{
    Task<ChannelResponse> OpenChannelAsync(ChannelOpenRequest request, CancellationToken cancellationToken = default);

    Task<ChannelResponse> SettleChannelAsync(ChannelSettleRequest request, CancellationToken cancellationToken = default);
}
