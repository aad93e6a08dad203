using System.Globalization;
using System.Text.RegularExpressions;

namespace Centime.Node.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4 (what <c>/metrics</c> answers), for tests: every
/// line must be a <c># HELP</c>, a <c># TYPE</c> or a sample of a family whose TYPE came before it; label values
/// unescaped; histograms checked for ascending <c>le</c>, non-decreasing cumulative counts and
/// <c>+Inf</c> = <c>_count</c>. Anything else fails the test with the offending line.
/// </summary>
internal sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);
    public List<Sample> Samples { get; } = [];

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""\G(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"(,|$)""")]
    private static partial Regex Label();

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        var helped = new HashSet<string>(StringComparer.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Assert.True(helped.Add(line.Split(' ')[2]), "HELP twice: " + line);
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(parts.Length == 4 && parts[3] is "counter" or "gauge" or "histogram" or "summary" or "untyped", "bad TYPE line: " + line);
                Assert.True(parsed.Types.TryAdd(parts[2], parts[3]), "TYPE twice: " + line);
                continue;
            }

            var m = SampleLine().Match(line);
            Assert.True(m.Success, "not a sample line: " + line);
            var name = m.Groups["name"].Value;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var labelText = m.Groups["labels"].Value;
            var at = 0;
            while (at < labelText.Length)
            {
                var l = Label().Match(labelText, at);
                Assert.True(l.Success, "bad labels: " + line);
                Assert.True(labels.TryAdd(l.Groups["key"].Value, Regex.Unescape(l.Groups["value"].Value)), "label twice: " + line);
                at += l.Length;
            }

            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            var family = parsed.FamilyOf(name);
            Assert.True(family is not null, "sample before its TYPE: " + line);
            parsed.Samples.Add(new Sample(name, labels, value));
        }

        parsed.CheckHistograms();
        return parsed;
    }

    private string? FamilyOf(string name)
    {
        if (Types.ContainsKey(name))
        {
            return name;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(name[..^suffix.Length], out var type) && type is "histogram" or "summary")
            {
                return name[..^suffix.Length];
            }
        }

        return null;
    }

    private void CheckHistograms()
    {
        foreach (var (family, _) in Types.Where(t => t.Value == "histogram"))
        {
            var series = Samples.Where(s => s.Name == family + "_bucket").GroupBy(s => Key(s.Labels, "le"));
            foreach (var buckets in series)
            {
                var bounds = buckets.Select(b => b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], CultureInfo.InvariantCulture)).ToList();
                var counts = buckets.Select(b => b.Value).ToList();
                Assert.True(bounds.SequenceEqual(bounds.Order()) && bounds.Distinct().Count() == bounds.Count, $"{family}{{{buckets.Key}}}: le not ascending");
                Assert.True(double.IsPositiveInfinity(bounds[^1]), $"{family}{{{buckets.Key}}}: no +Inf bucket");
                Assert.True(counts.SequenceEqual(counts.Order()), $"{family}{{{buckets.Key}}}: cumulative counts decrease");
                var count = Assert.Single(Samples, s => s.Name == family + "_count" && Key(s.Labels, null) == buckets.Key);
                Assert.Equal(count.Value, counts[^1]);
                Assert.Single(Samples, s => s.Name == family + "_sum" && Key(s.Labels, null) == buckets.Key);
            }
        }
    }

    private static string Key(IReadOnlyDictionary<string, string> labels, string? without) =>
        string.Join(",", labels.Where(l => l.Key != without).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    /// <summary>The one sample named <paramref name="name"/> whose labels include <paramref name="labels"/> (pairs).</summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        Assert.Single(Samples, s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Value;

    /// <summary>Like <see cref="Value"/>, or null when no such sample is there (yet).</summary>
    public double? Find(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Select(s => (double?)s.Value).SingleOrDefault();

    public bool Has(string name, params (string Key, string Value)[] labels) =>
        Samples.Any(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
}
