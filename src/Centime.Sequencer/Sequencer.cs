using System.Diagnostics;
using Centime.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Centime.Node.Sequencing;

/// <summary>Tuning of the sequencer.</summary>
public sealed class SequencerOptions
{
    /// <summary>Take a snapshot once this many commands are journaled above the newest snapshot (0 = no command
    /// limit). Counted from the journal, not from the process start, so a node that keeps restarting still
    /// snapshots and its replay stays bounded.</summary>
    public long SnapshotEveryCommands { get; init; } = 2_000_000;

    /// <summary>Take a snapshot once this many blocks are journaled above the newest snapshot (0 = no block
    /// limit). Replay pays per block as well as per command: a lightly loaded node writes many small blocks.
    /// With both limits 0, snapshots are written only on shutdown.</summary>
    public long SnapshotEveryBlocks { get; init; } = 100_000;

    /// <summary>Write a snapshot when the sequencer stops cleanly.</summary>
    public bool SnapshotOnShutdown { get; init; } = true;
}

/// <summary>A committed block as seen by projections: header, commands, results and where its new
/// transfers landed in <see cref="LedgerState.Transfers"/>. The memories are the sequencer's reusable
/// buffers: valid only during the <see cref="Sequencer.Committed"/> callback (copy what you keep).</summary>
public sealed record CommittedBlock(BlockHeader Header, Hash32 Hash, ReadOnlyMemory<Command> Commands, ReadOnlyMemory<CommandResult> Results, int FirstTransferIndex, int TransferCount);

/// <summary>What a caller gets back once its request is durable: the block and one result per command.</summary>
public sealed record Receipt(ulong Height, Hash32 BlockHash, CommandResult[] Results);

/// <summary>
/// The single writer (DESIGN.md §1), pipelined with durability. Requests queue up; the writer thread takes as
/// many whole requests as fit in one block (group commit, at most <see cref="LedgerState.MaxBatchSize"/>
/// commands), applies them and seals the block, then hands it to the durability thread, which appends blocks to
/// the journal in order, fsyncs, and only then runs projections and completes the callers. So the apply of block
/// n+1 overlaps the fsync of block n. A request is never split across blocks, so it is either wholly journaled
/// or not at all.
/// <para>Readers take <see cref="ReadLock"/>; the write lock covers apply only. The state a reader sees may be
/// up to <c>Slots</c> blocks ahead of the journal, so a read section remembers the height it saw and its
/// <c>Dispose</c> waits until that height is durable: no answer reflects a block a crash could take back.</para>
/// </summary>
public sealed class Sequencer : IDisposable
{
    /// <summary>Blocks in flight: one being built while the others wait for, or are in, their fsync.</summary>
    private const int Slots = 3;

    private readonly Journal.BlockStore _journal;
    private readonly SequencerOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _queueLock = new();
    private readonly Queue<Request> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ReaderWriterLockSlim _stateLock = new(LockRecursionPolicy.NoRecursion);
    private Thread? _thread;
    private Thread? _durabilityThread;
    private readonly Thread? _followThread;
    private readonly CancellationTokenSource _followCancel = new();
    private volatile bool _following; // a follower of a PostgreSQL leader: applies the blocks it reads, accepts no request
    private readonly CommandResult[] _followResults = new CommandResult[LedgerState.MaxBatchSize];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile Exception? _fault;
    private long _commandsSinceSnapshot; // writer thread: journaled above the newest snapshot, across restarts
    private long _blocksSinceSnapshot;
    private Task _snapshotTask = Task.CompletedTask;

    // The pipeline, guarded by Monitor on _pipe: free slots for the writer, sealed blocks for the durability thread.
    private readonly object _pipe = new();
    private readonly Queue<Slot> _free = new();
    private readonly Queue<Slot> _sealed = new();
    private bool _writerDone;
    private bool _durabilityFailed; // nothing sealed from now on can become durable
    private Slot? _building; // writer thread: the slot being filled, failed if apply throws
    private Hash32 _lastHash; // writer thread: hash of the last sealed block

    // Durable height: written by the durability thread only; readers and snapshots wait on it.
    private ulong _durableHeight;
    private volatile bool _durabilityDone;
    private readonly object _durableSignal = new();
    private TaskCompletionSource _durableAdvanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Sequencer(Journal.BlockStore journal, SequencerOptions? options = null, ILogger? logger = null)
    {
        _journal = journal;
        _options = options ?? new SequencerOptions();
        _logger = logger ?? NullLogger.Instance;
        _lastHash = journal.LastHash;
        _durableHeight = journal.Height; // Open hands over a state equal to the durable journal
        (_commandsSinceSnapshot, _blocksSinceSnapshot) = JournaledAbove(journal, journal.Recovery.SnapshotHeight);
        for (var i = 0; i < Slots; i++)
        {
            _free.Enqueue(new Slot());
        }

        if (journal.Role == "follower")
        {
            _following = true;
            _followThread = new Thread(RunFollower) { Name = "centime-follower", IsBackground = true };
            _followThread.Start();
        }
        else
        {
            StartWriting();
        }
    }

    private void StartWriting()
    {
        _durabilityThread = new Thread(RunDurability) { Name = "centime-durability", IsBackground = true };
        _durabilityThread.Start();
        _thread = new Thread(Run) { Name = "centime-sequencer", IsBackground = true };
        _thread.Start();
    }

    /// <summary>True while this node follows another node's blocks (PostgreSQL store, <c>--follow</c>): it serves reads
    /// and refuses requests with <see cref="NotLeaderException"/> until it takes the lease over.</summary>
    public bool IsFollower => _following;

    /// <summary>
    /// The follower thread: applies every block the leader appended, in order, as the leader applied it (its header's
    /// time and rules), checks each recorded result, publishes the durable height and runs the projections — so reads,
    /// history and events on a follower are those of the leader, a bounded lag behind. When the store reports it took
    /// the lease over (the leader's expired), it starts the writer: this node is the leader from then on.
    /// </summary>
    private void RunFollower()
    {
        try
        {
            while (!_followCancel.IsCancellationRequested)
            {
                foreach (var block in _journal.Follow(TimeSpan.FromMilliseconds(500), _followCancel.Token))
                {
                    ApplyReplicated(block);
                }

                if (_journal.Role != "follower")
                {
                    _lastHash = _journal.LastHash;
                    (_commandsSinceSnapshot, _blocksSinceSnapshot) = JournaledAbove(_journal, _journal.Recovery.SnapshotHeight);
                    _following = false;
                    _logger.LogWarning("This node is now the leader (term {Term}) at height {Height}", _journal.Term, DurableHeight);
                    StartWriting();
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            if (_followCancel.IsCancellationRequested)
            {
                return;
            }

            // Crash-only, as on the leader: restart and recover from what the store holds.
            _fault ??= ex;
            _logger.LogCritical(ex, "Following stopped: {Message}", ex.Message);
            _durabilityDone = true;
            PublishDurable(DurableHeight);
            _stopped.TrySetResult();
        }
    }

    private void ApplyReplicated(Block block)
    {
        var header = block.Header;
        var count = block.Commands.Length;
        var results = _followResults.AsSpan(0, count);
        int first, transfers;
        _stateLock.EnterWriteLock();
        try
        {
            var state = State;
            first = state.TransferCount;
            state.ApplyBlock(header.Height, header.Timestamp, block.Commands, results, header.Rules);
            transfers = state.TransferCount - first;
        }
        finally
        {
            _stateLock.ExitWriteLock();
        }

        for (var i = 0; i < count; i++)
        {
            if (results[i].Code != block.Results[i])
            {
                throw new InvalidOperationException($"Block {header.Height} from the leader diverged here: command {i} was recorded as {block.Results[i]} but applies as {results[i].Code}.");
            }
        }

        Counters.Applied(header.Height);
        var hash = header.ComputeHash();
        _lastHash = hash;
        PublishDurable(header.Height);
        if (Committed is { } committed)
        {
            var projections = committed.GetInvocationList();
            var committedBlock = new CommittedBlock(header, hash, block.Commands, _followResults.AsMemory(0, count), first, transfers);
            _stateLock.EnterReadLock();
            try
            {
                Project(committedBlock, projections);
            }
            finally
            {
                _stateLock.ExitReadLock();
            }
        }

        Counters.Projected(header.Height);
        Counters.Committed(1, count);
    }

    private void Project(CommittedBlock block, Delegate[] projections)
    {
        foreach (var projection in projections)
        {
            try
            {
                ((Action<CommittedBlock>)projection)(block);
            }
            catch (Exception ex)
            {
                Counters.ProjectionFailed();
                _logger.LogError(ex, "Projection {Projection} failed on block {Height}; the other projections ran",
                    projection.Method.DeclaringType?.Name + "." + projection.Method.Name, block.Header.Height);
            }
        }
    }

    /// <summary>What the sequencer counts about itself (blocks, commands, commit, fsync and projection times) for /metrics.</summary>
    public SequencerCounters Counters { get; } = new();

    /// <summary>Requests waiting for the writer (queue depth); takes the queue lock, for scrapes only.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_queueLock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>The state. Read it only inside <see cref="ReadLock"/>.</summary>
    public LedgerState State => _journal.State;

    /// <summary>The block store: the embedded journal or PostgreSQL (its writer members are the sequencer's alone).</summary>
    public Journal.BlockStore Journal => _journal;

    /// <summary>Height of the last block that is durable (fsynced). The state may be ahead of it.</summary>
    public ulong DurableHeight => Volatile.Read(ref _durableHeight);

    /// <summary>Raised on the durability thread after each durable block, in height order, before its callers
    /// are completed. Handlers run inside a read section (do not call <see cref="ReadLock"/>; the state may
    /// already hold later, not yet durable blocks) and must be quick (projections, event fan-out).</summary>
    public event Action<CommittedBlock>? Committed;

    /// <summary>Set when the writer hit an unrecoverable error (disk full, fsync failure); the node must stop.</summary>
    public Exception? Fault => _fault;

    /// <summary>Completes when the sequencer thread has stopped.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Test seam: runs on the durability thread after the append and before the fsync of blocks up to
    /// the given height (a slow or failing disk).</summary>
    internal Action<ulong>? BeforeFsync { get; set; }

    /// <summary>
    /// Enters a read section: the state is stable while it is held. Disposing it leaves the lock, then waits
    /// until the height seen is durable, so whatever was read is safe to show once <c>Dispose</c> returns.
    /// </summary>
    public ReadSection ReadLock()
    {
        _stateLock.EnterReadLock();
        return new ReadSection(this, State.Height, fence: true);
    }

    /// <summary>
    /// Like <see cref="ReadLock"/>, but <c>Dispose</c> only leaves the lock: before answering, the caller must
    /// <c>await</c> <see cref="WaitDurableAsync"/> with the section's <see cref="ReadSection.Height"/>. For async
    /// hot paths that should not block a thread while a block is fsynced.
    /// </summary>
    public ReadSection ReadLockDeferred()
    {
        _stateLock.EnterReadLock();
        return new ReadSection(this, State.Height, fence: false);
    }

    /// <summary>Blocks until the block at <paramref name="height"/> is durable; throws
    /// <see cref="SequencerFaultedException"/> if it never will be.</summary>
    public void WaitDurable(ulong height)
    {
        if (DurableHeight >= height)
        {
            return;
        }

        lock (_durableSignal)
        {
            while (DurableHeight < height)
            {
                ThrowIfNeverDurable();
                Monitor.Wait(_durableSignal);
            }
        }
    }

    /// <summary>Completes when the block at <paramref name="height"/> is durable; faults with
    /// <see cref="SequencerFaultedException"/> if it never will be.</summary>
    public Task WaitDurableAsync(ulong height)
    {
        return DurableHeight >= height ? Task.CompletedTask : WaitSlowAsync(height);

        async Task WaitSlowAsync(ulong h)
        {
            while (true)
            {
                // The signal is read before the height: a block made durable in between completes this very signal.
                var advanced = Volatile.Read(ref _durableAdvanced);
                if (DurableHeight >= h)
                {
                    return;
                }

                ThrowIfNeverDurable();
                await advanced.Task.ConfigureAwait(false);
            }
        }
    }

    private void ThrowIfNeverDurable()
    {
        if (_durabilityDone)
        {
            throw new SequencerFaultedException(_fault ?? new ObjectDisposedException(nameof(Sequencer)));
        }
    }

    /// <summary>
    /// Submits one request of 1..<see cref="LedgerState.MaxBatchSize"/> commands and completes with their
    /// results once the block holding them is durable. Linked chains end at the request's last command.
    /// </summary>
    public Task<Receipt> SubmitAsync(Command[] commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Length is 0 or > LedgerState.MaxBatchSize)
        {
            throw new ArgumentException($"A request holds 1..{LedgerState.MaxBatchSize} commands.", nameof(commands));
        }

        if (_fault is not null)
        {
            return Task.FromException<Receipt>(new SequencerFaultedException(_fault));
        }

        if (_stopping)
        {
            return Task.FromException<Receipt>(new ObjectDisposedException(nameof(Sequencer)));
        }

        if (_following)
        {
            return Task.FromException<Receipt>(new NotLeaderException(_journal.Leader));
        }

        var request = new Request(commands);
        lock (_queueLock)
        {
            _queue.Enqueue(request);
        }

        _signal.Release();
        return request.Completion.Task;
    }

    /// <summary>Commands and blocks the journal holds above <paramref name="snapshotHeight"/>: what the next
    /// recovery would replay. Read from the in-memory headers, so a restart does not reset the cadence.</summary>
    private static (long Commands, long Blocks) JournaledAbove(Journal.BlockStore journal, ulong snapshotHeight)
    {
        long commands = 0;
        for (var height = snapshotHeight + 1; height <= journal.Height; height++)
        {
            commands += journal.ReadHeader(height).CommandCount;
        }

        return (commands, (long)(journal.Height - snapshotHeight));
    }

    private bool SnapshotDue() =>
        _snapshotTask.IsCompleted
        && ((_options.SnapshotEveryCommands > 0 && _commandsSinceSnapshot >= _options.SnapshotEveryCommands)
            || (_options.SnapshotEveryBlocks > 0 && _blocksSinceSnapshot >= _options.SnapshotEveryBlocks));

    private void Run()
    {
        try
        {
            // Recovery just replayed this much: snapshot now, or a node that crashes before it reaches the
            // cadence again would replay it all once more (and more each time).
            if (SnapshotDue())
            {
                TakeSnapshot(waitForWrite: false);
            }

            while (true)
            {
                var waitMs = TimeUntilNextExpiryMs();
                _signal.Wait(waitMs);
                if (_stopping)
                {
                    lock (_queueLock)
                    {
                        if (_queue.Count == 0)
                        {
                            break;
                        }
                    }
                }

                // Drain: several wake-ups may have been signalled for requests we take now. A slot is taken first,
                // so whatever queued while the pipeline was full goes into one block.
                var took = false;
                while (true)
                {
                    var slot = TakeFreeSlot();
                    if (!TakeBatch(slot))
                    {
                        ReturnFreeSlot(slot);
                        break;
                    }

                    took = true;
                    ApplyAndSeal(slot);
                }

                if (!took && ExpiryDue())
                {
                    ApplyAndSeal(TakeFreeSlot()); // an empty block advances ledger time so expired holds are released
                }
            }

            FinishPipeline();
            if (_options.SnapshotOnShutdown && _fault is null && _blocksSinceSnapshot > 0)
            {
                TakeSnapshot(waitForWrite: true);
            }

            _snapshotTask.Wait();
        }
        catch (Exception ex)
        {
            // The state may now be ahead of the journal; nothing more can be acknowledged. Crash-only: the node
            // stops and recovery rebuilds the state from what is durable.
            _fault ??= ex;
            _logger.LogCritical(ex, "Sequencer stopped: {Message}", ex.Message);
            if (_building is { } slot)
            {
                FailRequests(slot, _fault);
            }

            FailQueued(_fault);
            FinishPipeline();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Lets the durability thread finish what is sealed, and waits for it.</summary>
    private void FinishPipeline()
    {
        lock (_pipe)
        {
            _writerDone = true;
            Monitor.PulseAll(_pipe);
        }

        _durabilityThread!.Join();
    }

    private Slot TakeFreeSlot()
    {
        lock (_pipe)
        {
            while (true)
            {
                if (_durabilityFailed)
                {
                    throw new SequencerFaultedException(_fault!);
                }

                if (_free.TryDequeue(out var slot))
                {
                    slot.CommandCount = 0;
                    return _building = slot;
                }

                Monitor.Wait(_pipe);
            }
        }
    }

    private void ReturnFreeSlot(Slot slot)
    {
        lock (_pipe)
        {
            _building = null;
            _free.Enqueue(slot);
        }
    }

    private int TimeUntilNextExpiryMs()
    {
        var next = State.EarliestExpiry;
        if (next is null)
        {
            return Timeout.Infinite;
        }

        var now = NowNanoseconds();
        if (next.Value <= now)
        {
            return 0;
        }

        var ms = (next.Value - now) / 1_000_000UL;
        return ms > 60_000 ? 60_000 : (int)ms + 1;
    }

    private bool ExpiryDue() => State.EarliestExpiry is { } e && e <= NowNanoseconds();

    private bool TakeBatch(Slot slot)
    {
        var batch = slot.Requests;
        var commandCount = 0;
        lock (_queueLock)
        {
            while (_queue.TryPeek(out var next) && commandCount + next.Commands.Length <= LedgerState.MaxBatchSize)
            {
                _queue.Dequeue();
                batch.Add(next);
                commandCount += next.Commands.Length;
            }
        }

        if (batch.Count == 0)
        {
            return false;
        }

        var offset = 0;
        foreach (var request in batch)
        {
            var commands = request.Commands;
            for (var i = 0; i < commands.Length; i++)
            {
                slot.Commands[offset + i] = i == commands.Length - 1 ? commands[i].With(commands[i].Flags | CommandFlags.RequestEnd) : commands[i];
            }

            offset += commands.Length;
        }

        slot.CommandCount = commandCount;
        return true;
    }

    /// <summary>Writer thread: applies the slot's commands under the write lock, seals the block outside it and
    /// hands it to the durability thread.</summary>
    private void ApplyAndSeal(Slot slot)
    {
        var commandCount = slot.CommandCount;
        var commands = slot.Commands.AsSpan(0, commandCount);
        var results = slot.Results.AsSpan(0, commandCount);
        ulong height, timestamp;
        _stateLock.EnterWriteLock();
        try
        {
            var state = State;
            timestamp = Math.Max(NowNanoseconds(), state.NextTimestamp);
            height = state.Height + 1;
            slot.FirstTransfer = state.TransferCount;
            state.ApplyBlock(height, timestamp, commands, results);
            Counters.Applied(height);
            slot.TransferCount = state.TransferCount - slot.FirstTransfer;
        }
        finally
        {
            _stateLock.ExitWriteLock();
        }

        // Sealing reads only this slot's commands and results, not the state: no lock, readers get in sooner.
        slot.Header = Block.Seal(height, timestamp, _lastHash, commands, results, ref slot.Buffer, out slot.Length);
        slot.Hash = slot.Header.ComputeHash();
        _lastHash = slot.Hash;
        lock (_pipe)
        {
            if (_durabilityFailed)
            {
                throw new SequencerFaultedException(_fault!); // Run fails this slot's callers
            }

            _building = null;
            _sealed.Enqueue(slot);
            Monitor.PulseAll(_pipe);
        }

        _commandsSinceSnapshot += commandCount;
        _blocksSinceSnapshot++;
        if (SnapshotDue())
        {
            TakeSnapshot(waitForWrite: false);
        }
    }

    /// <summary>
    /// The durability thread: appends sealed blocks in height order, fsyncs once for all of them (group commit),
    /// publishes the durable height, runs the projections and only then completes the callers. A failed append
    /// or fsync faults the sequencer (crash-only): those blocks' callers and everyone queued get the fault.
    /// </summary>
    private void RunDurability()
    {
        var blocks = new List<Slot>(Slots);
        try
        {
            while (true)
            {
                lock (_pipe)
                {
                    while (_sealed.Count == 0 && !_writerDone)
                    {
                        Monitor.Wait(_pipe);
                    }

                    while (_sealed.TryDequeue(out var s))
                    {
                        blocks.Add(s);
                    }
                }

                if (blocks.Count == 0)
                {
                    break; // the writer is done and everything it sealed is durable
                }

                foreach (var slot in blocks)
                {
                    _journal.Append(slot.Buffer.AsSpan(0, slot.Length), slot.Header);
                }

                var top = blocks[^1].Header.Height;
                BeforeFsync?.Invoke(top);
                var fsyncStart = Stopwatch.GetTimestamp();
                _journal.Commit();
                Counters.FsyncDuration.ObserveSince(fsyncStart);
                PublishDurable(top);
                Complete(blocks);
                lock (_pipe)
                {
                    foreach (var slot in blocks)
                    {
                        slot.Requests.Clear();
                        _free.Enqueue(slot);
                    }

                    Monitor.PulseAll(_pipe);
                }

                blocks.Clear();
            }
        }
        catch (Exception ex)
        {
            _fault ??= ex;
            _logger.LogCritical(ex, "Journal write failed, sequencer stopping: {Message}", ex.Message);
            lock (_pipe)
            {
                _durabilityFailed = true;
                while (_sealed.TryDequeue(out var s))
                {
                    blocks.Add(s);
                }

                Monitor.PulseAll(_pipe); // a writer waiting for a slot sees the fault
            }

            foreach (var slot in blocks)
            {
                FailRequests(slot, _fault);
            }

            FailQueued(_fault);
            _signal.Release();
        }
        finally
        {
            _durabilityDone = true;
            PublishDurable(DurableHeight);
        }
    }

    private void PublishDurable(ulong height)
    {
        Volatile.Write(ref _durableHeight, height);
        lock (_durableSignal)
        {
            Monitor.PulseAll(_durableSignal);
        }

        Interlocked.Exchange(ref _durableAdvanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Durability thread, for blocks that are durable: projections (in a read section, as they read the
    /// state), then receipts. Each projection runs on its own: one that throws is logged with the block height
    /// and its name, and the others still see the block.</summary>
    private void Complete(List<Slot> blocks)
    {
        var projectionStart = Stopwatch.GetTimestamp();
        if (Committed is { } committed)
        {
            var projections = committed.GetInvocationList();
            _stateLock.EnterReadLock();
            try
            {
                foreach (var slot in blocks)
                {
                    Project(new CommittedBlock(slot.Header, slot.Hash, slot.Commands.AsMemory(0, slot.CommandCount),
                        slot.Results.AsMemory(0, slot.CommandCount), slot.FirstTransfer, slot.TransferCount), projections);
                }
            }
            finally
            {
                _stateLock.ExitReadLock();
            }
        }

        // Counted before the receipts: a caller who got its receipt and then scrapes /metrics sees its block.
        Counters.ProjectionDuration.ObserveSince(projectionStart);
        Counters.Projected(blocks[^1].Header.Height);
        long commands = 0;
        foreach (var slot in blocks)
        {
            commands += slot.CommandCount;
            if (slot.Requests.Count > 0)
            {
                Counters.CommitLatency.ObserveSince(slot.Requests[0].Arrived);
            }
        }

        Counters.Committed(blocks.Count, commands);
        foreach (var slot in blocks)
        {
            var offset = 0;
            foreach (var request in slot.Requests)
            {
                request.Completion.TrySetResult(new Receipt(slot.Header.Height, slot.Hash, slot.Results.AsSpan(offset, request.Commands.Length).ToArray()));
                offset += request.Commands.Length;
            }
        }
    }

    private static void FailRequests(Slot slot, Exception ex)
    {
        var fault = new SequencerFaultedException(ex);
        foreach (var r in slot.Requests)
        {
            r.Completion.TrySetException(fault);
        }

        slot.Requests.Clear();
    }

    private void TakeSnapshot(bool waitForWrite)
    {
        var sw = Stopwatch.StartNew();
        var buffer = new MemoryStream();
        ulong height;
        var hash = _lastHash; // writer thread: the block at State.Height
        _stateLock.EnterReadLock();
        try
        {
            State.WriteSnapshot(buffer);
            height = State.Height;
        }
        finally
        {
            _stateLock.ExitReadLock();
        }

        _commandsSinceSnapshot = 0;
        _blocksSinceSnapshot = 0;
        var serialized = sw.Elapsed;
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        _snapshotTask = Task.Run(() =>
        {
            try
            {
                // A snapshot of a block that is not durable would be refused at recovery; wait for the block.
                WaitDurable(height);
                _journal.WriteSnapshot(height, hash, bytes);
                _logger.LogInformation("Snapshot at height {Height}: {Bytes} bytes, serialised in {Serialised} ms, written in {Total} ms",
                    height, bytes.Length, serialized.TotalMilliseconds, sw.Elapsed.TotalMilliseconds);
            }
            catch (Exception ex)
            {
                // A failed snapshot loses nothing: the journal still holds every block.
                _logger.LogWarning(ex, "Snapshot at height {Height} failed", height);
            }
        });
        if (waitForWrite)
        {
            _snapshotTask.Wait();
        }
    }

    private void FailQueued(Exception ex)
    {
        lock (_queueLock)
        {
            while (_queue.TryDequeue(out var r))
            {
                r.Completion.TrySetException(new SequencerFaultedException(ex));
            }
        }
    }

    /// <summary>Unix time in nanoseconds from the wall clock; used only to stamp new blocks (journaled, so replay never reads a clock).</summary>
    public static ulong NowNanoseconds() => (ulong)(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100UL;

    /// <summary>Stops after committing what is queued, then writes a final snapshot.</summary>
    public void Dispose()
    {
        if (!_stopping)
        {
            _stopping = true;
            _followCancel.Cancel();
            _followThread?.Join(); // it may have started the writer on its way out
            _signal.Release();
            if (_thread is { } writer)
            {
                writer.Join();
            }
            else
            {
                _durabilityDone = true; // a follower to the end: nothing was ever going to be durable here
                PublishDurable(DurableHeight);
                _stopped.TrySetResult();
            }

            FailQueued(new ObjectDisposedException(nameof(Sequencer)));
        }
    }

    private sealed class Request(Command[] commands)
    {
        public Command[] Commands { get; } = commands;
        public TaskCompletionSource<Receipt> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When it was queued (<see cref="Stopwatch"/> ticks): the start of the block's commit latency. One
        /// timestamp per request, not per command.</summary>
        public long Arrived { get; } = Stopwatch.GetTimestamp();
    }

    /// <summary>One block in the pipeline with its own buffers: filled, applied and sealed by the writer, then owned by
    /// the durability thread until its callers are completed.</summary>
    private sealed class Slot
    {
        public readonly Command[] Commands = new Command[LedgerState.MaxBatchSize];
        public readonly CommandResult[] Results = new CommandResult[LedgerState.MaxBatchSize];
        public readonly List<Request> Requests = [];
        public byte[] Buffer = new byte[2 << 20];
        public int Length;
        public int CommandCount;
        public int FirstTransfer;
        public int TransferCount;
        public BlockHeader Header;
        public Hash32 Hash;
    }

    /// <summary>A held read lock; dispose to release (and, unless deferred, to wait until what was seen is durable).</summary>
    public readonly struct ReadSection : IDisposable
    {
        private readonly Sequencer _sequencer;
        private readonly bool _fence;

        internal ReadSection(Sequencer sequencer, ulong height, bool fence)
        {
            _sequencer = sequencer;
            Height = height;
            _fence = fence;
        }

        /// <summary>Height of the state inside this section.</summary>
        public ulong Height { get; }

        /// <summary>The ledger as of <see cref="Height"/>, valid until this section is disposed. Read-only from the
        /// edge: its mutators are internal to the core (OneDoorTests).</summary>
        public LedgerState State => _sequencer.State;

        /// <summary>The module of type <typeparamref name="T"/> (every node runs issuance, contracts and exchange).</summary>
        public T Module<T>() where T : LedgerModule =>
            _sequencer.State.Module<T>() ?? throw new InvalidOperationException($"the ledger has no {typeof(T).Name}");

        public void Dispose()
        {
            _sequencer._stateLock.ExitReadLock();
            if (_fence)
            {
                _sequencer.WaitDurable(Height);
            }
        }
    }
}

/// <summary>This node follows another node's blocks (PostgreSQL store, <c>centime node --follow</c>) and takes no
/// request; send writes to the leader, named by <see cref="Leader"/> (its lease holder name) when known.</summary>
public sealed class NotLeaderException(string? leader)
    : Exception("this node is a follower; send writes to the leader" + (leader is { Length: > 0 } ? $" ('{leader}')" : ""))
{
    public string? Leader { get; } = leader;
}

/// <summary>The sequencer stopped on an I/O failure; the node must restart (recovery restores the durable state).</summary>
public sealed class SequencerFaultedException(Exception inner)
    : Exception("The ledger writer stopped after an unrecoverable error; restart the node. Cause: " + inner.Message, inner);
