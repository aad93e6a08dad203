using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>When a coin first existed on the ledger.</summary>
/// <param name="Height">The block that created it (or, when <paramref name="Exact"/> is false, the first block at which
/// this module saw it: the ledger was older than the module).</param>
/// <param name="Time">That block's ledger time (Unix nanoseconds).</param>
/// <param name="Exact">True when <paramref name="Height"/> is the creating block; false when the coin existed at or before it.</param>
public readonly record struct CoinOrigin(ulong Height, ulong Time, bool Exact);

/// <summary>One reserve holding as it stood, evaluated, at a period's end.</summary>
public sealed record ClosedHolding(string Id, ReserveCategory Category, UInt128 Value, bool Eligible, string Code, string Reason);

/// <summary>A coin's reserve book as evaluated at a period's end (the same evaluation the transparency page shows).</summary>
public sealed record ClosedReserves(string Regime, DateOnly AsOf, UInt128 Total, UInt128 EligibleTotal,
    IReadOnlyList<CategoryTotal> Categories, IReadOnlyList<ClosedHolding> Holdings, IReadOnlyList<PortfolioViolation> Violations);

/// <summary>A coin's figures at the last block of a period: circulating supply and, when it has a reserve book, its reserves.</summary>
public sealed record CoinClose(uint Coin, UInt128 Supply, ClosedReserves? Reserves);

/// <summary>
/// The state at the last block of one or more months: block <see cref="Height"/> (time <see cref="Time"/>) was the last
/// before <see cref="NextTime"/>, the time of the first block after the month boundary. It stands for the end of every
/// month that ended in between (no block changed anything in an empty month).
/// </summary>
public sealed record PeriodClose(ulong Height, ulong Time, ulong NextTime, IReadOnlyList<CoinClose> Coins);

/// <summary>
/// Keeps what a monthly disclosure report needs and the ledger's current state forgets (docs/transparency.md §3): when
/// each coin came into existence, and every coin's supply and evaluated reserves at the last block of each month. The
/// period closes inside the state machine, in <see cref="OnBeforeBlock"/> of the first block of the next month, while
/// the state is still exactly that of the month's last block; so the figures are deterministic, rebuilt by replay and
/// carried by snapshots like any module state. It handles no commands and costs one month comparison per block (and
/// one evaluation per coin per month).
/// </summary>
public sealed class DisclosureModule : LedgerModule
{
    private const uint SnapshotVersion = 1;
    private const ulong NanosPerMillisecond = 1_000_000UL;

    private readonly List<CoinOrigin> _origins = []; // index = coin number − 1
    private readonly List<PeriodClose> _closes = [];
    private ulong _firstHeight; // the first block this module ran before (0 = none yet)

    /// <inheritdoc/>
    public override string Name => "disclosure";

    /// <inheritdoc/>
    public override bool Handles(CommandKind kind) => false;

    /// <inheritdoc/>
    protected internal override ResultCode Apply(CommandBody body, in ModuleContext context) =>
        throw new InvalidOperationException("The disclosure module handles no commands.");

    /// <summary>Every recorded month end, oldest first.</summary>
    public IReadOnlyList<PeriodClose> Closes => _closes;

    /// <summary>When coin <paramref name="coin"/> first existed, or null when there is no such coin or this module has
    /// not run on this ledger since before the coin was there (an old ledger recovered without it, nothing applied since).</summary>
    public CoinOrigin? Origin(uint coin)
    {
        if (coin == 0 || coin > Ledger.Coins.Count)
        {
            return null;
        }

        if (coin <= _origins.Count)
        {
            return _origins[(int)coin - 1];
        }

        // Created after the last block start this module saw, i.e. in the latest block; known only if the module saw
        // that block start (a fresh ledger, or one it has followed since).
        return _firstHeight != 0 || Ledger.Height == 0 ? new CoinOrigin(Ledger.Height, Ledger.Timestamp, true) : null;
    }

    /// <summary>
    /// The close that holds the figures as of <paramref name="end"/> (Unix nanoseconds, exclusive): the one whose last
    /// block is before it and whose next block is at or after it; null when none (the ledger has not passed
    /// <paramref name="end"/> yet, or passed it before this module ran).
    /// </summary>
    public PeriodClose? CloseAt(ulong end)
    {
        int lo = 0, hi = _closes.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _closes[mid];
            if (c.NextTime < end)
            {
                lo = mid + 1;
            }
            else if (c.Time >= end)
            {
                hi = mid - 1;
            }
            else
            {
                return c;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    protected internal override void OnBeforeBlock(ulong height, ulong timestamp)
    {
        var previousHeight = Ledger.Height;
        var previousTime = Ledger.Timestamp;
        var first = _firstHeight == 0;
        if (first)
        {
            _firstHeight = height;
        }

        // Coins that appeared since the last block start were created in the previous block, unless this is the first
        // block this module sees on a ledger that already had some: then they existed at or before it.
        var coins = Ledger.Coins;
        for (var n = _origins.Count; n < coins.Count; n++)
        {
            _origins.Add(new CoinOrigin(previousHeight, previousTime, Exact: !first || previousHeight == 0));
        }

        if (previousHeight != 0 && MonthIndex(timestamp) > MonthIndex(previousTime))
        {
            _closes.Add(Close(previousHeight, previousTime, timestamp));
        }
    }

    private PeriodClose Close(ulong height, ulong time, ulong next)
    {
        IssuanceModule? issuance = null;
        foreach (var m in Ledger.Modules)
        {
            issuance ??= m as IssuanceModule;
        }

        var coins = new List<CoinClose>(Ledger.Coins.Count);
        foreach (var coin in Ledger.Coins)
        {
            ClosedReserves? reserves = null;
            if (issuance?.Coin(coin.Number) is not null && issuance.EvaluateReserves(coin.Number) is { } e)
            {
                var holdings = new List<ClosedHolding>(e.Holdings.Count);
                foreach (var h in e.Holdings)
                {
                    holdings.Add(new ClosedHolding(h.Holding.Id, h.Holding.Category, h.Value, h.IsEligible, h.Code, h.Reason));
                }

                reserves = new ClosedReserves(e.Profile.Name, e.AsOf, e.Total, e.EligibleTotal, [.. e.Categories], holdings, [.. e.Violations]);
            }

            coins.Add(new CoinClose(coin.Number, SupplyOf(coin), reserves));
        }

        return new PeriodClose(height, time, next, coins);
    }

    /// <summary>Minus the supply account's posted balance (what the transparency page calls circulating supply).</summary>
    private UInt128 SupplyOf(Coin coin) =>
        Ledger.TryGetAccount(coin.Number, coin.SupplyAccount, out var account) && account.Balance < 0 ? (UInt128)(-account.Balance) : UInt128.Zero;

    /// <summary>Months since year 0 of the UTC calendar month holding <paramref name="nanos"/>.</summary>
    private static int MonthIndex(ulong nanos)
    {
        var date = DateTimeOffset.FromUnixTimeMilliseconds((long)(nanos / NanosPerMillisecond)).UtcDateTime;
        return (date.Year * 12) + date.Month - 1;
    }

    /// <inheritdoc/>
    public override void WriteSnapshot(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(SnapshotVersion);
        writer.Write(_firstHeight);
        writer.Write(_origins.Count);
        foreach (var o in _origins)
        {
            writer.Write(o.Height);
            writer.Write(o.Time);
            writer.Write(o.Exact);
        }

        writer.Write(_closes.Count);
        foreach (var c in _closes)
        {
            writer.Write(c.Height);
            writer.Write(c.Time);
            writer.Write(c.NextTime);
            writer.Write(c.Coins.Count);
            foreach (var coin in c.Coins)
            {
                writer.Write(coin.Coin);
                Write(writer, coin.Supply);
                writer.Write(coin.Reserves is not null);
                if (coin.Reserves is { } r)
                {
                    writer.Write(r.Regime);
                    writer.Write(r.AsOf.DayNumber);
                    Write(writer, r.Total);
                    Write(writer, r.EligibleTotal);
                    writer.Write(r.Categories.Count);
                    foreach (var t in r.Categories)
                    {
                        writer.Write((byte)t.Category);
                        writer.Write(t.Holdings);
                        Write(writer, t.Total);
                        Write(writer, t.Eligible);
                    }

                    writer.Write(r.Holdings.Count);
                    foreach (var h in r.Holdings)
                    {
                        writer.Write(h.Id);
                        writer.Write((byte)h.Category);
                        Write(writer, h.Value);
                        writer.Write(h.Eligible);
                        writer.Write(h.Code);
                        writer.Write(h.Reason);
                    }

                    writer.Write(r.Violations.Count);
                    foreach (var v in r.Violations)
                    {
                        writer.Write(v.Code);
                        writer.Write(v.Message);
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    protected internal override void ReadSnapshot(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadUInt32() != SnapshotVersion)
        {
            throw new InvalidDataException("Unknown disclosure snapshot version.");
        }

        _firstHeight = reader.ReadUInt64();
        var origins = reader.ReadInt32();
        for (var i = 0; i < origins; i++)
        {
            _origins.Add(new CoinOrigin(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadBoolean()));
        }

        var closes = reader.ReadInt32();
        for (var i = 0; i < closes; i++)
        {
            var (height, time, next) = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
            var coins = new CoinClose[reader.ReadInt32()];
            for (var j = 0; j < coins.Length; j++)
            {
                var number = reader.ReadUInt32();
                var supply = ReadU128(reader);
                ClosedReserves? reserves = null;
                if (reader.ReadBoolean())
                {
                    var regime = reader.ReadString();
                    var asOf = DateOnly.FromDayNumber(reader.ReadInt32());
                    var total = ReadU128(reader);
                    var eligible = ReadU128(reader);
                    var categories = new CategoryTotal[reader.ReadInt32()];
                    for (var k = 0; k < categories.Length; k++)
                    {
                        categories[k] = new CategoryTotal((ReserveCategory)reader.ReadByte(), reader.ReadInt32(), ReadU128(reader), ReadU128(reader));
                    }

                    var holdings = new ClosedHolding[reader.ReadInt32()];
                    for (var k = 0; k < holdings.Length; k++)
                    {
                        holdings[k] = new ClosedHolding(reader.ReadString(), (ReserveCategory)reader.ReadByte(), ReadU128(reader), reader.ReadBoolean(), reader.ReadString(), reader.ReadString());
                    }

                    var violations = new PortfolioViolation[reader.ReadInt32()];
                    for (var k = 0; k < violations.Length; k++)
                    {
                        violations[k] = new PortfolioViolation(reader.ReadString(), reader.ReadString());
                    }

                    reserves = new ClosedReserves(regime, asOf, total, eligible, categories, holdings, violations);
                }

                coins[j] = new CoinClose(number, supply, reserves);
            }

            _closes.Add(new PeriodClose(height, time, next, coins));
        }
    }

    private static void Write(BinaryWriter w, UInt128 v)
    {
        w.Write((ulong)v);
        w.Write((ulong)(v >> 64));
    }

    private static UInt128 ReadU128(BinaryReader r)
    {
        var lo = r.ReadUInt64();
        return new UInt128(r.ReadUInt64(), lo);
    }
}
