using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// The JSON form of a <see cref="LiabilityProof"/> (camelCase; amounts and height as decimal strings so no
/// JavaScript number loses precision; hashes and salt as 0x-prefixed hex):
/// <code>
/// {"version":1,"coin":"NUSD","height":"42","address":"0x…","balance":"1500000","salt":"0x…",
///  "path":[{"side":"left","hash":"0x…","sum":"73000000"}, …],
///  "root":{"hash":"0x…","total":"98000000"}}
/// </code>
/// Parsing is strict about form and range and accepts exactly what <c>wwwroot/pol-verify.js</c> accepts: an amount is
/// <c>0</c> or digits without a leading zero, at most 2^127 − 1; a negative amount is reported as out of range.
/// Unknown properties are ignored. Address hex may be in any case (the EIP-55 checksum is presentation; the leaf
/// hashes the 20 bytes).
/// </summary>
public static class LiabilityProofJson
{
    /// <summary>Writes a proof.</summary>
    public static string Serialize(LiabilityProof proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", LiabilityProof.CurrentVersion);
            writer.WriteString("coin", proof.Coin);
            writer.WriteString("height", proof.Height.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("address", proof.Address.ToString());
            writer.WriteString("balance", proof.Balance.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("salt", proof.Salt.ToString());
            writer.WriteStartArray("path");
            foreach (var step in proof.Path)
            {
                writer.WriteStartObject();
                writer.WriteString("side", step.SiblingOnLeft ? "left" : "right");
                writer.WriteString("hash", step.SiblingHash.ToString());
                writer.WriteString("sum", step.SiblingSum.ToString(CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WritePropertyName("root");
            WriteRoot(writer, proof.Root);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes a root as <c>{"hash":"0x…","total":"…"}</c>, the form the issuer publishes.</summary>
    public static string SerializeRoot(LiabilitiesRoot root)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteRoot(writer, root);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses a proof, or says why not with the same code the verifier would return.</summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out LiabilityProof? proof, out LiabilityProofVerdict failure)
    {
        ArgumentNullException.ThrowIfNull(json);
        proof = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            return TryRead(document.RootElement, out proof, out failure);
        }
        catch (JsonException e)
        {
            failure = Malformed($"not JSON: {e.Message}");
            return false;
        }
    }

    /// <summary>Parses a proof or throws <see cref="FormatException"/> with the reason.</summary>
    public static LiabilityProof Parse(string json) =>
        TryParse(json, out var proof, out var failure) ? proof : throw new FormatException($"{failure.Code}: {failure.Reason}");

    /// <summary>Parses a published root <c>{"hash":"0x…","total":"…"}</c>.</summary>
    public static bool TryParseRoot(string json, out LiabilitiesRoot root, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        root = default;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!TryReadRoot(document.RootElement, "root", out root, out var failure))
            {
                error = $"{failure.Code}: {failure.Reason}";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return false;
        }
    }

    internal static void WriteProof(Utf8JsonWriter writer, LiabilityProof proof)
    {
        using var document = JsonDocument.Parse(Serialize(proof));
        document.WriteTo(writer);
    }

    internal static LiabilityProof ReadProof(ref Utf8JsonReader reader)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return TryRead(document.RootElement, out var proof, out var failure) ? proof : throw new JsonException($"{failure.Code}: {failure.Reason}");
    }

    internal static LiabilitiesRoot ReadRoot(ref Utf8JsonReader reader)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return TryReadRoot(document.RootElement, "root", out var root, out var failure) ? root : throw new JsonException($"{failure.Code}: {failure.Reason}");
    }

    internal static void WriteRoot(Utf8JsonWriter writer, LiabilitiesRoot root)
    {
        writer.WriteStartObject();
        writer.WriteString("hash", root.Hash.ToString());
        writer.WriteString("total", root.Total.ToString(CultureInfo.InvariantCulture));
        writer.WriteEndObject();
    }

    // Field order and rules mirror pol-verify.js parseProof(); keep them in step.
    private static bool TryRead(JsonElement element, [NotNullWhen(true)] out LiabilityProof? proof, out LiabilityProofVerdict failure)
    {
        proof = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            failure = Malformed("the proof is not a JSON object");
            return false;
        }

        if (!element.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
            || !version.TryGetDecimal(out var versionNumber) || versionNumber != LiabilityProof.CurrentVersion)
        {
            failure = Malformed($"version must be {LiabilityProof.CurrentVersion}");
            return false;
        }

        if (!TryGetString(element, "coin", out var coin, out failure)
            || !TryGetString(element, "height", out var heightText, out failure))
        {
            return false;
        }

        if (!IsCanonicalDecimal(heightText) || !ulong.TryParse(heightText, NumberStyles.None, CultureInfo.InvariantCulture, out var height))
        {
            failure = Malformed("height must be a decimal string of at most 2^64 − 1");
            return false;
        }

        if (!TryGetString(element, "address", out var addressText, out failure))
        {
            return false;
        }

        if (!TryParseHex(addressText, Address.Size, out var addressBytes))
        {
            failure = Malformed("address must be 0x followed by 40 hex digits");
            return false;
        }

        if (!TryGetAmount(element, "balance", "balance", out var balance, out failure)
            || !TryGetHash(element, "salt", "salt", out var salt, out failure))
        {
            return false;
        }

        if (!element.TryGetProperty("path", out var pathElement) || pathElement.ValueKind != JsonValueKind.Array)
        {
            failure = Malformed("path must be an array");
            return false;
        }

        var path = new List<LiabilityProofStep>(pathElement.GetArrayLength());
        var index = 0;
        foreach (var stepElement in pathElement.EnumerateArray())
        {
            var where = string.Create(CultureInfo.InvariantCulture, $"path[{index}]");
            if (stepElement.ValueKind != JsonValueKind.Object)
            {
                failure = Malformed($"{where} must be an object");
                return false;
            }

            if (!TryGetString(stepElement, "side", out var side, out failure, where))
            {
                return false;
            }

            if (side is not ("left" or "right"))
            {
                failure = Malformed($"{where}.side must be \"left\" or \"right\"");
                return false;
            }

            if (!TryGetHash(stepElement, "hash", where + ".hash", out var siblingHash, out failure)
                || !TryGetAmount(stepElement, "sum", where + ".sum", out var siblingSum, out failure))
            {
                return false;
            }

            path.Add(new LiabilityProofStep(siblingHash, siblingSum, side == "left"));
            index++;
        }

        if (!element.TryGetProperty("root", out var rootElement))
        {
            failure = Malformed("root must be an object");
            return false;
        }

        if (!TryReadRoot(rootElement, "root", out var root, out failure))
        {
            return false;
        }

        if (path.Count > LiabilityHashing.MaxPathLength)
        {
            failure = LiabilityProofVerdict.Fail(LiabilityProofVerdict.PathTooLong, $"the path has {path.Count} steps; at most {LiabilityHashing.MaxPathLength} are possible");
            return false;
        }

        proof = new LiabilityProof
        {
            Coin = coin,
            Height = height,
            Address = Address.FromBytes(addressBytes),
            Balance = balance,
            Salt = salt,
            Path = path,
            Root = root,
        };
        failure = default;
        return true;
    }

    private static bool TryReadRoot(JsonElement element, string where, out LiabilitiesRoot root, out LiabilityProofVerdict failure)
    {
        root = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            failure = Malformed($"{where} must be an object");
            return false;
        }

        if (!TryGetHash(element, "hash", where + ".hash", out var hash, out failure)
            || !TryGetAmount(element, "total", where + ".total", out var total, out failure))
        {
            return false;
        }

        root = new LiabilitiesRoot(hash, total);
        return true;
    }

    private static bool TryGetString(JsonElement element, string name, [NotNullWhen(true)] out string? value, out LiabilityProofVerdict failure, string? parent = null)
    {
        if (element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String)
        {
            value = property.GetString()!;
            failure = default;
            return true;
        }

        value = null;
        failure = Malformed($"{(parent is null ? name : parent + "." + name)} must be a string");
        return false;
    }

    private static bool TryGetHash(JsonElement element, string name, string where, out Hash32 hash, out LiabilityProofVerdict failure)
    {
        hash = default;
        if (!TryGetString(element, name, out var text, out failure))
        {
            failure = Malformed($"{where} must be a string");
            return false;
        }

        if (!TryParseHex(text, Hash32.Size, out var bytes))
        {
            failure = Malformed($"{where} must be 0x followed by 64 hex digits");
            return false;
        }

        hash = Hash32.FromBytes(bytes);
        return true;
    }

    private static bool TryGetAmount(JsonElement element, string name, string where, out UInt128 amount, out LiabilityProofVerdict failure)
    {
        amount = default;
        if (!TryGetString(element, name, out var text, out failure))
        {
            failure = Malformed($"{where} must be a decimal string");
            return false;
        }

        if (text.Length > 1 && text[0] == '-' && IsDigits(text.AsSpan(1)))
        {
            failure = LiabilityProofVerdict.Fail(LiabilityProofVerdict.AmountOutOfRange, $"{where} is negative ({text}); balances and sums are never below zero");
            return false;
        }

        if (!IsCanonicalDecimal(text))
        {
            failure = Malformed($"{where} must be a decimal string without sign, leading zeros, spaces or exponent");
            return false;
        }

        if (!UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out amount) || amount > LiabilityHashing.MaxAmount)
        {
            failure = LiabilityProofVerdict.Fail(LiabilityProofVerdict.AmountOutOfRange, $"{where} {text} is above 2^127 − 1");
            return false;
        }

        return true;
    }

    private static bool IsCanonicalDecimal(string text) =>
        text.Length > 0 && IsDigits(text) && (text.Length == 1 || text[0] != '0');

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return !text.IsEmpty;
    }

    private static bool TryParseHex(string text, int size, out byte[] bytes)
    {
        bytes = [];
        if (text.Length != 2 + (2 * size) || text[0] != '0' || text[1] != 'x')
        {
            return false;
        }

        var result = new byte[size];
        for (var i = 0; i < size; i++)
        {
            var hi = HexValue(text[2 + (2 * i)]);
            var lo = HexValue(text[3 + (2 * i)]);
            if (hi < 0 || lo < 0)
            {
                return false;
            }

            result[i] = (byte)((hi << 4) | lo);
        }

        bytes = result;
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static LiabilityProofVerdict Malformed(string reason) => LiabilityProofVerdict.Fail(LiabilityProofVerdict.MalformedProof, reason);
}

/// <summary>Lets <see cref="JsonSerializer"/> write and read <see cref="LiabilityProof"/> in the <see cref="LiabilityProofJson"/> form.</summary>
internal sealed class LiabilityProofJsonConverter : JsonConverter<LiabilityProof>
{
    public override LiabilityProof Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => LiabilityProofJson.ReadProof(ref reader);

    public override void Write(Utf8JsonWriter writer, LiabilityProof value, JsonSerializerOptions options) => LiabilityProofJson.WriteProof(writer, value);
}

/// <summary>Lets <see cref="JsonSerializer"/> write and read <see cref="LiabilitiesRoot"/> as <c>{"hash":"0x…","total":"…"}</c>.</summary>
internal sealed class LiabilitiesRootJsonConverter : JsonConverter<LiabilitiesRoot>
{
    public override LiabilitiesRoot Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => LiabilityProofJson.ReadRoot(ref reader);

    public override void Write(Utf8JsonWriter writer, LiabilitiesRoot value, JsonSerializerOptions options) => LiabilityProofJson.WriteRoot(writer, value);
}
