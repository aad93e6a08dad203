using Centime.Ledger;

namespace Centime.Agents.X402;

/// <summary>
/// <c>centime-hashchain</c> channels as ledger state (docs/x402.md): which channels are open, how far each one was
/// paid (index and word) and which closed. Journaled, in the snapshot and so in the state hash, so whatever a
/// resource server or a node forgets, no word is paid twice and a closed channel never opens again.
/// Open records a channel whose deposit (the payer's EIP-3009 transfer into the escrow, nonce = channel id) is on
/// the ledger and takes the escrow over (module-owned: only this module moves its money); settle pays the payee
/// <c>(index − paidIndex) × unit</c>; close refunds the rest to the payer and ends the channel for good.
/// The word's hash chain is checked at admission, like a signature (DESIGN §1): it is a stateless fact about
/// (root, index, word), and a word at a higher index than the one checked against proves the same chain.
/// </summary>
public sealed class ChannelModule : LedgerModule
{
    /// <summary>Ledger <c>code</c> of channel payments and refunds (the deposit carries EIP-3009's).</summary>
    public const ushort ChannelTransferCode = 402;

    private readonly Dictionary<Hash32, ChannelRecord> _channels = [];

    static ChannelModule() => ChannelCommands.RegisterAll();

    public override string Name => "x402-channels";

    public override bool Handles(CommandKind kind) => kind is CommandKind.X402ChannelOpen or CommandKind.X402ChannelSettle or CommandKind.X402ChannelClose;

    /// <summary>The channel's state, or false when it was never opened.</summary>
    public bool TryGet(in Hash32 channelId, out ChannelRecord channel) => _channels.TryGetValue(channelId, out channel!);

    protected override ResultCode Apply(CommandBody body, in ModuleContext context) => body switch
    {
        OpenChannel open => ApplyOpen(open),
        SettleChannel settle => ApplySettle(settle, context),
        CloseChannel close => ApplyClose(close, context),
        _ => ResultCode.UnknownCommand,
    };

    private ResultCode ApplyOpen(OpenChannel o)
    {
        if (_channels.TryGetValue(o.Id, out var existing))
        {
            return existing.Closed ? ResultCode.X402ChannelClosed : ResultCode.X402ChannelExists;
        }

        if (o.Capacity is 0 or > HashChain.MaxCapacity || o.Unit == UInt128.Zero || o.Unit > UInt128.MaxValue / o.Capacity
            || o.Escrow != HashChain.Escrow(o.Id) || Ledger.GetCoin(o.Coin) is null)
        {
            return ResultCode.X402ChannelTermsInvalid;
        }

        // The deposit must be on the ledger exactly as the terms say: the payer's own signed transfer of the whole
        // capacity into this channel's escrow, with the channel id as its EIP-3009 nonce.
        var deposit = LedgerState.AuthorizationTransferId(o.Coin, o.Payer, o.Id);
        if (!Ledger.TryGetTransfer(deposit, out var d) || d.Transfer.DebitAccount != o.Payer || d.Transfer.CreditAccount != o.Escrow
            || d.Transfer.Coin != o.Coin || d.Transfer.Amount != o.Unit * o.Capacity)
        {
            return ResultCode.X402ChannelDepositMissing;
        }

        SetModuleOwned(o.Coin, o.Escrow);
        _channels[o.Id] = new ChannelRecord(o.Coin, o.Payer, o.PayTo, o.Escrow, o.Unit, o.Capacity, o.Expiry, 0, o.Root, false);
        return ResultCode.Ok;
    }

    private ResultCode ApplySettle(SettleChannel s, in ModuleContext context)
    {
        if (!_channels.TryGetValue(s.Id, out var c))
        {
            return ResultCode.X402ChannelNotFound;
        }

        if (c.Closed)
        {
            return ResultCode.X402ChannelClosed;
        }

        if (s.Index > c.Capacity)
        {
            return ResultCode.X402ChannelTermsInvalid;
        }

        if (s.Index <= c.PaidIndex)
        {
            return ResultCode.X402ChannelWordSpent;
        }

        var guard = Guard(c);
        if (guard != ResultCode.Ok)
        {
            return guard;
        }

        var code = ExecuteAsOwner(new Transfer
        {
            Id = TransferId(s.Id, "pay", s.Index),
            DebitAccount = c.Escrow,
            CreditAccount = c.PayTo,
            Amount = c.Unit * (s.Index - c.PaidIndex),
            Coin = c.Coin,
            Code = ChannelTransferCode,
        }, context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        _channels[s.Id] = c with { PaidIndex = s.Index, PaidWord = s.Word };
        return ResultCode.Ok;
    }

    private ResultCode ApplyClose(CloseChannel close, in ModuleContext context)
    {
        if (!_channels.TryGetValue(close.Id, out var c))
        {
            return ResultCode.X402ChannelNotFound;
        }

        if (c.Closed)
        {
            return ResultCode.X402ChannelClosed;
        }

        if (context.Now / 1_000_000_000UL < c.Expiry && c.PaidIndex != c.Capacity)
        {
            return ResultCode.X402ChannelNotClosable;
        }

        var refund = c.Unit * (c.Capacity - c.PaidIndex);
        if (refund > UInt128.Zero)
        {
            var guard = Guard(c);
            if (guard != ResultCode.Ok)
            {
                return guard;
            }

            var code = ExecuteAsOwner(new Transfer
            {
                Id = TransferId(close.Id, "refund", 0),
                DebitAccount = c.Escrow,
                CreditAccount = c.Payer,
                Amount = refund,
                Coin = c.Coin,
                Code = ChannelTransferCode,
            }, context);
            if (code != ResultCode.Ok)
            {
                return code;
            }
        }

        _channels[close.Id] = c with { Closed = true };
        return ResultCode.Ok;
    }

    // A channel moves the coin between escrow, payer and payee: refused exactly as a transfer between them would be.
    private ResultCode Guard(in ChannelRecord c)
    {
        var code = Ledger.CheckMovable(c.Coin, c.Payer);
        return code != ResultCode.Ok ? code : Ledger.CheckMovable(c.Coin, c.PayTo);
    }

    /// <summary>First 16 bytes (little-endian) of keccak256("centime:x402-channel:" + what ‖ channel id ‖ index u64 big-endian).</summary>
    public static UInt128 TransferId(in Hash32 channelId, string what, ulong index)
    {
        var tag = System.Text.Encoding.UTF8.GetBytes("centime:x402-channel:" + what);
        var data = new byte[tag.Length + 32 + 8];
        tag.CopyTo(data, 0);
        channelId.WriteTo(data.AsSpan(tag.Length));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(tag.Length + 32), index);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(Keccak256.Hash(data));
    }

    public override void WriteSnapshot(BinaryWriter writer)
    {
        // Sorted by id: the encoding (and so the state hash) does not depend on the order channels were opened in.
        var ids = new List<Hash32>(_channels.Keys);
        ids.Sort((a, b) => a.ToString().CompareTo(b.ToString()));
        writer.Write(ids.Count);
        Span<byte> buffer = stackalloc byte[32];
        foreach (var id in ids)
        {
            var c = _channels[id];
            id.WriteTo(buffer);
            writer.Write(buffer);
            writer.Write(c.Coin);
            c.Payer.WriteTo(buffer);
            writer.Write(buffer[..20]);
            c.PayTo.WriteTo(buffer);
            writer.Write(buffer[..20]);
            c.Escrow.WriteTo(buffer);
            writer.Write(buffer[..20]);
            writer.Write(unchecked((ulong)c.Unit)); // low then high halves; the truncation is the point
            writer.Write((ulong)(c.Unit >> 64));
            writer.Write(c.Capacity);
            writer.Write(c.Expiry);
            writer.Write(c.PaidIndex);
            c.PaidWord.WriteTo(buffer);
            writer.Write(buffer);
            writer.Write(c.Closed);
        }
    }

    protected override void ReadSnapshot(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"x402-channels snapshot: negative channel count {count}.");
        }

        for (var i = 0; i < count; i++)
        {
            var id = Hash32.FromBytes(reader.ReadBytes(32));
            var coin = reader.ReadUInt32();
            var payer = Address.FromBytes(reader.ReadBytes(20));
            var payTo = Address.FromBytes(reader.ReadBytes(20));
            var escrow = Address.FromBytes(reader.ReadBytes(20));
            var low = reader.ReadUInt64();
            var unit = new UInt128(reader.ReadUInt64(), low);
            var record = new ChannelRecord(coin, payer, payTo, escrow, unit, reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), Hash32.FromBytes(reader.ReadBytes(32)), reader.ReadBoolean());
            _channels[id] = record;
            if (!record.Closed)
            {
                // Ownership is not in the ledger's snapshot of accounts' owners (owners are module objects).
                SetModuleOwned(coin, escrow);
            }
        }
    }
}

/// <summary>One channel's ledger state. <see cref="PaidIndex"/> words were paid; <see cref="PaidWord"/> is word
/// <see cref="PaidIndex"/> (the root while nothing was paid), from which the next word is checked.</summary>
public readonly record struct ChannelRecord(uint Coin, Address Payer, Address PayTo, Address Escrow, UInt128 Unit, ulong Capacity, ulong Expiry, ulong PaidIndex, Hash32 PaidWord, bool Closed)
{
    public UInt128 Paid => Unit * PaidIndex;

    public UInt128 Remaining => Closed ? UInt128.Zero : Unit * (Capacity - PaidIndex);
}

/// <summary>Opens a channel whose deposit is on the ledger (submitted after the deposit's EIP-3009 transfer).</summary>
public sealed record OpenChannel(Hash32 Id, uint Coin, Address Payer, Address PayTo, Address Escrow, UInt128 Unit, ulong Capacity, ulong Expiry, Hash32 Root) : CommandBody
{
    public override CommandKind Kind => CommandKind.X402ChannelOpen;

    protected override void Write(BodyWriter writer)
    {
        writer.Hash(Id);
        writer.UInt32(Coin);
        writer.Address(Payer);
        writer.Address(PayTo);
        writer.Address(Escrow);
        writer.UInt128(Unit);
        writer.UInt64(Capacity);
        writer.UInt64(Expiry);
        writer.Hash(Root);
    }

    internal static OpenChannel Read(BodyReader r) => new(r.Hash(), r.UInt32(), r.Address(), r.Address(), r.Address(), r.UInt128(), r.UInt64(), r.UInt64(), r.Hash());
}

/// <summary>Pays the payee up to word <see cref="Index"/> (checked at admission to hash to the channel's root).</summary>
public sealed record SettleChannel(Hash32 Id, ulong Index, Hash32 Word) : CommandBody
{
    public override CommandKind Kind => CommandKind.X402ChannelSettle;

    protected override void Write(BodyWriter writer)
    {
        writer.Hash(Id);
        writer.UInt64(Index);
        writer.Hash(Word);
    }

    internal static SettleChannel Read(BodyReader r) => new(r.Hash(), r.UInt64(), r.Hash());
}

/// <summary>Refunds the unpaid rest to the payer and closes the channel for good (once expired or spent).</summary>
public sealed record CloseChannel(Hash32 Id) : CommandBody
{
    public override CommandKind Kind => CommandKind.X402ChannelClose;

    protected override void Write(BodyWriter writer) => writer.Hash(Id);

    internal static CloseChannel Read(BodyReader r) => new(r.Hash());
}

internal static class ChannelCommands
{
    public static void RegisterAll()
    {
        CommandBody.Register(CommandKind.X402ChannelOpen, OpenChannel.Read);
        CommandBody.Register(CommandKind.X402ChannelSettle, SettleChannel.Read);
        CommandBody.Register(CommandKind.X402ChannelClose, CloseChannel.Read);
    }
}
