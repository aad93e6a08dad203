using System.Text.Json.Nodes;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Crypto.Tests;

/// <summary>Cross-implementation checks against the real npm ethers 6.17.0 (interop/ethers-bridge.mjs).</summary>
public sealed class InteropTests(ITestOutputHelper output)
{
    private const int Cases = 300;

    [Fact]
    public void TypedData_SignedByEthers_SameDigestAndSignerInCSharp()
    {
        var rng = TestSeed.Create(output, nameof(TypedData_SignedByEthers_SameDigestAndSignerInCSharp));
        var gen = new TypedDataGenerator(rng);
        var requests = new List<JsonObject>();
        var keys = new List<byte[]>();
        for (var i = 0; i < Cases; i++)
        {
            var key = RandomKey(rng);
            keys.Add(key);
            requests.Add(new JsonObject { ["op"] = "signTypedData", ["privateKey"] = "0x" + Convert.ToHexStringLower(key), ["typedData"] = gen.Next() });
        }

        using var ethers = EthersBridge.Start();
        var replies = ethers.CallMany(requests);
        var backends = Backends();
        for (var i = 0; i < Cases; i++)
        {
            var typedDataJson = requests[i]["typedData"]!.ToJsonString();
            Assert.True(replies[i]["ok"]!.GetValue<bool>(), $"case {i}: ethers refused: {replies[i]["error"]}\n{typedDataJson}");
            var td = TypedData.Parse(typedDataJson);
            Assert.Equal(replies[i]["primaryType"]!.GetValue<string>(), td.PrimaryType);
            Assert.Equal(replies[i]["encodeType"]!.GetValue<string>(), td.EncodeType(td.PrimaryType));
            var digest = td.Digest();
            Assert.True(Hash32.Parse(replies[i]["digest"]!.GetValue<string>()) == digest, $"case {i}: digest differs\n{typedDataJson}");
            var sig = Signature.Parse(replies[i]["signature"]!.GetValue<string>());
            var expected = Address.Parse(replies[i]["address"]!.GetValue<string>());
            Assert.Equal(Secp256k1.Default.AddressOf(keys[i]), expected);
            foreach (var backend in backends)
            {
                Assert.True(backend.TryRecover(digest, sig, out var signer), $"case {i}: {backend.Name} could not recover");
                Assert.Equal(expected, signer);
                Assert.Equal(sig, backend.Sign(keys[i], digest)); // deterministic: the very same signature
            }
        }
    }

    [Fact]
    public void TypedData_SignedInCSharp_VerifiesInEthers()
    {
        var rng = TestSeed.Create(output, nameof(TypedData_SignedInCSharp_VerifiesInEthers));
        var gen = new TypedDataGenerator(rng);
        var requests = new List<JsonObject>();
        var expected = new List<(Address Signer, Hash32 Digest)>();
        var backends = Backends();
        for (var i = 0; i < Cases; i++)
        {
            var key = RandomKey(rng);
            var typedData = gen.Next();
            var td = TypedData.Parse(typedData.ToJsonString());
            var backend = backends[i % backends.Length];
            var sig = backend.Sign(key, td.Digest());
            expected.Add((backend.AddressOf(key), td.Digest()));
            requests.Add(new JsonObject { ["op"] = "verifyTypedData", ["typedData"] = typedData, ["signature"] = sig.ToHex() });
        }

        using var ethers = EthersBridge.Start();
        var replies = ethers.CallMany(requests);
        for (var i = 0; i < Cases; i++)
        {
            Assert.True(replies[i]["ok"]!.GetValue<bool>(), $"case {i}: ethers refused: {replies[i]["error"]}\n{requests[i]["typedData"]!.ToJsonString()}");
            Assert.Equal(expected[i].Digest, Hash32.Parse(replies[i]["digest"]!.GetValue<string>()));
            Assert.Equal(expected[i].Signer, Address.Parse(replies[i]["address"]!.GetValue<string>()));
        }
    }

    [Fact]
    public void Eip3009Json_SignedByEthers_RecoversInCSharp()
    {
        var v = GoldenVectorTests.LoadEip3009Vector();
        var key = Convert.FromHexString(v.GetProperty("privateKey").GetString()![2..]);
        var domain = new Eip712Domain("USDC", "2", 84532, Address.Parse("0x036CbD53842c5426634e7929541eC2318f3dCF7e"), null);
        var json = Eip3009.TransferWithAuthorizationJson(domain, Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            Address.Parse("0x209693Bc6afc0C5328bA36FaF03C514EF312287C"), 10000, 0, 1740672154,
            Hash32.Parse("0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"));
        using var ethers = EthersBridge.Start();
        var reply = ethers.Call(new JsonObject { ["op"] = "signTypedData", ["privateKey"] = "0x" + Convert.ToHexStringLower(key), ["typedData"] = JsonNode.Parse(json) });
        Assert.Equal(v.GetProperty("digest").GetString(), reply["digest"]!.GetValue<string>());
        Assert.Equal(v.GetProperty("signature").GetString(), reply["signature"]!.GetValue<string>());
    }

    [Fact]
    public void Keystore_WrittenByEthers_OpensInCSharp_AndViceVersa()
    {
        var rng = TestSeed.Create(output, nameof(Keystore_WrittenByEthers_OpensInCSharp_AndViceVersa));
        var keys = Enumerable.Range(0, 4).Select(_ => RandomKey(rng)).ToArray();
        const string password = "correct horse battery staple ✓";
        using var ethers = EthersBridge.Start();

        // ethers → C#
        var written = ethers.CallMany(keys.Select(k => new JsonObject
        {
            ["op"] = "encryptKeystore",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(k),
            ["password"] = password,
            ["scryptN"] = 1024,
        }).ToList());
        for (var i = 0; i < keys.Length; i++)
        {
            var json = written[i]["json"]!.GetValue<string>();
            Assert.Equal(keys[i], KeystoreV3.Decrypt(json, password));
            Assert.Equal(Address.Parse(written[i]["address"]!.GetValue<string>()), KeystoreV3.AddressOf(json));
            var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(json, password + "x"));
            Assert.Contains("MAC mismatch", ex.Message, StringComparison.Ordinal);
        }

        // C# → ethers (scrypt and pbkdf2), and a wrong password refused by ethers too
        var mine = new List<(byte[] Key, string Json)>();
        for (var i = 0; i < keys.Length; i++)
        {
            var kdf = i % 2 == 0 ? KeystoreKdf.Scrypt(1024) : KeystoreKdf.Pbkdf2(2048);
            mine.Add((keys[i], KeystoreV3.Encrypt(keys[i], password, kdf)));
        }

        var requests = mine.Select(m => new JsonObject { ["op"] = "decryptKeystore", ["json"] = m.Json, ["password"] = password }).ToList();
        requests.AddRange(mine.Select(m => new JsonObject { ["op"] = "decryptKeystore", ["json"] = m.Json, ["password"] = "wrong" }));
        var replies = ethers.CallMany(requests);
        for (var i = 0; i < mine.Count; i++)
        {
            Assert.True(replies[i]["ok"]!.GetValue<bool>(), $"ethers could not open C#'s keystore: {replies[i]["error"]}\n{mine[i].Json}");
            Assert.Equal("0x" + Convert.ToHexStringLower(mine[i].Key), replies[i]["privateKey"]!.GetValue<string>());
            Assert.Equal(Secp256k1.Default.AddressOf(mine[i].Key), Address.Parse(replies[i]["walletAddress"]!.GetValue<string>()));
            var wrong = replies[mine.Count + i];
            Assert.False(wrong["ok"]!.GetValue<bool>());
            Assert.Contains("password", wrong["error"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("uint8", "256")]
    [InlineData("uint8", "-1")]
    [InlineData("int8", "128")]
    [InlineData("int8", "-129")]
    [InlineData("uint256", "\"0x10000000000000000000000000000000000000000000000000000000000000000\"")]
    [InlineData("int256", "\"57896044618658097711785492504343953926634992332820282019728792003956564819968\"")]
    [InlineData("bytes2", "\"0x010203\"")]
    [InlineData("bytes2", "\"0x01\"")]
    [InlineData("bytes", "\"0x123\"")]
    [InlineData("address", "\"0xCd2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"")]
    [InlineData("address", "\"0x1234\"")]
    [InlineData("uint8[2]", "[1]")]
    [InlineData("uint8[2]", "[1,2,3]")]
    [InlineData("uint8[]", "[1,\"x\"]")]
    public void TypedData_InvalidValues_RejectedByBothEthersAndCSharp(string type, string valueJson)
    {
        var typedData = new JsonObject
        {
            ["types"] = new JsonObject { ["T"] = new JsonArray(new JsonObject { ["name"] = "v", ["type"] = type }) },
            ["primaryType"] = "T",
            ["domain"] = new JsonObject { ["name"] = "d", ["chainId"] = 1 },
            ["message"] = new JsonObject { ["v"] = JsonNode.Parse(valueJson) },
        };
        using var ethers = EthersBridge.Start();
        var reply = ethers.CallMany([new JsonObject { ["op"] = "hashTypedData", ["typedData"] = typedData.DeepClone() }])[0];
        Assert.False(reply["ok"]!.GetValue<bool>(), $"ethers accepted {type} {valueJson}");
        var ex = Assert.Throws<FormatException>(() => TypedData.Parse(typedData.ToJsonString()).Digest());
        output.WriteLine($"{type} {valueJson}: ethers '{reply["error"]}', C# '{ex.Message}'");
    }

    private static ISecp256k1Backend[] Backends() =>
        Secp256k1.Native is { } native ? [native, Secp256k1.Managed] : [Secp256k1.Managed];

    internal static byte[] RandomKey(Random rng)
    {
        var key = new byte[32];
        do
        {
            rng.NextBytes(key);
        }
        while (!Secp256k1.IsValidPrivateKey(key));
        return key;
    }
}
