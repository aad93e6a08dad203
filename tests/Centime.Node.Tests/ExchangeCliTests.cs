using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>The built `centime fx|pool|quote|pay --to-coin` commands against a real node, rates and payments signed by keystore wallets.</summary>
public sealed class ExchangeCliTests : IDisposable
{
    private const string Password = "exchange-cli-password";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly CliRunner _cli = new(Password);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task FxPoolQuotePay_CrossBorderPaymentFromAKeystoreWallet()
    {
        await using var node = await TestNode.StartSandboxAsync();
        Assert.Equal(0, (await Cli("wallet", "new", "--name", "oracle", "--scrypt-n", "1024")).Code);
        Assert.Equal(0, (await Cli("wallet", "new", "--name", "payer", "--scrypt-n", "1024")).Code);
        var oracle = (await Cli("wallet", "address", "oracle")).Output.Trim();
        var payer = (await Cli("wallet", "address", "payer")).Output.Trim();
        var maker = Address.Derive("exchange-cli-maker").ToString();
        var supplier = Address.Derive("exchange-cli-supplier").ToString();
        var usd = await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"));
        var hkd = await node.Client.CreateCoinAsync(new CreateCoinRequest("JHKD", "HKD", 6, "J Hong Kong Dollar", "1"));
        var mints = await node.Client.SubmitTransfersAsync(
        [
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = usd.SupplyAccount, Credit = maker, Amount = "10000000000000" },
            new TransferRequest { Id = Ids.Next(), Coin = "JHKD", Debit = hkd.SupplyAccount, Credit = maker, Amount = "78000000000000" },
            new TransferRequest { Id = Ids.Next(), Coin = "NUSD", Debit = usd.SupplyAccount, Credit = payer, Amount = "1000000000" },
        ]);
        Assert.All(mints.Results, r => Assert.Equal("ok", r.Result));
        string[] op = ["--node", node.BaseUrl, "--api-key", TestNode.OperatorKey];

        var feed = await Cli([.. op, "fx", "feed", "USDHKD", "--heartbeat", "120", "--band-min", "7.75", "--band-max", "7.85", "--signer", oracle]);
        Assert.True(feed.Code == 0, feed.Output);
        var rate = await Cli("--node", node.BaseUrl, "fx", "rate", "USDHKD", "7.80", "--wallet", "oracle", "--json");
        Assert.True(rate.Code == 0, rate.Output);
        Assert.Equal("ok", JsonSerializer.Deserialize<FeedView>(rate.Output, Json)!.Status);

        var created = await Cli([.. op, "pool", "create", "--lp", "XLPUH", "--coin", "NUSD", "--coin", "JHKD:USDHKD:invert", "--a", "200", "--fee-bps", "4", "--json"]);
        Assert.True(created.Code == 0, created.Output);
        Assert.Equal(1u, JsonSerializer.Deserialize<PoolView>(created.Output, Json)!.Id);
        var added = await Cli([.. op, "pool", "add", "1", "--provider", maker, "--amount", "10000000", "--amount", "78000000"]);
        Assert.True(added.Code == 0, added.Output);

        var shown = await Cli("--node", node.BaseUrl, "pool", "show", "1", "--json");
        Assert.True(shown.Code == 0, shown.Output);
        var pool = JsonSerializer.Deserialize<PoolView>(shown.Output, Json)!;
        Assert.Equal(["10000000000000", "78000000000000"], pool.Coins.Select(c => c.Balance));
        Assert.Equal("ok", pool.Status);
        var table = await Cli("--node", node.BaseUrl, "pool", "show", "1");
        Assert.True(table.Output.Contains("78000000.00", StringComparison.Ordinal) && table.Output.Contains("USDHKD", StringComparison.Ordinal), table.Output);

        var quoted = await Cli("--node", node.BaseUrl, "quote", "--from", "NUSD", "--to", "JHKD", "--amount", "100", "--json");
        Assert.True(quoted.Code == 0, quoted.Output);
        var quote = JsonSerializer.Deserialize<QuoteView>(quoted.Output, Json)!;
        Assert.Equal("1:0>1", quote.Route);
        Assert.InRange(UInt128.Parse(quote.AmountOut, CultureInfo.InvariantCulture), 779_000_000UL, 780_000_000UL);

        var paid = await Cli("--node", node.BaseUrl, "pay", "--wallet", "payer", "--coin", "NUSD", "--to", supplier, "--amount", "100", "--to-coin", "JHKD");
        Assert.True(paid.Code == 0, paid.Output);
        Assert.Contains("paid", paid.Output, StringComparison.Ordinal);
        var received = (await node.Anonymous.GetAccountAsync(supplier)).Balances.Single();
        Assert.Equal("JHKD", received.Coin);
        Assert.Equal(quote.AmountOut, received.Balance); // nothing moved in between: the same price
        Assert.Equal("900000000", (await node.Anonymous.GetAccountAsync(payer)).Balances.Single(b => b.Coin == "NUSD").Balance);

        // A refused payment exits 1 with the code.
        var tooMuch = await Cli("--node", node.BaseUrl, "pay", "--wallet", "payer", "--coin", "NUSD", "--to", supplier, "--amount", "5000", "--to-coin", "JHKD");
        Assert.Equal(1, tooMuch.Code);
        Assert.Contains("exceeds_balance", tooMuch.Output, StringComparison.Ordinal);

        var list = await Cli("--node", node.BaseUrl, "pool", "list");
        Assert.True(list.Code == 0, list.Output);
        Assert.Contains("XLPUH", list.Output, StringComparison.Ordinal);
    }

    private Task<(int Code, string Output)> Cli(params string[] args) => _cli.RunAsync(args);
}
