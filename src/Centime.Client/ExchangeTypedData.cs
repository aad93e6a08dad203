using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Client;

/// <summary>
/// The exchange's EIP-712 messages as eth_signTypedData_v4 JSON, under the domain <c>{name: "Centime Exchange", version: "1", chainId}</c>
/// (docs/api.md, "Exchange"): what wallets (ethers, MetaMask, <c>centime wallet sign</c>) sign. The node checks the same
/// digests with its own encoder (<c>ExchangeSignatures</c>), so the two must agree (tested).
/// </summary>
public static class ExchangeTypedData
{
    /// <summary>EIP-712 domain name.</summary>
    public const string DomainName = "Centime Exchange";

    /// <summary>EIP-712 domain version.</summary>
    public const string DomainVersion = "1";

    /// <summary>A 128-bit id as the bytes32 of the message: big-endian in the low 16 bytes.</summary>
    public static string IdBytes32(UInt128 id) => "0x" + new string('0', 32) + id.ToString("x32", CultureInfo.InvariantCulture);

    /// <summary>The SwapAcceptance a payer signs to accept a quote; amounts are raw units, <paramref name="route"/> the route text.</summary>
    public static string Acceptance(ulong chainId, UInt128 id, Address payer, Address recipient, string fromCoin, string toCoin, UInt128 amountIn, UInt128 minOut, string route, ulong expiry) =>
        Build(chainId, "SwapAcceptance",
            [("id", "bytes32"), ("payer", "address"), ("recipient", "address"), ("fromCoin", "string"), ("toCoin", "string"),
             ("amountIn", "uint256"), ("minOut", "uint256"), ("route", "string"), ("expiry", "uint256")],
            [IdBytes32(id), payer.ToString(), recipient.ToString(), fromCoin, toCoin, Dec(amountIn), Dec(minOut), route, Dec(expiry)]);

    /// <summary>The FxRate a feed signer signs; <paramref name="rate"/> on the 1e18 scale (7.8 = 7800000000000000000).</summary>
    public static string Rate(ulong chainId, string feed, UInt128 rate, ulong observedAt) =>
        Build(chainId, "FxRate", [("feed", "string"), ("rate", "uint256"), ("observedAt", "uint256")], [feed, Dec(rate), Dec(observedAt)]);

    /// <summary>Parses a non-negative decimal ("7.80") into an integer with <paramref name="decimals"/> implied decimals, exactly.</summary>
    public static bool TryParseDecimal(string? text, int decimals, out UInt128 value) =>
        CoinUnits.TryParse(text ?? "", decimals, out value, out _) && !(text ?? "").Contains('_', StringComparison.Ordinal);

    /// <summary>Formats an integer with <paramref name="decimals"/> implied decimals, without trailing zeros ("7.8", "4", "0.05").</summary>
    public static string FormatDecimal(BigInteger value, int decimals)
    {
        var text = CoinUnits.Format(value.ToString(CultureInfo.InvariantCulture), decimals);
        return text.Contains('.', StringComparison.Ordinal) ? text.TrimEnd('0').TrimEnd('.') : text;
    }

    private static string Build(ulong chainId, string primaryType, (string Name, string Type)[] fields, string[] values)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("types");
            w.WriteStartArray("EIP712Domain");
            Member(w, "name", "string");
            Member(w, "version", "string");
            Member(w, "chainId", "uint256");
            w.WriteEndArray();
            w.WriteStartArray(primaryType);
            foreach (var (name, type) in fields)
            {
                Member(w, name, type);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteString("primaryType", primaryType);
            w.WriteStartObject("domain");
            w.WriteString("name", DomainName);
            w.WriteString("version", DomainVersion);
            w.WriteNumber("chainId", chainId);
            w.WriteEndObject();
            w.WriteStartObject("message");
            for (var i = 0; i < fields.Length; i++)
            {
                w.WriteString(fields[i].Name, values[i]);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Member(Utf8JsonWriter w, string name, string type)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("type", type);
        w.WriteEndObject();
    }

    private static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Dec(ulong v) => v.ToString(CultureInfo.InvariantCulture);
}

public sealed partial class HolderSigner
{
    /// <summary>
    /// Accepts a quote made out to this signer (<see cref="QuoteView.Payer"/>): signs the SwapAcceptance of the quote's own
    /// terms — built here from its fields, not from the node's typed data — and answers the payment request to send.
    /// </summary>
    public PaymentRequest SignAcceptance(QuoteView quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        var recipient = Centime.Ledger.Address.Parse(quote.Recipient ?? quote.Payer ?? Address.ToString());
        if (quote.Payer is { } payer && Centime.Ledger.Address.Parse(payer) != Address)
        {
            throw new ArgumentException($"The quote is for payer {payer}, not this signer ({Address}).", nameof(quote));
        }

        return SignAcceptance(UInt128.Parse(quote.Id, CultureInfo.InvariantCulture), recipient, quote.From, quote.To,
            UInt128.Parse(quote.AmountIn, CultureInfo.InvariantCulture), UInt128.Parse(quote.MinOut, CultureInfo.InvariantCulture), quote.Route, quote.Expiry, quote.ChainId);
    }

    /// <summary>Signs a SwapAcceptance of these exact terms (raw amounts, route text) and answers the payment request.</summary>
    public PaymentRequest SignAcceptance(UInt128 id, Address recipient, string fromCoin, string toCoin, UInt128 amountIn, UInt128 minOut, string route, ulong expiry, ulong chainId)
    {
        var typed = TypedData.Parse(ExchangeTypedData.Acceptance(chainId, id, Address, recipient, fromCoin, toCoin, amountIn, minOut, route, expiry));
        return new PaymentRequest(Dec(id), Address.ToString(), recipient.ToString(), fromCoin, toCoin, Dec(amountIn), Dec(minOut), route, expiry,
            _backend.Sign(_privateKey, typed.Digest()).ToHex());
    }

    /// <summary>As a feed signer, signs a rate (decimal, e.g. "7.80") observed at <paramref name="observedAt"/> (Unix seconds) for the
    /// node with network id <paramref name="chainId"/>.</summary>
    public RateRequest SignRate(string feed, string rate, ulong observedAt, ulong chainId)
    {
        if (!ExchangeTypedData.TryParseDecimal(rate, 18, out var raw))
        {
            throw new ArgumentException($"'{rate}' is not a decimal rate with at most 18 decimal places.", nameof(rate));
        }

        var typed = TypedData.Parse(ExchangeTypedData.Rate(chainId, feed, raw, observedAt));
        return new RateRequest(rate, observedAt, _backend.Sign(_privateKey, typed.Digest()).ToHex());
    }
}
