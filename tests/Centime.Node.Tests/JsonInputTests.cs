using System.Net.Http.Headers;
using System.Text;

namespace Centime.Node.Tests;

/// <summary>
/// Bodies that are JSON-ish but must not be taken at face value: repeated keys (money fields included), invalid
/// UTF-8, unpaired surrogate escapes, a missing flag that would default to false. Each write route refuses them with a 4xx problem and changes nothing.
/// </summary>
public sealed class JsonInputTests
{
    private const string Parties = "\"coin\":\"NUSD\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Bob + "\"";

    /// <summary>Route, body bytes, expected code. The bodies would otherwise be accepted (or reach the ledger).</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        { "v1/transfers", "{\"transfers\":[{\"id\":\"1\"," + Parties + ",\"amount\":\"1\",\"amount\":\"90\"}]}", "duplicate_field" },
        { "v1/transfers", "{\"transfers\":[{\"id\":\"1\"," + Parties + ",\"amount\":\"1\"}],\"transfers\":[{\"id\":\"2\"," + Parties + ",\"amount\":\"2\"}]}", "duplicate_field" },
        { "v1/transfers", "{\"transfers\":[{\"id\":\"1\",\"coin\":\"NU\\ud800SD\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"1\"}]}", "malformed_json" },
        { "v1/transfers", "{\"transfers\":[{\"id\":\"1\",\"coin\":\"NU\u00ffSD\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"1\"}]}", "malformed_json" },
        { "v1/coins", "{\"symbol\":\"EURX\",\"symbol\":\"GBPX\",\"currency\":\"EUR\"}", "duplicate_field" },
        { "v1/coins", "{\"symbol\":\"EU\\ud800\",\"currency\":\"EUR\"}", "malformed_json" },
        { "v1/coins", "{\"symbol\":\"EU\u00ffX\",\"currency\":\"EUR\"}", "malformed_json" },
        { "v1/issuance/coins/NUSD/orders", "{\"kind\":\"freeze\",\"kind\":\"unfreeze\",\"account\":\"" + Holders.Alice + "\",\"reference\":\"R-1\",\"reason\":\"fraud\"}", "duplicate_field" },
        { "v1/issuance/coins/NUSD/orders", "{\"kind\":\"freeze\",\"account\":\"" + Holders.Alice + "\",\"reference\":\"R-1\"}", "missing_field" },
        { "v1/issuance/coins/NUSD/orders", "{\"kind\":\"freeze\",\"account\":\"" + Holders.Alice + "\",\"reference\":\"R-\u00ff\",\"reason\":\"fraud\"}", "malformed_json" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WriteRoute_RepeatedKeyOrBadText_RefusedWithProblemAndNoChange(string route, string body, string code)
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true);
        await node.CoinWithHoldersAsync("NUSD", 100, Holders.Alice);
        await node.AssetProtectionAsync(); // lawful orders need asset protection's key (the operator key is refused)
        var before = await node.Anonymous.GetHealthAsync();

        // U+00FF in a case stands for the raw byte 0xFF: invalid UTF-8 on the wire (a string cannot carry it).
        using var content = new ByteArrayContent(WireBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", route.EndsWith("/orders", StringComparison.Ordinal) ? node.AssetProtectionKey : TestNode.OperatorKey);
        var response = await node.Http.SendAsync(request);
        var problem = await node.ReadProblemAsync(response);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(code, problem.Code);

        var after = await node.Anonymous.GetHealthAsync();
        Assert.Equal(before.Height, after.Height);
        Assert.Equal(before.Transfers, after.Transfers);
    }

    private static byte[] WireBytes(string body)
    {
        var utf8 = Encoding.UTF8.GetBytes(body);
        var wire = new List<byte>(utf8.Length);
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == 0xC3 && i + 1 < utf8.Length && utf8[i + 1] == 0xBF)
            {
                wire.Add(0xFF);
                i++;
            }
            else
            {
                wire.Add(utf8[i]);
            }
        }

        return [.. wire];
    }
}
