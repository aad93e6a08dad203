using System.Reflection;
using System.Text.RegularExpressions;
using Centime.Ledger;
using Centime.Node.Api;

namespace Centime.Node.Tests;

/// <summary>
/// docs/errors.md is checked against the code table: every ledger result code is documented with its persisted
/// number, every documented number is a result code of that name, no code the source returns is documented as
/// "reserved", and every request-level problem code (<see cref="ProblemCodes"/> and the literal codes of problems
/// raised in src/) has a row.
/// </summary>
public sealed partial class ErrorCodeTableTests
{
    [GeneratedRegex(@"^\| `([a-z0-9_]+)` \| ([^|]+?) \| (.*) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"(?:ProblemException\(|Bad\(|ProblemResults\.Of\()\s*(?:\d+|StatusCodes\.\w+),\s*""([a-z0-9_]+)""")]
    private static partial Regex LiteralProblemCode();

    private static readonly string Root = NodeProcess.RepoRoot();

    /// <summary>The rows of docs/errors.md: request codes (status) above "## Ledger result codes", result codes
    /// (persisted number) below it. A code may appear once in each (e.g. coin_not_found: 404 and 16).</summary>
    private static (Dictionary<string, (string Status, string Meaning)> Request, Dictionary<string, (string Number, string Meaning)> Ledger) Documented()
    {
        var text = File.ReadAllText(Path.Combine(Root, "docs", "errors.md"));
        var split = text.IndexOf("## Ledger result codes", StringComparison.Ordinal);
        Assert.True(split > 0, "docs/errors.md has no '## Ledger result codes' section");
        return (Rows(text[..split]), Rows(text[split..]));

        static Dictionary<string, (string, string)> Rows(string section)
        {
            var rows = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
            foreach (Match m in Row().Matches(section))
            {
                Assert.True(rows.TryAdd(m.Groups[1].Value, (m.Groups[2].Value.Trim(), m.Groups[3].Value.Trim())), $"docs/errors.md lists '{m.Groups[1].Value}' twice in one section");
            }

            Assert.True(rows.Count > 25, $"only {rows.Count} rows parsed from a section of docs/errors.md: did the table format change?");
            return rows;
        }
    }

    [Fact]
    public void ResultCodes_EachDocumentedWithItsNumber_AndEveryNumberedRowIsACode()
    {
        var rows = Documented().Ledger;
        var byName = Enum.GetValues<ResultCode>().ToDictionary(c => c.ToProblemCode(), c => (int)c, StringComparer.Ordinal);
        foreach (var (name, number) in byName)
        {
            Assert.True(rows.TryGetValue(name, out var row), $"result code {name} ({number}) is missing from docs/errors.md");
            Assert.Equal(number.ToString(System.Globalization.CultureInfo.InvariantCulture), row.Number);
        }

        // Every row of the ledger tables names a result code (no stale or misspelt rows).
        foreach (var name in rows.Keys)
        {
            Assert.True(byName.ContainsKey(name), $"docs/errors.md documents result code '{name}', which ResultCode does not have");
        }
    }

    [Fact]
    public void ReturnedResultCodes_AreNotDocumentedAsReserved()
    {
        var rows = Documented().Ledger;
        var source = string.Join('\n', Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("ResultCode.cs", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var returned = 0;
        foreach (var code in Enum.GetValues<ResultCode>())
        {
            if (!source.Contains("ResultCode." + code + ";", StringComparison.Ordinal) && !source.Contains("ResultCode." + code + " ", StringComparison.Ordinal)
                && !source.Contains("ResultCode." + code + ",", StringComparison.Ordinal) && !source.Contains("ResultCode." + code + ")", StringComparison.Ordinal)
                && !source.Contains("ResultCode." + code + "\n", StringComparison.Ordinal) && !source.Contains("ResultCode." + code + "\r", StringComparison.Ordinal)
                && !source.Contains("ResultCode." + code + ":", StringComparison.Ordinal))
            {
                continue;
            }

            returned++;
            var meaning = rows[code.ToProblemCode()].Meaning;
            Assert.False(meaning.StartsWith("reserved", StringComparison.OrdinalIgnoreCase),
                $"{code.ToProblemCode()} ({(int)code}) is used in src/ but docs/errors.md says '{meaning}'");
        }

        Assert.True(returned > 50, $"only {returned} result codes found in src/: is the scan broken?");
    }

    [Fact]
    public void RequestProblemCodes_AreDocumented()
    {
        var (rows, ledger) = Documented();
        var constants = typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Contains(ProblemCodes.MalformedJson, constants);
        var literals = Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => LiteralProblemCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("route_not_found", literals); // the scan sees literal codes
        foreach (var code in constants.Concat(literals).Distinct())
        {
            // A request-level problem may reuse a result code's name (contracts' unknown_party): then its row is there.
            Assert.True(rows.ContainsKey(code) || ledger.ContainsKey(code), $"problem code '{code}' is returned by the node but missing from docs/errors.md");
        }
    }
}
