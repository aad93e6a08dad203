using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Centime.Client;

namespace Centime.Cli.Tests;

/// <summary>
/// The published `centime` binary as a script sees it: exit codes (docs/cli.md), results on stdout, errors on stderr,
/// pure JSON under --json, tables that do not wrap in a pipe, generated transfer ids that make retries safe.
/// </summary>
public sealed partial class CliBinaryTests
{
    private const string Alice = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    private const string Bob = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Version_WithoutDotnetOnThePath_PrintsTheVersion()
    {
        var binary = await PublishedCli.PathAsync();
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--version");
        psi.Environment["PATH"] = "/usr/bin:/bin"; // no dotnet: the file is self-contained
        psi.Environment.Remove("DOTNET_ROOT");
        var result = await PublishedCli.RunAsync(psi, TimeSpan.FromMinutes(1));
        Assert.True(result.Code == 0, result.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Theory]
    [InlineData("balance")]                                   // a required argument missing
    [InlineData("balance", Alice, "--no-such-option")]        // an unknown option
    [InlineData("coin")]                                      // a command without its subcommand
    [InlineData("completion", "fish")]                        // a value outside the allowed ones
    public async Task UsageError_ExitsTwo_OnStderrOnly(params string[] args)
    {
        var result = await PublishedCli.RunAsync(Path.GetTempPath(), null, args);
        Assert.True(result.Code == 2, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Contains("--help", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeUnreachable_Json_ExitsFour_ProblemOnStderr_StdoutEmpty()
    {
        var env = new Dictionary<string, string?> { ["CENTIME_NODE"] = $"http://127.0.0.1:{PublishedCli.FreePort()}" };
        var result = await PublishedCli.RunAsync(Path.GetTempPath(), env, "balance", Alice, "--json");
        Assert.True(result.Code == 4, result.ToString());
        Assert.Equal("", result.Stdout);
        var problem = JsonSerializer.Deserialize<Problem>(result.Stderr, Json)!;
        Assert.Equal("node_unreachable", problem.Code);

        var readable = await PublishedCli.RunAsync(Path.GetTempPath(), env, "balance", Alice);
        Assert.Equal(4, readable.Code);
        Assert.Equal("", readable.Stdout);
        Assert.Contains("CENTIME_NODE", readable.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_NodeListsOnlyNodeOptions_ClientCommandsListClientOptions()
    {
        var node = await PublishedCli.RunAsync(Path.GetTempPath(), null, "node", "--help");
        Assert.True(node.Code == 0, node.ToString());
        Assert.Contains("--urls", node.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--json", node.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--api-key", node.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--node ", node.Stdout, StringComparison.Ordinal);

        var balance = await PublishedCli.RunAsync(Path.GetTempPath(), null, "balance", "--help");
        Assert.Contains("--json", balance.Stdout, StringComparison.Ordinal);
        Assert.Contains("--node", balance.Stdout, StringComparison.Ordinal);
    }

    /// <summary><c>centime bench … --json</c>: stdout is one JSON document of figures with numeric values and units
    /// split from the text (for dashboards), progress and notes on stderr; without it, the human table.</summary>
    [Fact]
    public async Task Bench_Json_StdoutIsOneDocumentOfFiguresWithValuesAndUnits()
    {
        var result = await PublishedCli.RunAsync(Path.GetTempPath(), null, "bench", "contracts", "--escrows", "2000", "--streams", "2000", "--json");
        Assert.True(result.Code == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("contracts", doc.RootElement.GetProperty("bench").GetString());
        var figures = doc.RootElement.GetProperty("figures").EnumerateArray().ToList();
        Assert.Equal(4, figures.Count);
        var escrow = figures.Single(f => f.GetProperty("measurement").GetString() == "escrow create + release");
        Assert.True(escrow.GetProperty("value").GetDecimal() > 0, result.Stdout);
        Assert.Equal("steps/s", escrow.GetProperty("unit").GetString());
        Assert.Contains("2,000 escrows", escrow.GetProperty("conditions").GetString(), StringComparison.Ordinal);
        Assert.Contains("state machine only", result.Stderr, StringComparison.Ordinal);

        var table = await PublishedCli.RunAsync(Path.GetTempPath(), null, "bench", "contracts", "--escrows", "1000", "--streams", "1000");
        Assert.True(table.Code == 0, table.ToString());
        Assert.Contains("escrow create + release", table.Stdout, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(table.Stdout));
    }

    [Fact]
    public async Task Completion_Bash_CompletesSubcommandsFromTheBinary()
    {
        var binary = await PublishedCli.PathAsync();
        var script = (await PublishedCli.RunAsync(Path.GetTempPath(), null, "completion", "bash")).Stdout;
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script + "\nCOMP_WORDS=(centime coin cr); COMP_CWORD=2; COMP_LINE='centime coin cr'; COMP_POINT=15; _centime_complete; printf '%s\\n' \"${COMPREPLY[@]}\"");
        psi.Environment["PATH"] = Path.GetDirectoryName(binary) + ":/usr/bin:/bin";
        var result = await PublishedCli.RunAsync(psi, TimeSpan.FromMinutes(1));
        Assert.True(result.Code == 0, result.ToString());
        Assert.Equal(["create"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var zsh = await PublishedCli.RunAsync(Path.GetTempPath(), null, "completion", "zsh");
        Assert.Contains("compdef _centime_complete centime", zsh.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgainstANode_ExitCodesStreamsJsonTablesAndRetries()
    {
        await using var node = await PublishedNode.StartAsync("--sandbox"); // the CLI mints test coins with the operator key
        var env = new Dictionary<string, string?> { ["CENTIME_NODE"] = node.Url };
        Task<CliResult> Cli(params string[] args) => PublishedCli.RunAsync(node.Directory, env, args);

        // --json: stdout is one JSON document and nothing else.
        var created = await Cli("coin", "create", "NUSD", "--currency", "USD", "--name", "Net Dollar", "--json");
        Assert.True(created.Code == 0, created.ToString());
        Assert.Equal("NUSD", JsonSerializer.Deserialize<CoinInfo>(created.Stdout, Json)!.Symbol);

        // Without --id: the generated id is printed (on stderr, before sending); running again with it moves nothing twice.
        var paid = await Cli("transfer", "--coin", "NUSD", "--from", "supply", "--to", Alice, "--amount", "100");
        Assert.True(paid.Code == 0, paid.ToString());
        var id = GeneratedId().Match(paid.Stderr);
        Assert.True(id.Success, paid.ToString());
        Assert.Contains(id.Groups[1].Value, paid.Stdout, StringComparison.Ordinal);
        var retried = await Cli("transfer", "--coin", "NUSD", "--from", "supply", "--to", Alice, "--amount", "100", "--id", id.Groups[1].Value);
        Assert.True(retried.Code == 0, retried.ToString());
        Assert.Contains("idempotent", retried.Stdout, StringComparison.Ordinal);
        Assert.Equal("", retried.Stderr);
        var balance = await Cli("balance", Alice, "--coin", "NUSD", "--json");
        Assert.Equal("100000000", JsonSerializer.Deserialize<AccountInfo>(balance.Stdout, Json)!.Balances.Single().Balance);

        // Refused by the ledger: exit 1, the reason on stderr, nothing on stdout.
        var refused = await Cli("transfer", "--coin", "NUSD", "--from", Alice, "--to", Bob, "--amount", "1000", "--id", "77");
        Assert.True(refused.Code == 1, refused.ToString());
        Assert.Equal("", refused.Stdout);
        Assert.Contains("exceeds_balance", refused.Stderr, StringComparison.Ordinal);

        // An unknown coin is an error with a code, in either output mode.
        var nope = await Cli("balance", Alice, "--coin", "NOPE");
        Assert.True(nope.Code == 1, nope.ToString());
        Assert.Equal("", nope.Stdout);
        Assert.Contains("coin_not_found", nope.Stderr, StringComparison.Ordinal);
        var nopeJson = await Cli("balance", Alice, "--coin", "NOPE", "--json");
        Assert.Equal(1, nopeJson.Code);
        Assert.Equal("", nopeJson.Stdout);
        Assert.Equal("coin_not_found", JsonSerializer.Deserialize<Problem>(nopeJson.Stderr, Json)!.Code);

        // Too many decimals: a usage error (2), checked against the coin's decimals.
        var precise = await Cli("transfer", "--coin", "NUSD", "--from", Alice, "--to", Bob, "--amount", "0.0000001", "--id", "78");
        Assert.True(precise.Code == 2, precise.ToString());
        Assert.Equal("", precise.Stdout);

        // Piped without COLUMNS: a table row stays on one line however long; with COLUMNS it fits that width.
        var piped = await Cli("coin", "list");
        Assert.True(piped.Code == 0, piped.ToString());
        var row = piped.Stdout.Split('\n').Single(l => l.Contains("NUSD", StringComparison.Ordinal));
        Assert.Contains("Net Dollar", row, StringComparison.Ordinal);
        Assert.True(row.Length > 120, row);
        var narrow = await PublishedCli.RunAsync(node.Directory, new Dictionary<string, string?> { ["CENTIME_NODE"] = node.Url, ["COLUMNS"] = "70" }, "coin", "list");
        Assert.All(narrow.Stdout.Split('\n'), l => Assert.True(l.Length <= 70, l));
    }

    [GeneratedRegex(@"transfer id (\d+) \(generated")]
    private static partial Regex GeneratedId();
}
