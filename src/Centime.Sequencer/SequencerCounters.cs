namespace Centime.Node.Sequencing;

/// <summary>
/// What the sequencer counts about itself, for <c>/metrics</c>. Updated once per block or per group commit (never per
/// command) by the writer and durability threads, with plain <see cref="Interlocked"/> adds and
/// <see cref="Volatile"/> writes; read by scrapes without any lock.
/// </summary>
public sealed class SequencerCounters
{
    private long _blocks;
    private long _commands;
    private long _projectionFailures;
    private ulong _appliedHeight;
    private ulong _projectedHeight;

    /// <summary>Per block: from the arrival of its oldest request to its receipts.</summary>
    public Histogram CommitLatency { get; } = new();

    /// <summary>Per group commit: the journal's flush and fdatasync.</summary>
    public Histogram FsyncDuration { get; } = new();

    /// <summary>Per group commit: the projections (Committed handlers).</summary>
    public Histogram ProjectionDuration { get; } = new();

    public long BlocksCommitted => Volatile.Read(ref _blocks);

    public long CommandsCommitted => Volatile.Read(ref _commands);

    public long ProjectionFailures => Volatile.Read(ref _projectionFailures);

    public ulong AppliedHeight => Volatile.Read(ref _appliedHeight);

    public ulong ProjectedHeight => Volatile.Read(ref _projectedHeight);

    internal void Applied(ulong height) => Volatile.Write(ref _appliedHeight, height);

    internal void Projected(ulong height) => Volatile.Write(ref _projectedHeight, height);

    internal void ProjectionFailed() => Interlocked.Increment(ref _projectionFailures);

    internal void Committed(long blocks, long commands)
    {
        Interlocked.Add(ref _blocks, blocks);
        Interlocked.Add(ref _commands, commands);
    }
}
