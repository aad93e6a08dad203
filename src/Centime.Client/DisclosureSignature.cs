using System.Text;
using System.Text.Json;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Client;

/// <summary>The signature block of a signed disclosure report (docs/transparency.md §4).</summary>
/// <param name="Scheme">Always <see cref="DisclosureSignature.Scheme"/>.</param>
/// <param name="Signer">The issuer's address (EIP-55).</param>
/// <param name="ReportHash">keccak256 of the report's JSON bytes, 0x-hex.</param>
/// <param name="Signature">65 bytes r ‖ s ‖ v (v 27/28), 0x-hex.</param>
public sealed record DisclosureSignatureBlock(string Scheme, string Signer, string ReportHash, string Signature);

/// <summary>The outcome of checking a signed report offline.</summary>
/// <param name="IsValid">The signature recovers to the signer named in the file (and to the expected signer, if one was given).</param>
/// <param name="Code"><c>valid</c>, <c>malformed_report</c>, <c>report_hash_mismatch</c>, <c>signature_invalid</c>, <c>signer_mismatch</c> or <c>unexpected_signer</c>.</param>
/// <param name="Reason">What was found.</param>
/// <param name="Signer">The recovered signer, when the signature recovers at all.</param>
public sealed record DisclosureVerdict(bool IsValid, string Code, string Reason, string? Signer);

/// <summary>
/// Signs and checks disclosure reports the way Ethereum wallets sign messages (EIP-191 <c>personal_sign</c>):
/// <code>
/// reportHash = keccak256(report bytes)                       the "report" value exactly as written in the file
/// digest     = keccak256("\x19Ethereum Signed Message:\n32" ‖ reportHash)
/// signature  = secp256k1 sign(digest) → r ‖ s ‖ v, low s, v ∈ {27, 28}
/// </code>
/// So <c>ethers.verifyMessage(ethers.getBytes(reportHash), signature)</c> returns the same signer. A file is
/// <c>{"report":{…},"signature":{…}}</c>; the signed bytes are the report member's value byte for byte, so the file
/// must not be re-formatted (the node writes it compactly).
/// </summary>
public static class DisclosureSignature
{
    public const string Scheme = "eip191-personal-sign-keccak256";

    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("\x19" + "Ethereum Signed Message:\n32");

    /// <summary>keccak256 of the report bytes.</summary>
    public static Hash32 ReportHash(ReadOnlySpan<byte> report) => Hash32.FromBytes(Keccak256.Hash(report));

    /// <summary>The EIP-191 personal-message digest of a report hash.</summary>
    public static Hash32 Digest(in Hash32 reportHash)
    {
        Span<byte> message = stackalloc byte[Prefix.Length + Hash32.Size];
        Prefix.CopyTo(message);
        reportHash.WriteTo(message[Prefix.Length..]);
        return Hash32.FromBytes(Keccak256.Hash(message));
    }

    /// <summary>Signs <paramref name="report"/> (compact JSON bytes) with the issuer's private key.</summary>
    public static DisclosureSignatureBlock Sign(ReadOnlySpan<byte> report, ReadOnlySpan<byte> privateKey32)
    {
        var backend = Secp256k1.Default;
        var hash = ReportHash(report);
        var signature = backend.Sign(privateKey32, Digest(hash));
        return new DisclosureSignatureBlock(Scheme, backend.AddressOf(privateKey32).ToString(), hash.ToString(), signature.ToHex());
    }

    /// <summary>Writes the signed file: <c>{"report":&lt;report bytes verbatim&gt;,"signature":{…}}</c>.</summary>
    public static byte[] Envelope(ReadOnlySpan<byte> report, DisclosureSignatureBlock signature)
    {
        using var buffer = new MemoryStream();
        buffer.Write("{\"report\":"u8);
        buffer.Write(report);
        buffer.Write(",\"signature\":"u8);
        buffer.Write(JsonSerializer.SerializeToUtf8Bytes(signature, JsonSerializerOptions.Web));
        buffer.Write("}"u8);
        return buffer.ToArray();
    }

    /// <summary>
    /// Checks a signed report offline: the report hash matches the report bytes, and the signature recovers to the
    /// signer the file names (and to <paramref name="expectedSigner"/> when given: the issuer address you trust).
    /// </summary>
    public static DisclosureVerdict Verify(ReadOnlySpan<byte> file, Address? expectedSigner = null)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(file);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            return new DisclosureVerdict(false, "malformed_report", "not JSON: " + ex.Message, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("report", out var report) || report.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("signature", out var block) || block.ValueKind != JsonValueKind.Object)
            {
                return new DisclosureVerdict(false, "malformed_report", "expected {\"report\":{…},\"signature\":{…}}", null);
            }

            string? scheme = Text(block, "scheme"), signerText = Text(block, "signer"), hashText = Text(block, "reportHash"), sigText = Text(block, "signature");
            if (scheme != Scheme)
            {
                return new DisclosureVerdict(false, "malformed_report", $"signature scheme '{scheme}' is not {Scheme}", null);
            }

            if (!Address.TryParse(signerText, out var named) || !Hash32.TryParse(hashText, out var claimedHash) || !Crypto.Signature.TryParse(sigText, out var signature))
            {
                return new DisclosureVerdict(false, "malformed_report", "signature block needs signer (address), reportHash (0x + 64 hex) and signature (0x + 130 hex)", null);
            }

            // The exact bytes of the report value as they appear in the file.
            var reportBytes = Encoding.UTF8.GetBytes(report.GetRawText());
            var hash = ReportHash(reportBytes);
            if (hash != claimedHash)
            {
                return new DisclosureVerdict(false, "report_hash_mismatch", $"the report hashes to {hash}, the signature block says {claimedHash}: the report was changed after signing", null);
            }

            if (!Secp256k1.Default.TryRecover(Digest(hash), signature, out var recovered))
            {
                return new DisclosureVerdict(false, "signature_invalid", "the signature does not recover to any key", null);
            }

            if (recovered != named)
            {
                return new DisclosureVerdict(false, "signer_mismatch", $"signed by {recovered}, but the file names {named}", recovered.ToString());
            }

            if (expectedSigner is { } expected && recovered != expected)
            {
                return new DisclosureVerdict(false, "unexpected_signer", $"signed by {recovered}, not by the expected issuer {expected}", recovered.ToString());
            }

            return new DisclosureVerdict(true, "valid", $"signed by {recovered}" + (expectedSigner is null ? " (compare with the issuer address you trust, or pass the expected signer)" : ", the expected issuer"), recovered.ToString());
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
