using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

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
    private static void Permute(Span<ulong> a)
    {
        Span<ulong> c = stackalloc ulong[5];
        for (var round = 0; round < 24; round++)
        {
            // θ
            for (var x = 0; x < 5; x++)
            {
                c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            }

            for (var x = 0; x < 5; x++)
            {
                var d = c[(x + 4) % 5] ^ BitOperations.RotateLeft(c[(x + 1) % 5], 1);
                for (var y = 0; y < 25; y += 5)
                {
                    a[y + x] ^= d;
                }
            }

            // ρ and π, walking the single 24-lane cycle of π.
            var current = a[1];
            var xx = 1;
            var yy = 0;
            for (var t = 0; t < 24; t++)
            {
                var nx = yy;
                var ny = ((2 * xx) + (3 * yy)) % 5;
                var index = nx + (5 * ny);
                var next = a[index];
                a[index] = BitOperations.RotateLeft(current, ((t + 1) * (t + 2) / 2) % 64);
                current = next;
                xx = nx;
                yy = ny;
            }

            // χ
            for (var y = 0; y < 25; y += 5)
            {
                var a0 = a[y];
                var a1 = a[y + 1];
                var a2 = a[y + 2];
                var a3 = a[y + 3];
                var a4 = a[y + 4];
                a[y] = a0 ^ (~a1 & a2);
                a[y + 1] = a1 ^ (~a2 & a3);
                a[y + 2] = a2 ^ (~a3 & a4);
                a[y + 3] = a3 ^ (~a4 & a0);
                a[y + 4] = a4 ^ (~a0 & a1);
            }

            // ι
            a[0] ^= RoundConstants[round];
        }
    }
}
