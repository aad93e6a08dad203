using System.Buffers.Binary;

namespace Centime.Ledger;

/// <summary>
/// Header of a committed block (one sequencer batch). 128 bytes, little-endian, reserved bytes zero.
/// The block hash is SHA-256 of these 128 bytes; each header names its predecessor's hash, so the journal is a
/// hash chain and a single block hash commits to all history before it. <see cref="Rules"/> (the u16 at offset 2,
/// zero in every block sealed before rule versions existed) names the <see cref="LedgerRules"/> the block was
/// applied under, so replay applies it the same way.
/// </summary>
public readonly record struct BlockHeader(
    ulong Height,
    ulong Timestamp,
    int CommandCount,
    Hash32 PreviousHash,
    Hash32 CommandsRoot,
    Hash32 ResultsRoot,
    ushort Rules = LedgerRules.Current)
{
    public const int EncodedSize = 128;
    public const ushort CurrentVersion = 1;

    public void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(d[2..], Rules);
        BinaryPrimitives.WriteInt32LittleEndian(d[4..], CommandCount);
        BinaryPrimitives.WriteUInt64LittleEndian(d[8..], Height);
        BinaryPrimitives.WriteUInt64LittleEndian(d[16..], Timestamp);
        PreviousHash.WriteTo(d[24..]);
        CommandsRoot.WriteTo(d[56..]);
        ResultsRoot.WriteTo(d[88..]);
        d.Slice(120, 8).Clear();
    }

    public static BlockHeader ReadFrom(ReadOnlySpan<byte> s)
    {
        var version = BinaryPrimitives.ReadUInt16LittleEndian(s);
        if (version != CurrentVersion)
        {
            throw new FormatException($"Unknown block header version {version}.");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(s[120..]) != 0)
        {
            throw new FormatException("Block header is not canonical: reserved bytes are not zero.");
        }

        var rules = BinaryPrimitives.ReadUInt16LittleEndian(s[2..]);
        if (rules > LedgerRules.Current)
        {
            throw new FormatException($"Block applied under ledger rules {rules}, newer than this node's {LedgerRules.Current}: upgrade the node.");
        }

        return new BlockHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(s[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(s[4..]),
            Hash32.FromBytes(s.Slice(24, 32)),
            Hash32.FromBytes(s.Slice(56, 32)),
            Hash32.FromBytes(s.Slice(88, 32)),
            rules);
    }

    public byte[] ToBytes()
    {
        var b = new byte[EncodedSize];
        WriteTo(b);
        return b;
    }

    /// <summary>SHA-256 of the encoded header.</summary>
    public Hash32 ComputeHash()
    {
        Span<byte> b = stackalloc byte[EncodedSize];
        WriteTo(b);
        return Hash32.Sha256(b);
    }
}

/// <summary>
/// A whole block: header, commands and their result codes. Encoding (the journal payload):
/// header (128) ‖ commands (each <see cref="Command"/> encoding) ‖ result codes (u16 each).
/// A result's timestamp is the block timestamp + its index, so it is not stored.
/// </summary>
public sealed class Block
{
    public required BlockHeader Header { get; init; }
    public required Command[] Commands { get; init; }
    public required ResultCode[] Results { get; init; }

    public Hash32 Hash => Header.ComputeHash();

    /// <summary>
    /// Seals a block: computes the Merkle roots of the commands (over their encodings) and results, and
    /// writes the whole encoding into <paramref name="buffer"/> (grown if needed). Returns the header and
    /// the encoded length. <paramref name="rules"/> is the version the commands were applied under.
    /// </summary>
    public static BlockHeader Seal(ulong height, ulong timestamp, Hash32 previous, ReadOnlySpan<Command> commands,
        ReadOnlySpan<CommandResult> results, ref byte[] buffer, out int length, ushort rules = LedgerRules.Current)
    {
        var size = BlockHeader.EncodedSize + (2 * commands.Length);
        foreach (ref readonly var c in commands)
        {
            size += c.EncodedLength;
        }

        if (buffer.Length < size)
        {
            buffer = new byte[Math.Max(size, buffer.Length * 2)];
        }

        var n = commands.Length;
        var offsets = new int[n + 1];
        var offset = BlockHeader.EncodedSize;
        for (var i = 0; i < n; i++)
        {
            offsets[i] = offset;
            offset += commands[i].WriteTo(buffer.AsSpan(offset));
        }

        offsets[n] = offset;
        var codes = new ResultCode[n];
        for (var i = 0; i < n; i++)
        {
            codes[i] = results[i].Code;
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(offset), (ushort)codes[i]);
            offset += 2;
        }

        // Hashing is most of the cost of a block: leaves of big blocks are hashed on all cores.
        var leaves = new Hash32[n];
        var data = buffer;
        if (n >= Merkle.ParallelThreshold)
        {
            Parallel.For(0, (n + Merkle.ParallelChunk - 1) / Merkle.ParallelChunk, chunk =>
            {
                var start = chunk * Merkle.ParallelChunk;
                Merkle.Leaves(data, offsets, leaves, start, Math.Min(n, start + Merkle.ParallelChunk));
            });
        }
        else
        {
            Merkle.Leaves(data, offsets, leaves, 0, n);
        }

        var header = new BlockHeader(height, timestamp, n, previous, Merkle.RootInPlace(leaves), Merkle.RootInPlace(Merkle.ResultGroupLeaves(codes)), rules);
        header.WriteTo(buffer);
        length = offset;
        return header;
    }

    /// <summary>Decodes a block encoding; throws <see cref="FormatException"/> if it is malformed.</summary>
    public static Block Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < BlockHeader.EncodedSize)
        {
            throw new FormatException("Block shorter than its header.");
        }

        var header = BlockHeader.ReadFrom(data);
        if (header.CommandCount < 0 || header.CommandCount > LedgerState.MaxBatchSize)
        {
            throw new FormatException($"Block command count {header.CommandCount} out of range.");
        }

        var commands = new Command[header.CommandCount];
        var offset = BlockHeader.EncodedSize;
        for (var i = 0; i < commands.Length; i++)
        {
            commands[i] = Command.Read(data[offset..], out var consumed);
            offset += consumed;
        }

        if (data.Length - offset != 2 * commands.Length)
        {
            throw new FormatException("Block result section has the wrong length.");
        }

        var results = new ResultCode[commands.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = (ResultCode)BinaryPrimitives.ReadUInt16LittleEndian(data[(offset + (2 * i))..]);
        }

        return new Block { Header = header, Commands = commands, Results = results };
    }

    /// <summary>Leaf hashes of the commands, as in <see cref="BlockHeader.CommandsRoot"/>.</summary>
    public Hash32[] CommandLeaves()
    {
        var leaves = new Hash32[Commands.Length];
        var buffer = new byte[1024];
        for (var i = 0; i < Commands.Length; i++)
        {
            var len = Commands[i].EncodedLength;
            if (buffer.Length < len)
            {
                buffer = new byte[len];
            }

            Commands[i].WriteTo(buffer);
            leaves[i] = Merkle.Leaf(buffer.AsSpan(0, len));
        }

        return leaves;
    }

    /// <summary>Leaf hashes of the results tree (one per group of <see cref="Merkle.ResultGroupSize"/>
    /// results), as in <see cref="BlockHeader.ResultsRoot"/>.</summary>
    public Hash32[] ResultLeaves() => Merkle.ResultGroupLeaves(Results);
}
