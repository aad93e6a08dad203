using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Centime.Ledger;

namespace Centime.Crypto.Tests;

public sealed class KeystoreTests : IDisposable
{
    // Web3 Secret Storage definition, test vectors (password "testpassword").
    private const string SpecPbkdf2 = """
        {"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},"ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2","kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},"mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}
        """;

    private const string SpecScrypt = """
        {"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"83dbcc02d8ccb40e466191a123791e0e"},"ciphertext":"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c","kdf":"scrypt","kdfparams":{"dklen":32,"n":262144,"p":8,"r":1,"salt":"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"},"mac":"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}
        """;

    private static readonly byte[] SpecKey = Convert.FromHexString("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "centime-ks-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(SpecPbkdf2)]
    [InlineData(SpecScrypt)]
    public void Decrypt_SpecVectors_GiveTheKey(string json)
    {
        Assert.Equal(SpecKey, KeystoreV3.Decrypt(json, "testpassword"));
        Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(json, "testpassword!"));
        var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.AddressOf(json));
        Assert.Contains("no address", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncryptDecrypt_ScryptAndPbkdf2_RoundTrip()
    {
        var key = Secp256k1.NewPrivateKey();
        foreach (var kdf in new[] { KeystoreKdf.Scrypt(1024), KeystoreKdf.Scrypt(2048, 4, 2), KeystoreKdf.Pbkdf2(1000) })
        {
            var json = KeystoreV3.Encrypt(key, "pässwörd", kdf);
            Assert.Equal(key, KeystoreV3.Decrypt(json, "pässwörd"));
            Assert.Equal(Secp256k1.Default.AddressOf(key), KeystoreV3.AddressOf(json));
            var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(json, "password"));
            Assert.Equal("wrong password or corrupt keystore: MAC mismatch", ex.Message);
        }
    }

    [Fact]
    public void Encrypt_Default_IsScryptLikeEthers()
    {
        var key = Secp256k1.NewPrivateKey();
        var json = KeystoreV3.Encrypt(key, "pw");
        var node = JsonNode.Parse(json)!;
        Assert.Equal(3, node["version"]!.GetValue<int>());
        Assert.Equal("scrypt", node["crypto"]!["kdf"]!.GetValue<string>());
        Assert.Equal(131072, node["crypto"]!["kdfparams"]!["n"]!.GetValue<int>());
        Assert.Equal(8, node["crypto"]!["kdfparams"]!["r"]!.GetValue<int>());
        Assert.Equal(1, node["crypto"]!["kdfparams"]!["p"]!.GetValue<int>());
        Assert.Matches("^[0-9a-f]{40}$", node["address"]!.GetValue<string>());
        Assert.Equal(key, KeystoreV3.Decrypt(json, "pw"));
    }

    [Fact]
    public void Decrypt_GethAndEthersVariants_Accepted()
    {
        var key = Secp256k1.NewPrivateKey();
        var node = JsonNode.Parse(KeystoreV3.Encrypt(key, "pw", KeystoreKdf.Scrypt(1024)))!.AsObject();
        var crypto = node["crypto"]!;
        node.Remove("crypto");
        node["Crypto"] = crypto;
        node["address"] = "0x" + node["address"]!.GetValue<string>().ToUpperInvariant();
        Assert.Equal(key, KeystoreV3.Decrypt(node.ToJsonString(), "pw"));
        Assert.Equal(Secp256k1.Default.AddressOf(key), KeystoreV3.AddressOf(node.ToJsonString()));
    }

    [Fact]
    public void Decrypt_TamperedOrUnsupported_ThrowsSayingWhy()
    {
        var key = Secp256k1.NewPrivateKey();
        var good = KeystoreV3.Encrypt(key, "pw", KeystoreKdf.Scrypt(1024));

        Assert.Contains("MAC mismatch", Mutate(good, n => n["crypto"]!["ciphertext"] = Flip(n["crypto"]!["ciphertext"]!.GetValue<string>())), StringComparison.Ordinal);
        // The IV is not covered by the MAC (as in the spec): a changed one decrypts to another key, caught by the address check.
        Assert.Contains("not the stated address", Mutate(good, n => n["crypto"]!["cipherparams"]!["iv"] = Flip(n["crypto"]!["cipherparams"]!["iv"]!.GetValue<string>())), StringComparison.Ordinal);
        Assert.Contains("version", Mutate(good, n => n["version"] = 2), StringComparison.Ordinal);
        Assert.Contains("cipher", Mutate(good, n => n["crypto"]!["cipher"] = "aes-128-cbc"), StringComparison.Ordinal);
        Assert.Contains("kdf", Mutate(good, n => n["crypto"]!["kdf"] = "argon2"), StringComparison.Ordinal);
        Assert.Contains("scrypt parameters", Mutate(good, n => n["crypto"]!["kdfparams"]!["n"] = 1 << 30), StringComparison.Ordinal);
        Assert.Contains("scrypt parameters", Mutate(good, n => n["crypto"]!["kdfparams"]!["n"] = 1000), StringComparison.Ordinal);
        Assert.Contains("not the stated address", Mutate(good, n => n["address"] = "0000000000000000000000000000000000000001"), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", Mutate(good, _ => { }, raw: "{nope"), StringComparison.Ordinal);
        Assert.Contains("crypto", Mutate(good, n => n.AsObject().Remove("crypto")), StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_CreateFindLoad_ByNameOrAddress()
    {
        var dir = new KeystoreDirectory(_dir);
        Assert.Empty(dir.List());
        var k1 = Secp256k1.NewPrivateKey();
        var k2 = Secp256k1.NewPrivateKey();
        var alice = dir.Create(k1, "pw1", "alice", KeystoreKdf.Scrypt(1024));
        var unnamed = dir.Save(KeystoreV3.Encrypt(k2, "pw2", KeystoreKdf.Pbkdf2(1000)));

        Assert.Matches(new Regex("^UTC--\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{9}Z--[0-9a-f]{40}$"), Path.GetFileName(alice.FilePath));
        Assert.EndsWith(Convert.ToHexStringLower(alice.Address.ToBytes()), alice.FilePath, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(alice.FilePath));
        }

        var list = dir.List();
        Assert.Equal(2, list.Count);
        Assert.Equal("alice", list[0].Name);
        Assert.Null(list[1].Name);
        Assert.Equal(alice.Address, dir.Find("alice").Address);
        Assert.Equal(unnamed.Address, dir.Find(unnamed.Address.ToString().ToLowerInvariant()).Address);
        Assert.Equal(k1, dir.LoadPrivateKey("alice", "pw1"));
        Assert.Equal(k2, dir.LoadPrivateKey(unnamed.Address.ToString(), "pw2"));
        Assert.Throws<KeystoreException>(() => dir.LoadPrivateKey("alice", "pw2"));
        Assert.False(dir.TryFind("bob", out _));
        Assert.Throws<KeystoreException>(() => dir.Find("bob"));

        Assert.Throws<KeystoreException>(() => dir.Create(Secp256k1.NewPrivateKey(), "pw", "alice", KeystoreKdf.Scrypt(1024))); // name taken
        Assert.Throws<KeystoreException>(() => dir.Create(k1, "pw", "alice2", KeystoreKdf.Scrypt(1024)));                      // key present
        Assert.Throws<ArgumentException>(() => dir.Create(Secp256k1.NewPrivateKey(), "pw", "0xabc", KeystoreKdf.Scrypt(1024)));
        Assert.Throws<ArgumentException>(() => dir.Create(Secp256k1.NewPrivateKey(), "pw", "a/b", KeystoreKdf.Scrypt(1024)));

        dir.SetName(unnamed.Address, "bob");
        Assert.Equal(unnamed.Address, new KeystoreDirectory(_dir).Find("bob").Address);
        Assert.Equal(2, dir.List().Count);
    }

    private static string Flip(string hex) => (hex[0] == '0' ? "1" : "0") + hex[1..];

    /// <summary>Applies a change and returns the KeystoreException message.</summary>
    private static string Mutate(string json, Action<JsonNode> change, string? raw = null)
    {
        var node = JsonNode.Parse(json)!;
        change(node);
        return Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(raw ?? node.ToJsonString(), "pw")).Message;
    }
}

public sealed class ScryptTests
{
    [Fact]
    public void DeriveKey_Rfc7914Vector_Matches() =>
        Assert.Equal(
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
            Convert.ToHexStringLower(Scrypt.DeriveKey([], [], 16, 1, 1, 64)));

    [Theory]
    [InlineData(2, 1, 1)]
    [InlineData(1024, 8, 1)]
    [InlineData(1024, 8, 16)]
    [InlineData(4096, 1, 8)]
    [InlineData(512, 3, 2)]
    public void DeriveKey_SameAsBouncyCastle(int n, int r, int p)
    {
        var password = "password"u8.ToArray();
        var salt = "NaCl"u8.ToArray();
        Assert.Equal(Org.BouncyCastle.Crypto.Generators.SCrypt.Generate(password, salt, n, r, p, 64), Scrypt.DeriveKey(password, salt, n, r, p, 64));
    }
}
