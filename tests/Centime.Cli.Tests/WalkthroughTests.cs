using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Centime.Cli.Tests;

/// <summary>
/// Docs that run: every fenced <c>sh</c> block in README.md and docs/*.md is marked either
/// <c>&lt;!-- walkthrough --&gt;</c> (run here, in order, one bash session per file, against a fresh node of the
/// published binary; <c>&lt;!-- walkthrough: node --single-operator --&gt;</c> starts that node with those options, as
/// the doc tells its reader to) or <c>&lt;!-- not run: why --&gt;</c>. A walk-through fails on the first command that exits
/// non-zero, except lines whose comment starts with <c># error</c>: those must fail. curl fails on HTTP errors
/// (<c>--fail-with-body</c>). The only rewrite is the port: the docs say 127.0.0.1:8402 / localhost:8402, the test
/// node listens on a free port.
/// </summary>
public sealed partial class WalkthroughTests
{
    private const string WalkthroughMarker = "<!-- walkthrough -->";

    public static TheoryData<string> FilesWithWalkthroughs()
    {
        var data = new TheoryData<string>();
        foreach (var file in WalkthroughFiles())
        {
            data.Add(file);
        }

        return data;
    }

    private static IEnumerable<string> WalkthroughFiles() =>
        DocFiles().Where(f => Blocks(f).Any(b => b.Run)).Select(f => Path.GetRelativePath(PublishedCli.RepoRoot, f));

    [Fact]
    public void Docs_EveryShellBlock_IsMarkedWalkthroughOrNotRun()
    {
        var unmarked = DocFiles().SelectMany(f => Blocks(f).Where(b => b.Marker is null).Select(b => $"{Path.GetRelativePath(PublishedCli.RepoRoot, f)}:{b.Line}")).ToList();
        Assert.True(unmarked.Count == 0, "```sh blocks without <!-- walkthrough --> or <!-- not run: why -->: " + string.Join(", ", unmarked));
        Assert.Contains("README.md", WalkthroughFiles());
    }

    [Theory]
    [MemberData(nameof(FilesWithWalkthroughs))]
    public async Task Walkthrough_RunsAsPrinted(string file)
    {
        var path = Path.Combine(PublishedCli.RepoRoot, file);
        var nodeOptions = Blocks(path).Where(b => b.Run).Select(b => NodeOptions(b.Marker!)).Distinct().ToList();
        Assert.True(nodeOptions.Count == 1, $"{file}: every walk-through block of a file runs on one node; markers ask for: {string.Join(" | ", nodeOptions)}");

        // The one publish of the run is awaited first and timed apart: counted in whichever walk-through ran first, it
        // made that one look minutes long (the exchange walk-through "took" 215 s, of which the script ran ~20 s).
        var binary = await PublishedCli.PathAsync();
        var watch = Stopwatch.StartNew();
        await using var node = await PublishedNode.StartAsync(nodeOptions[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var nodeStart = watch.Elapsed;
        var port = new Uri(node.Url).Port;
        var script = new StringBuilder();
        var commands = 0;
        script.AppendLine("set -euo pipefail");
        script.AppendLine("curl() { command curl --fail-with-body \"$@\"; }; export -f curl");
        script.AppendLine("PS4='+ [line ${LINENO}] '; set -x");
        foreach (var block in Blocks(path).Where(b => b.Run))
        {
            foreach (var command in LogicalLines(block.Text))
            {
                commands++;
                var line = Port().Replace(command, $"127.0.0.1:{port}");
                var expectedFailure = ExpectedError().Match(line);
                script.AppendLine(expectedFailure.Success
                    ? $"if {line[..expectedFailure.Index]}; then echo 'expected to fail: {line[..expectedFailure.Index].Replace("'", "", StringComparison.Ordinal)}' >&2; exit 1; fi"
                    : line);
            }
        }

        var home = Directory.CreateDirectory(Path.Combine(node.Directory, "home")).FullName;
        var scriptFile = Path.Combine(node.Directory, "walkthrough.sh");
        await File.WriteAllTextAsync(scriptFile, script.ToString());
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = node.Directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(scriptFile);
        psi.Environment["PATH"] = Path.GetDirectoryName(binary) + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["HOME"] = home;
        psi.Environment["CENTIME_NODE"] = node.Url;
        psi.Environment.Remove("CENTIME_API_KEY");
        psi.Environment.Remove("CENTIME_PASSWORD");
        psi.Environment.Remove("COLUMNS");
        var result = await PublishedCli.RunAsync(psi, TimeSpan.FromMinutes(4));
        Console.WriteLine($"[walkthrough] {file}: exit {result.Code}, {commands} commands in {(watch.Elapsed - nodeStart).TotalSeconds:F1} s (node started in {nodeStart.TotalSeconds:F1} s; publish of this run {PublishedCli.PublishTime.TotalSeconds:F0} s, counted apart)");
        Assert.True(result.Code == 0, $"{file} walk-through failed\n{result}\n--- node log\n{node.Log}");
    }

    private static IEnumerable<string> DocFiles() =>
        [Path.Combine(PublishedCli.RepoRoot, "README.md"), .. Directory.GetFiles(Path.Combine(PublishedCli.RepoRoot, "docs"), "*.md").Order(StringComparer.Ordinal)];

    /// <summary>The fenced sh blocks of a file with the marker just above each (null when there is none).</summary>
    private static List<(int Line, string? Marker, bool Run, string Text)> Blocks(string file)
    {
        var lines = File.ReadAllLines(file);
        var blocks = new List<(int, string?, bool, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```sh")
            {
                continue;
            }

            var above = i - 1;
            while (above >= 0 && lines[above].Trim().Length == 0)
            {
                above--;
            }

            var candidate = above >= 0 ? lines[above].Trim() : "";
            string? marker = IsWalkthrough(candidate) || candidate.StartsWith("<!-- not run:", StringComparison.Ordinal) ? candidate : null;
            var end = i + 1;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            blocks.Add((i + 1, marker, marker is not null && IsWalkthrough(marker), string.Join('\n', lines[(i + 1)..end])));
            i = end;
        }

        return blocks;
    }

    private static bool IsWalkthrough(string marker) =>
        marker == WalkthroughMarker || (marker.StartsWith("<!-- walkthrough: node", StringComparison.Ordinal) && marker.EndsWith("-->", StringComparison.Ordinal));

    /// <summary>The node options a walk-through marker asks for ("" for the plain marker).</summary>
    private static string NodeOptions(string marker) =>
        marker == WalkthroughMarker ? "" : marker["<!-- walkthrough: node".Length..^"-->".Length].Trim();

    /// <summary>Commands of a block: lines joined where they end in a backslash.</summary>
    private static IEnumerable<string> LogicalLines(string text)
    {
        var current = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            current.Append(raw);
            if (raw.EndsWith('\\'))
            {
                current.Append('\n');
                continue;
            }

            if (current.ToString().Trim().Length > 0)
            {
                yield return current.ToString();
            }

            current.Clear();
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    [GeneratedRegex(@"(127\.0\.0\.1|localhost):8402")]
    private static partial Regex Port();

    [GeneratedRegex(@"\s#\s*error\b.*$")]
    private static partial Regex ExpectedError();
}
