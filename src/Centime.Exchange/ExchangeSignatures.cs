using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Exchange;

/// <summary>
/// EIP-712 messages of the exchange, under the domain <c>{name: "Centime Exchange", version: "1", chainId}</c> (the node's
/// network id, so a signature for one network is worthless on another):
/// <list type="bullet">
/// <item><c>FxRate(string feed,uint256 rate,uint256 observedAt)</c>, signed by a feed's signer;</item>
/// <item><c>SwapAcceptance(bytes32 id,address payer,address recipient,string fromCoin,string toCoin,uint256 amountIn,uint256 minOut,string route,uint256 expiry)</c>,
/// signed by the payer to accept a quote: the terms it shows (route, amounts, expiry) are exactly what runs.</item>
/// </list>
/// 128-bit ids are written big-endian into the low 16 bytes of a bytes32. The node recovers signers before the sequencer.
/// </summary>
public static class ExchangeSignatures
{
    /// <summary>The rate type string.</summary>
    public const string RateType = "FxRate(string feed,uint256 rate,uint256 observedAt)";

    /// <summary>The acceptance type string.</summary>
    public const string AcceptanceType =
        "SwapAcceptance(bytes32 id,address payer,address recipient,string fromCoin,string toCoin,uint256 amountIn,uint256 minOut,string route,uint256 expiry)";

    /// <summary>The domain: name "Centime Exchange", version "1", the node's chain id.</summary>
    public static Eip712Domain Domain(ulong chainId) => new("Centime Exchange", "1", chainId, null, null);

    private static readonly Hash32 RateTypeHash = Keccak(Encoding.UTF8.GetBytes(RateType));
    private static readonly Hash32 AcceptanceTypeHash = Keccak(Encoding.UTF8.GetBytes(AcceptanceType));
    private static (ulong ChainId, Hash32 Value)? _separator;

    // A node has one chain id: the separator is computed once, not per signature.
    private static Hash32 Separator(ulong chainId)
    {
        var cached = _separator;
        if (cached is not { } c || c.ChainId != chainId)
        {
            c = (chainId, Domain(chainId).Separator());
            _separator = c;
        }

        return c.Value;
    }

    /// <summary>The digest a feed signer signs.</summary>
    public static Hash32 RateDigest(ulong chainId, string feed, UInt128 rate, ulong observedAt)
    {
        var buffer = new byte[32 * 4];
        RateTypeHash.WriteTo(buffer);
        Keccak(Encoding.UTF8.GetBytes(feed)).WriteTo(buffer.AsSpan(32));
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(64 + 16), rate);
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(96 + 24), observedAt);
        return Eip712.Digest(Separator(chainId), Keccak(buffer));
    }

    /// <summary>The digest a payer signs to accept a quote.</summary>
    public static Hash32 AcceptanceDigest(ulong chainId, in SwapAcceptance a)
    {
        var buffer = new byte[32 * 10];
        AcceptanceTypeHash.WriteTo(buffer);
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(32 + 16), a.Id);
        a.Payer.ToBytes().CopyTo(buffer.AsSpan(64 + 12));
        a.Recipient.ToBytes().CopyTo(buffer.AsSpan(96 + 12));
        Keccak(Encoding.UTF8.GetBytes(a.FromCoin)).WriteTo(buffer.AsSpan(128));
        Keccak(Encoding.UTF8.GetBytes(a.ToCoin)).WriteTo(buffer.AsSpan(160));
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(192 + 16), a.AmountIn);
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(224 + 16), a.MinOut);
        Keccak(Encoding.UTF8.GetBytes(FormatRoute(a.Route))).WriteTo(buffer.AsSpan(256));
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(288 + 24), a.Expiry);
        return Eip712.Digest(Separator(chainId), Keccak(buffer));
    }

    /// <summary>Signs a rate (feed signers and tests).</summary>
    public static Signature SignRate(ReadOnlySpan<byte> privateKey, ulong chainId, string feed, UInt128 rate, ulong observedAt) =>
        Secp256k1.Default.Sign(privateKey, RateDigest(chainId, feed, rate, observedAt));

    /// <summary>Signs an acceptance (wallets and tests).</summary>
    public static Signature SignAcceptance(ReadOnlySpan<byte> privateKey, ulong chainId, in SwapAcceptance acceptance) =>
        Secp256k1.Default.Sign(privateKey, AcceptanceDigest(chainId, acceptance));

    /// <summary>The route as signed and shown: <c>pool:in&gt;out</c> per hop, joined by commas (e.g. <c>1:0&gt;1,2:1&gt;0</c>).</summary>
    public static string FormatRoute(IReadOnlyList<SwapHop> route) =>
        string.Join(',', route.Select(static h => string.Create(CultureInfo.InvariantCulture, $"{h.Pool}:{h.In}>{h.Out}")));

    /// <summary>Parses <see cref="FormatRoute"/>'s form; false for anything else (including more than two hops).</summary>
    public static bool TryParseRoute(string? text, out SwapHop[] route)
    {
        route = [];
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var parts = text.Split(',');
        if (parts.Length > ExchangeCommand.MaxHops)
        {
            return false;
        }

        var hops = new SwapHop[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = parts[i].Split(':');
            var arrow = colon.Length == 2 ? colon[1].Split('>') : [];
            if (arrow.Length != 2
                || !uint.TryParse(colon[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pool)
                || !byte.TryParse(arrow[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !byte.TryParse(arrow[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
            {
                return false;
            }

            hops[i] = new SwapHop(pool, from, to);
        }

        route = hops;
        return FormatRoute(hops) == text; // canonical only: one text per route
    }

    private static Hash32 Keccak(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        Keccak256.Hash(data, h);
        return Hash32.FromBytes(h);
    }
}

/// <summary>What a payer signs to accept a quote (<see cref="ExchangeSignatures.AcceptanceType"/>).</summary>
public readonly record struct SwapAcceptance(
    UInt128 Id, Address Payer, Address Recipient, string FromCoin, string ToCoin, UInt128 AmountIn, UInt128 MinOut, IReadOnlyList<SwapHop> Route, ulong Expiry);
