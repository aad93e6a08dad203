using System.Buffers.Binary;
using CsCheck;

namespace Centime.Ledger.Tests;

/// <summary>Transfer and command encodings: exact sizes, little-endian fields, reserved bytes zero, round trips.</summary>
public sealed class EncodingTests
{
    internal static readonly Gen<UInt128> GenU128 = Gen.Select(Gen.ULong, Gen.ULong, (hi, lo) => new UInt128(hi, lo));

    internal static readonly Gen<Address> GenAddress = Gen.Byte.Array[20].Select(b => Address.FromBytes(b));

    internal static readonly Gen<Transfer> GenTransfer =
        Gen.Select(GenU128, GenAddress, GenAddress, GenU128, GenU128, GenU128, Gen.UInt, Gen.Select(Gen.UInt, Gen.UShort, Gen.UShort, Gen.ULong))
            .Select(x => new Transfer
            {
                Id = x.Item1,
                DebitAccount = x.Item2,
                CreditAccount = x.Item3,
                Amount = x.Item4,
                PendingId = x.Item5,
                Memo = x.Item6,
                Coin = x.Item7,
                Timeout = x.Item8.Item1,
                Code = x.Item8.Item2,
                Flags = (TransferFlags)x.Item8.Item3,
                Timestamp = x.Item8.Item4,
            });

    [Fact]
    public void Transfer_WriteToReadFrom_RoundTripsEveryField()
    {
        GenTransfer.Sample(t =>
        {
            var bytes = new byte[Transfer.EncodedSize];
            t.WriteTo(bytes);
            Assert.Equal(t, Transfer.ReadFrom(bytes));
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(124))); // reserved
        }, iter: 500);
    }

    /// <summary>The layout is a persisted format: pin the offsets.</summary>
    [Fact]
    public void Transfer_WriteTo_UsesTheDocumentedLayout()
    {
        var t = new Transfer
        {
            Id = new UInt128(0x0102030405060708, 0x090A0B0C0D0E0F10),
            DebitAccount = Address.Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            CreditAccount = Address.Parse("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
            Amount = 1_000_000,
            PendingId = 7,
            Memo = 9,
            Coin = 3,
            Timeout = 60,
            Code = 2,
            Flags = TransferFlags.Pending | TransferFlags.Linked,
            Timestamp = 0x1122334455667788,
        };
        var b = new byte[Transfer.EncodedSize];
        t.WriteTo(b);
        Assert.Equal(t.Id, BinaryPrimitives.ReadUInt128LittleEndian(b));
        Assert.Equal(t.DebitAccount.ToBytes(), b[16..36]);
        Assert.Equal(t.CreditAccount.ToBytes(), b[36..56]);
        Assert.Equal(t.Amount, BinaryPrimitives.ReadUInt128LittleEndian(b.AsSpan(56)));
        Assert.Equal(t.PendingId, BinaryPrimitives.ReadUInt128LittleEndian(b.AsSpan(72)));
        Assert.Equal(t.Memo, BinaryPrimitives.ReadUInt128LittleEndian(b.AsSpan(88)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(104)));
        Assert.Equal(60u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(108)));
        Assert.Equal((ushort)2, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(112)));
        Assert.Equal((ushort)3, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(114)));
        Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(116)));
    }

    [Fact]
    public void Transfer_ShortBuffers_Throw()
    {
        Assert.Throws<ArgumentException>(() => default(Transfer).WriteTo(new byte[127]));
        Assert.Throws<ArgumentException>(() => Transfer.ReadFrom(new byte[127]));
    }

    [Fact]
    public void Command_TransferWithFlags_RoundTrips()
    {
        Gen.Select(GenTransfer, Gen.Bool).Sample((t, end) =>
        {
            var command = Command.Of(t).With(end ? CommandFlags.RequestEnd : CommandFlags.None);
            var bytes = Encode(command);
            Assert.Equal(Command.HeaderSize + Transfer.EncodedSize, bytes.Length);
            var back = Command.Read(bytes, out var consumed);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(CommandKind.Transfer, back.Kind);
            Assert.Equal(end, back.EndsRequest);
            Assert.Equal(t, back.Transfer);
        }, iter: 200);
    }

    [Fact]
    public void Command_Bodies_RoundTripAndCompareEqual()
    {
        CommandBody[] bodies =
        [
            new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"),
            new CreateCoin("JHKD", 2, "HKD", "Jade 港元 ✓", "2"),
            new SetAccountFrozen(2, Address.Derive("x"), true),
            new SetAccountFrozen(1, Address.Derive("y"), false),
        ];
        foreach (var body in bodies)
        {
            var bytes = Encode(Command.Of(body));
            var back = Command.Read(bytes, out var consumed);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(body.Kind, back.Kind);
            Assert.Equal(body, back.Body);
            Assert.Equal(body.GetHashCode(), back.Body!.GetHashCode());
        }
    }

    /// <summary>
    /// Regression: bodies used to cache their encoding in a field, and a record's <c>with</c> copies fields, so
    /// <c>freeze with { Frozen = false }</c> was journaled as a freeze while being applied as an unfreeze — a
    /// replay of the journal would then diverge from the live state. The cache also broke record equality.
    /// </summary>
    [Fact]
    public void Command_BodyCopiedWithWith_EncodesItsOwnFields()
    {
        var freeze = new SetAccountFrozen(1, Address.Derive("x"), true);
        _ = Encode(Command.Of(freeze)); // encode once, as sealing a block does
        var unfreeze = freeze with { Frozen = false };

        var back = (SetAccountFrozen)Command.Read(Encode(Command.Of(unfreeze)), out _).Body!;
        Assert.False(back.Frozen);
        Assert.Equal(new SetAccountFrozen(1, Address.Derive("x"), true), freeze);
    }

    [Fact]
    public void Command_Read_MalformedInput_ThrowsFormatException()
    {
        var good = Encode(Command.Of(new SetAccountFrozen(1, Address.Derive("x"), true)));
        Assert.Throws<FormatException>(() => Command.Read(good.AsSpan(0, 5), out _)); // truncated header
        Assert.Throws<FormatException>(() => Command.Read(good.AsSpan(0, good.Length - 1), out _)); // truncated body

        var unknown = (byte[])good.Clone();
        unknown[0] = 250;
        Assert.Throws<FormatException>(() => Command.Read(unknown, out _));

        var transfer = Encode(Command.Of(default(Transfer)));
        BinaryPrimitives.WriteInt32LittleEndian(transfer.AsSpan(4), 127);
        Assert.Throws<FormatException>(() => Command.Read(transfer, out _)); // a transfer body is 128 bytes

        // A body with trailing bytes after its fields.
        var padded = new byte[good.Length + 1];
        good.CopyTo(padded, 0);
        BinaryPrimitives.WriteInt32LittleEndian(padded.AsSpan(4), good.Length + 1 - Command.HeaderSize);
        Assert.Throws<FormatException>(() => Command.Read(padded, out _));
    }

    internal static byte[] Encode(Command c)
    {
        var b = new byte[c.EncodedLength];
        Assert.Equal(b.Length, c.WriteTo(b));
        return b;
    }
}
