using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Node;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Centime.Web.Tests;

/// <summary>
/// The transparency page in headless Chromium (Debian's <c>chromium</c>) against a real node on 127.0.0.1: the page
/// shows the figures, fetches a holder's proof and verifies it in its own JavaScript, and rejects a tampered proof.
/// </summary>
public sealed class TransparencyPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string OperatorKey = "ck_web_test_operator_key_0123456789";
    private const string Alice = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    private const string Bob = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    private const string Carol = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    private const string Stranger = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "centime-web-test-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _consoleErrors = [];
    private CentimeNode? _node;
    private HttpClient? _http;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        _node = CentimeNode.Create(
            new NodeOptions { DataDirectory = _data, Urls = "http://127.0.0.1:0", OperatorKey = OperatorKey, SnapshotEveryCommands = 0, SingleOperator = true, Sandbox = true },
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await _node.StartAsync();
        _baseUrl = _node.Urls.First(u => u.StartsWith("http://127.0.0.1", StringComparison.Ordinal)) + "/";
        _http = new HttpClient { BaseAddress = new Uri(_baseUrl) };
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorKey);

        Assert.True(File.Exists(Browser.ChromiumPath),
            $"{Browser.ChromiumPath} is missing: run scripts/install-deps.sh (it installs Debian's chromium for these tests).");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Browser.ChromiumPath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _http?.Dispose();
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task TransparencyPage_PastedAddress_VerifiedInBrowser_TamperedProofRejected()
    {
        await CoinWithHoldersAsync("NUSD", Alice, Bob, Carol);
        var root = await PublishAsync("NUSD");

        var page = await OpenAsync("transparency/NUSD");
        Assert.Contains("3,000.00 NUSD", await page.InnerTextAsync("#card-supply .value"));
        Assert.Contains("3,000.00 NUSD", await page.InnerTextAsync("#card-liabilities .value"));
        Assert.Equal(root["root"]!["hash"]!.GetValue<string>(), await page.InnerTextAsync("#root-hash"));

        // A holder pastes their address: the page fetches the proof and checks it with pol-verify.js.
        await page.FillAsync("#address", Bob.ToLowerInvariant());
        await page.ClickAsync("#verify-address");
        var verdict = await VerdictAsync(page, "valid");
        Assert.Contains("Verified", verdict);
        Assert.Contains("1,000.00 NUSD", verdict);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "transparency-verified.png"), FullPage = true });

        // The same proof with the balance raised by one minor unit: the page recomputes a different root.
        var proof = JsonNode.Parse(await _http!.GetStringAsync($"v1/coins/NUSD/liabilities/proof/{Bob}"))!.AsObject();
        await page.FillAsync("#proof", proof.ToJsonString());
        await page.ClickAsync("#verify-proof");
        await VerdictAsync(page, "valid");

        proof["balance"] = "1000000001";
        await page.FillAsync("#proof", proof.ToJsonString());
        await page.ClickAsync("#verify-proof");
        Assert.Contains("Not verified", await VerdictAsync(page, "invalid"));
        Assert.Equal("root_hash_mismatch", await page.GetAttributeAsync("#verdict", "data-code"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "transparency-rejected.png"), FullPage = true });

        // A negative sibling sum (the "negative leaf" attack) is rejected before any hashing.
        proof["balance"] = "1000000000";
        proof["path"]![0]!["sum"] = "-1000000000";
        await page.FillAsync("#proof", proof.ToJsonString());
        await page.ClickAsync("#verify-proof");
        await VerdictAsync(page, "invalid");
        Assert.Equal("amount_out_of_range", await page.GetAttributeAsync("#verdict", "data-code"));

        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task TransparencyPage_AddressNotInTree_SaysSo()
    {
        await CoinWithHoldersAsync("JHKD", Alice);
        await PublishAsync("JHKD");
        var page = await OpenAsync("transparency/JHKD");
        await page.FillAsync("#address", Stranger);
        await page.ClickAsync("#verify-address");
        await VerdictAsync(page, "error");
        Assert.Equal("holder_not_in_tree", await page.GetAttributeAsync("#verdict", "data-code"));

        var index = await OpenAsync("transparency");
        Assert.Contains("JHKD", await index.InnerTextAsync("ul.coins"));
    }

    [Theory]
    [InlineData("1000000000", "backed", "Backed 1:1 by USD reserves: 1,000.00 USD eligible for 1,000.00 NUSD in circulation.", "100.00%")]
    [InlineData("500000000", "under_backed", "Under-backed: eligible USD reserves cover 50.00% of the 1,000.00 NUSD in circulation, a shortfall of 500.00 USD.", "50.00%")]
    public async Task Headline_IssuedCoin_SaysWhatTheReservesShow(string bankBalance, string state, string headline, string coverage)
    {
        await IssuedCoinAsync("NUSD", bankBalance);
        var page = await OpenAsync("transparency/NUSD");
        Assert.Equal(state, await page.GetAttributeAsync("#headline", "data-state"));
        var text = (await page.InnerTextAsync("#headline")).Trim();
        output.WriteLine($"headline ({state}): {text}");
        Assert.StartsWith(headline, text, StringComparison.Ordinal); // violations, if any, follow
        Assert.Equal(coverage, (await page.InnerTextAsync("#card-coverage .value")).Trim());

        // This node runs in single-operator mode (so one admin key can set the coin up) and in sandbox mode (so other
        // tests here can mint test coins): the page says both.
        Assert.Contains("Single-operator mode", await page.InnerTextAsync("#mode-single-operator"), StringComparison.Ordinal);
        Assert.Contains("Sandbox node", await page.InnerTextAsync("#mode-sandbox"), StringComparison.Ordinal);
        if (state != "backed")
        {
            Assert.DoesNotContain("Backed 1:1", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, $"transparency-{state}.png"), FullPage = true });
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Headline_NoReserveBook_NotABackedCoin()
    {
        // A real (not sandbox) coin nobody set up in issuance: nothing can mint it, and the page claims no backing.
        using (var client = new CentimeClient(new Uri(_baseUrl), OperatorKey))
        {
            await client.CreateCoinAsync(new CreateCoinRequest("BARE", "USD", 6, "Bare Dollar", "1") { Sandbox = false });
        }

        var page = await OpenAsync("transparency/BARE");
        Assert.Equal("no_reserve_book", await page.GetAttributeAsync("#headline", "data-state"));
        Assert.StartsWith("No reserve book: not a backed coin.", (await page.InnerTextAsync("#headline")).Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("Backed 1:1", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        Assert.Equal("not reported", (await page.InnerTextAsync("#card-reserves .value")).Trim());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "transparency-no-reserve-book.png"), FullPage = true });
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Headline_SandboxCoin_UnbackedTestMoney()
    {
        await CoinWithHoldersAsync("PLAY", Alice); // minted by the operator key: only a sandbox coin on a sandbox node allows it
        var page = await OpenAsync("transparency/PLAY");
        Assert.Equal("sandbox", await page.GetAttributeAsync("#headline", "data-state"));
        var text = (await page.InnerTextAsync("#headline")).Trim();
        output.WriteLine($"headline (sandbox): {text}");
        Assert.StartsWith("Sandbox coin: unbacked test money.", text, StringComparison.Ordinal);
        Assert.Contains("1,000.00 PLAY", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Backed 1:1", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "transparency-sandbox.png"), FullPage = true });
        Assert.Empty(_consoleErrors);
    }

    private async Task<IPage> OpenAsync(string path)
    {
        var page = await _browser!.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Add(message.Text);
                output.WriteLine("console error: " + message.Text);
            }
        };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        var response = await page.GotoAsync(_baseUrl + path);
        Assert.Equal(200, response!.Status);
        return page;
    }

    private async Task<string> VerdictAsync(IPage page, string state)
    {
        var locator = page.Locator($"#verdict[data-state='{state}']");
        try
        {
            await locator.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"verdict never became '{state}': it is '{await page.GetAttributeAsync("#verdict", "data-state")}': {await page.InnerTextAsync("#verdict")}");
        }

        var text = await locator.InnerTextAsync();
        output.WriteLine($"verdict ({state}): {text}");
        return text;
    }

    private async Task CoinWithHoldersAsync(string symbol, params string[] holders)
    {
        using var client = new CentimeClient(new Uri(_baseUrl), OperatorKey);
        var coin = await client.CreateCoinAsync(new CreateCoinRequest(symbol, "USD", 6, symbol + " Dollar", "1"));
        var id = DateTime.UtcNow.Ticks;
        var mints = holders.Select(h => new TransferRequest { Id = (++id).ToString(System.Globalization.CultureInfo.InvariantCulture), Coin = symbol, Debit = coin.SupplyAccount, Credit = h, Amount = "1000000000" }).ToList();
        var result = await client.SubmitTransfersAsync(mints);
        Assert.All(result.Results, r => Assert.Equal("ok", r.Result));
    }

    /// <summary>A coin run by the issuance module: 1,000.00 deposited at the bank and minted to Alice, then the bank
    /// balance revalued to <paramref name="bankBalance"/> minor units.</summary>
    private async Task IssuedCoinAsync(string symbol, string bankBalance)
    {
        using var client = new CentimeClient(new Uri(_baseUrl), OperatorKey);
        await client.CreateCoinAsync(new CreateCoinRequest(symbol, "USD", 6, symbol + " Dollar", "1") { Sandbox = false }); // a real coin, on this sandbox node
        var keys = new Dictionary<string, string>(StringComparer.Ordinal) { ["admin"] = OperatorKey };
        foreach (var (id, role) in new[] { ("mm", "minter_manager"), ("m1", "minter"), ("rm", "reserve_manager") })
        {
            var added = await PostAsync(keys["admin"], "v1/issuance/operators", $$"""{"id":"{{id}}","roles":["{{role}}"]}""");
            keys[id] = added["key"]!.GetValue<string>();
        }

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await PostAsync(keys["rm"], $"v1/issuance/coins/{symbol}/reserves",
            """{"type":"bank_deposit","id":"bny","bank":"Bank of New York Mellon","accountReference":"R-1","amount":"0","insured":true,"segregated":true}""");
        await PostAsync(keys["mm"], $"v1/issuance/coins/{symbol}/minters", """{"minter":"m1","allowance":"100000000000"}""");
        await PostAsync(keys["rm"], $"v1/issuance/coins/{symbol}/deposits",
            $$"""{"bank":"Bank of New York Mellon","reference":"WIRE-1","amount":"1000000000","valueDate":"{{today}}","holding":"bny"}""");
        await PostAsync(keys["m1"], $"v1/issuance/coins/{symbol}/mints", $$"""{"deposit":"WIRE-1","to":"{{Alice}}","amount":"1000000000"}""");
        if (bankBalance != "1000000000")
        {
            await PostAsync(keys["rm"], $"v1/issuance/coins/{symbol}/reserves/bny/value", $$"""{"amount":"{{bankBalance}}"}""");
        }
    }

    private async Task<JsonObject> PostAsync(string key, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var response = await _http!.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<JsonObject> PublishAsync(string symbol)
    {
        using var response = await _http!.PostAsync($"v1/coins/{symbol}/liabilities", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}

/// <summary>Where the tests find the browser: Debian's chromium package.</summary>
internal static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";
}
