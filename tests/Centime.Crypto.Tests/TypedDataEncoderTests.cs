using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Crypto.Tests;

/// <summary>Properties of the general EIP-712 encoder, checked against encodings written out by hand.</summary>
public sealed class TypedDataEncoderTests(ITestOutputHelper output)
{
    private static readonly BigInteger TwoTo256 = BigInteger.One << 256;

    [Fact]
    public void HashStruct_IntegersInRange_EncodeAsTwosComplementWords()
    {
        var rng = TestSeed.Create(output, nameof(HashStruct_IntegersInRange_EncodeAsTwosComplementWords));
        var gen = new TypedDataGenerator(rng);
        for (var i = 0; i < 1000; i++)
        {
            var signed = rng.Next(2) == 0;
            var bits = 8 * (1 + rng.Next(32));
            var type = (signed ? "int" : "uint") + bits;
            var (min, max) = TypedData.IntegerRange(signed, bits);
            Assert.Equal(signed ? -(BigInteger.One << (bits - 1)) : 0, min);
            var v = rng.Next(4) switch { 0 => min, 1 => max, _ => gen.RandomInRange(min, max) };
            var word = v.Sign < 0 ? v + TwoTo256 : v;
            Assert.True(OneField(type, gen.IntegerJson(v)) == Expected(type, Word(word)), $"{type} {v}");
        }
    }

    [Fact]
    public void HashStruct_IntegersOutOfRange_Rejected()
    {
        var rng = TestSeed.Create(output, nameof(HashStruct_IntegersOutOfRange_Rejected));
        var gen = new TypedDataGenerator(rng);
        for (var i = 0; i < 500; i++)
        {
            var signed = rng.Next(2) == 0;
            var bits = 8 * (1 + rng.Next(32));
            var type = (signed ? "int" : "uint") + bits;
            var (min, max) = TypedData.IntegerRange(signed, bits);
            var v = rng.Next(2) == 0 ? max + 1 + gen.RandomInRange(0, max) : min - 1 - gen.RandomInRange(0, max);
            var ex = Assert.Throws<FormatException>(() => OneField(type, JsonValue.Create(v.ToString(CultureInfo.InvariantCulture))));
            Assert.Contains("out of range", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("\"12a\"")]
    [InlineData("\"\"")]
    [InlineData("\"0x\"")]
    [InlineData("\"--1\"")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("[1]")]
    public void HashStruct_NonIntegers_Rejected(string raw) =>
        Assert.Throws<FormatException>(() => OneField("uint256", JsonNode.Parse(raw)));

    [Fact]
    public void HashStruct_IntegerForms_AllEncodeAlike()
    {
        var h = OneField("uint256", 1000);
        Assert.Equal(h, OneField("uint256", "1000"));
        Assert.Equal(h, OneField("uint256", "0x3e8"));
        Assert.Equal(h, OneField("uint256", "0x03E8"));
        Assert.Equal(h, OneField("uint256", JsonNode.Parse("1e3")));
        Assert.Equal(OneField("int8", -1), OneField("int8", "-1"));
        Assert.Equal(OneField("int8", -1), OneField("int8", "-0x1"));
        Assert.Equal(Expected("int16", Word(TwoTo256 - 1)), OneField("int16", -1));
    }

    [Fact]
    public void HashStruct_DynamicAndFixedArrays_HashConcatenatedWords()
    {
        var rng = TestSeed.Create(output, nameof(HashStruct_DynamicAndFixedArrays_HashConcatenatedWords));
        for (var i = 0; i < 200; i++)
        {
            var n = rng.Next(6);
            var values = Enumerable.Range(0, n).Select(_ => (BigInteger)rng.NextInt64()).ToArray();
            var words = values.SelectMany(Word).ToArray();
            var arrayHash = Keccak256.Hash(words);
            var json = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v.ToString(CultureInfo.InvariantCulture))).ToArray());
            Assert.Equal(Expected("uint256[]", arrayHash), OneField("uint256[]", json.DeepClone()));
            Assert.Equal(Expected($"uint256[{Math.Max(n, 1)}]", arrayHash), n == 0 ? Expected("uint256[1]", arrayHash) : OneField($"uint256[{n}]", json.DeepClone()));
            Assert.Throws<FormatException>(() => OneField($"uint256[{n + 1}]", json.DeepClone()));

            // Nested: each inner array is its keccak, the outer hashes those.
            var nested = new JsonArray(json.DeepClone(), json.DeepClone());
            Assert.Equal(Expected("uint256[][2]", Keccak256.Hash([.. arrayHash, .. arrayHash])), OneField("uint256[][2]", nested));
        }
    }

    [Fact]
    public void HashStruct_ArrayOfStructs_HashesEachStruct()
    {
        const string json = """
            {"types":{"Group":[{"name":"members","type":"Person[]"},{"name":"tags","type":"string[2]"}],"Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}]},
             "primaryType":"Group","domain":{"name":"x"},
             "message":{"members":[{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"}],"tags":["a","b"]}}
            """;
        var td = TypedData.Parse(json);
        Assert.Equal("Group(Person[] members,string[2] tags)Person(string name,address wallet)", td.EncodeType("Group"));
        var personType = Keccak256.Hash("Person(string name,address wallet)"u8);
        byte[] Person(string name, string wallet) => Keccak256.Hash([.. personType, .. Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes(name)), .. new byte[12], .. Address.Parse(wallet).ToBytes()]);
        var members = Keccak256.Hash([.. Person("Cow", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"), .. Person("Bob", "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB")]);
        var tags = Keccak256.Hash([.. Keccak256.Hash("a"u8), .. Keccak256.Hash("b"u8)]);
        var expected = Keccak256.Hash([.. Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes(td.EncodeType("Group"))), .. members, .. tags]);
        Assert.Equal(Hash32.FromBytes(expected), td.HashStruct());
    }

    [Fact]
    public void EncodeType_Dependencies_SortedByNameAfterPrimary()
    {
        const string json = """
            {"types":{"Z":[{"name":"b","type":"b"},{"name":"a","type":"A[]"}],"b":[{"name":"c","type":"C"}],"A":[{"name":"x","type":"uint8"}],"C":[{"name":"a","type":"A"}]},
             "primaryType":"Z","domain":{"chainId":1},"message":{"b":{"c":{"a":{"x":1}}},"a":[]}}
            """;
        var td = TypedData.Parse(json);
        Assert.Equal("Z(b b,A[] a)A(uint8 x)C(A a)b(C c)", td.EncodeType("Z"));
        Assert.Equal("C(A a)A(uint8 x)", td.EncodeType("C"));
        Assert.Equal("EIP712Domain(uint256 chainId)", td.EncodeType("EIP712Domain"));
        _ = td.Digest();
    }

    [Fact]
    public void HashStruct_Primitives_EncodeAsSpecified()
    {
        Assert.Equal(Expected("bool", Word(1)), OneField("bool", true));
        Assert.Equal(Expected("bool", Word(0)), OneField("bool", false));
        Assert.Throws<FormatException>(() => OneField("bool", 1));
        Assert.Equal(Expected("bytes", Keccak256.Hash([0xde, 0xad])), OneField("bytes", "0xdead"));
        Assert.Equal(Expected("bytes", Keccak256.Hash([])), OneField("bytes", "0x"));
        Assert.Throws<FormatException>(() => OneField("bytes", "0xabc"));
        Assert.Throws<FormatException>(() => OneField("bytes", "dead"));
        var b3 = new byte[32];
        b3[0] = 1; b3[1] = 2; b3[2] = 3;
        Assert.Equal(Expected("bytes3", b3), OneField("bytes3", "0x010203"));
        Assert.Throws<FormatException>(() => OneField("bytes3", "0x0102"));
        Assert.Throws<FormatException>(() => OneField("bytes3", "0x01020304"));
        Assert.Equal(Expected("string", Keccak256.Hash("héllo"u8)), OneField("string", "héllo"));
        var addressWord = new byte[32];
        Address.Parse("0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826").WriteTo(addressWord.AsSpan(12));
        Assert.Equal(Expected("address", addressWord), OneField("address", "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826"));
        Assert.Throws<FormatException>(() => OneField("address", "0xCd2a3d9F938E13CD947Ec05AbC7FE734Df8DD826")); // bad checksum
        Assert.Throws<FormatException>(() => OneField("address", "0x1234"));
    }

    [Theory]
    [InlineData("""{"types":{},"primaryType":"M","domain":{},"message":{}}""", "primaryType 'M'")]
    [InlineData("""{"types":{"M":[{"name":"a","type":"Nope"}]},"primaryType":"M","domain":{},"message":{"a":1}}""", "unknown type 'Nope'")]
    [InlineData("""{"types":{"M":[{"name":"a","type":"uint7"}]},"primaryType":"M","domain":{},"message":{"a":1}}""", "unknown type 'uint7'")]
    [InlineData("""{"types":{"M":[{"name":"a","type":"bytes33"}]},"primaryType":"M","domain":{},"message":{"a":1}}""", "unknown type 'bytes33'")]
    [InlineData("""{"types":{"M":[{"name":"a","type":"uint8"},{"name":"a","type":"uint8"}]},"primaryType":"M","domain":{},"message":{"a":1}}""", "appears twice")]
    [InlineData("""{"types":{"M":[]},"primaryType":"M","domain":{"foo":1},"message":{}}""", "unknown field 'foo'")]
    [InlineData("""{"types":{"M":[]},"primaryType":"M","domain":{}}""", "no 'message'")]
    [InlineData("""[1,2]""", "JSON object")]
    [InlineData("""{not json""", "not valid JSON")]
    public void Parse_BadInput_ThrowsFormatExceptionSayingWhat(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => TypedData.Parse(json));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashStruct_MissingField_NamesThePath()
    {
        var td = TypedData.Parse("""{"types":{"M":[{"name":"p","type":"P"}],"P":[{"name":"x","type":"uint8"}]},"primaryType":"M","domain":{"name":"n"},"message":{"p":{}}}""");
        var ex = Assert.Throws<FormatException>(() => td.Digest());
        Assert.Contains("message.p.x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DomainSeparator_DerivedOrGivenDomainType_Agree()
    {
        var withType = TypedData.Parse(GoldenVectorTests.MailJson);
        var node = JsonNode.Parse(GoldenVectorTests.MailJson)!;
        node["types"]!.AsObject().Remove("EIP712Domain");
        var derived = TypedData.Parse(node.ToJsonString());
        Assert.Equal(withType.DomainSeparator(), derived.DomainSeparator());
        Assert.Equal(withType.Digest(), derived.Digest());
    }

    private static Hash32 OneField(string type, JsonNode? value)
    {
        var json = new JsonObject
        {
            ["types"] = new JsonObject { ["T"] = new JsonArray(new JsonObject { ["name"] = "v", ["type"] = type }) },
            ["primaryType"] = "T",
            ["domain"] = new JsonObject { ["name"] = "d" },
            ["message"] = new JsonObject { ["v"] = value },
        };
        return TypedData.Parse(json.ToJsonString()).HashStruct();
    }

    private static Hash32 Expected(string type, byte[] word) =>
        Hash32.FromBytes(Keccak256.Hash([.. Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes($"T({type} v)")), .. word]));

    private static byte[] Word(BigInteger v)
    {
        var b = new byte[32];
        v.TryWriteBytes(b.AsSpan(32 - v.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return b;
    }
}
