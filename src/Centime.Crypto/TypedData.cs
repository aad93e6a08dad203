using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>
/// EIP-712 typed data in the eth_signTypedData_v4 JSON form <c>{types, primaryType, domain, message}</c>, with a
/// general encoder: nested structs, fixed and dynamic arrays (of anything, structs too), <c>bytes</c>,
/// <c>string</c>, <c>bytes1..32</c>, <c>bool</c>, <c>address</c>, <c>uint8..256</c> and <c>int8..256</c>
/// (range-checked, negatives in two's complement). Integers may be JSON numbers or decimal / 0x-hex strings,
/// as ethers accepts them. When <c>types</c> has no <c>EIP712Domain</c>, it is derived from the domain's keys
/// (as ethers does).
/// </summary>
public sealed class TypedData
{
    private const string DomainTypeName = "EIP712Domain";
    private static readonly string[] DomainFieldOrder = ["name", "version", "chainId", "verifyingContract", "salt"];
    private static readonly Dictionary<string, string> DomainFieldTypes = new(StringComparer.Ordinal)
    {
        ["name"] = "string",
        ["version"] = "string",
        ["chainId"] = "uint256",
        ["verifyingContract"] = "address",
        ["salt"] = "bytes32",
    };

    private readonly Dictionary<string, Member[]> _types;
    private readonly Dictionary<string, Hash32> _typeHashes = new(StringComparer.Ordinal);
    private readonly JsonElement _domain;
    private readonly JsonElement _message;
    private System.Runtime.CompilerServices.StrongBox<Hash32>? _domainSeparator; // a reference, so racing readers never see a torn value

    private TypedData(Dictionary<string, Member[]> types, string primaryType, JsonElement domain, JsonElement message)
    {
        _types = types;
        PrimaryType = primaryType;
        _domain = domain;
        _message = message;
    }

    /// <summary>The type being signed.</summary>
    public string PrimaryType { get; }

    /// <summary>The struct types by name (including <c>EIP712Domain</c>, given or derived), each as its ordered members.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<(string Name, string Type)>> Types =>
        _types.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<(string, string)>)kv.Value.Select(m => (m.Name, m.Type)).ToList(), StringComparer.Ordinal);

    /// <summary>The domain object as given.</summary>
    public JsonElement Domain => _domain;

    /// <summary>The message object as given.</summary>
    public JsonElement Message => _message;

    /// <summary>Parses eth_signTypedData_v4 JSON; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static TypedData Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"typed data is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("typed data must be a JSON object with types, primaryType, domain and message.");
            }

            var typesElement = Required(root, "types", JsonValueKind.Object);
            var primaryType = Required(root, "primaryType", JsonValueKind.String).GetString()!;
            var domain = Required(root, "domain", JsonValueKind.Object).Clone();
            var message = Required(root, "message", JsonValueKind.Object).Clone();

            var types = new Dictionary<string, Member[]>(StringComparer.Ordinal);
            foreach (var type in typesElement.EnumerateObject())
            {
                if (!IsIdentifier(type.Name) || IsPrimitive(type.Name))
                {
                    throw new FormatException($"types: '{type.Name}' is not a valid struct type name.");
                }

                if (types.ContainsKey(type.Name))
                {
                    throw new FormatException($"types: '{type.Name}' is defined twice.");
                }

                if (type.Value.ValueKind != JsonValueKind.Array)
                {
                    throw new FormatException($"types.{type.Name} must be an array of {{name, type}}.");
                }

                var members = new List<Member>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var m in type.Value.EnumerateArray())
                {
                    if (m.ValueKind != JsonValueKind.Object ||
                        !m.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String ||
                        !m.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                    {
                        throw new FormatException($"types.{type.Name}: every member must be {{\"name\": string, \"type\": string}}.");
                    }

                    var name = n.GetString()!;
                    if (!IsIdentifier(name))
                    {
                        throw new FormatException($"types.{type.Name}: '{name}' is not a valid member name.");
                    }

                    if (!names.Add(name))
                    {
                        throw new FormatException($"types.{type.Name}: member '{name}' appears twice.");
                    }

                    members.Add(new Member(name, t.GetString()!));
                }

                types[type.Name] = [.. members];
            }

            if (!types.ContainsKey(DomainTypeName))
            {
                types[DomainTypeName] = DeriveDomainType(domain);
            }

            foreach (var (typeName, members) in types)
            {
                foreach (var member in members)
                {
                    var baseType = BaseType(member.Type, $"types.{typeName}.{member.Name}");
                    if (!types.ContainsKey(baseType) && !IsPrimitive(baseType))
                    {
                        throw new FormatException($"types.{typeName}.{member.Name}: unknown type '{member.Type}' (not a primitive and not defined in types).");
                    }
                }
            }

            if (!types.ContainsKey(primaryType))
            {
                throw new FormatException($"primaryType '{primaryType}' is not defined in types.");
            }

            return new TypedData(types, primaryType, domain, message);
        }
    }

    /// <summary>hashStruct(EIP712Domain, domain).</summary>
    public Hash32 DomainSeparator()
    {
        var cached = Volatile.Read(ref _domainSeparator);
        if (cached is null)
        {
            cached = new System.Runtime.CompilerServices.StrongBox<Hash32>(HashStruct(DomainTypeName, _domain, "domain"));
            Volatile.Write(ref _domainSeparator, cached);
        }

        return cached.Value;
    }

    /// <summary>hashStruct(primaryType, message).</summary>
    public Hash32 HashStruct() => HashStruct(PrimaryType, _message, "message");

    /// <summary>The signing digest: keccak(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)); just the domain when primaryType is EIP712Domain.</summary>
    public Hash32 Digest()
    {
        if (PrimaryType == DomainTypeName)
        {
            Span<byte> b = stackalloc byte[34];
            b[0] = 0x19;
            b[1] = 0x01;
            DomainSeparator().WriteTo(b[2..]);
            return Eip712.KeccakHash(b);
        }

        return Eip712.Digest(DomainSeparator(), HashStruct());
    }

    /// <summary>encodeType: the type's own signature followed by its dependencies sorted by name.</summary>
    public string EncodeType(string typeName)
    {
        if (!_types.ContainsKey(typeName))
        {
            throw new ArgumentException($"'{typeName}' is not a struct type of this typed data.", nameof(typeName));
        }

        var deps = new SortedSet<string>(StringComparer.Ordinal);
        CollectDependencies(typeName, deps);
        deps.Remove(typeName);
        var sb = new StringBuilder();
        AppendSignature(sb, typeName);
        foreach (var d in deps)
        {
            AppendSignature(sb, d);
        }

        return sb.ToString();
    }

    /// <summary>keccak256(encodeType(typeName)).</summary>
    public Hash32 TypeHash(string typeName)
    {
        lock (_typeHashes)
        {
            if (_typeHashes.TryGetValue(typeName, out var h))
            {
                return h;
            }
        }

        var hash = Eip712.KeccakHash(EncodeType(typeName));
        lock (_typeHashes)
        {
            _typeHashes[typeName] = hash;
        }

        return hash;
    }

    private void AppendSignature(StringBuilder sb, string typeName)
    {
        sb.Append(typeName).Append('(');
        var members = _types[typeName];
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(members[i].Type).Append(' ').Append(members[i].Name);
        }

        sb.Append(')');
    }

    private void CollectDependencies(string typeName, SortedSet<string> found)
    {
        if (!found.Add(typeName))
        {
            return;
        }

        foreach (var member in _types[typeName])
        {
            var baseType = BaseType(member.Type, member.Name);
            if (_types.ContainsKey(baseType))
            {
                CollectDependencies(baseType, found);
            }
        }
    }

    private Hash32 HashStruct(string typeName, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{path}: expected an object for struct {typeName}, got {Describe(value)}.");
        }

        var members = _types[typeName];
        var buffer = new byte[32 * (1 + members.Length)];
        TypeHash(typeName).WriteTo(buffer);
        for (var i = 0; i < members.Length; i++)
        {
            var m = members[i];
            var memberPath = path + "." + m.Name;
            if (!value.TryGetProperty(m.Name, out var field))
            {
                throw new FormatException($"{memberPath}: missing (type {m.Type}).");
            }

            EncodeValue(m.Type, field, memberPath, buffer.AsSpan(32 * (i + 1), 32));
        }

        return Eip712.KeccakHash(buffer);
    }

    private void EncodeValue(string type, JsonElement value, string path, Span<byte> word)
    {
        if (type.EndsWith(']'))
        {
            var open = type.LastIndexOf('[');
            var inner = type[..open];
            var lengthText = type[(open + 1)..^1];
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"{path}: expected an array for {type}, got {Describe(value)}.");
            }

            var count = value.GetArrayLength();
            if (lengthText.Length > 0 && count != int.Parse(lengthText, CultureInfo.InvariantCulture))
            {
                throw new FormatException($"{path}: {type} needs exactly {lengthText} elements, got {count}.");
            }

            var buffer = new byte[32 * count];
            var i = 0;
            foreach (var element in value.EnumerateArray())
            {
                EncodeValue(inner, element, $"{path}[{i}]", buffer.AsSpan(32 * i, 32));
                i++;
            }

            Eip712.KeccakHash(buffer).WriteTo(word);
            return;
        }

        if (_types.ContainsKey(type))
        {
            HashStruct(type, value, path).WriteTo(word);
            return;
        }

        EncodePrimitive(type, value, path, word);
    }

    /// <summary>Encodes one atomic or dynamic primitive into its 32-byte word (dynamic ones as their keccak).</summary>
    internal static void EncodePrimitive(string type, JsonElement value, string path, Span<byte> word)
    {
        word.Clear();
        switch (type)
        {
            case "address":
                if (value.ValueKind != JsonValueKind.String || !Address.TryParse(value.GetString(), out var address))
                {
                    throw new FormatException($"{path}: expected a 0x-prefixed 20-byte address (valid EIP-55 checksum if mixed case), got {Describe(value)}.");
                }

                address.WriteTo(word[12..]);
                return;
            case "bool":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw new FormatException($"{path}: expected true or false, got {Describe(value)}.");
                }

                word[31] = value.ValueKind == JsonValueKind.True ? (byte)1 : (byte)0;
                return;
            case "string":
                if (value.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException($"{path}: expected a string, got {Describe(value)}.");
                }

                Eip712.KeccakHash(Encoding.UTF8.GetBytes(value.GetString()!)).WriteTo(word);
                return;
            case "bytes":
                Eip712.KeccakHash(HexBytes(value, path)).WriteTo(word);
                return;
        }

        if (type.StartsWith("bytes", StringComparison.Ordinal) && TryWidth(type.AsSpan(5), out var byteWidth) && byteWidth is >= 1 and <= 32)
        {
            var bytes = HexBytes(value, path);
            if (bytes.Length != byteWidth)
            {
                throw new FormatException($"{path}: {type} needs exactly {byteWidth} bytes, got {bytes.Length}.");
            }

            bytes.CopyTo(word);
            return;
        }

        var signed = type.StartsWith("int", StringComparison.Ordinal);
        if ((signed || type.StartsWith("uint", StringComparison.Ordinal)) &&
            TryWidth(type.AsSpan(signed ? 3 : 4), out var bits) && bits is >= 8 and <= 256 && bits % 8 == 0)
        {
            var n = ParseInteger(value, path);
            var (min, max) = IntegerRange(signed, bits);
            if (n < min || n > max)
            {
                throw new FormatException($"{path}: {n} is out of range for {type} ({min} to {max}).");
            }

            Uint256.WriteUnchecked(n.Sign < 0 ? n + Uint256.TwoTo256 : n, word);
            return;
        }

        throw new FormatException($"{path}: unknown type '{type}'.");
    }

    /// <summary>The inclusive range of uintN / intN.</summary>
    internal static (BigInteger Min, BigInteger Max) IntegerRange(bool signed, int bits) =>
        signed ? (-(BigInteger.One << (bits - 1)), (BigInteger.One << (bits - 1)) - 1) : (BigInteger.Zero, (BigInteger.One << bits) - 1);

    /// <summary>An integer as ethers' getBigInt takes it: a JSON integer, or a decimal or 0x-hex string, optionally negative.</summary>
    internal static BigInteger ParseInteger(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            var raw = value.GetRawText();
            if (BigInteger.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }

            if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && decimal.Truncate(d) == d)
            {
                return new BigInteger(d);
            }

            throw new FormatException($"{path}: {raw} is not an integer.");
        }

        if (value.ValueKind == JsonValueKind.String && TryParseIntegerText(value.GetString()!.Trim(), out var parsed))
        {
            return parsed;
        }

        throw new FormatException($"{path}: expected an integer (JSON number, decimal string or 0x-hex string), got {Describe(value)}.");
    }

    internal static bool TryParseIntegerText(string text, out BigInteger value)
    {
        value = default;
        var negative = text.StartsWith('-');
        var body = negative ? text.AsSpan(1) : text.AsSpan();
        if (body.Length == 0)
        {
            return false;
        }

        if (body.Length > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'))
        {
            var hex = body[2..];
            foreach (var c in hex)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return false;
                }
            }

            value = BigInteger.Parse(string.Concat("0", hex), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        else
        {
            foreach (var c in body)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            value = BigInteger.Parse(body, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        if (negative)
        {
            value = -value;
        }

        return true;
    }

    private static byte[] HexBytes(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"{path}: expected 0x-prefixed hex bytes, got {Describe(value)}.");
        }

        return Hex.Decode0x(value.GetString()!, path);
    }

    private static Member[] DeriveDomainType(JsonElement domain)
    {
        foreach (var p in domain.EnumerateObject())
        {
            if (!DomainFieldTypes.ContainsKey(p.Name))
            {
                throw new FormatException($"domain: unknown field '{p.Name}' (add an EIP712Domain type to types to use custom domain fields).");
            }
        }

        var members = new List<Member>();
        foreach (var name in DomainFieldOrder)
        {
            if (domain.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null)
            {
                members.Add(new Member(name, DomainFieldTypes[name]));
            }
        }

        return [.. members];
    }

    private static string BaseType(string type, string path)
    {
        var t = type;
        while (t.EndsWith(']'))
        {
            var open = t.LastIndexOf('[');
            if (open <= 0)
            {
                throw new FormatException($"{path}: malformed array type '{type}'.");
            }

            var len = t.AsSpan(open + 1, t.Length - open - 2);
            if (len.Length > 0 && (!TryWidth(len, out var n) || n == 0))
            {
                throw new FormatException($"{path}: bad array length in '{type}'.");
            }

            t = t[..open];
        }

        return t;
    }

    private static bool IsPrimitive(string type)
    {
        if (type is "address" or "bool" or "string" or "bytes")
        {
            return true;
        }

        if (type.StartsWith("bytes", StringComparison.Ordinal))
        {
            return TryWidth(type.AsSpan(5), out var w) && w is >= 1 and <= 32;
        }

        var signed = type.StartsWith("int", StringComparison.Ordinal);
        return (signed || type.StartsWith("uint", StringComparison.Ordinal)) &&
            TryWidth(type.AsSpan(signed ? 3 : 4), out var bits) && bits is >= 8 and <= 256 && bits % 8 == 0;
    }

    /// <summary>A canonical decimal (no sign, no leading zero) that fits an int.</summary>
    private static bool TryWidth(ReadOnlySpan<char> digits, out int width)
    {
        width = 0;
        if (digits.Length is 0 or > 9 || (digits[0] == '0' && digits.Length > 1))
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            width = (width * 10) + (c - '0');
        }

        return true;
    }

    private static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] == '_' || s[0] == '$'))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$'))
            {
                return false;
            }
        }

        return true;
    }

    private static JsonElement Required(JsonElement root, string name, JsonValueKind kind)
    {
        if (!root.TryGetProperty(name, out var v))
        {
            throw new FormatException($"typed data has no '{name}'.");
        }

        if (v.ValueKind != kind)
        {
            throw new FormatException($"typed data '{name}' must be a JSON {kind.ToString().ToLowerInvariant()}, got {Describe(v)}.");
        }

        return v;
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string '{Hex.Truncate(v.GetString()!)}'",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => "null",
    };

    private readonly record struct Member(string Name, string Type);
}
