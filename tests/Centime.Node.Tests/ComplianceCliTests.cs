using System.Security.Cryptography;
using System.Text.Json;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>The built `centime compliance …` commands against a real node: files in the published formats loaded as a user would.</summary>
public sealed class ComplianceCliTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly CliRunner _cli = new("compliance-cli-password");

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task SanctionsLoad_OfacEuAndIssuerFiles_StatusShowsTheirHashes_CheckExitsOneForAListedAddress()
    {
        await using var node = await TestNode.StartSandboxAsync();
        string[] op = ["--node", node.BaseUrl, "--api-key", TestNode.OperatorKey];
        var listed = Address.Derive("cli listed");
        var ofac = Path.Combine(_cli.Directory, "sdn.xml");
        await File.WriteAllBytesAsync(ofac, SanctionsFixtures.OfacSdn("12/05/2026", (listed, "Digital Currency Address - ETH")));
        var eu = Path.Combine(_cli.Directory, "eu.xml");
        await File.WriteAllBytesAsync(eu, SanctionsFixtures.EuConsolidated("2026-12-04T18:00:00.000+01:00", "151213", Address.Derive("cli eu listed")));
        var ours = Path.Combine(_cli.Directory, "ours.txt");
        await File.WriteAllTextAsync(ours, "# version: 7\n" + Address.Derive("cli issuer listed") + "\n");

        var loaded = await _cli.RunAsync([.. op, "compliance", "sanctions", "load", "--ofac", ofac, "--json"]);
        Assert.True(loaded.Code == 0, loaded.Output);
        var result = JsonSerializer.Deserialize<SanctionsLoadResult>(loaded.Output, Json)!;
        Assert.Equal("0x" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(ofac))), result.List.Sha256);
        Assert.Equal(0, (await _cli.RunAsync([.. op, "compliance", "sanctions", "load", "--eu", eu])).Code);
        Assert.Equal(0, (await _cli.RunAsync([.. op, "compliance", "sanctions", "load", "--list", ours])).Code);

        var status = await _cli.RunAsync([.. op, "compliance", "sanctions", "status", "--json"]);
        Assert.True(status.Code == 0, status.Output);
        var lists = JsonSerializer.Deserialize<SanctionsStatus>(status.Output, Json)!;
        Assert.Equal(["eu_consolidated", "issuer", "ofac_sdn"], lists.Lists.Select(l => l.Source).Order(StringComparer.Ordinal));
        Assert.Equal(3, lists.BlockedAddresses);

        Assert.Equal(1, (await _cli.RunAsync([.. op, "compliance", "sanctions", "check", listed.ToString()])).Code);
        Assert.Equal(0, (await _cli.RunAsync([.. op, "compliance", "sanctions", "check", Holders.Alice])).Code);
        var both = await _cli.RunAsync([.. op, "compliance", "sanctions", "load", "--ofac", ofac, "--eu", eu]);
        Assert.Equal(2, both.Code); // a usage error: exactly one file
        var broken = Path.Combine(_cli.Directory, "broken.xml");
        await File.WriteAllTextAsync(broken, "<sdnList>");
        var refused = await _cli.RunAsync([.. op, "compliance", "sanctions", "load", "--ofac", broken]);
        Assert.True(refused.Code == 1 && refused.Output.Contains("sanctions_list_invalid", StringComparison.Ordinal), refused.Output);
    }
}
