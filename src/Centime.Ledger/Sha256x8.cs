using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Centime.Ledger;

/// <summary>
/// SHA-256 (FIPS 180-4) of up to eight equal-length short messages at once, one message per 32-bit lane of a
/// <see cref="Vector256{T}"/>. Used where millions of independent short hashes are built: block Merkle trees
/// (137-byte transfer leaves, 65-byte nodes) and liabilities trees (52–97 bytes). A call into the platform's
/// SHA-256 costs ~0.4 µs of fixed overhead per message on this machine (OpenSSL's EVP per call), more than the
/// compression blocks themselves; eight lanes per call amortise that to ~0.1 µs per message.
/// <para>
/// Everything that checks a tree — proof verifiers, pol-verify.js, the tests — uses the platform SHA-256
/// (<see cref="System.Security.Cryptography.SHA256"/> / WebCrypto), and the tests compare this code with it on
/// random inputs of every length it is used for, so a fault here would show as proofs that do not verify.
/// SHA-256 has no secret-dependent branches or table look-ups, so lanes do not leak into each other's timing.
/// </para>
/// </summary>
internal static class Sha256x8
{
    public const int Lanes = 8;

    /// <summary>Longest message accepted (four blocks with padding); the tree needs at most 97 bytes.</summary>
    public const int MaxLength = (4 * 64) - 9;

    /// <summary>True when 256-bit vectors run in hardware; otherwise callers use the platform SHA-256 per message.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    private static ReadOnlySpan<uint> K =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>
    /// Hashes <paramref name="count"/> (1–8) messages of <paramref name="length"/> bytes each, stored back to back
    /// in <paramref name="messages"/>, into <paramref name="hashes"/> (32 bytes each, same order).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Hash(ReadOnlySpan<byte> messages, int length, int count, Span<byte> hashes)
    {
        if (count is < 1 or > Lanes || length is < 0 or > MaxLength || messages.Length < length * count || hashes.Length < 32 * count)
        {
            throw new ArgumentException("Sha256x8.Hash: 1–8 messages of at most 247 bytes, with room for their hashes.");
        }

        var blocks = (length + 9 + 63) / 64;
        var paddedLength = blocks * 64;

        // Padded messages, lane after lane; empty lanes repeat the first message and their results are dropped.
        Span<byte> padded = stackalloc byte[Lanes * 4 * 64];
        padded[..(Lanes * paddedLength)].Clear();
        for (var lane = 0; lane < Lanes; lane++)
        {
            var source = messages.Slice((lane < count ? lane : 0) * length, length);
            var target = padded.Slice(lane * paddedLength, paddedLength);
            source.CopyTo(target);
            target[length] = 0x80;
            BinaryPrimitives.WriteUInt64BigEndian(target[(paddedLength - 8)..], (ulong)length * 8);
        }

        var h0 = Vector256.Create(0x6a09e667u);
        var h1 = Vector256.Create(0xbb67ae85u);
        var h2 = Vector256.Create(0x3c6ef372u);
        var h3 = Vector256.Create(0xa54ff53au);
        var h4 = Vector256.Create(0x510e527fu);
        var h5 = Vector256.Create(0x9b05688cu);
        var h6 = Vector256.Create(0x1f83d9abu);
        var h7 = Vector256.Create(0x5be0cd19u);

        Span<Vector256<uint>> w = stackalloc Vector256<uint>[64];
        Span<uint> column = stackalloc uint[Lanes];
        var k = K;
        for (var block = 0; block < blocks; block++)
        {
            // Transpose: word t of every lane's block into vector t.
            for (var t = 0; t < 16; t++)
            {
                for (var lane = 0; lane < Lanes; lane++)
                {
                    column[lane] = BinaryPrimitives.ReadUInt32BigEndian(padded[((lane * paddedLength) + (block * 64) + (4 * t))..]);
                }

                w[t] = Vector256.Create<uint>(column);
            }

            for (var t = 16; t < 64; t++)
            {
                var w15 = w[t - 15];
                var w2 = w[t - 2];
                var s0 = Xor3(Rotr(w15, 7), Rotr(w15, 18), Vector256.ShiftRightLogical(w15, 3));
                var s1 = Xor3(Rotr(w2, 17), Rotr(w2, 19), Vector256.ShiftRightLogical(w2, 10));
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
            }

            var a = h0;
            var b = h1;
            var c = h2;
            var d = h3;
            var e = h4;
            var f = h5;
            var g = h6;
            var h = h7;
            for (var t = 0; t < 64; t++)
            {
                var t1 = h + Xor3(Rotr(e, 6), Rotr(e, 11), Rotr(e, 25)) + Choose(e, f, g) + Vector256.Create(k[t]) + w[t];
                var t2 = Xor3(Rotr(a, 2), Rotr(a, 13), Rotr(a, 22)) + Majority(a, b, c);
                h = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
            }

            h0 += a;
            h1 += b;
            h2 += c;
            h3 += d;
            h4 += e;
            h5 += f;
            h6 += g;
            h7 += h;
        }

        Span<uint> state = stackalloc uint[8 * Lanes];
        h0.CopyTo(state);
        h1.CopyTo(state[8..]);
        h2.CopyTo(state[16..]);
        h3.CopyTo(state[24..]);
        h4.CopyTo(state[32..]);
        h5.CopyTo(state[40..]);
        h6.CopyTo(state[48..]);
        h7.CopyTo(state[56..]);
        for (var lane = 0; lane < count; lane++)
        {
            var output = hashes.Slice(lane * 32, 32);
            for (var word = 0; word < 8; word++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(output[(4 * word)..], state[(word * Lanes) + lane]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotr(Vector256<uint> x, [System.Diagnostics.CodeAnalysis.ConstantExpected] byte n) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateRight(x, n)
            : Vector256.ShiftRightLogical(x, n) | Vector256.ShiftLeft(x, 32 - n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Xor3(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(x, y, z, 0x96) : x ^ y ^ z;

    // Ch(e, f, g) = (e ∧ f) ⊕ (¬e ∧ g)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Choose(Vector256<uint> e, Vector256<uint> f, Vector256<uint> g) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(e, f, g, 0xCA) : g ^ (e & (f ^ g));

    // Maj(a, b, c) = (a ∧ b) ⊕ (a ∧ c) ⊕ (b ∧ c)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Majority(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(a, b, c, 0xE8) : (a & b) | (c & (a | b));
}
