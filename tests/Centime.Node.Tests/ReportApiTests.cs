using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Tests;

public sealed class ReportApiTests
{
    private static string ThisMonth => DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    [Fact]
    public async Task MonthlyReport_CurrentMonth_SignedByIssuerWithSupplyAndLiabilities()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 2_500_000, Holders.Alice, Holders.Bob);
        var published = await LiabilitiesApiTests.PublishAsync(node, "NUSD");
        var issuer = (await node.Http.GetFromJsonAsync<JsonObject>("v1/issuer"))!["address"]!.GetValue<string>();

        var bytes = await node.Http.GetByteArrayAsync($"v1/coins/NUSD/reports/monthly?month={ThisMonth}");
        var verdict = DisclosureSignature.Verify(bytes, Address.Parse(issuer));
        Assert.True(verdict.IsValid, $"{verdict.Code}: {verdict.Reason}");
        Assert.Equal(issuer, verdict.Signer);

        var report = JsonNode.Parse(bytes)!["report"]!;
        Assert.Equal("centime-monthly-disclosure/2", report["format"]!.GetValue<string>());
        Assert.Equal(ThisMonth, report["month"]!.GetValue<string>());
        Assert.False(report["period"]!["complete"]!.GetValue<bool>());
        Assert.Equal("5000000", report["supply"]!["circulating"]!.GetValue<string>());
        Assert.Equal(published.Root.Hash.ToString(), report["liabilities"]!["root"]!["hash"]!.GetValue<string>());
        Assert.Equal("5000000", report["liabilities"]!["root"]!["total"]!.GetValue<string>());
        Assert.True(report["liabilities"]!["totalMatchesSupply"]!.GetValue<bool>());
        Assert.Equal(issuer, report["issuer"]!.GetValue<string>());
    }

    [Fact]
    public async Task MonthlyReport_ByteChanged_SignatureFails()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 2_500_000, Holders.Alice);
        var text = await node.Http.GetStringAsync($"v1/coins/NUSD/reports/monthly?month={ThisMonth}");
        Assert.True(DisclosureSignature.Verify(Encoding.UTF8.GetBytes(text)).IsValid);

        // One digit of the supply changed: the report no longer hashes to what was signed.
        var inflated = text.Replace("\"circulating\":\"2500000\"", "\"circulating\":\"2500001\"", StringComparison.Ordinal);
        Assert.NotEqual(text, inflated);
        Assert.Equal("report_hash_mismatch", DisclosureSignature.Verify(Encoding.UTF8.GetBytes(inflated)).Code);

        // The forger also updates the report hash: the signature then recovers to some other key.
        var claimed = JsonNode.Parse(inflated)!["signature"]!["reportHash"]!.GetValue<string>();
        var rehashed = inflated.Replace(claimed, DisclosureSignature.ReportHash(Encoding.UTF8.GetBytes(ExtractReport(inflated))).ToString(), StringComparison.Ordinal);
        Assert.Equal("signer_mismatch", DisclosureSignature.Verify(Encoding.UTF8.GetBytes(rehashed)).Code);

        // One byte of the signature changed.
        var signature = JsonNode.Parse(text)!["signature"]!["signature"]!.GetValue<string>();
        var flipped = signature[..10] + (signature[10] == '0' ? '1' : '0') + signature[11..];
        var badSignature = DisclosureSignature.Verify(Encoding.UTF8.GetBytes(text.Replace(signature, flipped, StringComparison.Ordinal)));
        Assert.False(badSignature.IsValid);
        Assert.Contains(badSignature.Code, new[] { "signer_mismatch", "signature_invalid" });

        // A genuine report checked against the wrong issuer.
        Assert.Equal("unexpected_signer", DisclosureSignature.Verify(Encoding.UTF8.GetBytes(text), Address.Parse(Holders.Carol)).Code);

        // Not a report at all.
        Assert.Equal("malformed_report", DisclosureSignature.Verify("{\"report\":1}"u8).Code);
        Assert.Equal("malformed_report", DisclosureSignature.Verify("nope"u8).Code);
    }

    [Fact]
    public async Task MonthlyReport_Signature_VerifiesWithEthers()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 2_500_000, Holders.Alice);
        var issuer = (await node.Http.GetFromJsonAsync<JsonObject>("v1/issuer"))!["address"]!.GetValue<string>();
        var bytes = await node.Http.GetByteArrayAsync($"v1/coins/NUSD/reports/monthly?month={ThisMonth}");

        // ethers.verifyMessage(getBytes(reportHash), signature): the EIP-191 personal_sign check every wallet library has.
        var reply = JsonNode.Parse(RunInterop("report-signature.mjs", bytes))!;
        Assert.True(reply["hashMatches"]!.GetValue<bool>(), reply.ToJsonString());
        Assert.Equal(issuer, reply["recovered"]!.GetValue<string>());
        Assert.Equal(issuer, reply["signer"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("2020-01")]
    [InlineData(null)] // last month: the coin was created in this one
    public async Task MonthlyReport_MonthBeforeTheCoinExisted_RefusedWithCode(string? month)
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        month ??= DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        using var response = await node.Http.GetAsync($"v1/coins/NUSD/reports/monthly?month={month}");
        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("report_before_coin", (await node.ReadProblemAsync(response)).Code);

        // The page offers only this month's report.
        var page = await node.Http.GetStringAsync("transparency/NUSD");
        Assert.Contains($"data-month=\"{ThisMonth}\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-month=\"{month}\"", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task TransparencyPage_NodeModes_ShownOnlyWhenOn(bool sandbox, bool singleOperator)
    {
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.Sandbox = sandbox;
            o.SingleOperator = singleOperator;
        });
        await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"));
        var page = await node.Http.GetStringAsync("transparency/NUSD");
        Assert.Equal(sandbox, page.Contains("id=\"mode-sandbox\"", StringComparison.Ordinal));
        Assert.Equal(singleOperator, page.Contains("id=\"mode-single-operator\"", StringComparison.Ordinal));
        // On a sandbox node a coin is a sandbox coin by default: its headline says unbacked test money, not "no reserve book".
        Assert.Contains(sandbox ? "data-state=\"sandbox\"" : "data-state=\"no_reserve_book\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonthlyReport_PastMonths_FiguresAsOfTheirLastBlockNotToday()
    {
        // A ledger that began in January 2026: NUSD created on 10 January, 1,000.00 minted on 20 January, 2,500.00 more
        // on 20 February. Written straight to the journal with those block times; the node then recovers it.
        var data = Path.Combine(Path.GetTempPath(), "centime-report-test-" + Guid.NewGuid().ToString("N"));
        var supply = Centime.Ledger.Coin.SupplyAccountOf("NUSD");
        using (var journal = Journal.Journal.Open(data, new Journal.JournalOptions { Fsync = false, CreateModules = CentimeNode.CreateModules }))
        {
            void AppendBlock(DateTime at, params Command[] commands)
            {
                var results = Centime.Testing.JournalHistory.AppendBlock(journal, (ulong)(at - DateTime.UnixEpoch).Ticks * 100UL, commands);
                Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code));
            }

            AppendBlock(new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc), Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1", Sandbox: true)));
            AppendBlock(new DateTime(2026, 1, 20, 9, 0, 0, DateTimeKind.Utc), Command.Of(new Transfer { Id = 1, Coin = 1, DebitAccount = supply, CreditAccount = Address.Parse(Holders.Alice), Amount = 1_000_000_000 }));
            AppendBlock(new DateTime(2026, 2, 20, 9, 0, 0, DateTimeKind.Utc), Command.Of(new Transfer { Id = 2, Coin = 1, DebitAccount = supply, CreditAccount = Address.Parse(Holders.Bob), Amount = 2_500_000_000 }));
        }

        await using var node = await TestNode.StartSandboxAsync(data); // a sandbox coin: the operator key mints it here
        var mint = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = "3", Coin = "NUSD", Debit = supply.ToString(), Credit = Holders.Carol, Amount = "7000000" }]);
        Assert.Equal("ok", mint.Results.Single().Result);

        async Task<JsonNode> ReportAsync(string month)
        {
            var bytes = await node.Http.GetByteArrayAsync($"v1/coins/NUSD/reports/monthly?month={month}");
            Assert.True(DisclosureSignature.Verify(bytes).IsValid);
            return JsonNode.Parse(bytes)!["report"]!;
        }

        var january = await ReportAsync("2026-01");
        Assert.True(january["period"]!["complete"]!.GetValue<bool>());
        Assert.Equal("2", january["period"]!["lastBlock"]!.GetValue<string>());
        Assert.Equal("period_end", january["figuresAsOf"]!["basis"]!.GetValue<string>());
        Assert.Equal("2", january["figuresAsOf"]!["height"]!.GetValue<string>());
        Assert.Equal("2026-01-20T09:00:00Z", january["figuresAsOf"]!["ledgerTime"]!.GetValue<string>());
        Assert.Equal("1000000000", january["supply"]!["circulating"]!.GetValue<string>());
        Assert.Equal("sandbox", january["backing"]!["state"]!.GetValue<string>());

        var february = await ReportAsync("2026-02");
        Assert.Equal("3", february["figuresAsOf"]!["height"]!.GetValue<string>());
        Assert.Equal("3500000000", february["supply"]!["circulating"]!.GetValue<string>());

        // March had no block before today's: its end is the state of 20 February too.
        Assert.Equal("3500000000", (await ReportAsync("2026-03"))["supply"]!["circulating"]!.GetValue<string>());

        var now = await ReportAsync(ThisMonth);
        Assert.Equal("to_date", now["figuresAsOf"]!["basis"]!.GetValue<string>());
        Assert.Equal("3507000000", now["supply"]!["circulating"]!.GetValue<string>());

        using var december = await node.Http.GetAsync("v1/coins/NUSD/reports/monthly?month=2025-12");
        Assert.Equal("report_before_coin", (await node.ReadProblemAsync(december)).Code);
    }

    [Fact]
    public async Task MonthlyReport_Html_RendersTheSignedReport()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        using var response = await node.Http.GetAsync($"v1/coins/NUSD/reports/monthly?month={ThisMonth}&format=html");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Monthly disclosure report", html, StringComparison.Ordinal);
        Assert.Contains("1.00 NUSD", html, StringComparison.Ordinal);
        Assert.Contains(DisclosureSignature.Scheme, html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1/coins/NUSD/reports/monthly", 400, "invalid_query")]
    [InlineData("v1/coins/NUSD/reports/monthly?month=2026-13", 400, "invalid_query")]
    [InlineData("v1/coins/NUSD/reports/monthly?month=26-10", 400, "invalid_query")]
    [InlineData("v1/coins/NUSD/reports/monthly?month=2999-01", 400, "invalid_query")]
    [InlineData("v1/coins/NUSD/reports/monthly?month=2026-10&format=pdf", 400, "invalid_query")]
    [InlineData("v1/coins/NOPE/reports/monthly?month=2026-10", 404, "coin_not_found")]
    public async Task MonthlyReport_BadRequest_Problem(string path, int status, string code)
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        using var response = await node.Http.GetAsync(path);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, (await node.ReadProblemAsync(response)).Code);
    }

    /// <summary>Runs interop/<paramref name="script"/> under Node with <paramref name="input"/> on stdin; returns stdout.</summary>
    private static string RunInterop(string script, byte[] input)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Centime.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Centime.slnx not found above the test binaries");
        }

        var interop = Path.Combine(root, "interop");
        Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "ethers")),
            $"{interop}/node_modules/ethers is missing: run scripts/install-deps.sh (it runs npm ci in interop/).");
        var start = new System.Diagnostics.ProcessStartInfo("node", script)
        {
            WorkingDirectory = interop,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "node did not finish in 60 s");
        Assert.True(process.ExitCode == 0, $"node {script} failed: {stderr.Result}");
        return stdout;
    }

    /// <summary>The report member's raw text, as the verifier hashes it.</summary>
    private static string ExtractReport(string file)
    {
        using var document = JsonDocument.Parse(file);
        return document.RootElement.GetProperty("report").GetRawText();
    }
}
