using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using Centime.Ledger;

namespace Centime.Crypto.Tests;

/// <summary>
/// Random EIP-712 typed data: up to five struct types forming a DAG under the primary type (ethers rejects
/// cycles and unused types), members of every primitive kind, fixed and dynamic arrays (nested, of structs),
/// values at and near the range limits, written as JSON numbers, decimal or hex strings.
/// </summary>
internal sealed class TypedDataGenerator(Random rng)
{
    private static readonly string[] NamePool = ["Mail", "Person", "Asset", "Order", "Zeta", "alpha", "Group", "Item", "B", "A_1", "Wallet", "Leg", "Quote", "Z9"];
    private static readonly string[] Strings = ["", "Hello, Bob!", "héllo wörld", "✓ 𝄞 emoji 🚀", "a\"quote\\", "line\nbreak", "日本語"];

    public JsonObject Next()
    {
        var typeCount = 1 + rng.Next(5);
        var names = NamePool.OrderBy(_ => rng.Next()).Take(typeCount).ToArray();
        var types = new Dictionary<string, List<(string Name, string Type)>>();
        foreach (var n in names)
        {
            types[n] = [];
        }

        var referenced = new HashSet<string>();
        for (var i = 0; i < typeCount; i++)
        {
            var memberCount = 1 + rng.Next(5);
            for (var m = 0; m < memberCount; m++)
            {
                string baseType;
                if (i + 1 < typeCount && rng.Next(4) == 0)
                {
                    baseType = names[i + 1 + rng.Next(typeCount - i - 1)];
                    referenced.Add(baseType);
                }
                else
                {
                    baseType = RandomPrimitive();
                }

                types[names[i]].Add(("f" + m + (rng.Next(3) == 0 ? "_x" : ""), WrapArrays(baseType)));
            }
        }

        // Every non-primary type must be reachable, or ethers calls the types ambiguous.
        for (var j = 1; j < typeCount; j++)
        {
            if (!referenced.Contains(names[j]))
            {
                var parent = names[rng.Next(j)];
                types[parent].Add(("ref" + j, WrapArrays(names[j])));
            }
        }

        var typesJson = new JsonObject();
        var domain = RandomDomain(out var domainMembers);
        if (rng.Next(2) == 0)
        {
            typesJson["EIP712Domain"] = Members(domainMembers);
        }

        foreach (var (name, members) in types)
        {
            typesJson[name] = Members(members);
        }

        return new JsonObject
        {
            ["types"] = typesJson,
            ["primaryType"] = names[0],
            ["domain"] = domain,
            ["message"] = Value(names[0], types, 0),
        };
    }

    private string WrapArrays(string baseType)
    {
        var t = baseType;
        var depth = rng.Next(10) switch { < 6 => 0, < 9 => 1, _ => 2 };
        for (var d = 0; d < depth; d++)
        {
            t += rng.Next(2) == 0 ? "[]" : "[" + (1 + rng.Next(3)) + "]";
        }

        return t;
    }

    private string RandomPrimitive() => rng.Next(8) switch
    {
        0 => "address",
        1 => "bool",
        2 => "string",
        3 => "bytes",
        4 => "bytes" + (1 + rng.Next(32)),
        5 => "uint" + (8 * (1 + rng.Next(32))),
        6 => "int" + (8 * (1 + rng.Next(32))),
        _ => rng.Next(2) == 0 ? "uint256" : "bytes32",
    };

    private JsonObject RandomDomain(out List<(string, string)> members)
    {
        var domain = new JsonObject();
        members = [];
        if (rng.Next(4) != 0)
        {
            domain["name"] = Strings[rng.Next(Strings.Length)];
            members.Add(("name", "string"));
        }

        if (rng.Next(2) == 0)
        {
            domain["version"] = rng.Next(10).ToString(CultureInfo.InvariantCulture);
            members.Add(("version", "string"));
        }

        if (rng.Next(4) != 0)
        {
            domain["chainId"] = rng.Next(3) == 0 ? JsonValue.Create("0x" + rng.Next(1, int.MaxValue).ToString("x", CultureInfo.InvariantCulture)) : JsonValue.Create(rng.Next(1, 100000));
            members.Add(("chainId", "uint256"));
        }

        if (rng.Next(3) != 0)
        {
            domain["verifyingContract"] = AddressText();
            members.Add(("verifyingContract", "address"));
        }

        if (rng.Next(4) == 0 || members.Count == 0)
        {
            domain["salt"] = HexText(32);
            members.Add(("salt", "bytes32"));
        }

        return domain;
    }

    private static JsonArray Members(List<(string Name, string Type)> members)
    {
        var a = new JsonArray();
        foreach (var (n, t) in members)
        {
            a.Add(new JsonObject { ["name"] = n, ["type"] = t });
        }

        return a;
    }

    private JsonNode Value(string type, Dictionary<string, List<(string Name, string Type)>> types, int depth)
    {
        if (type.EndsWith(']'))
        {
            var open = type.LastIndexOf('[');
            var inner = type[..open];
            var lenText = type[(open + 1)..^1];
            var count = lenText.Length > 0 ? int.Parse(lenText, CultureInfo.InvariantCulture) : rng.Next(depth > 2 ? 2 : 4);
            var array = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                array.Add(Value(inner, types, depth + 1));
            }

            return array;
        }

        if (types.TryGetValue(type, out var members))
        {
            var obj = new JsonObject();
            foreach (var (n, t) in members)
            {
                obj[n] = Value(t, types, depth + 1);
            }

            return obj;
        }

        return Primitive(type);
    }

    private JsonNode Primitive(string type)
    {
        switch (type)
        {
            case "address": return AddressText();
            case "bool": return rng.Next(2) == 0;
            case "string": return rng.Next(3) == 0 ? RandomString() : Strings[rng.Next(Strings.Length)];
            case "bytes": return HexText(rng.Next(70));
        }

        if (type.StartsWith("bytes", StringComparison.Ordinal))
        {
            return HexText(int.Parse(type.AsSpan(5), CultureInfo.InvariantCulture));
        }

        var signed = type.StartsWith("int", StringComparison.Ordinal);
        var bits = int.Parse(type.AsSpan(signed ? 3 : 4), CultureInfo.InvariantCulture);
        var (min, max) = TypedData.IntegerRange(signed, bits);
        BigInteger v = rng.Next(6) switch
        {
            0 => min,
            1 => max,
            2 => 0,
            3 => BigInteger.Clamp(rng.Next(1000) - (signed ? 500 : 0), min, max),
            _ => RandomInRange(min, max),
        };
        return IntegerJson(v);
    }

    internal JsonNode IntegerJson(BigInteger v)
    {
        var small = BigInteger.Abs(v) <= 9007199254740991;
        return rng.Next(3) switch
        {
            0 when small => JsonValue.Create((long)v),
            1 when v.Sign >= 0 => JsonValue.Create("0x" + v.ToString("x", CultureInfo.InvariantCulture).TrimStart('0').PadLeft(1, '0')),
            _ => JsonValue.Create(v.ToString(CultureInfo.InvariantCulture)),
        };
    }

    internal BigInteger RandomInRange(BigInteger min, BigInteger max)
    {
        var span = max - min + 1;
        var bytes = new byte[span.GetByteCount(isUnsigned: true) + 8];
        rng.NextBytes(bytes);
        var r = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        // Bias toward small magnitudes sometimes, so all byte lengths occur.
        if (rng.Next(3) == 0)
        {
            r >>= rng.Next(span.GetByteCount(isUnsigned: true) * 8);
        }

        return min + (r % span);
    }

    private string RandomString()
    {
        var sb = new StringBuilder();
        var n = rng.Next(40);
        for (var i = 0; i < n; i++)
        {
            sb.Append(rng.Next(4) == 0 ? (char)rng.Next(0xA0, 0x2FF) : (char)rng.Next(0x20, 0x7F));
        }

        return sb.ToString();
    }

    private string AddressText()
    {
        var b = new byte[20];
        rng.NextBytes(b);
        var a = Address.FromBytes(b);
        return rng.Next(2) == 0 ? a.ToString() : a.ToString().ToLowerInvariant();
    }

    private string HexText(int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return "0x" + (rng.Next(4) == 0 ? Convert.ToHexString(b) : Convert.ToHexStringLower(b));
    }
}
