using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Centime.Ledger;

/// <summary>
/// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's 0x06).
/// Lives in the ledger because addresses (EIP-55 checksums, derived system addresses) need it and the
/// ledger takes no packages.
/// </summary>
public static class Keccak256
{
    /// <summary>Hash size in bytes.</summary>
    public const int HashSize = 32;
    private const int Rate = 136; // 1088-bit rate for a 256-bit capacity-512 sponge

    private static readonly ulong[] RoundConstants =
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
        0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
        0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    /// <summary>Returns the 32-byte Keccak-256 hash of <paramref name="data"/>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var output = new byte[HashSize];
        Hash(data, output);
        return output;
    }

    /// <summary>Writes the 32-byte Keccak-256 hash of <paramref name="data"/> into <paramref name="output"/>.</summary>
    [SkipLocalsInit]
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> output)
    {
        if (output.Length < HashSize)
        {
            throw new ArgumentException("Output must hold 32 bytes.", nameof(output));
        }

        Span<ulong> state = stackalloc ulong[25];
        state.Clear();
        while (data.Length >= Rate)
        {
            Absorb(state, data[..Rate]);
            Permute(state);
            data = data[Rate..];
        }

        Span<byte> last = stackalloc byte[Rate];
        last.Clear();
        data.CopyTo(last);
        last[data.Length] ^= 0x01;
        last[Rate - 1] ^= 0x80;
        Absorb(state, last);
        Permute(state);

        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(output.Slice(i * 8, 8), state[i]);
        }
    }

    private static void Absorb(Span<ulong> state, ReadOnlySpan<byte> block)
    {
        for (var i = 0; i < Rate / 8; i++)
        {
            state[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block.Slice(i * 8, 8));
        }
    }

    [SkipLocalsInit]
    private static void Permute(Span<ulong> state)
    {
        // Fully unrolled round on locals (generated from the θ, ρ, π, χ, ι definitions): an order of magnitude
        // faster than indexing a span with modular arithmetic, and Keccak sits on every signature check.
        ref var s = ref MemoryMarshal.GetReference(state);
        var a0 = Unsafe.Add(ref s, 0);
        var a1 = Unsafe.Add(ref s, 1);
        var a2 = Unsafe.Add(ref s, 2);
        var a3 = Unsafe.Add(ref s, 3);
        var a4 = Unsafe.Add(ref s, 4);
        var a5 = Unsafe.Add(ref s, 5);
        var a6 = Unsafe.Add(ref s, 6);
        var a7 = Unsafe.Add(ref s, 7);
        var a8 = Unsafe.Add(ref s, 8);
        var a9 = Unsafe.Add(ref s, 9);
        var a10 = Unsafe.Add(ref s, 10);
        var a11 = Unsafe.Add(ref s, 11);
        var a12 = Unsafe.Add(ref s, 12);
        var a13 = Unsafe.Add(ref s, 13);
        var a14 = Unsafe.Add(ref s, 14);
        var a15 = Unsafe.Add(ref s, 15);
        var a16 = Unsafe.Add(ref s, 16);
        var a17 = Unsafe.Add(ref s, 17);
        var a18 = Unsafe.Add(ref s, 18);
        var a19 = Unsafe.Add(ref s, 19);
        var a20 = Unsafe.Add(ref s, 20);
        var a21 = Unsafe.Add(ref s, 21);
        var a22 = Unsafe.Add(ref s, 22);
        var a23 = Unsafe.Add(ref s, 23);
        var a24 = Unsafe.Add(ref s, 24);
        for (var round = 0; round < 24; round++)
        {
            var c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
            var c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
            var c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
            var c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
            var c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
            var d0 = c4 ^ BitOperations.RotateLeft(c1, 1);
            var d1 = c0 ^ BitOperations.RotateLeft(c2, 1);
            var d2 = c1 ^ BitOperations.RotateLeft(c3, 1);
            var d3 = c2 ^ BitOperations.RotateLeft(c4, 1);
            var d4 = c3 ^ BitOperations.RotateLeft(c0, 1);
            var b0 = a0 ^ d0;
            var b10 = BitOperations.RotateLeft(a1 ^ d1, 1);
            var b20 = BitOperations.RotateLeft(a2 ^ d2, 62);
            var b5 = BitOperations.RotateLeft(a3 ^ d3, 28);
            var b15 = BitOperations.RotateLeft(a4 ^ d4, 27);
            var b16 = BitOperations.RotateLeft(a5 ^ d0, 36);
            var b1 = BitOperations.RotateLeft(a6 ^ d1, 44);
            var b11 = BitOperations.RotateLeft(a7 ^ d2, 6);
            var b21 = BitOperations.RotateLeft(a8 ^ d3, 55);
            var b6 = BitOperations.RotateLeft(a9 ^ d4, 20);
            var b7 = BitOperations.RotateLeft(a10 ^ d0, 3);
            var b17 = BitOperations.RotateLeft(a11 ^ d1, 10);
            var b2 = BitOperations.RotateLeft(a12 ^ d2, 43);
            var b12 = BitOperations.RotateLeft(a13 ^ d3, 25);
            var b22 = BitOperations.RotateLeft(a14 ^ d4, 39);
            var b23 = BitOperations.RotateLeft(a15 ^ d0, 41);
            var b8 = BitOperations.RotateLeft(a16 ^ d1, 45);
            var b18 = BitOperations.RotateLeft(a17 ^ d2, 15);
            var b3 = BitOperations.RotateLeft(a18 ^ d3, 21);
            var b13 = BitOperations.RotateLeft(a19 ^ d4, 8);
            var b14 = BitOperations.RotateLeft(a20 ^ d0, 18);
            var b24 = BitOperations.RotateLeft(a21 ^ d1, 2);
            var b9 = BitOperations.RotateLeft(a22 ^ d2, 61);
            var b19 = BitOperations.RotateLeft(a23 ^ d3, 56);
            var b4 = BitOperations.RotateLeft(a24 ^ d4, 14);
            a0 = b0 ^ (~b1 & b2);
            a1 = b1 ^ (~b2 & b3);
            a2 = b2 ^ (~b3 & b4);
            a3 = b3 ^ (~b4 & b0);
            a4 = b4 ^ (~b0 & b1);
            a5 = b5 ^ (~b6 & b7);
            a6 = b6 ^ (~b7 & b8);
            a7 = b7 ^ (~b8 & b9);
            a8 = b8 ^ (~b9 & b5);
            a9 = b9 ^ (~b5 & b6);
            a10 = b10 ^ (~b11 & b12);
            a11 = b11 ^ (~b12 & b13);
            a12 = b12 ^ (~b13 & b14);
            a13 = b13 ^ (~b14 & b10);
            a14 = b14 ^ (~b10 & b11);
            a15 = b15 ^ (~b16 & b17);
            a16 = b16 ^ (~b17 & b18);
            a17 = b17 ^ (~b18 & b19);
            a18 = b18 ^ (~b19 & b15);
            a19 = b19 ^ (~b15 & b16);
            a20 = b20 ^ (~b21 & b22);
            a21 = b21 ^ (~b22 & b23);
            a22 = b22 ^ (~b23 & b24);
            a23 = b23 ^ (~b24 & b20);
            a24 = b24 ^ (~b20 & b21);
            a0 ^= RoundConstants[round];
        }

        Unsafe.Add(ref s, 0) = a0;
        Unsafe.Add(ref s, 1) = a1;
        Unsafe.Add(ref s, 2) = a2;
        Unsafe.Add(ref s, 3) = a3;
        Unsafe.Add(ref s, 4) = a4;
        Unsafe.Add(ref s, 5) = a5;
        Unsafe.Add(ref s, 6) = a6;
        Unsafe.Add(ref s, 7) = a7;
        Unsafe.Add(ref s, 8) = a8;
        Unsafe.Add(ref s, 9) = a9;
        Unsafe.Add(ref s, 10) = a10;
        Unsafe.Add(ref s, 11) = a11;
        Unsafe.Add(ref s, 12) = a12;
        Unsafe.Add(ref s, 13) = a13;
        Unsafe.Add(ref s, 14) = a14;
        Unsafe.Add(ref s, 15) = a15;
        Unsafe.Add(ref s, 16) = a16;
        Unsafe.Add(ref s, 17) = a17;
        Unsafe.Add(ref s, 18) = a18;
        Unsafe.Add(ref s, 19) = a19;
        Unsafe.Add(ref s, 20) = a20;
        Unsafe.Add(ref s, 21) = a21;
        Unsafe.Add(ref s, 22) = a22;
        Unsafe.Add(ref s, 23) = a23;
        Unsafe.Add(ref s, 24) = a24;
    }
}
