using Centime.Ledger;

namespace Centime.Journal;

/// <summary>Tuning of a <see cref="Journal"/>.</summary>
public sealed class JournalOptions
{
    /// <summary>Roll to a new segment file once the current one would grow past this size. A record larger
    /// than this still fits: it gets a segment of its own.</summary>
    public long SegmentBytes { get; init; } = 256L << 20;

    /// <summary>fdatasync on every <see cref="Journal.Commit"/> (and fsync of files and directories on segment
    /// roll and snapshot). Turn off only for benchmarks and tests that say so: without it an acknowledged
    /// block can be lost on power failure.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>Creates fresh instances of the state-machine modules the node runs (issuance, payments, …).
    /// Called for the genesis state and for each snapshot tried during recovery; null = core ledger only.</summary>
    public Func<IReadOnlyList<LedgerModule>>? CreateModules { get; init; }

    /// <summary>
    /// Experimental, off by default: keep ~1 MiB of zero-filled, flushed space ahead of the writer so a small
    /// commit overwrites existing blocks and fdatasync commits no metadata (see <see cref="ZeroFill"/>). On this
    /// project's 2-core VM it lowered the median small commit from about 0.26 to 0.15 ms when the disk was quiet,
    /// and made no measurable difference for 1.1 MB blocks. Off because after a crash a segment then ends in up
    /// to a megabyte of zeros, and a write cut just before its trailer's last nonzero byte cannot be told from a
    /// flipped byte there (recovery refuses it; docs/journal.md). Recovery handles zero-filled space either way.
    /// </summary>
    internal bool ZeroFillAhead { get; init; }
}

/// <summary>What <see cref="Journal.Open"/> found and did.</summary>
/// <param name="SnapshotHeight">Height of the snapshot recovery started from (0 = genesis).</param>
/// <param name="BlocksReplayed">Blocks applied on top of that snapshot.</param>
/// <param name="TruncatedBytes">Bytes cut from the end of the last segment (a torn tail); 0 if none.</param>
/// <param name="Elapsed">Wall time of the whole recovery.</param>
/// <param name="TruncatedFile">The segment that was cut, or null.</param>
public sealed record RecoveryInfo(ulong SnapshotHeight, ulong BlocksReplayed, long TruncatedBytes, TimeSpan Elapsed, string? TruncatedFile);

/// <summary>Progress of a recovery phase: "scan" counts journal bytes verified, "snapshot" counts snapshot
/// bytes verified, "replay" counts blocks applied.</summary>
public readonly record struct RecoveryProgress(string Phase, long Done, long Total);
