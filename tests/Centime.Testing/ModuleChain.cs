using Centime.Ledger;

namespace Centime.Testing;

/// <summary>
/// A bare ledger with the modules <paramref name="createModules"/> makes (one module for a module's tests; all of them,
/// as the node registers them, for cross-module tests): every <see cref="Apply"/> is one block whose commands go
/// through the journal's encoding first (so decoders are tested too) and are kept in <see cref="Log"/>, so a test can
/// replay the log or reload a snapshot and compare the state byte for byte.
/// </summary>
public class LedgerChain(Func<IEnumerable<LedgerModule>> createModules)
{
    public LedgerState State { get; } = new(createModules());

    /// <summary>Every block applied: height, ledger time, decoded commands, the rules version it was applied under.</summary>
    public List<(ulong Height, ulong Time, Command[] Commands, ushort Rules)> Log { get; } = [];

    /// <summary>Ledger time of the last block.</summary>
    public ulong Now => State.Timestamp;

    /// <summary>Applies one block at <paramref name="at"/> (or the next valid time); returns each command's code.</summary>
    public ResultCode[] Apply(ulong at, params Command[] commands) => ApplyWithResults(at, commands).Select(static r => r.Code).ToArray();

    /// <summary>Applies one block at <paramref name="at"/> (or the next valid time); returns each command's result.</summary>
    public CommandResult[] ApplyWithResults(ulong at, params Command[] commands) => ApplyUnder(LedgerRules.Current, at, commands);

    /// <summary>Applies one block under an older <see cref="LedgerRules"/> version, as replay of an old journal does.</summary>
    public CommandResult[] ApplyUnder(ushort rules, ulong at, params Command[] commands)
    {
        var decoded = commands.Select(static c =>
        {
            var bytes = new byte[c.EncodedLength];
            c.WriteTo(bytes);
            return Command.Read(bytes, out _);
        }).ToArray();
        var time = Math.Max(at, State.NextTimestamp);
        var results = new CommandResult[decoded.Length];
        State.ApplyBlock(State.Height + 1, time, decoded, results, rules);
        Log.Add((State.Height, time, decoded, rules));
        return results;
    }

    /// <summary>A fresh state with fresh modules, rebuilt from <see cref="Log"/>.</summary>
    public LedgerState Replay()
    {
        var state = new LedgerState(createModules());
        foreach (var (height, time, commands, rules) in Log)
        {
            state.ApplyBlock(height, time, commands, new CommandResult[commands.Length], rules);
        }

        return state;
    }

    /// <summary>The state written to a snapshot and read back with fresh modules.</summary>
    public LedgerState SnapshotRoundTrip()
    {
        using var snapshot = new MemoryStream();
        State.WriteSnapshot(snapshot);
        snapshot.Position = 0;
        return LedgerState.ReadSnapshot(snapshot, createModules());
    }

    /// <summary>A module's snapshot section.</summary>
    public static byte[] Bytes(LedgerModule module)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            module.WriteSnapshot(writer);
        }

        return stream.ToArray();
    }
}

/// <summary>A <see cref="LedgerChain"/> with one module, for that module's tests.</summary>
public class ModuleChain<TModule>() : LedgerChain(static () => [new TModule()])
    where TModule : LedgerModule, new()
{
    private TModule? _module;

    public TModule Module => _module ??= State.Module<TModule>()!;
}
