using Centime.Ledger;

namespace Centime.Journal;

/// <summary>
/// Where sealed blocks and snapshots are kept: the embedded <see cref="Journal"/> (segment files on local disk, the
/// default) or the PostgreSQL store (Centime.Storage.Postgres, docs/replication.md). Opening a store recovers the
/// state; then the sequencer alone calls the writer members (<see cref="Append"/> to queue a block,
/// <see cref="Commit"/> to make every queued block durable — one group commit — and <see cref="WriteSnapshot"/>),
/// which are internal to the core (OneDoorTests). Readers on any thread use the public members.
/// </summary>
public abstract class BlockStore : IDisposable
{
    private const int CommitWaitMs = 10_000;
    private static readonly Task Never = new TaskCompletionSource().Task;
    private readonly object _commitSignal = new();
    private ulong _committedHeight;

    /// <summary>The recovered state. The sequencer owns it from here on and keeps applying blocks to it.</summary>
    public abstract LedgerState State { get; }

    /// <summary>Height of the last appended block (0 = empty). After opening it is the last durable block.</summary>
    public abstract ulong Height { get; }

    /// <summary>Header hash of the block at <see cref="Height"/>, or <see cref="Hash32.Zero"/>.</summary>
    public abstract Hash32 LastHash { get; }

    /// <summary>What recovery found and did.</summary>
    public abstract RecoveryInfo Recovery { get; }

    /// <summary>Header of the block at <paramref name="height"/> (1..<see cref="Height"/>), from memory.</summary>
    public abstract BlockHeader ReadHeader(ulong height);

    /// <summary>Reads, verifies and decodes the block at <paramref name="height"/>; never a block that is not durable.</summary>
    public abstract Block ReadBlock(ulong height);

    /// <summary>Completes, with the reason, when this node may no longer append to the store although nothing failed
    /// on its side: a PostgreSQL leader whose lease another node took (fenced). The node stops sequencing then.
    /// Never completes for the embedded journal.</summary>
    public virtual Task Deposed => Never;

    /// <summary>What this node is for the store: <c>embedded</c> (the only writer of a local journal), <c>leader</c> (holds
    /// the PostgreSQL lease and sequences) or <c>follower</c> (tails blocks another node appends, serves reads).</summary>
    public virtual string Role => "embedded";

    /// <summary>The PostgreSQL lease term this node holds (leader) or last saw (follower); 0 for the embedded journal.</summary>
    public virtual long Term => 0;

    /// <summary>Who holds the leader lease as last seen (node name), or null when there is no lease.</summary>
    public virtual string? Leader => null;

    /// <summary>The highest block height known to exist in the store: a follower is <c>KnownHeight - Height</c> blocks behind.</summary>
    public virtual ulong KnownHeight => Height;

    /// <summary>
    /// Follower stores only (<see cref="Role"/> is <c>follower</c>): waits up to <paramref name="wait"/> for blocks another
    /// node appended after <see cref="Height"/>, adds them to the store (verified: height, hash chain) and returns them in
    /// order; empty when none came. When the leader's lease has expired, the store takes it over instead (term + 1),
    /// returns every block committed before, and its <see cref="Role"/> becomes <c>leader</c>: the caller then starts
    /// sequencing. Sequencer only.
    /// </summary>
    internal virtual IReadOnlyList<Block> Follow(TimeSpan wait, CancellationToken cancel) =>
        throw new NotSupportedException("Only a follower store follows another writer.");

    /// <summary>Queues one block (the encoding from <see cref="Block.Seal"/>, starting with
    /// <paramref name="header"/>, which must follow the previous one). Not durable until <see cref="Commit"/>
    /// returns. Sequencer only.</summary>
    internal abstract void Append(ReadOnlySpan<byte> encodedBlock, in BlockHeader header);

    /// <summary>Makes every appended block durable, all at once; returns only when they are. A failure is final
    /// (the node restarts and recovers). Sequencer only.</summary>
    internal abstract void Commit();

    /// <summary>Stores a snapshot of the state after block <paramref name="height"/> whose header hash is
    /// <paramref name="blockHash"/>; safe on a background thread while the writer appends and commits.</summary>
    internal abstract void WriteSnapshot(ulong height, Hash32 blockHash, ReadOnlyMemory<byte> stateBytes);

    /// <summary>Height of the last durable block: readers never see a block above it.</summary>
    protected ulong CommittedHeight => Volatile.Read(ref _committedHeight);

    /// <summary>Publishes that every block up to <paramref name="height"/> is durable and wakes the readers waiting for
    /// one of them (<see cref="WaitForCommit"/>).</summary>
    protected void MarkCommitted(ulong height)
    {
        Volatile.Write(ref _committedHeight, height);
        WakeCommitWaiters();
    }

    /// <summary>Wakes every reader waiting in <see cref="WaitForCommit"/> so it sees the store disposed or failed.</summary>
    protected void WakeCommitWaiters()
    {
        lock (_commitSignal)
        {
            Monitor.PulseAll(_commitSignal);
        }
    }

    /// <summary>
    /// Waits until the block at <paramref name="height"/> is durable: a reader on another thread may be handed a height
    /// the writer appended but has not committed yet, and must never read it before it is. Throws (from
    /// <see cref="ThrowIfUnusable"/>) when the store fails or closes meanwhile, and <see cref="TimeoutException"/> when
    /// the commit does not come within 10 s.
    /// </summary>
    protected void WaitForCommit(ulong height)
    {
        if (height <= CommittedHeight)
        {
            return; // the common case: no lock
        }

        var deadline = Environment.TickCount64 + CommitWaitMs;
        lock (_commitSignal)
        {
            while (height > CommittedHeight)
            {
                ThrowIfUnusable();
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new TimeoutException($"Block {height} was appended but not committed within {CommitWaitMs} ms.");
                }

                Monitor.Wait(_commitSignal, (int)Math.Min(left, 100));
            }
        }
    }

    /// <summary>Throws when the store was disposed or stopped after a failure (a restart recovers).</summary>
    protected abstract void ThrowIfUnusable();

    /// <summary>Closes the store; appended blocks that were not committed are dropped.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    /// <summary>
    /// Applies one recovered block to <paramref name="state"/> and checks every recorded result code against the
    /// recomputed one (the state machine is deterministic, so a difference means the stored blocks, the snapshot or
    /// the code is not what wrote them). Returns null, or why the block does not replay. Shared by every store.
    /// </summary>
    internal static string? ReplayBlock(LedgerState state, Block block, CommandResult[] results)
    {
        var height = block.Header.Height;
        try
        {
            state.ApplyBlock(height, block.Header.Timestamp, block.Commands, results, block.Header.Rules);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OverflowException or KeyNotFoundException)
        {
            return $"replay failed at height {height}: {ex.Message}";
        }

        for (var i = 0; i < block.Results.Length; i++)
        {
            if (results[i].Code != block.Results[i])
            {
                return $"replay diverged at height {height}: command {i} was recorded as {block.Results[i]} but replays as {results[i].Code}";
            }
        }

        return null;
    }
}
