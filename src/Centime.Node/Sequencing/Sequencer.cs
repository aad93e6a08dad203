using System.Diagnostics;
using Centime.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Centime.Node.Sequencing;

/// <summary>Tuning of the sequencer.</summary>
public sealed class SequencerOptions
{
    /// <summary>Take a snapshot after this many commands since the last one (0 = never, except on shutdown).</summary>
    public long SnapshotEveryCommands { get; init; } = 2_000_000;

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
/// The single writer (DESIGN.md §1). Requests queue up while the previous block is being made durable; the
/// sequencer thread then takes as many whole requests as fit in one block (group commit, at most
/// <see cref="LedgerState.MaxBatchSize"/> commands), applies them, seals the block, appends it to the journal,
/// fsyncs, and only then completes the callers. A request is never split across blocks, so a request is
/// either wholly journaled or not at all.
/// <para>Readers take <see cref="ReadLock"/>; the writer holds the write lock from apply until the block is
/// durable, so a reader never sees state that a crash could take back.</para>
/// </summary>
public sealed class Sequencer : IDisposable
{
    private readonly Journal.Journal _journal;
    private readonly SequencerOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _queueLock = new();
    private readonly Queue<Request> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ReaderWriterLockSlim _stateLock = new(LockRecursionPolicy.NoRecursion);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile Exception? _fault;
    private long _commandsSinceSnapshot;
    private Task _snapshotTask = Task.CompletedTask;

    private Command[] _commands = new Command[LedgerState.MaxBatchSize];
    private CommandResult[] _results = new CommandResult[LedgerState.MaxBatchSize];
    private byte[] _blockBuffer = new byte[2 << 20];
    private readonly List<Request> _batch = [];

    public Sequencer(Journal.Journal journal, SequencerOptions? options = null, ILogger? logger = null)
    {
        _journal = journal;
        _options = options ?? new SequencerOptions();
        _logger = logger ?? NullLogger.Instance;
        _thread = new Thread(Run) { Name = "centime-sequencer", IsBackground = true };
        _thread.Start();
    }

    /// <summary>The state. Read it only inside <see cref="ReadLock"/>.</summary>
    public LedgerState State => _journal.State;

    public Journal.Journal Journal => _journal;

    /// <summary>Raised on the sequencer thread after each durable block, before callers are completed.
    /// Handlers must be quick (projections, event fan-out).</summary>
    public event Action<CommittedBlock>? Committed;

    /// <summary>Set when the writer hit an unrecoverable error (disk full, fsync failure); the node must stop.</summary>
    public Exception? Fault => _fault;

    /// <summary>Completes when the sequencer thread has stopped.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Enters a read section: state is stable and every visible change is durable.</summary>
    public ReadSection ReadLock()
    {
        _stateLock.EnterReadLock();
        return new ReadSection(_stateLock);
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

        var request = new Request(commands);
        lock (_queueLock)
        {
            _queue.Enqueue(request);
        }

        _signal.Release();
        return request.Completion.Task;
    }

    private void Run()
    {
        try
        {
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

                // Drain: several wake-ups may have been signalled for requests we take now.
                while (TakeBatch(out var commandCount))
                {
                    CommitBlock(commandCount);
                }

                if (_batch.Count == 0 && ExpiryDue())
                {
                    CommitBlock(0); // an empty block advances ledger time so expired holds are released
                }
            }

            if (_options.SnapshotOnShutdown && _fault is null && _commandsSinceSnapshot > 0)
            {
                TakeSnapshot(waitForWrite: true);
            }

            _snapshotTask.Wait();
        }
        catch (Exception ex)
        {
            _fault = ex;
            _logger.LogCritical(ex, "Sequencer stopped: {Message}", ex.Message);
            FailQueued(ex);
        }
        finally
        {
            _stopped.TrySetResult();
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

    private bool TakeBatch(out int commandCount)
    {
        _batch.Clear();
        commandCount = 0;
        lock (_queueLock)
        {
            while (_queue.TryPeek(out var next) && commandCount + next.Commands.Length <= LedgerState.MaxBatchSize)
            {
                _queue.Dequeue();
                _batch.Add(next);
                commandCount += next.Commands.Length;
            }
        }

        if (_batch.Count == 0)
        {
            return false;
        }

        var offset = 0;
        foreach (var request in _batch)
        {
            var commands = request.Commands;
            for (var i = 0; i < commands.Length; i++)
            {
                _commands[offset + i] = i == commands.Length - 1 ? commands[i].With(commands[i].Flags | CommandFlags.RequestEnd) : commands[i];
            }

            offset += commands.Length;
        }

        return true;
    }

    private void CommitBlock(int commandCount)
    {
        var commands = _commands.AsSpan(0, commandCount);
        var results = _results.AsSpan(0, commandCount);
        CommittedBlock committed;
        _stateLock.EnterWriteLock();
        try
        {
            var state = State;
            var timestamp = Math.Max(NowNanoseconds(), state.NextTimestamp);
            var height = state.Height + 1;
            var firstTransfer = state.TransferCount;
            state.ApplyBlock(height, timestamp, commands, results);
            var header = Block.Seal(height, timestamp, _journal.LastHash, commands, results, ref _blockBuffer, out var length);
            _journal.Append(_blockBuffer.AsSpan(0, length), header);
            _journal.Commit();
            committed = new CommittedBlock(header, header.ComputeHash(), _commands.AsMemory(0, commandCount), _results.AsMemory(0, commandCount), firstTransfer, state.TransferCount - firstTransfer);
        }
        catch (Exception ex)
        {
            // The state may now be ahead of the journal; nothing more can be acknowledged. Crash-only:
            // the node stops and recovery rebuilds the state from what is durable.
            _fault = ex;
            _stateLock.ExitWriteLock();
            var fault = new SequencerFaultedException(ex);
            foreach (var r in _batch)
            {
                r.Completion.TrySetException(fault);
            }

            _batch.Clear();
            throw;
        }

        _stateLock.ExitWriteLock();
        try
        {
            Committed?.Invoke(committed);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A projection failed on block {Height}", committed.Header.Height);
        }

        var offset = 0;
        foreach (var request in _batch)
        {
            request.Completion.TrySetResult(new Receipt(committed.Header.Height, committed.Hash, _results.AsSpan(offset, request.Commands.Length).ToArray()));
            offset += request.Commands.Length;
        }

        _batch.Clear();
        _commandsSinceSnapshot += commandCount;
        if (_options.SnapshotEveryCommands > 0 && _commandsSinceSnapshot >= _options.SnapshotEveryCommands && _snapshotTask.IsCompleted)
        {
            TakeSnapshot(waitForWrite: false);
        }
    }

    private void TakeSnapshot(bool waitForWrite)
    {
        var sw = Stopwatch.StartNew();
        var buffer = new MemoryStream();
        ulong height;
        Hash32 hash;
        _stateLock.EnterReadLock();
        try
        {
            State.WriteSnapshot(buffer);
            height = State.Height;
            hash = _journal.LastHash;
        }
        finally
        {
            _stateLock.ExitReadLock();
        }

        _commandsSinceSnapshot = 0;
        var serialized = sw.Elapsed;
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        _snapshotTask = Task.Run(() =>
        {
            try
            {
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
            _signal.Release();
            _thread.Join();
            FailQueued(new ObjectDisposedException(nameof(Sequencer)));
        }
    }

    private sealed class Request(Command[] commands)
    {
        public Command[] Commands { get; } = commands;
        public TaskCompletionSource<Receipt> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A held read lock; dispose to release.</summary>
    public readonly struct ReadSection(ReaderWriterLockSlim rw) : IDisposable
    {
        public void Dispose() => rw.ExitReadLock();
    }
}

/// <summary>The sequencer stopped on an I/O failure; the node must restart (recovery restores the durable state).</summary>
public sealed class SequencerFaultedException(Exception inner)
    : Exception("The ledger writer stopped after an unrecoverable error; restart the node. Cause: " + inner.Message, inner);
