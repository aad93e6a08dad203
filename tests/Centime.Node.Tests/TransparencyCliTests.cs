using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Centime.Node.Tests;

/// <summary>
/// The built `centime` CLI against a real node: `liabilities publish|show|proof`, `verify-proof` offline, and
/// `report monthly|verify` — valid inputs exit 0, tampered files exit 1.
/// </summary>
public sealed class TransparencyCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "centime-transparency-cli-" + Guid.NewGuid().ToString("N"));

    public TransparencyCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task LiabilitiesAndReports_ThroughTheCli_VerifyOfflineAndRejectTampering()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 3_000_000, Holders.Alice, Holders.Bob);

        var publish = await Cli(node, "liabilities", "publish", "--coin", "NUSD", "--json");
        Assert.True(publish.Code == 0, publish.Output);
        var root = JsonNode.Parse(publish.Output)!["root"]!;
        var hash = root["hash"]!.GetValue<string>();
        Assert.Equal("6000000", root["total"]!.GetValue<string>());

        var show = await Cli(node, "liabilities", "show", "--coin", "NUSD");
        Assert.True(show.Code == 0, show.Output);
        Assert.Contains(hash, show.Output, StringComparison.Ordinal);

        var proofFile = Path.Combine(_dir, "bob.json");
        var proof = await Cli(node, "liabilities", "proof", Holders.Bob, "--coin", "NUSD", "-o", proofFile);
        Assert.True(proof.Code == 0, proof.Output);
        Assert.Contains("VALID", proof.Output, StringComparison.Ordinal);

        var verified = await Cli(null, "verify-proof", "--proof", proofFile, "--root", hash);
        Assert.True(verified.Code == 0, verified.Output);
        Assert.Contains("VALID", verified.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli(null, "verify-proof", "--proof", proofFile, "--root", hash, "--total", "6000000")).Code);
        Assert.Equal(1, (await Cli(null, "verify-proof", "--proof", proofFile, "--root", hash, "--total", "5999999")).Code);

        var tampered = Path.Combine(_dir, "bob-tampered.json");
        await File.WriteAllTextAsync(tampered, (await File.ReadAllTextAsync(proofFile)).Replace("\"balance\":\"3000000\"", "\"balance\":\"3000001\"", StringComparison.Ordinal));
        var rejected = await Cli(null, "verify-proof", "--proof", tampered, "--root", hash);
        Assert.Equal(1, rejected.Code);
        Assert.Contains("root_hash_mismatch", rejected.Output, StringComparison.Ordinal);

        var unknown = await Cli(node, "liabilities", "proof", Holders.Carol, "--coin", "NUSD");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("holder_not_in_tree", unknown.Output, StringComparison.Ordinal);

        var month = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var reportsDir = Path.Combine(_dir, "reports");
        var report = await Cli(node, "report", "monthly", "--coin", "NUSD", "--month", month, "--out", reportsDir);
        Assert.True(report.Code == 0, report.Output);
        var json = Path.Combine(reportsDir, $"NUSD-{month}.json");
        Assert.Contains("Monthly disclosure report", await File.ReadAllTextAsync(Path.Combine(reportsDir, $"NUSD-{month}.html")), StringComparison.Ordinal);

        var issuer = (await node.Http.GetFromJsonAsync<JsonObject>("v1/issuer"))!["address"]!.GetValue<string>();
        var ok = await Cli(null, "report", "verify", json, "--signer", issuer);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Equal(1, (await Cli(null, "report", "verify", json, "--signer", Holders.Carol)).Code);

        var forged = Path.Combine(_dir, "forged.json");
        await File.WriteAllTextAsync(forged, (await File.ReadAllTextAsync(json)).Replace("\"circulating\":\"6000000\"", "\"circulating\":\"6000001\"", StringComparison.Ordinal));
        var bad = await Cli(null, "report", "verify", forged);
        Assert.Equal(1, bad.Code);
        Assert.Contains("report_hash_mismatch", bad.Output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> Cli(TestNode? node, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(NodeProcess.CliDll());
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (node is not null)
        {
            psi.ArgumentList.Add("--node");
            psi.ArgumentList.Add(node.BaseUrl);
            psi.ArgumentList.Add("--api-key");
            psi.ArgumentList.Add(TestNode.OperatorKey);
        }

        psi.Environment["COLUMNS"] = "300";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
