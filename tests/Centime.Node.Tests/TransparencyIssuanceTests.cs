using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>
/// The transparency page and the monthly report over a coin run by the issuance module: reserves by category with
/// eligibility, coverage, and the month's redemptions with their timeliness, as the module records them.
/// </summary>
public sealed class TransparencyIssuanceTests
{
    private const string Whole = "000000";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static string Day(int offset) => DateTime.UtcNow.AddDays(offset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task PageAndReport_IssuedCoin_ShowReservesCoverageAndRedemptions()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.SingleOperator = true);
        await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"));
        var keys = new Dictionary<string, string>(StringComparer.Ordinal) { ["admin"] = TestNode.OperatorKey };
        foreach (var (id, role) in new[] { ("mm", "minter_manager"), ("m1", "minter"), ("rm", "reserve_manager") })
        {
            var added = await PostAsync(node, keys, "admin", "v1/issuance/operators", new AddOperatorRequest(id, [role]));
            keys[id] = added["key"]!.GetValue<string>();
        }

        await PostAsync(node, keys, "rm", "v1/issuance/coins/NUSD/reserves", new HoldingInfo
        {
            Type = "bank_deposit",
            Id = "bny",
            Bank = "Bank of New York Mellon",
            AccountReference = "NUSD-RESERVE-1",
            Amount = "0",
            Insured = true,
            Segregated = true,
        });

        // A 180-day bill: booked, but not eligible under GENIUS (93-day limit).
        await PostAsync(node, keys, "rm", "v1/issuance/coins/NUSD/reserves", new HoldingInfo
        {
            Type = "treasury_bill",
            Id = "912797LB1",
            Identifier = "912797LB1",
            IssueDate = Day(-2),
            MaturityDate = Day(178),
            FaceValue = "5000" + Whole,
            Price = "0.98",
        });
        await PostAsync(node, keys, "mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m1", Allowance = "100000" + Whole });
        await PostAsync(node, keys, "rm", "v1/issuance/coins/NUSD/deposits",
            new DepositRequest { Bank = "Bank of New York Mellon", Reference = "WIRE-1", Amount = "1000" + Whole, ValueDate = Day(0), Holding = "bny" });
        await PostAsync(node, keys, "m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-1", To = Holders.Alice, Amount = "1000" + Whole });
        var alice = new HolderSigner(Convert.FromHexString("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")); // Holders.Alice's key
        var redeem = await IssuanceTests.RedeemOkAsync(node, alice, "400" + Whole, "DE89370400440532013000"); // Alice signs her own redemptions
        await PostAsync(node, keys, "rm", $"v1/issuance/redemptions/{redeem.Id}/paid", new PayoutPaidRequest { Reference = "FED-1", Holding = "bny" });
        await IssuanceTests.RedeemOkAsync(node, alice, "100" + Whole, "DE89370400440532013000");

        // Supply 500 after two burns; the bank holding paid out 400 of 1,000 → 600 eligible; the bill (4,900) does not count.
        var published = await LiabilitiesApiTests.PublishAsync(node, "NUSD");
        Assert.Equal((UInt128)500_000_000, published.Root.Total);

        var html = await node.Http.GetStringAsync("transparency/NUSD");
        Assert.Contains("500.00 NUSD", html, StringComparison.Ordinal);
        Assert.Contains("600.00 USD", html, StringComparison.Ordinal);
        Assert.Contains("120.00%", html, StringComparison.Ordinal);
        Assert.Contains("Treasury bills", html, StringComparison.Ordinal);
        Assert.Contains(published.Root.Hash.ToString(), html, StringComparison.Ordinal);

        var month = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var bytes = await node.Http.GetByteArrayAsync($"v1/coins/NUSD/reports/monthly?month={month}");
        var issuer = (await node.Http.GetFromJsonAsync<JsonObject>("v1/issuer"))!["address"]!.GetValue<string>();
        Assert.True(DisclosureSignature.Verify(bytes, Address.Parse(issuer)).IsValid);
        var report = JsonNode.Parse(bytes)!["report"]!;

        Assert.Equal("500" + Whole, report["supply"]!["circulating"]!.GetValue<string>());
        var reserves = report["reserves"]!;
        Assert.Equal("GENIUS", reserves["regime"]!.GetValue<string>());
        Assert.Equal("600" + Whole, reserves["eligible"]!.GetValue<string>());
        Assert.Equal("5500" + Whole, reserves["total"]!.GetValue<string>());
        var bills = reserves["categories"]!.AsArray().Single(c => c!["category"]!.GetValue<string>() == "treasury_bill")!;
        Assert.Equal("4900" + Whole, bills["total"]!.GetValue<string>());
        Assert.Equal("0", bills["eligible"]!.GetValue<string>());
        var bill = reserves["holdings"]!.AsArray().Single(h => h!["id"]!.GetValue<string>() == "912797LB1")!;
        Assert.False(bill["eligible"]!.GetValue<bool>());
        Assert.Equal("maturity_too_long", bill["code"]!.GetValue<string>());
        Assert.Equal("12000", report["coverage"]!["basisPoints"]!.GetValue<string>());
        Assert.Equal(published.Root.Hash.ToString(), report["liabilities"]!["root"]!["hash"]!.GetValue<string>());

        var redemptions = report["redemptions"]!;
        Assert.Equal(2, redemptions["requested"]!.GetValue<int>());
        Assert.Equal("500" + Whole, redemptions["amountRequested"]!.GetValue<string>());
        Assert.Equal(1, redemptions["paid"]!.GetValue<int>());
        Assert.Equal(1, redemptions["paidOnTime"]!.GetValue<int>());
        Assert.Equal(0, redemptions["paidLate"]!.GetValue<int>());
        Assert.Equal("400" + Whole, redemptions["amountPaid"]!.GetValue<string>());
        Assert.Equal(1, redemptions["openAtEnd"]!.GetValue<int>());
        Assert.Equal(0, redemptions["overdueAtEnd"]!.GetValue<int>());

        // Last month the coin did not exist yet: no report, with a code saying why.
        var previous = DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        using var old = await node.Http.GetAsync($"v1/coins/NUSD/reports/monthly?month={previous}");
        Assert.Equal(404, (int)old.StatusCode);
        Assert.Equal("report_before_coin", (await node.ReadProblemAsync(old)).Code);
        Assert.Contains("Backed 1:1 by USD reserves: 600.00 USD eligible for 500.00 NUSD in circulation.", html, StringComparison.Ordinal);
        Assert.Equal("backed", report["backing"]!["state"]!.GetValue<string>());
    }

    private static async Task<JsonObject> PostAsync(TestNode node, Dictionary<string, string> keys, string who, string path, object body)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keys[who]);
        using var response = await http.PostAsync(path, JsonContent.Create(body, body.GetType(), options: Json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
