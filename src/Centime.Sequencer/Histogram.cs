using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Centime.Node.Sequencing;

/// <summary>
/// A Prometheus histogram of durations with fixed buckets, recorded without locks: an observation is one bucket
/// search over a dozen longs, one <see cref="Interlocked.Increment(ref long)"/> and one <see cref="Interlocked.Add(ref long, long)"/>.
/// Buckets are counted separately and summed when scraped (cumulative <c>le</c> counts), so the writer never
/// touches more than one bucket.
/// </summary>
public sealed class Histogram
{
    /// <summary>Seconds: 100 µs to 10 s, for request, commit and fsync times.</summary>
    public static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

    private readonly double[] _bounds;
    private readonly long[] _boundTicks;
    private readonly long[] _counts; // one per bound, then +Inf
    private long _sumTicks;

    public Histogram(double[]? boundsSeconds = null)
    {
        _bounds = boundsSeconds ?? LatencyBuckets;
        _boundTicks = new long[_bounds.Length];
        for (var i = 0; i < _bounds.Length; i++)
        {
            _boundTicks[i] = (long)(_bounds[i] * Stopwatch.Frequency);
        }

        _counts = new long[_bounds.Length + 1];
    }

    /// <summary>Records a duration given in <see cref="Stopwatch"/> ticks.</summary>
    public void Observe(long ticks)
    {
        var i = 0;
        while (i < _boundTicks.Length && ticks > _boundTicks[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumTicks, ticks);
    }

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public void ObserveSince(long startTimestamp) => Observe(Stopwatch.GetTimestamp() - startTimestamp);

    /// <summary>Observations so far.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            foreach (ref var c in _counts.AsSpan())
            {
                total += Volatile.Read(ref c);
            }

            return total;
        }
    }

    /// <summary>Writes the <c>_bucket</c>, <c>_sum</c> and <c>_count</c> samples; <paramref name="labels"/> is empty or <c>a="x",b="y"</c>.</summary>
    public void WriteSamples(StringBuilder text, string name, string labels)
    {
        var prefix = labels.Length == 0 ? "" : labels + ",";
        long cumulative = 0;
        for (var i = 0; i < _bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{prefix}le=\"{_bounds[i].ToString("R", CultureInfo.InvariantCulture)}\"}} {cumulative}\n");
        }

        cumulative += Volatile.Read(ref _counts[^1]);
        text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{prefix}le=\"+Inf\"}} {cumulative}\n");
        var braces = labels.Length == 0 ? "" : "{" + labels + "}";
        text.Append(CultureInfo.InvariantCulture, $"{name}_sum{braces} {((double)Volatile.Read(ref _sumTicks) / Stopwatch.Frequency).ToString("R", CultureInfo.InvariantCulture)}\n");
        text.Append(CultureInfo.InvariantCulture, $"{name}_count{braces} {cumulative}\n");
    }
}
