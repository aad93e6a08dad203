using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Centime.Ledger;

/// <summary>Transfer flags (TigerBeetle's two-phase and linked semantics).</summary>
[Flags]
public enum TransferFlags : ushort
{
    None = 0,
    /// <summary>This event and the next succeed or fail together; the chain ends at the first event without it.</summary>
    Linked = 1,
    /// <summary>A hold: reserves the amount on both sides until posted, voided or expired.</summary>
    Pending = 2,
    /// <summary>Posts (completes) the hold named by <see cref="Transfer.PendingId"/>, fully or partially.</summary>
    PostPending = 4,
    /// <summary>Releases the hold named by <see cref="Transfer.PendingId"/>.</summary>
    VoidPending = 8,
}

/// <summary>
/// One movement of one coin from a debit address to a credit address. Immutable; corrections are new transfers.
/// Encoded in exactly <see cref="EncodedSize"/> bytes, little-endian, reserved bytes zero.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)] // 128 bytes in memory, not 144: less to copy per command
public readonly record struct Transfer
{
    /// <summary>Bytes in the binary encoding.</summary>
    public const int EncodedSize = 128;

    /// <summary>Client-chosen 128-bit id; the idempotency key. Not 0 and not 2^128-1.</summary>
    public UInt128 Id { get; init; }
    public Address DebitAccount { get; init; }
    public Address CreditAccount { get; init; }
    /// <summary>Minor units. On a post, 0 means "the full pending amount".</summary>
    public UInt128 Amount { get; init; }
    /// <summary>The hold that a post or void refers to.</summary>
    public UInt128 PendingId { get; init; }
    /// <summary>Free reference chosen by the client (invoice, order); not interpreted.</summary>
    public UInt128 Memo { get; init; }
    /// <summary>Coin number (<see cref="Coin.Number"/>).</summary>
    public uint Coin { get; init; }
    /// <summary>Seconds a hold lives before it expires on ledger time; 0 = never. Only for pending transfers.</summary>
    public uint Timeout { get; init; }
    /// <summary>Purpose code chosen by the client (e.g. 1 = payment); not interpreted by the ledger.</summary>
    public ushort Code { get; init; }
    public TransferFlags Flags { get; init; }
    /// <summary>Ledger time (Unix nanoseconds) when applied; assigned by the ledger, 0 on input.</summary>
    public ulong Timestamp { get; init; }

    /// <summary>Writes the 128-byte encoding.</summary>
    public void WriteTo(Span<byte> d)
    {
        if (d.Length < EncodedSize)
        {
            throw new ArgumentException("Need 128 bytes.", nameof(d));
        }

        BinaryPrimitives.WriteUInt128LittleEndian(d, Id);
        DebitAccount.WriteTo(d[16..]);
        CreditAccount.WriteTo(d[36..]);
        BinaryPrimitives.WriteUInt128LittleEndian(d[56..], Amount);
        BinaryPrimitives.WriteUInt128LittleEndian(d[72..], PendingId);
        BinaryPrimitives.WriteUInt128LittleEndian(d[88..], Memo);
        BinaryPrimitives.WriteUInt32LittleEndian(d[104..], Coin);
        BinaryPrimitives.WriteUInt32LittleEndian(d[108..], Timeout);
        BinaryPrimitives.WriteUInt16LittleEndian(d[112..], Code);
        BinaryPrimitives.WriteUInt16LittleEndian(d[114..], (ushort)Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(d[116..], Timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(d[124..], 0); // reserved
    }

    /// <summary>Reads the 128-byte encoding.</summary>
    public static Transfer ReadFrom(ReadOnlySpan<byte> s)
    {
        if (s.Length < EncodedSize)
        {
            throw new ArgumentException("Need 128 bytes.", nameof(s));
        }

        return new Transfer
        {
            Id = BinaryPrimitives.ReadUInt128LittleEndian(s),
            DebitAccount = Address.FromBytes(s.Slice(16, 20)),
            CreditAccount = Address.FromBytes(s.Slice(36, 20)),
            Amount = BinaryPrimitives.ReadUInt128LittleEndian(s[56..]),
            PendingId = BinaryPrimitives.ReadUInt128LittleEndian(s[72..]),
            Memo = BinaryPrimitives.ReadUInt128LittleEndian(s[88..]),
            Coin = BinaryPrimitives.ReadUInt32LittleEndian(s[104..]),
            Timeout = BinaryPrimitives.ReadUInt32LittleEndian(s[108..]),
            Code = BinaryPrimitives.ReadUInt16LittleEndian(s[112..]),
            Flags = (TransferFlags)BinaryPrimitives.ReadUInt16LittleEndian(s[114..]),
            Timestamp = BinaryPrimitives.ReadUInt64LittleEndian(s[116..]),
        };
    }
}
