using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Centime.Ledger;

/// <summary>
/// The secret that keys the hash of the in-memory indexes (transfer id → transfer, (coin, address) → account).
/// Ids and addresses are chosen by clients; with a fixed public hash, someone could precompute thousands of ids that
/// land in one probe run and make every lookup walk it (hash flooding). Each <see cref="LedgerState"/> draws its own
/// key, so which keys collide differs per node and per restart and cannot be computed from outside.
/// <para>The indexes are never persisted (snapshots store records; the tables are rebuilt), so the key changes no
/// state hash, snapshot or journal byte. The mix is one 64×64→128-bit multiply of the keyed halves folded together (as
/// wyhash does): about as cheap as the fixed multiplicative hash it replaces, and not a cryptographic PRF; it is
/// meant to make collisions depend on a secret, not to resist an attacker who can time millions of probes.</para>
/// </summary>
internal readonly struct IndexHashKey
{
    private readonly ulong _k0;
    private readonly ulong _k1;
    private readonly ulong _k2;
    private readonly ulong _k3;

    private IndexHashKey(ReadOnlySpan<ulong> k) => (_k0, _k1, _k2, _k3) = (k[0], k[1], k[2], k[3]);

    /// <summary>A fresh key from the operating system's random source.</summary>
    public static IndexHashKey Random()
    {
        Span<ulong> k = stackalloc ulong[4];
        RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(k));
        return new IndexHashKey(k);
    }

    /// <summary>A 32-bit hash of two words, every bit depending on both and on the key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash(ulong a, ulong b)
    {
        var hi = Math.BigMul(a ^ _k0, b ^ _k1, out var lo);
        return Fold(hi, lo);
    }

    /// <summary>A 32-bit hash of three words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Hash(ulong a, ulong b, ulong c)
    {
        var hi = Math.BigMul(a ^ _k0, b ^ _k1, out var lo);
        hi = Math.BigMul(hi ^ lo ^ _k2, c ^ _k3, out lo);
        return Fold(hi, lo);
    }

    // The low bits of a product depend only on the low bits of its factors: folding the high half in makes the low
    // bits (the table's home slot) depend on every input bit.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Fold(ulong hi, ulong lo)
    {
        var h = hi ^ lo;
        return unchecked((uint)(h ^ (h >> 32))); // the low half: narrowing is the point
    }
}
