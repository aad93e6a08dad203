using Centime.Ledger;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Utilities;

namespace Centime.Crypto;

/// <summary>
/// secp256k1 in managed code with BouncyCastle: RFC 6979 nonces from <see cref="HMacDsaKCalculator"/>, signing
/// written out so the recovery id comes from the nonce point, and recovery by SEC 1 v2 §4.1.6.
/// </summary>
internal sealed class ManagedSecp256k1 : ISecp256k1Backend
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly BigInteger N = Curve.N;
    private static readonly BigInteger HalfN = Curve.N.ShiftRight(1);
    private static readonly ECPoint G = Curve.G;
    private static readonly FixedPointCombMultiplier Multiplier = new();

    public string Name => "BouncyCastle (managed)";

    public Signature Sign(ReadOnlySpan<byte> privateKey32, in Hash32 digest)
    {
        if (!CurveOrder.IsValidScalar(privateKey32))
        {
            Secp256k1.ThrowInvalidKey(nameof(privateKey32));
        }

        var d = new BigInteger(1, privateKey32);
        var message = digest.ToBytes();
        var e = new BigInteger(1, message);
        var kCalculator = new HMacDsaKCalculator(new Sha256Digest());
        kCalculator.Init(N, d, message);
        while (true)
        {
            var k = kCalculator.NextK();
            var point = Multiplier.Multiply(G, k).Normalize();
            var x = point.AffineXCoord.ToBigInteger();
            var r = x.Mod(N);
            if (r.SignValue == 0)
            {
                continue;
            }

            var s = BigIntegers.ModOddInverse(N, k).Multiply(e.Add(d.Multiply(r))).Mod(N);
            if (s.SignValue == 0)
            {
                continue;
            }

            var recoveryId = (point.AffineYCoord.TestBitZero() ? 1 : 0) | (x.CompareTo(N) >= 0 ? 2 : 0);
            if (s.CompareTo(HalfN) > 0)
            {
                // Low s (EIP-2): s and n - s are both valid; flipping s mirrors R, so the y parity flips.
                s = N.Subtract(s);
                recoveryId ^= 1;
            }

            return new Signature(
                Hash32.FromBytes(BigIntegers.AsUnsignedByteArray(32, r)),
                Hash32.FromBytes(BigIntegers.AsUnsignedByteArray(32, s)),
                (byte)(27 + recoveryId));
        }
    }

    public bool TryRecover(in Hash32 digest, in Signature signature, out Address signer)
    {
        signer = default;
        Span<byte> rBytes = stackalloc byte[32];
        Span<byte> sBytes = stackalloc byte[32];
        if (!Secp256k1.IsAcceptable(signature, rBytes, sBytes))
        {
            return false;
        }

        // SEC 1 §4.1.6 with j = 0 (V only carries the y parity): R = (r, y) with y of the signed parity.
        var r = new BigInteger(1, rBytes);
        var x = Curve.Curve.FromBigInteger(r);
        var y = x.Square().Multiply(x).Add(Curve.Curve.B).Sqrt();
        if (y is null)
        {
            return false; // r is not the x of a curve point
        }

        if (y.TestBitZero() != (signature.V == 28))
        {
            y = y.Negate();
        }

        var bigR = Curve.Curve.CreatePoint(r, y.ToBigInteger());
        Span<byte> digestBytes = stackalloc byte[32];
        digest.WriteTo(digestBytes);
        var e = new BigInteger(1, digestBytes);
        var rInverse = BigIntegers.ModOddInverse(N, r);
        var u1 = N.Subtract(e.Mod(N)).Multiply(rInverse).Mod(N);
        var u2 = new BigInteger(1, sBytes).Multiply(rInverse).Mod(N);
        var q = ECAlgorithms.SumOfTwoMultiplies(G, u1, bigR, u2).Normalize();
        if (q.IsInfinity)
        {
            return false;
        }

        signer = ToAddress(q);
        return true;
    }

    public Address AddressOf(ReadOnlySpan<byte> privateKey32)
    {
        if (!CurveOrder.IsValidScalar(privateKey32))
        {
            Secp256k1.ThrowInvalidKey(nameof(privateKey32));
        }

        return ToAddress(Multiplier.Multiply(G, new BigInteger(1, privateKey32)).Normalize());
    }

    private static Address ToAddress(ECPoint normalized)
    {
        Span<byte> xy = stackalloc byte[64];
        normalized.AffineXCoord.EncodeTo(xy[..32]);
        normalized.AffineYCoord.EncodeTo(xy[32..]);
        return Address.FromPublicKey(xy);
    }
}
