using Centime.Ledger;

namespace Centime.Testing;

/// <summary>
/// Writes blocks with chosen ledger times straight into a journal, as the sequencer would have sealed them then: for
/// tests that need a history (months past, a recovered node) without waiting for the clock. The journal's and the
/// state's mutators are internal to the core (OneDoorTests); this test helper is one of the core's friends.
/// </summary>
public static class JournalHistory
{
    /// <summary>Applies <paramref name="commands"/> as the next block at <paramref name="timestamp"/> (Unix ns), appends
    /// and commits it; returns each command's result.</summary>
    public static CommandResult[] AppendBlock(Journal.Journal journal, ulong timestamp, params Command[] commands)
    {
        var state = journal.State;
        var results = new CommandResult[commands.Length];
        state.ApplyBlock(state.Height + 1, timestamp, commands, results);
        var buffer = Array.Empty<byte>();
        var header = Block.Seal(state.Height, timestamp, journal.LastHash, commands, results, ref buffer, out var length);
        journal.Append(buffer.AsSpan(0, length), header);
        journal.Commit();
        return results;
    }
}
