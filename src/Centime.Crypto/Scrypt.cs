using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Centime.Crypto;

/// <summary>
/// scrypt (RFC 7914). Written out because BouncyCastle refuses N ≥ 65536 with r = 1 (RFC 7914's N &lt; 2^(16r)
/// guidance), which real keystores use — the Web3 Secret Storage test vector is N = 262144, r = 1, p = 8.
/// </summary>
internal static class Scrypt
{
    /// <summary>Memory ceiling (128·r·N bytes) so a hostile keystore cannot ask for more than 1 GiB.</summary>
    public const long MaxMemoryBytes = 1L << 30;

    public static byte[] DeriveKey(byte[] password, byte[] salt, int n, int r, int p, int dkLen)
    {
        if (n < 2 || (n & (n - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "scrypt N must be a power of two ≥ 2.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 1);
        if (128L * r * n > MaxMemoryBytes || (long)p * r > (1 << 24))
        {
            throw new ArgumentOutOfRangeException(nameof(n), "scrypt parameters need too much memory.");
        }

        var blockBytes = 128 * r;
        var b = Rfc2898DeriveBytes.Pbkdf2(password, salt, 1, HashAlgorithmName.SHA256, p * blockBytes);
        var words = 32 * r;
        var x = new uint[words];
        var y = new uint[words];
        var v = new uint[(long)words * n];
        try
        {
            for (var i = 0; i < p; i++)
            {
                var block = b.AsSpan(i * blockBytes, blockBytes);
                for (var k = 0; k < words; k++)
                {
                    x[k] = BinaryPrimitives.ReadUInt32LittleEndian(block[(4 * k)..]);
                }

                RoMix(x, y, v, n, r);
                for (var k = 0; k < words; k++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(block[(4 * k)..], x[k]);
                }
            }

            return Rfc2898DeriveBytes.Pbkdf2(password, b, 1, HashAlgorithmName.SHA256, dkLen);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(b);
            Array.Clear(x);
            Array.Clear(y);
            Array.Clear(v);
        }
    }

    private static void RoMix(uint[] x, uint[] y, uint[] v, int n, int r)
    {
        var words = 32 * r;
        for (var i = 0; i < n; i++)
        {
            x.AsSpan().CopyTo(v.AsSpan(i * words, words));
            BlockMix(x, y, r);
        }

        var mask = (uint)(n - 1);
        for (var i = 0; i < n; i++)
        {
            var j = (int)(x[(2 * r - 1) * 16] & mask); // Integerify: first word of the last 64-byte block
            var vj = v.AsSpan(j * words, words);
            for (var k = 0; k < words; k++)
            {
                x[k] ^= vj[k];
            }

            BlockMix(x, y, r);
        }
    }

    /// <summary>BlockMix with Salsa20/8: outputs go to even/odd halves, then back into <paramref name="b"/>.</summary>
    private static void BlockMix(uint[] b, uint[] y, int r)
    {
        Span<uint> t = stackalloc uint[16];
        b.AsSpan((2 * r - 1) * 16, 16).CopyTo(t);
        for (var i = 0; i < 2 * r; i++)
        {
            var bi = b.AsSpan(i * 16, 16);
            for (var k = 0; k < 16; k++)
            {
                t[k] ^= bi[k];
            }

            Salsa208(t);
            var dest = ((i & 1) == 0 ? i / 2 : r + (i / 2)) * 16;
            t.CopyTo(y.AsSpan(dest, 16));
        }

        y.AsSpan().CopyTo(b);
    }

    private static void Salsa208(Span<uint> b)
    {
        // Salsa20 arithmetic is modulo 2^32 by definition: unchecked is the specified behaviour.
        unchecked
        {
            uint x0 = b[0], x1 = b[1], x2 = b[2], x3 = b[3], x4 = b[4], x5 = b[5], x6 = b[6], x7 = b[7];
            uint x8 = b[8], x9 = b[9], x10 = b[10], x11 = b[11], x12 = b[12], x13 = b[13], x14 = b[14], x15 = b[15];
            for (var i = 0; i < 8; i += 2)
            {
                x4 ^= BitOperations.RotateLeft(x0 + x12, 7); x8 ^= BitOperations.RotateLeft(x4 + x0, 9);
                x12 ^= BitOperations.RotateLeft(x8 + x4, 13); x0 ^= BitOperations.RotateLeft(x12 + x8, 18);
                x9 ^= BitOperations.RotateLeft(x5 + x1, 7); x13 ^= BitOperations.RotateLeft(x9 + x5, 9);
                x1 ^= BitOperations.RotateLeft(x13 + x9, 13); x5 ^= BitOperations.RotateLeft(x1 + x13, 18);
                x14 ^= BitOperations.RotateLeft(x10 + x6, 7); x2 ^= BitOperations.RotateLeft(x14 + x10, 9);
                x6 ^= BitOperations.RotateLeft(x2 + x14, 13); x10 ^= BitOperations.RotateLeft(x6 + x2, 18);
                x3 ^= BitOperations.RotateLeft(x15 + x11, 7); x7 ^= BitOperations.RotateLeft(x3 + x15, 9);
                x11 ^= BitOperations.RotateLeft(x7 + x3, 13); x15 ^= BitOperations.RotateLeft(x11 + x7, 18);
                x1 ^= BitOperations.RotateLeft(x0 + x3, 7); x2 ^= BitOperations.RotateLeft(x1 + x0, 9);
                x3 ^= BitOperations.RotateLeft(x2 + x1, 13); x0 ^= BitOperations.RotateLeft(x3 + x2, 18);
                x6 ^= BitOperations.RotateLeft(x5 + x4, 7); x7 ^= BitOperations.RotateLeft(x6 + x5, 9);
                x4 ^= BitOperations.RotateLeft(x7 + x6, 13); x5 ^= BitOperations.RotateLeft(x4 + x7, 18);
                x11 ^= BitOperations.RotateLeft(x10 + x9, 7); x8 ^= BitOperations.RotateLeft(x11 + x10, 9);
                x9 ^= BitOperations.RotateLeft(x8 + x11, 13); x10 ^= BitOperations.RotateLeft(x9 + x8, 18);
                x12 ^= BitOperations.RotateLeft(x15 + x14, 7); x13 ^= BitOperations.RotateLeft(x12 + x15, 9);
                x14 ^= BitOperations.RotateLeft(x13 + x12, 13); x15 ^= BitOperations.RotateLeft(x14 + x13, 18);
            }

            b[0] += x0; b[1] += x1; b[2] += x2; b[3] += x3; b[4] += x4; b[5] += x5; b[6] += x6; b[7] += x7;
            b[8] += x8; b[9] += x9; b[10] += x10; b[11] += x11; b[12] += x12; b[13] += x13; b[14] += x14; b[15] += x15;
        }
    }
}
