using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Centime.Ledger;

/// <summary>One step of an inclusion proof: the sibling hash and which side it sits on.</summary>
public readonly record struct ProofStep(Hash32 Sibling, bool SiblingOnLeft);

/// <summary>
/// Binary Merkle trees over SHA-256 with domain separation (RFC 6962 style): leaf = H(0x00 ‖ data),
/// node = H(0x01 ‖ left ‖ right), so a leaf can never pass for an inner node. An odd node at the end of a
/// level moves up unchanged (no duplication, so no CVE-2012-2459 style ambiguity). The empty tree's root is zero.
/// </summary>
public static class Merkle
{
    /// <summary>Leaf hash of arbitrary bytes.</summary>
    [SkipLocalsInit]
    public static Hash32 Leaf(ReadOnlySpan<byte> data)
    {
        if (data.Length <= 511)
        {
            // Hot path (transfers are 136 bytes): one stack copy and one-shot SHA-256, no allocation.
            Span<byte> b = stackalloc byte[512];
            b[0] = 0x00;
            data.CopyTo(b[1..]);
            return Hash32.Sha256(b[..(data.Length + 1)]);
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> prefix = [0x00];
        sha.AppendData(prefix);
        sha.AppendData(data);
        Span<byte> h = stackalloc byte[32];
        sha.GetHashAndReset(h);
        return Hash32.FromBytes(h);
    }

    /// <summary>Leaf hash of a command result: H(0x00 ‖ index u32 ‖ code u16 ‖ timestamp u64), little-endian.</summary>
    [SkipLocalsInit]
    public static Hash32 ResultLeaf(int index, ResultCode code, ulong timestamp)
    {
        Span<byte> b = stackalloc byte[15];
        b[0] = 0x00;
        BinaryPrimitives.WriteInt32LittleEndian(b[1..], index);
        BinaryPrimitives.WriteUInt16LittleEndian(b[5..], (ushort)code);
        BinaryPrimitives.WriteUInt64LittleEndian(b[7..], timestamp);
        return Hash32.Sha256(b);
    }

    /// <summary>Inner node hash.</summary>
    [SkipLocalsInit]
    public static Hash32 Node(in Hash32 left, in Hash32 right)
    {
        Span<byte> b = stackalloc byte[65];
        b[0] = 0x01;
        left.WriteTo(b[1..]);
        right.WriteTo(b[33..]);
        return Hash32.Sha256(b);
    }

    /// <summary>Root over leaf hashes.</summary>
    public static Hash32 Root(ReadOnlySpan<Hash32> leaves)
    {
        if (leaves.IsEmpty)
        {
            return Hash32.Zero;
        }

        var level = leaves.ToArray();
        var count = level.Length;
        while (count > 1)
        {
            var next = 0;
            for (var i = 0; i < count; i += 2)
            {
                level[next++] = i + 1 < count ? Node(level[i], level[i + 1]) : level[i];
            }

            count = next;
        }

        return level[0];
    }

    /// <summary>Inclusion proof for leaf <paramref name="index"/>, bottom-up.</summary>
    public static ProofStep[] Proof(ReadOnlySpan<Hash32> leaves, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, leaves.Length);
        var steps = new List<ProofStep>();
        var level = leaves.ToArray();
        var count = level.Length;
        while (count > 1)
        {
            var sibling = index ^ 1;
            if (sibling < count)
            {
                steps.Add(new ProofStep(level[sibling], SiblingOnLeft: sibling < index));
            }

            var next = 0;
            for (var i = 0; i < count; i += 2)
            {
                level[next++] = i + 1 < count ? Node(level[i], level[i + 1]) : level[i];
            }

            count = next;
            index /= 2;
        }

        return [.. steps];
    }

    /// <summary>Recomputes the root from a leaf and its proof.</summary>
    public static Hash32 RootFromProof(Hash32 leaf, ReadOnlySpan<ProofStep> proof)
    {
        var current = leaf;
        foreach (var step in proof)
        {
            current = step.SiblingOnLeft ? Node(step.Sibling, current) : Node(current, step.Sibling);
        }

        return current;
    }

    /// <summary>True when <paramref name="proof"/> leads from <paramref name="leaf"/> to <paramref name="root"/>.</summary>
    public static bool Verify(Hash32 leaf, ReadOnlySpan<ProofStep> proof, Hash32 root) => RootFromProof(leaf, proof) == root;
}
