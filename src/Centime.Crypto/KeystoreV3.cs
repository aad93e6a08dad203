using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>Which key-derivation function protects a keystore.</summary>
public enum KeystoreKdfKind
{
    /// <summary>scrypt (the default of geth and ethers).</summary>
    Scrypt = 0,

    /// <summary>PBKDF2 with HMAC-SHA256.</summary>
    Pbkdf2 = 1,
}

/// <summary>
/// Key-derivation parameters for <see cref="KeystoreV3.Encrypt"/>. <c>default</c> is scrypt with n = 131072,
/// r = 8, p = 1 (ethers' default; about a second and 128 MiB). Zero fields take their defaults.
/// </summary>
public readonly record struct KeystoreKdf(KeystoreKdfKind Kind, int N, int R, int P, int Iterations)
{
    public const int DefaultScryptN = 131072;
    public const int DefaultPbkdf2Iterations = 262144;

    /// <summary>scrypt; <paramref name="n"/> must be a power of two.</summary>
    public static KeystoreKdf Scrypt(int n = DefaultScryptN, int r = 8, int p = 1) => new(KeystoreKdfKind.Scrypt, n, r, p, 0);

    /// <summary>PBKDF2-HMAC-SHA256.</summary>
    public static KeystoreKdf Pbkdf2(int iterations = DefaultPbkdf2Iterations) => new(KeystoreKdfKind.Pbkdf2, 0, 0, 0, iterations);

    internal int EffectiveN => N == 0 ? DefaultScryptN : N;

    internal int EffectiveR => R == 0 ? 8 : R;

    internal int EffectiveP => P == 0 ? 1 : P;

    internal int EffectiveIterations => Iterations == 0 ? DefaultPbkdf2Iterations : Iterations;
}

/// <summary>A keystore that cannot be opened: wrong password, corrupt or unsupported file.</summary>
public sealed class KeystoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Web3 Secret Storage v3 (geth / ethers / MetaMask keystore files): scrypt or PBKDF2-HMAC-SHA256 derives 32
/// bytes from the password; the first 16 are the AES-128-CTR key, and mac = keccak256(dk[16..32] ‖ ciphertext).
/// </summary>
public static class KeystoreV3
{
    // Upper bounds so a hostile file cannot make us allocate gigabytes or spin for hours.
    private const int MaxScryptN = 1 << 22;
    private const int MaxPbkdf2Iterations = 10_000_000;

    /// <summary>Encrypts a private key into keystore JSON (with a random salt, IV and UUID).</summary>
    public static string Encrypt(ReadOnlySpan<byte> privateKey32, string password, KeystoreKdf kdf = default)
    {
        ArgumentNullException.ThrowIfNull(password);
        var address = Secp256k1.Default.AddressOf(privateKey32); // validates the key
        var salt = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(16);
        var passwordBytes = PasswordBytes(password);
        byte[] dk;
        try
        {
            dk = kdf.Kind switch
            {
                KeystoreKdfKind.Scrypt => ScryptKey(passwordBytes, salt, kdf.EffectiveN, kdf.EffectiveR, kdf.EffectiveP, 32),
                KeystoreKdfKind.Pbkdf2 => Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, kdf.EffectiveIterations, HashAlgorithmName.SHA256, 32),
                _ => throw new ArgumentOutOfRangeException(nameof(kdf)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }

        var ciphertext = new byte[32];
        try
        {
            AesCtr(dk.AsSpan(0, 16), iv, privateKey32, ciphertext);
            var mac = Mac(dk, ciphertext);
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteString("address", Convert.ToHexStringLower(address.ToBytes()));
                w.WriteStartObject("crypto");
                w.WriteString("cipher", "aes-128-ctr");
                w.WriteString("ciphertext", Convert.ToHexStringLower(ciphertext));
                w.WriteStartObject("cipherparams");
                w.WriteString("iv", Convert.ToHexStringLower(iv));
                w.WriteEndObject();
                if (kdf.Kind == KeystoreKdfKind.Scrypt)
                {
                    w.WriteString("kdf", "scrypt");
                    w.WriteStartObject("kdfparams");
                    w.WriteNumber("dklen", 32);
                    w.WriteNumber("n", kdf.EffectiveN);
                    w.WriteNumber("p", kdf.EffectiveP);
                    w.WriteNumber("r", kdf.EffectiveR);
                    w.WriteString("salt", Convert.ToHexStringLower(salt));
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("kdf", "pbkdf2");
                    w.WriteStartObject("kdfparams");
                    w.WriteNumber("c", kdf.EffectiveIterations);
                    w.WriteNumber("dklen", 32);
                    w.WriteString("prf", "hmac-sha256");
                    w.WriteString("salt", Convert.ToHexStringLower(salt));
                    w.WriteEndObject();
                }

                w.WriteString("mac", Convert.ToHexStringLower(mac));
                w.WriteEndObject();
                w.WriteString("id", Guid.NewGuid().ToString("D"));
                w.WriteNumber("version", 3);
                w.WriteEndObject();
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dk);
        }
    }

    /// <summary>
    /// Decrypts a keystore and returns the 32-byte private key (zero it when done). Accepts geth's and ethers'
    /// files ("crypto" or "Crypto", address with or without 0x, or absent). Throws <see cref="KeystoreException"/>.
    /// </summary>
    public static byte[] Decrypt(string json, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        using var doc = ParseJson(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("version", out var version) && !(version.ValueKind == JsonValueKind.Number && version.TryGetInt32(out var v) && v == 3))
        {
            throw new KeystoreException($"unsupported keystore version {version.GetRawText()} (only version 3)");
        }

        var crypto = Property(root, "crypto") ?? throw new KeystoreException("corrupt keystore: no 'crypto' object");
        var cipher = String(crypto, "cipher");
        if (!string.Equals(cipher, "aes-128-ctr", StringComparison.OrdinalIgnoreCase))
        {
            throw new KeystoreException($"unsupported keystore cipher '{cipher}' (only aes-128-ctr)");
        }

        var ciphertext = HexField(crypto, "ciphertext");
        var cipherParams = Property(crypto, "cipherparams") ?? throw new KeystoreException("corrupt keystore: no 'cipherparams'");
        var iv = HexField(cipherParams, "iv");
        if (iv.Length != 16)
        {
            throw new KeystoreException("corrupt keystore: the iv must be 16 bytes");
        }

        var mac = HexField(crypto, "mac");
        var dk = DeriveKey(crypto, password);
        try
        {
            if (dk.Length < 32)
            {
                throw new KeystoreException("unsupported keystore: dklen below 32");
            }

            if (!CryptographicOperations.FixedTimeEquals(Mac(dk, ciphertext), mac))
            {
                throw new KeystoreException("wrong password or corrupt keystore: MAC mismatch");
            }

            if (ciphertext.Length != 32)
            {
                throw new KeystoreException($"corrupt keystore: the ciphertext is {ciphertext.Length} bytes, a private key is 32");
            }

            var key = new byte[32];
            AesCtr(dk.AsSpan(0, 16), iv, ciphertext, key);
            if (!Secp256k1.IsValidPrivateKey(key))
            {
                CryptographicOperations.ZeroMemory(key);
                throw new KeystoreException("corrupt keystore: the decrypted key is not a valid secp256k1 private key");
            }

            if (TryAddress(root, out var stated) && Secp256k1.Default.AddressOf(key) is var actual && actual != stated)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new KeystoreException($"corrupt keystore: the key belongs to {actual}, not the stated address {stated}");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dk);
        }
    }

    /// <summary>The address a keystore states (no password needed); throws <see cref="KeystoreException"/> when absent.</summary>
    public static Address AddressOf(string json)
    {
        using var doc = ParseJson(json);
        return TryAddress(doc.RootElement, out var address)
            ? address
            : throw new KeystoreException("the keystore states no address (decrypt it to learn the address)");
    }

    private static bool TryAddress(JsonElement root, out Address address)
    {
        address = default;
        if (Property(root, "address") is not { ValueKind: JsonValueKind.String } a)
        {
            return false;
        }

        var text = a.GetString()!;
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = "0x" + text;
        }

        // Files store lowercase hex; compare on bytes so any case works.
        if (!Address.TryParse(text.ToLowerInvariant(), out address))
        {
            throw new KeystoreException($"corrupt keystore: '{Hex.Truncate(a.GetString()!)}' is not an address");
        }

        return true;
    }

    private static byte[] DeriveKey(JsonElement crypto, string password)
    {
        var kdf = String(crypto, "kdf");
        var p = Property(crypto, "kdfparams") ?? throw new KeystoreException("corrupt keystore: no 'kdfparams'");
        var salt = HexField(p, "salt");
        var dklen = Int(p, "dklen");
        if (dklen is < 32 or > 64)
        {
            throw new KeystoreException($"unsupported keystore: dklen {dklen}");
        }

        var passwordBytes = PasswordBytes(password);
        try
        {
            switch (kdf.ToLowerInvariant())
            {
                case "scrypt":
                    {
                        var n = Int(p, "n");
                        var r = Int(p, "r");
                        var par = Int(p, "p");
                        if (n < 2 || (n & (n - 1)) != 0 || n > MaxScryptN || r is < 1 or > 32 || par is < 1 or > 16 || 128L * r * n > Scrypt.MaxMemoryBytes)
                        {
                            throw new KeystoreException($"unsupported keystore scrypt parameters n={n} r={r} p={par}");
                        }

                        return ScryptKey(passwordBytes, salt, n, r, par, dklen);
                    }

                case "pbkdf2":
                    {
                        var prf = String(p, "prf");
                        if (!string.Equals(prf, "hmac-sha256", StringComparison.OrdinalIgnoreCase))
                        {
                            throw new KeystoreException($"unsupported keystore pbkdf2 prf '{prf}' (only hmac-sha256)");
                        }

                        var c = Int(p, "c");
                        if (c is < 1 or > MaxPbkdf2Iterations)
                        {
                            throw new KeystoreException($"unsupported keystore pbkdf2 iteration count {c}");
                        }

                        return Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, c, HashAlgorithmName.SHA256, dklen);
                    }

                default:
                    throw new KeystoreException($"unsupported keystore kdf '{kdf}' (scrypt or pbkdf2)");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private static byte[] ScryptKey(byte[] password, byte[] salt, int n, int r, int p, int dklen) => Scrypt.DeriveKey(password, salt, n, r, p, dklen);

    /// <summary>UTF-8 of the NFKC form, as ethers does (geth uses the raw bytes; the two agree for ASCII).</summary>
    private static byte[] PasswordBytes(string password)
    {
        var ascii = true;
        foreach (var c in password)
        {
            ascii &= c < 0x80;
        }

        if (!ascii)
        {
            try
            {
                password = password.Normalize(NormalizationForm.FormKC);
            }
            catch (PlatformNotSupportedException)
            {
                // Invariant globalization without normalization data: use the password as typed.
            }
        }

        return Encoding.UTF8.GetBytes(password);
    }

    private static byte[] Mac(ReadOnlySpan<byte> dk, ReadOnlySpan<byte> ciphertext)
    {
        var input = new byte[16 + ciphertext.Length];
        dk.Slice(16, 16).CopyTo(input);
        ciphertext.CopyTo(input.AsSpan(16));
        var mac = Keccak256.Hash(input);
        CryptographicOperations.ZeroMemory(input.AsSpan(0, 16));
        return mac;
    }

    /// <summary>AES-128 in counter mode: the IV is a 128-bit big-endian counter, incremented per block.</summary>
    private static void AesCtr(ReadOnlySpan<byte> key16, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        using var aes = Aes.Create();
        var key = key16.ToArray();
        aes.Key = key; // Aes keeps its own copy
        CryptographicOperations.ZeroMemory(key);
        Span<byte> counter = stackalloc byte[16];
        iv.CopyTo(counter);
        Span<byte> stream = stackalloc byte[16];
        for (var offset = 0; offset < input.Length; offset += 16)
        {
            aes.EncryptEcb(counter, stream, PaddingMode.None);
            var n = Math.Min(16, input.Length - offset);
            for (var i = 0; i < n; i++)
            {
                output[offset + i] = (byte)(input[offset + i] ^ stream[i]);
            }

            var low = BinaryPrimitives.ReadUInt64BigEndian(counter[8..]);
            var high = BinaryPrimitives.ReadUInt64BigEndian(counter);
            low = unchecked(low + 1); // a 128-bit counter wraps modulo 2^128, as CTR requires
            if (low == 0)
            {
                high = unchecked(high + 1);
            }

            BinaryPrimitives.WriteUInt64BigEndian(counter, high);
            BinaryPrimitives.WriteUInt64BigEndian(counter[8..], low);
        }

        stream.Clear();
    }

    private static JsonDocument ParseJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new KeystoreException("corrupt keystore: not a JSON object");
            }

            return doc;
        }
        catch (JsonException ex)
        {
            throw new KeystoreException($"corrupt keystore: not valid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>A property by case-insensitive name (geth writes "crypto", older tools "Crypto").</summary>
    private static JsonElement? Property(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (obj.TryGetProperty(name, out var exact))
        {
            return exact;
        }

        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    private static string String(JsonElement obj, string name) =>
        Property(obj, name) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : throw new KeystoreException($"corrupt keystore: '{name}' is missing or not a string");

    private static int Int(JsonElement obj, string name) =>
        Property(obj, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var i) ? i : throw new KeystoreException($"corrupt keystore: '{name}' is missing or not an integer");

    private static byte[] HexField(JsonElement obj, string name)
    {
        var text = String(obj, name);
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new KeystoreException($"corrupt keystore: '{name}' is not hex");
        }
    }
}
