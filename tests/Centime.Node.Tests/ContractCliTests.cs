using System.Diagnostics;
using System.Text.Json;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>The built `centime contract` commands against a real node: create from a file, sign an event with a keystore wallet, show.</summary>
public sealed class ContractCliTests : IDisposable
{
    private const string Password = "contract-cli-password";
    private readonly CliRunner _cli = new(Password);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task ContractCreateEventShow_EscrowReleasedByTheWarehouseWallet()
    {
        await using var node = await TestNode.StartSandboxAsync();
        Assert.Equal(0, (await Cli("wallet", "new", "--name", "warehouse", "--scrypt-n", "1024")).Code);
        var warehouse = (await Cli("wallet", "address", "warehouse")).Output.Trim();
        var buyer = Holders.Alice;
        var supplier = Address.Derive("contract-cli-supplier").ToString();
        await node.CoinWithHoldersAsync("NUSD", 100_000_000, buyer);

        var file = Path.Combine(_cli.Directory, "escrow.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            id = "424242",
            kind = "escrow",
            coin = "NUSD",
            amount = "25000000",
            parties = new Dictionary<string, string> { ["buyer"] = buyer, ["supplier"] = supplier, ["warehouse"] = warehouse },
            payer = "buyer",
            payee = "supplier",
            confirmer = "warehouse",
            deadlineSeconds = 3600,
        }));

        var created = await Cli("--node", node.BaseUrl, "--api-key", TestNode.OperatorKey, "contract", "create", file, "--json");
        Assert.True(created.Code == 0, created.Output);
        Assert.Contains("\"status\": \"open\"", created.Output, StringComparison.Ordinal);

        var confirmed = await Cli("--node", node.BaseUrl, "contract", "event", "424242", "confirm", "--wallet", "warehouse");
        Assert.True(confirmed.Code == 0, confirmed.Output);
        Assert.Equal("25000000", (await node.Anonymous.GetAccountAsync(supplier)).Balances.Single().Balance);

        var again = await Cli("--node", node.BaseUrl, "contract", "event", "424242", "confirm", "--wallet", "warehouse");
        Assert.Equal(1, again.Code);
        Assert.Contains("contract_closed", again.Output, StringComparison.Ordinal);

        var shown = await Cli("--node", node.BaseUrl, "contract", "show", "424242", "--json");
        Assert.True(shown.Code == 0, shown.Output);
        Assert.Contains("\"step\": \"release\"", shown.Output, StringComparison.Ordinal);

        var schema = await Cli("contract", "schema");
        Assert.Contains("\"Centime contract\"", schema.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContractFact_OracleWalletAttests_StandingOrderExecutesOnceAndTriggerByTheErp()
    {
        await using var node = await TestNode.StartSandboxAsync();
        Assert.Equal(0, (await Cli("wallet", "new", "--name", "stock", "--scrypt-n", "1024")).Code);
        Assert.Equal(0, (await Cli("wallet", "new", "--name", "erp", "--scrypt-n", "1024")).Code);
        var stock = (await Cli("wallet", "address", "stock")).Output.Trim();
        var erp = (await Cli("wallet", "address", "erp")).Output.Trim();
        var supplier = Address.Derive("contract-cli-fact-supplier").ToString();
        await node.CoinWithHoldersAsync("NUSD", 100_000_000, Holders.Alice);

        var file = Path.Combine(_cli.Directory, "order.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            id = "434343",
            kind = "standing_order",
            coin = "NUSD",
            amount = "5000000",
            maxExecutions = 2,
            parties = new Dictionary<string, string> { ["buyer"] = Holders.Alice, ["supplier"] = supplier, ["stock"] = stock, ["erp"] = erp },
            payer = "buyer",
            payee = "supplier",
            trigger = "erp",
            oracle = "stock",
            factKey = "stock_available:SKU-123",
            deadlineSeconds = 3600,
        }));
        var created = await Cli("--node", node.BaseUrl, "--api-key", TestNode.OperatorKey, "contract", "create", file);
        Assert.True(created.Code == 0, created.Output);

        var attested = await Cli("--node", node.BaseUrl, "contract", "fact", "stock_available:SKU-123", "--wallet", "stock");
        Assert.True(attested.Code == 0, attested.Output);
        Assert.Contains("fired 434343", attested.Output, StringComparison.Ordinal);
        var wrong = await Cli("--node", node.BaseUrl, "contract", "fact", "stock_available:SKU-123", "--wallet", "erp");
        Assert.Equal(1, wrong.Code);
        Assert.Contains("not_designated_party", wrong.Output, StringComparison.Ordinal);

        var triggered = await Cli("--node", node.BaseUrl, "contract", "event", "434343", "trigger", "--wallet", "erp");
        Assert.True(triggered.Code == 0, triggered.Output);
        Assert.Contains("closed", triggered.Output, StringComparison.Ordinal);
        Assert.Equal("10000000", (await node.Anonymous.GetAccountAsync(supplier)).Balances.Single().Balance);
    }

    private Task<(int Code, string Output)> Cli(params string[] args) => _cli.RunAsync(args);
}
