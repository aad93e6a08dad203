using System.Security.Cryptography;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>
/// secp256k1 ECDSA as Ethereum uses it: deterministic RFC 6979 signatures normalised to low s, public-key
/// recovery to an <see cref="Address"/>. Two implementations give identical results: libsecp256k1 (native,
/// fast) and BouncyCastle (managed, always available).
/// </summary>
public interface ISecp256k1Backend
{
    /// <summary>"libsecp256k1 (native)" or "BouncyCastle (managed)".</summary>
    string Name { get; }

    /// <summary>
    /// Signs a 32-byte digest: RFC 6979 nonce (HMAC-SHA256), s normalised to the lower half, V 27/28.
    /// Throws <see cref="ArgumentException"/> when the key is not a valid scalar (0 &lt; k &lt; n).
    /// </summary>
    Signature Sign(ReadOnlySpan<byte> privateKey32, in Hash32 digest);

    /// <summary>
    /// Recovers the signer's address. False (never an exception) for V other than 27/28, r or s zero or ≥ n,
    /// high s (EIP-2), or an r that is not the x of a curve point.
    /// </summary>
    bool TryRecover(in Hash32 digest, in Signature signature, out Address signer);

    /// <summary>The address of a private key; throws <see cref="ArgumentException"/> for an invalid key.</summary>
    Address AddressOf(ReadOnlySpan<byte> privateKey32);
}

/// <summary>Backend selection and key generation.</summary>
public static class Secp256k1
{
    private static readonly Lazy<ISecp256k1Backend?> LazyNative = new(NativeSecp256k1.TryCreate, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<ISecp256k1Backend> LazyManaged = new(() => new ManagedSecp256k1(), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<ISecp256k1Backend> LazyDefault = new(
        () => string.Equals(Environment.GetEnvironmentVariable("CENTIME_SECP256K1"), "managed", StringComparison.OrdinalIgnoreCase) ? Managed : Native ?? Managed,
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// libsecp256k1 when libsecp256k1.so.1 (or libsecp256k1.so) loads and passes its self-test, else the managed
    /// backend. Setting the environment variable <c>CENTIME_SECP256K1=managed</c> (read once) forces the managed one.
    /// </summary>
    public static ISecp256k1Backend Default => LazyDefault.Value;

    /// <summary>The BouncyCastle implementation.</summary>
    public static ISecp256k1Backend Managed => LazyManaged.Value;

    /// <summary>The libsecp256k1 implementation, or null when the library is absent or failed its self-test.</summary>
    public static ISecp256k1Backend? Native => LazyNative.Value;

    /// <summary>A new random private key (0 &lt; k &lt; n) from the system CSPRNG.</summary>
    public static byte[] NewPrivateKey()
    {
        var key = new byte[32];
        do
        {
            RandomNumberGenerator.Fill(key);
        }
        while (!CurveOrder.IsValidScalar(key));
        return key;
    }

    /// <summary>True when <paramref name="privateKey32"/> is 32 bytes and 0 &lt; k &lt; n.</summary>
    public static bool IsValidPrivateKey(ReadOnlySpan<byte> privateKey32) => CurveOrder.IsValidScalar(privateKey32);

    /// <summary>Checks the shape of a signature before any curve arithmetic: V 27/28, 0 &lt; r,s &lt; n, s ≤ n/2.</summary>
    internal static bool IsAcceptable(in Signature signature, Span<byte> r32, Span<byte> s32)
    {
        if (signature.V is not (27 or 28))
        {
            return false;
        }

        signature.R.WriteTo(r32);
        signature.S.WriteTo(s32);
        return CurveOrder.IsValidScalar(r32) && CurveOrder.IsValidScalar(s32) && CurveOrder.CompareBigEndian(s32, CurveOrder.HalfN) <= 0;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void ThrowInvalidKey(string paramName) =>
        throw new ArgumentException("A private key is 32 bytes, a number between 1 and n-1 of secp256k1.", paramName);
}
