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

    /// <summary>Results per leaf of a block's results tree.</summary>
    public const int ResultGroupSize = 16;

    /// <summary>
    /// Leaf hash of a group of up to <see cref="ResultGroupSize"/> consecutive results:
    /// H(0x00 ‖ 'R' ‖ first index u32 ‖ count u8 ‖ codes u16…), little-endian. Grouping keeps the results tree
    /// to a sixteenth of the hashing; a proof of one result shows its group's codes (codes only, no amounts).
    /// A result's timestamp is the block time + its index, so the header already commits to it.
    /// </summary>
    [SkipLocalsInit]
    public static Hash32 ResultGroupLeaf(int firstIndex, ReadOnlySpan<ResultCode> codes)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(codes.Length, ResultGroupSize);
        Span<byte> b = stackalloc byte[7 + (2 * ResultGroupSize)];
        b[0] = 0x00;
        b[1] = (byte)'R';
        BinaryPrimitives.WriteInt32LittleEndian(b[2..], firstIndex);
        b[6] = (byte)codes.Length;
        for (var i = 0; i < codes.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b[(7 + (2 * i))..], (ushort)codes[i]);
        }

        return Hash32.Sha256(b[..(7 + (2 * codes.Length))]);
    }

    /// <summary>Leaves of the results tree for a block's result codes.</summary>
    public static Hash32[] ResultGroupLeaves(ReadOnlySpan<ResultCode> codes)
    {
        var leaves = new Hash32[(codes.Length + ResultGroupSize - 1) / ResultGroupSize];
        for (var g = 0; g < leaves.Length; g++)
        {
            var start = g * ResultGroupSize;
            leaves[g] = ResultGroupLeaf(start, codes.Slice(start, Math.Min(ResultGroupSize, codes.Length - start)));
        }

        return leaves;
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
    public static Hash32 Root(ReadOnlySpan<Hash32> leaves) => leaves.IsEmpty ? Hash32.Zero : RootInPlace(leaves.ToArray());

    /// <summary>Root over leaf hashes, overwriting <paramref name="level"/>. Large levels hash on all cores
    /// into a second buffer (the result is the same: each node depends only on its two children).</summary>
    public static Hash32 RootInPlace(Hash32[] level)
    {
        if (level.Length == 0)
        {
            return Hash32.Zero;
        }

        var count = level.Length;
        Hash32[]? spare = null;
        while (count > 1)
        {
            var pairs = count / 2;
            if (pairs >= ParallelThreshold)
            {
                // In parallel, node p must not overwrite an input another chunk has yet to read: write elsewhere.
                spare ??= new Hash32[pairs + 1];
                var input = level;
                var output = spare;
                Parallel.For(0, (pairs + ParallelChunk - 1) / ParallelChunk, chunk =>
                {
                    var start = chunk * ParallelChunk;
                    Nodes(input, output, start, Math.Min(pairs, start + ParallelChunk));
                });
                if ((count & 1) == 1)
                {
                    output[pairs] = input[count - 1];
                }

                spare = level;
                level = output;
            }
            else
            {
                // Sequentially, in place is safe: node p reads 2p and 2p+1, both ≥ p, and a group of eight
                // reads all its inputs before writing.
                Nodes(level, level, 0, pairs);

                if ((count & 1) == 1)
                {
                    level[pairs] = level[count - 1];
                }
            }

            count = pairs + (count & 1);
        }

        return level[0];
    }

    /// <summary>output[p] = Node(input[2p], input[2p+1]) for p in [start, end), eight at a time where SIMD allows.</summary>
    [SkipLocalsInit]
    private static void Nodes(Hash32[] input, Hash32[] output, int start, int end)
    {
        var p = start;
        if (Sha256x8.IsSupported)
        {
            Span<byte> messages = stackalloc byte[Sha256x8.Lanes * 65];
            Span<byte> hashes = stackalloc byte[Sha256x8.Lanes * 32];
            for (; p + Sha256x8.Lanes <= end; p += Sha256x8.Lanes)
            {
                for (var lane = 0; lane < Sha256x8.Lanes; lane++)
                {
                    var m = messages.Slice(lane * 65, 65);
                    m[0] = 0x01;
                    input[2 * (p + lane)].WriteTo(m[1..]);
                    input[(2 * (p + lane)) + 1].WriteTo(m[33..]);
                }

                Sha256x8.Hash(messages, 65, Sha256x8.Lanes, hashes);
                for (var lane = 0; lane < Sha256x8.Lanes; lane++)
                {
                    output[p + lane] = Hash32.FromBytes(hashes.Slice(lane * 32, 32));
                }
            }
        }

        for (; p < end; p++)
        {
            output[p] = Node(input[2 * p], input[(2 * p) + 1]);
        }
    }

    /// <summary>
    /// leaves[i] = Leaf(data[offsets[i]..offsets[i+1]]) for i in [start, end): runs of eight equal-length
    /// messages (all transfers are) are hashed together.
    /// </summary>
    [SkipLocalsInit]
    public static void Leaves(ReadOnlySpan<byte> data, ReadOnlySpan<int> offsets, Span<Hash32> leaves, int start, int end)
    {
        var i = start;
        if (Sha256x8.IsSupported)
        {
            Span<byte> messages = stackalloc byte[Sha256x8.Lanes * (Sha256x8.MaxLength + 1)];
            Span<byte> hashes = stackalloc byte[Sha256x8.Lanes * 32];
            while (i + Sha256x8.Lanes <= end)
            {
                var length = offsets[i + 1] - offsets[i];
                var same = length + 1 <= Sha256x8.MaxLength;
                for (var lane = 1; same && lane < Sha256x8.Lanes; lane++)
                {
                    same = offsets[i + lane + 1] - offsets[i + lane] == length;
                }

                if (!same)
                {
                    leaves[i] = Leaf(data[offsets[i]..offsets[i + 1]]);
                    i++;
                    continue;
                }

                for (var lane = 0; lane < Sha256x8.Lanes; lane++)
                {
                    var m = messages.Slice(lane * (length + 1), length + 1);
                    m[0] = 0x00;
                    data.Slice(offsets[i + lane], length).CopyTo(m[1..]);
                }

                Sha256x8.Hash(messages, length + 1, Sha256x8.Lanes, hashes);
                for (var lane = 0; lane < Sha256x8.Lanes; lane++)
                {
                    leaves[i + lane] = Hash32.FromBytes(hashes.Slice(lane * 32, 32));
                }

                i += Sha256x8.Lanes;
            }
        }

        for (; i < end; i++)
        {
            leaves[i] = Leaf(data[offsets[i]..offsets[i + 1]]);
        }
    }

    /// <summary>Levels with at least this many pairs are hashed in parallel.</summary>
    internal const int ParallelThreshold = 2048;

    internal const int ParallelChunk = 512;

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
