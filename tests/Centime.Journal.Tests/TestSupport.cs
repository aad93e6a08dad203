using Centime.Ledger;

namespace Centime.Journal.Tests;

/// <summary>A fresh directory under the temp path, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "centime-journal-tests", Guid.NewGuid().ToString("N"));
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] Segments() => [.. Directory.GetFiles(Path, "journal-*.seg").Order(StringComparer.Ordinal)];

    public string[] Snapshots() => [.. Directory.GetFiles(Path, "snapshot-*.snap").Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}

/// <summary>Collects progress reports synchronously (<see cref="Progress{T}"/> would post them to the pool).</summary>
internal sealed class ProgressLog : IProgress<RecoveryProgress>
{
    public List<RecoveryProgress> Reports { get; } = [];

    public void Report(RecoveryProgress value)
    {
        lock (Reports)
        {
            Reports.Add(value);
        }
    }
}

/// <summary>One sealed block as the sequencer would hand it to the journal.</summary>
internal sealed record SealedBlock(BlockHeader Header, byte[] Encoded)
{
    public Hash32 Hash => Header.ComputeHash();
}

/// <summary>
/// Drives a <see cref="LedgerState"/> the way the sequencer does (apply, seal) with random but seeded
/// commands: mints from the supply account, transfers that may overdraw, holds with and without timeouts,
/// posts (full and partial) and voids, linked chains that succeed or roll back, duplicate ids, invalid
/// transfers, freezes. Ledger time jumps by up to a few seconds per block so holds expire along the way.
/// </summary>
internal sealed class ChainBuilder
{
    private const string Symbol = "NUSD";
    private const uint CoinNumber = 1;

    private readonly Random _rng;
    private readonly Address[] _holders;
    private readonly List<UInt128> _holds = [];
    private readonly List<Transfer> _done = [];
    private byte[] _buffer = new byte[1 << 16];
    private ulong _nextId;

    public ChainBuilder(int seed, LedgerState? state = null, Hash32 lastHash = default)
    {
        _rng = new Random(seed);
        State = state ?? new LedgerState();
        LastHash = lastHash;
        _holders = new Address[12];
        for (var i = 0; i < _holders.Length; i++)
        {
            _holders[i] = Address.Derive("holder:" + i);
        }

        // Ids continue after what the state already holds, and open holds are found again.
        _nextId = ((ulong)seed << 32) + (ulong)State.TransferCount + (ulong)State.FailedIds.Count + 1;
        foreach (var t in State.Transfers)
        {
            if (t.Hold == HoldState.Pending)
            {
                _holds.Add(t.Transfer.Id);
            }
        }
    }

    public LedgerState State { get; }

    public Hash32 LastHash { get; private set; }

    /// <summary>Applies and seals one block of 0..<paramref name="maxCommands"/> commands.</summary>
    public SealedBlock Next(int maxCommands = 24)
    {
        var commands = new List<Command>();
        if (State.CoinCount == 0)
        {
            commands.Add(Command.Of(new CreateCoin(Symbol, 6, "USD", "Net Dollar", "1")));
        }

        var n = _rng.Next(0, maxCommands + 1);
        while (commands.Count < n)
        {
            AddRandom(commands);
        }

        if (commands.Count > LedgerState.MaxBatchSize)
        {
            commands.RemoveRange(LedgerState.MaxBatchSize, commands.Count - LedgerState.MaxBatchSize);
        }

        var height = State.Height + 1;
        var timestamp = State.NextTimestamp + ((ulong)_rng.Next(0, 4) * 700_000_000UL);
        var results = new CommandResult[commands.Count];
        var span = commands.ToArray();
        State.ApplyBlock(height, timestamp, span, results);
        var header = Block.Seal(height, timestamp, LastHash, span, results, ref _buffer, out var length);
        LastHash = header.ComputeHash();
        return new SealedBlock(header, _buffer.AsSpan(0, length).ToArray());
    }

    /// <summary>Applies and seals one block of exactly <paramref name="commands"/> under <paramref name="rules"/>, as a node
    /// of that rules version would have written it.</summary>
    public SealedBlock NextUnder(ushort rules, params Command[] commands)
    {
        var height = State.Height + 1;
        var timestamp = State.NextTimestamp;
        var results = new CommandResult[commands.Length];
        State.ApplyBlock(height, timestamp, commands, results, rules);
        var header = Block.Seal(height, timestamp, LastHash, commands, results, ref _buffer, out var length, rules);
        LastHash = header.ComputeHash();
        return new SealedBlock(header, _buffer.AsSpan(0, length).ToArray());
    }

    /// <summary>A block of <paramref name="transfers"/> mints (a big, uniform block); the first command creates
    /// the coin if it does not exist yet.</summary>
    public SealedBlock NextMints(int transfers)
    {
        var commands = new Command[transfers];
        for (var i = 0; i < transfers; i++)
        {
            commands[i] = i == 0 && State.CoinCount == 0
                ? Command.Of(new CreateCoin(Symbol, 6, "USD", "Net Dollar", "1"))
                : Command.Of(Mint(Holder(), 1));
        }

        var height = State.Height + 1;
        var timestamp = State.NextTimestamp;
        var results = new CommandResult[transfers];
        State.ApplyBlock(height, timestamp, commands, results);
        var header = Block.Seal(height, timestamp, LastHash, commands, results, ref _buffer, out var length);
        LastHash = header.ComputeHash();
        return new SealedBlock(header, _buffer.AsSpan(0, length).ToArray());
    }

    private Address Holder() => _holders[_rng.Next(_holders.Length)];

    private UInt128 NewId() => _nextId++;

    private Transfer Mint(Address to, ulong amount) => new()
    {
        Id = NewId(),
        DebitAccount = Coin.SupplyAccountOf(Symbol),
        CreditAccount = to,
        Amount = amount,
        Coin = CoinNumber,
        Code = 1,
    };

    private Transfer Pay(Address from, Address to, ulong amount, TransferFlags flags = TransferFlags.None, uint timeout = 0) => new()
    {
        Id = NewId(),
        DebitAccount = from,
        CreditAccount = to,
        Amount = amount,
        Coin = CoinNumber,
        Code = 2,
        Flags = flags,
        Timeout = timeout,
    };

    private void AddRandom(List<Command> commands)
    {
        var from = Holder();
        var to = Holder();
        while (to == from)
        {
            to = Holder();
        }

        Transfer t;
        switch (_rng.Next(100))
        {
            case < 25:
                t = Mint(to, (ulong)_rng.Next(1, 1_000_000));
                break;
            case < 55:
                t = Pay(from, to, (ulong)_rng.Next(1, 400_000)); // may exceed the balance: a recorded failure
                break;
            case < 65:
                t = Pay(from, to, (ulong)_rng.Next(1, 200_000), TransferFlags.Pending, (uint)_rng.Next(0, 4));
                _holds.Add(t.Id);
                break;
            case < 75 when _holds.Count > 0:
                {
                    var hold = _holds[_rng.Next(_holds.Count)];
                    var post = _rng.Next(2) == 0;
                    t = new Transfer
                    {
                        Id = NewId(),
                        PendingId = hold,
                        Amount = post && _rng.Next(2) == 0 ? (ulong)_rng.Next(1, 1000) : 0UL,
                        Flags = post ? TransferFlags.PostPending : TransferFlags.VoidPending,
                    };
                    break;
                }

            case < 85:
                {
                    // A linked chain of 2..4; sometimes one link overdraws and the whole chain rolls back.
                    var length = _rng.Next(2, 5);
                    for (var i = 0; i < length; i++)
                    {
                        var amount = _rng.Next(5) == 0 ? 1_000_000_000UL : (ulong)_rng.Next(1, 50_000);
                        var link = i == 0 && _rng.Next(2) == 0 ? Mint(from, amount) : Pay(from, to, amount);
                        commands.Add(Command.Of(i < length - 1 ? link with { Flags = link.Flags | TransferFlags.Linked } : link));
                    }

                    return;
                }

            case < 90 when _done.Count > 0:
                {
                    // Retry of an earlier transfer: same fields (exists) or one field changed.
                    var earlier = _done[_rng.Next(_done.Count)];
                    t = _rng.Next(2) == 0 ? earlier : earlier with { Amount = earlier.Amount + 1 };
                    break;
                }

            case < 94:
                t = Pay(from, to, 0); // amount_must_not_be_zero
                break;
            case < 96:
                commands.Add(Command.Of(new SetAccountFrozen(CoinNumber, from, _rng.Next(3) != 0)));
                return;
            default:
                t = Mint(from, (ulong)_rng.Next(1, 100));
                break;
        }

        _done.Add(t);
        commands.Add(Command.Of(t));
    }
}

/// <summary>Opens, appends and reopens with the sequencer's calling pattern.</summary>
internal static class JournalTesting
{
    public static readonly JournalOptions NoSync = new() { Fsync = false };

    /// <summary>Appends <paramref name="count"/> blocks, committing every <paramref name="group"/>.</summary>
    public static List<SealedBlock> AppendBlocks(Journal journal, ChainBuilder builder, int count, int group = 1, int maxCommands = 24)
    {
        var blocks = new List<SealedBlock>(count);
        for (var i = 0; i < count; i++)
        {
            var block = builder.Next(maxCommands);
            journal.Append(block.Encoded, block.Header);
            blocks.Add(block);
            if ((i + 1) % group == 0)
            {
                journal.Commit();
            }
        }

        journal.Commit();
        return blocks;
    }

    /// <summary>File offset of each record, for a journal that fits in one segment.</summary>
    public static long[] RecordOffsets(IReadOnlyList<SealedBlock> blocks)
    {
        var offsets = new long[blocks.Count];
        long position = 0;
        for (var i = 0; i < blocks.Count; i++)
        {
            offsets[i] = position;
            position += RecordFormat.RecordSize(blocks[i].Encoded.Length);
        }

        return offsets;
    }

    public static void FlipByte(string path, long offset, byte mask = 0x5A)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ mask));
    }

    public static void WriteAt(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        file.Write(bytes);
    }

    public static byte[] SnapshotBytes(LedgerState state)
    {
        using var stream = new MemoryStream();
        state.WriteSnapshot(stream);
        return stream.ToArray();
    }
}
