using System.Buffers.Binary;

namespace Centime.Ledger;

/// <summary>
/// Command kinds. Persisted in the journal: values never change. Modules added later take new values.
/// </summary>
public enum CommandKind : byte
{
    CreateCoin = 1,
    Transfer = 2,
    SetAccountFrozen = 3,
    TransferWithAuthorization = 4,
    CancelAuthorization = 5,
    Permit = 6,
    TransferFrom = 7,

    // --- issuance module (16..47; src/Centime.Issuance, docs/issuance.md)
    IssuanceAddOperator = 16,
    IssuanceSetOperatorRoles = 17,
    IssuanceConfigureCoin = 18,
    IssuanceConfigureMinter = 19,
    IssuanceRecordDeposit = 20,
    IssuanceMint = 21,
    IssuanceApprove = 22,
    IssuanceReject = 23,
    IssuanceRedeem = 24,
    IssuanceMarkPayoutPaid = 25,
    IssuanceSetPaused = 26,
    IssuanceAddHolding = 27,
    IssuanceUpdateHolding = 28,
    IssuanceRemoveHolding = 29,
    IssuanceSetPolicy = 30,
    IssuanceSetFrozen = 31,
    /// <summary>The node's governance mode (multi-operator by default, or single-operator), written by the node at start-up.</summary>
    IssuanceSetGovernance = 32,
    /// <summary>An operator's API key replaced (its own, or another's by an admin).</summary>
    IssuanceRotateKey = 33,
    /// <summary>A lawful order debiting a holder's account, executed only on a second operator's approval.</summary>
    IssuanceSeize = 34,
    /// <summary>The issuer key that signs disclosure reports is replaced (its address is recorded; the key never is).</summary>
    IssuanceRotateIssuerKey = 35,
    /// <summary>An ISO 20022 camt.053/054 bank file imported into the reserve book and reconciled (its SHA-256 is journaled, not its XML).</summary>
    IssuanceImportBankStatement = 36,
    /// <summary>A reserve manager resolves an item of the reconciliation queue.</summary>
    IssuanceResolveReconciliation = 37,
    /// <summary>Pending redemption payouts exported as one ISO 20022 pain.001 batch.</summary>
    IssuanceExportPayouts = 38,
    /// <summary>A coin's business-day calendar (public holidays from a file, UTC offset) for redemption deadlines.</summary>
    IssuanceSetHolidayCalendar = 39,
    /// <summary>A holder's own, signed redemption request (docs/api.md, "Holder-signed redemption").</summary>
    IssuanceHolderRedeem = 40,

    // --- programmable payments (48..79; src/Centime.Contracts, docs/contracts.md)
    ContractCreate = 48,
    ContractEvent = 49,
    /// <summary>An oracle's signed attestation of a fact (key, value) that contracts may wait on.</summary>
    OracleFact = 50,
    /// <summary>A party's own signed grant (or revocation) of an ERP system's key that may fund contracts and send events for it.</summary>
    ContractErpKey = 51,

    // --- exchange (80..95; src/Centime.Exchange, docs/exchange.md)
    ExchangeConfigureFeed = 80,
    ExchangeSubmitRate = 81,
    ExchangeCreatePool = 82,
    ExchangeConfigurePool = 83,
    ExchangeAddLiquidity = 84,
    ExchangeRemoveLiquidity = 85,
    ExchangeSwap = 86,
    ExchangeWithdrawAdminFees = 87,
    /// <summary>A liquidity provider's own, signed deposit (docs/api.md, "Holder-signed liquidity").</summary>
    ExchangeHolderAddLiquidity = 90,
    /// <summary>A liquidity provider's own, signed withdrawal.</summary>
    ExchangeHolderRemoveLiquidity = 91,

    // --- agents / x402 (96..109; src/Centime.Agents, docs/x402.md)
    X402ChannelOpen = 96,
    X402ChannelSettle = 97,
    X402ChannelClose = 98,

    // --- compliance: sanctions and KYC (100..109; src/Centime.Compliance, docs/compliance.md)
    /// <summary>A sanctions list (OFAC SDN, EU consolidated, the issuer's own) as parsed by the node: addresses, version, SHA-256.</summary>
    ComplianceLoadSanctionsList = 100,
    /// <summary>A coin's KYC tier limits turned on or off.</summary>
    ComplianceConfigureKycLimits = 101,
    /// <summary>A holder's KYC record (tier, jurisdiction, verification date, hosted or self-hosted, document hash).</summary>
    ComplianceRegisterHolder = 102,

    // --- lawful orders, AML, travel rule (110..119; docs/compliance.md)
    /// <summary>A lawful order (freeze, unfreeze, seize, burn) with its order reference and reason code; it runs only on a
    /// second asset_protection operator's approval (issuance module).</summary>
    IssuanceLawfulOrder = 110,
}

/// <summary>Per-command framing flags (journaled).</summary>
[Flags]
public enum CommandFlags : byte
{
    None = 0,
    /// <summary>The last command of one client request. A linked chain never crosses it, so group commit
    /// can put several requests in one block without joining their chains.</summary>
    RequestEnd = 1,
}

/// <summary>
/// One state-machine command. Transfers (the hot path) are stored inline without allocation; every other
/// kind carries a <see cref="CommandBody"/>.
/// Encoding: kind u8, flags u8, reserved u16 (0), body length u32, body (little-endian).
/// </summary>
public readonly struct Command
{
    /// <summary>Bytes before the body.</summary>
    public const int HeaderSize = 8;

    private Command(CommandKind kind, CommandFlags flags, in Transfer transfer, CommandBody? body)
    {
        Kind = kind;
        Flags = flags;
        Transfer = transfer;
        Body = body;
    }

    public CommandKind Kind { get; }
    public CommandFlags Flags { get; }
    /// <summary>The transfer, when <see cref="Kind"/> is <see cref="CommandKind.Transfer"/>.</summary>
    public Transfer Transfer { get; }
    /// <summary>The body of any other kind.</summary>
    public CommandBody? Body { get; }

    public static Command Of(in Transfer transfer) => new(CommandKind.Transfer, CommandFlags.None, transfer, null);

    public static Command Of(CommandBody body) => new(body.Kind, CommandFlags.None, default, body);

    /// <summary>A copy with <paramref name="flags"/> set.</summary>
    public Command With(CommandFlags flags) => new(Kind, flags, Transfer, Body);

    /// <summary>True when this command closes its request's chain scope.</summary>
    public bool EndsRequest => (Flags & CommandFlags.RequestEnd) != 0;

    /// <summary>Encoded size in bytes.</summary>
    public int EncodedLength => HeaderSize + (Kind == CommandKind.Transfer ? Transfer.EncodedSize : Body!.EncodedBodyLength);

    /// <summary>Writes the encoding; returns the bytes written.</summary>
    public int WriteTo(Span<byte> destination)
    {
        var bodyLength = Kind == CommandKind.Transfer ? Transfer.EncodedSize : Body!.EncodedBodyLength;
        destination[0] = (byte)Kind;
        destination[1] = (byte)Flags;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], bodyLength);
        if (Kind == CommandKind.Transfer)
        {
            Transfer.WriteTo(destination[HeaderSize..]);
        }
        else
        {
            Body!.WriteBody(destination.Slice(HeaderSize, bodyLength));
        }

        return HeaderSize + bodyLength;
    }

    /// <summary>Reads one command; <paramref name="consumed"/> gets its encoded length.</summary>
    public static Command Read(ReadOnlySpan<byte> source, out int consumed)
    {
        if (source.Length < HeaderSize)
        {
            throw new FormatException("Truncated command header.");
        }

        var kind = (CommandKind)source[0];
        var flags = (CommandFlags)source[1];
        if (((byte)flags & ~(byte)CommandFlags.RequestEnd) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(source[2..]) != 0)
        {
            // Only canonical encodings decode: otherwise two byte strings would mean the same command.
            throw new FormatException("Command header has unknown flags or non-zero reserved bytes.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        if (length < 0 || length > source.Length - HeaderSize)
        {
            throw new FormatException("Command body length out of range.");
        }

        consumed = HeaderSize + length;
        var body = source.Slice(HeaderSize, length);
        if (kind == CommandKind.Transfer)
        {
            if (length != Transfer.EncodedSize)
            {
                throw new FormatException("A transfer body is 128 bytes.");
            }

            return new Command(kind, flags, Transfer.ReadFrom(body), null);
        }

        return new Command(kind, flags, default, CommandBody.Decode(kind, body));
    }
}

/// <summary>The body of a non-transfer command. Sealed records, encoded with <see cref="BodyWriter"/>.</summary>
public abstract record CommandBody
{
    // Copy-on-write: readers (journal replay, block reads on any thread) never lock; Register swaps the map.
    private static volatile Dictionary<CommandKind, Func<BodyReader, CommandBody>> _decoders = new()
    {
        [CommandKind.CreateCoin] = CreateCoin.Read,
        [CommandKind.SetAccountFrozen] = SetAccountFrozen.Read,
        [CommandKind.TransferWithAuthorization] = TransferWithAuthorization.Read,
        [CommandKind.CancelAuthorization] = CancelAuthorization.Read,
        [CommandKind.Permit] = Permit.Read,
        [CommandKind.TransferFrom] = TransferFrom.Read,
    };

    private static readonly Lock RegisterLock = new();

    public abstract CommandKind Kind { get; }

    /// <summary>Registers the decoder of a module's command kind (once, at start-up, before any journal replay).</summary>
    public static void Register(CommandKind kind, Func<BodyReader, CommandBody> decoder)
    {
        lock (RegisterLock)
        {
            if (_decoders.TryGetValue(kind, out var existing) && existing != decoder)
            {
                throw new InvalidOperationException($"Command kind {(byte)kind} is already registered.");
            }

            _decoders = new Dictionary<CommandKind, Func<BodyReader, CommandBody>>(_decoders) { [kind] = decoder };
        }
    }

    internal int EncodedBodyLength => Encode().Length;

    internal void WriteBody(Span<byte> destination) => Encode().CopyTo(destination);

    /// <summary>The body encoding. Bodies are small and rare, so clarity beats speed here.</summary>
    protected abstract void Write(BodyWriter writer);

    // No cached encoding field: a record's `with` copies every field, so a cache would make
    // `body with { Frozen = false }` journal the old bytes while applying the new value, and it would also
    // take part in record equality. Bodies are rare; encoding them twice per block is cheap.
    private byte[] Encode()
    {
        var writer = new BodyWriter();
        Write(writer);
        return writer.ToArray();
    }

    internal static CommandBody Decode(CommandKind kind, ReadOnlySpan<byte> body)
    {
        if (!_decoders.TryGetValue(kind, out var decode))
        {
            throw new FormatException($"Unknown command kind {(byte)kind}.");
        }

        var reader = new BodyReader(body.ToArray());
        var result = decode(reader);
        reader.EnsureEnd();
        return result;
    }
}

/// <summary>Creates a coin and its supply account. <see cref="Sandbox"/>: unbacked test money (a trailing byte 1; absent
/// otherwise, so coins journaled before sandboxes existed read as they were written).</summary>
public sealed record CreateCoin(string Symbol, byte Decimals, string Currency, string Name, string Version, bool Sandbox = false) : CommandBody
{
    public override CommandKind Kind => CommandKind.CreateCoin;

    protected override void Write(BodyWriter writer)
    {
        writer.String(Symbol);
        writer.Byte(Decimals);
        writer.String(Currency);
        writer.String(Name);
        writer.String(Version);
        if (Sandbox)
        {
            writer.Byte(1);
        }
    }

    internal static CreateCoin Read(BodyReader r) => new(r.String(), r.Byte(), r.String(), r.String(), r.String(), !r.AtEnd && ReadSandbox(r));

    // Only canonical encodings decode: the flag is absent or exactly 1.
    private static bool ReadSandbox(BodyReader r) => r.Byte() == 1 ? true : throw new FormatException("A coin's sandbox flag is absent or 1.");
}

/// <summary>Freezes or unfreezes one account: a frozen account can neither send nor receive.</summary>
public sealed record SetAccountFrozen(uint Coin, Address Account, bool Frozen) : CommandBody
{
    public override CommandKind Kind => CommandKind.SetAccountFrozen;

    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Account);
        writer.Byte(Frozen ? (byte)1 : (byte)0);
    }

    internal static SetAccountFrozen Read(BodyReader r) => new(r.UInt32(), r.Address(), r.Byte() != 0);
}

/// <summary>Little-endian writer for command bodies.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Owns only a MemoryStream, which holds no OS resource; callers take ToArray() and drop the writer")]
public sealed class BodyWriter
{
    private readonly MemoryStream _stream = new();

    public void Byte(byte value) => _stream.WriteByte(value);

    public void Hash(Hash32 value)
    {
        Span<byte> b = stackalloc byte[32];
        value.WriteTo(b);
        _stream.Write(b);
    }

    public void UInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _stream.Write(b);
    }

    public void UInt64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        _stream.Write(b);
    }

    public void UInt128(UInt128 value)
    {
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128LittleEndian(b, value);
        _stream.Write(b);
    }

    public void Address(Address value)
    {
        Span<byte> b = stackalloc byte[20];
        value.WriteTo(b);
        _stream.Write(b);
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        UInt32((uint)value.Length);
        _stream.Write(value);
    }

    public void String(string value) => Bytes(System.Text.Encoding.UTF8.GetBytes(value));

    public byte[] ToArray() => _stream.ToArray();
}

/// <summary>Reader matching <see cref="BodyWriter"/>; throws <see cref="FormatException"/> on truncation.</summary>
public sealed class BodyReader(byte[] data)
{
    private int _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > data.Length - _position)
        {
            throw new FormatException("Truncated command body.");
        }

        var span = data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    public byte Byte() => Take(1)[0];

    public Hash32 Hash() => Hash32.FromBytes(Take(32));

    public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public UInt128 UInt128() => BinaryPrimitives.ReadUInt128LittleEndian(Take(16));

    public Address Address() => Ledger.Address.FromBytes(Take(20));

    public byte[] Bytes() => Take(checked((int)UInt32())).ToArray();

    public string String() => System.Text.Encoding.UTF8.GetString(Take(checked((int)UInt32())));

    /// <summary>True when every byte has been read (optional trailing fields are absent).</summary>
    public bool AtEnd => _position == data.Length;

    public void EnsureEnd()
    {
        if (_position != data.Length)
        {
            throw new FormatException("Trailing bytes after command body.");
        }
    }
}
