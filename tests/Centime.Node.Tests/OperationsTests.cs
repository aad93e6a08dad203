using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Centime.Client;

namespace Centime.Node.Tests;

/// <summary>Issue 13 "Operable" (docs/operations.md): /metrics scraped and parsed, a request id on every response and
/// request log line, JSON logs with UTC dates, --log-level — through a real node over loopback.</summary>
public sealed partial class OperationsTests
{
    private const string Transfers = "/v1/transfers";

    private static async Task<PrometheusText> ScrapeAsync(TestNode node)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        using var response = await anonymous.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<PrometheusText> ScrapeUntilAsync(TestNode node, Func<PrometheusText, bool> arrived)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var scraped = await ScrapeAsync(node);
            if (arrived(scraped) || DateTime.UtcNow > deadline)
            {
                return scraped;
            }

            await Task.Delay(50);
        }
    }

    private static async Task PayAsync(TestNode node, CoinInfo coin, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var r = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = coin.Symbol, Debit = Holders.Alice, Credit = Holders.Bob, Amount = "1" }]);
            Assert.Equal("ok", Assert.Single(r.Results).Result);
        }
    }

    [Fact]
    public async Task Metrics_Scraped_ParsedAndCountWhatTheNodeDid()
    {
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.Sandbox = true;
            o.WebhookRetryFirst = TimeSpan.FromMilliseconds(50);
            o.WebhookRetryMax = TimeSpan.FromMilliseconds(200);
        });
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice); // one POST /v1/transfers
        // A subscriber that never answers (nothing listens on port 9): its backlog grows.
        var hook = (await node.Client.CreateWebhookAsync(new WebhookSubscriptionRequest("http://127.0.0.1:9/hook", FromHeight: 1))).Webhook.Id;
        await PayAsync(node, coin, 5);
        using (var unknown = await node.Http.GetAsync("v1/no-such-route"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // Invented methods do not make new series: all are counted as method="other".
        foreach (var invented in new[] { "BREW", "X1", "X2" })
        {
            using var answer = await node.Http.SendAsync(new HttpRequestMessage(new HttpMethod(invented), "v1/health"));
            Assert.True((int)answer.StatusCode is 404 or 405, invented + ": " + answer.StatusCode);
        }

        // A request is counted when its middleware returns, which can be just after the client has read the answer:
        // scrape until the figures arrive (at most a few seconds), as Prometheus would on its next scrape.
        var post = new[] { ("method", "POST"), ("route", Transfers) };
        var first = await ScrapeUntilAsync(node, m => m.Find("centime_http_requests_total", [.. post, ("status", "200")]) >= 6
            && m.Has("centime_http_requests_total", ("route", "unmatched"))
            && m.Find("centime_webhook_backlog_blocks", ("subscription", hook)) >= 1);
        await PayAsync(node, coin, 1);
        var second = await ScrapeUntilAsync(node, m => m.Find("centime_http_requests_total", [.. post, ("status", "200")]) >= 7);
        var health = await node.Client.GetHealthAsync();

        // request rate and latency by route (the route template, not the path)
        Assert.Equal(6, first.Value("centime_http_requests_total", [.. post, ("status", "200")]));
        Assert.Equal(7, second.Value("centime_http_requests_total", [.. post, ("status", "200")]));
        Assert.Equal(6, first.Value("centime_http_request_duration_seconds_count", post));
        Assert.True(first.Value("centime_http_request_duration_seconds_sum", post) > 0);
        Assert.Equal(1, first.Value("centime_http_requests_total", ("method", "GET"), ("route", "unmatched"), ("status", "404")));
        Assert.True(second.Has("centime_http_requests_total", ("method", "GET"), ("route", "/metrics"), ("status", "200")));
        Assert.Equal(3, second.Samples.Where(s => s.Name == "centime_http_requests_total" && s.Labels["method"] == "other").Sum(s => s.Value));
        Assert.DoesNotContain(second.Samples, s => s.Labels.TryGetValue("method", out var m) && m is "BREW" or "X1" or "X2");
        Assert.DoesNotContain(second.Samples, s => s.Labels.TryGetValue("route", out var r) && r.Contains(Holders.Alice, StringComparison.OrdinalIgnoreCase));
        // block rate, commit latency, queue depth, fsync time, projection lag
        Assert.Equal(health.Height, second.Value("centime_blocks_total"));
        Assert.Equal(health.Height, second.Value("centime_durable_height"));
        Assert.Equal(first.Value("centime_blocks_total") + 1, second.Value("centime_blocks_total"));
        Assert.InRange(second.Value("centime_commit_latency_seconds_count"), 8, health.Height);
        Assert.True(second.Value("centime_commit_latency_seconds_sum") > 0);
        Assert.InRange(second.Value("centime_journal_fsync_seconds_count"), 1, health.Height);
        Assert.Equal(0, second.Value("centime_sequencer_queue_requests"));
        Assert.Equal(0, second.Value("centime_projection_lag_blocks"));
        Assert.Equal(health.Height, second.Value("centime_projected_height"));
        Assert.Equal(0, second.Value("centime_projection_failures_total"));
        // webhook backlog: the dead subscriber is behind by at least one block of events
        Assert.True(first.Value("centime_webhook_backlog_blocks", ("subscription", hook)) >= 1, "the dead subscriber's backlog never showed");
        Assert.Equal(0, first.Value("centime_webhook_delivered_total", ("subscription", hook)));
        Assert.Equal("histogram", second.Types["centime_commit_latency_seconds"]);
        Assert.Equal("counter", second.Types["centime_blocks_total"]);
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex GeneratedId();

    [Fact]
    public async Task RequestId_OnEveryResponse_ClientIdKeptWhenSafe()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        var responses = new List<(string What, HttpResponseMessage Response)>
        {
            ("200 read", await anonymous.GetAsync("v1/health")),
            ("201 write", await node.Http.PostAsJsonAsync("v1/coins", new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"))),
            ("401 no key", await anonymous.PostAsJsonAsync("v1/coins", new CreateCoinRequest("NEUR", "EUR", 6, "Net Euro", "1"))),
            ("404 route", await anonymous.GetAsync("v1/nope")),
            ("404 coin", await anonymous.GetAsync("v1/coins/NOPE")),
            ("405 method", await anonymous.DeleteAsync("v1/health")),
            ("400 malformed", await node.PostRawAsync("v1/transfers", "{\"transfers\":")),
            ("415 media type", await node.PostRawAsync("v1/transfers", "x", "text/plain")),
            ("metrics", await anonymous.GetAsync("metrics")),
            ("openapi", await anonymous.GetAsync("openapi/v1.json")),
        };

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (what, response) in responses)
        {
            Assert.True(response.Headers.TryGetValues("X-Request-Id", out var values), what + ": no X-Request-Id");
            var id = Assert.Single(values);
            Assert.True(GeneratedId().IsMatch(id), $"{what}: '{id}'");
            Assert.True(ids.Add(id), what + ": id repeated");
            response.Dispose();
        }

        async Task<string> AnsweredIdAsync(string? given)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/health");
            if (given is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Request-Id", given);
            }

            using var response = await anonymous.SendAsync(request);
            return Assert.Single(response.Headers.GetValues("X-Request-Id"));
        }

        Assert.Equal("caller-7.trace_A", await AnsweredIdAsync("caller-7.trace_A"));
        foreach (var unsafeId in new[] { "two words", "x\"y", "a/b", "<script>", new string('a', 65), "" })
        {
            var answered = await AnsweredIdAsync(unsafeId);
            Assert.True(GeneratedId().IsMatch(answered), $"'{unsafeId}' answered '{answered}'");
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex UtcDate();

    /// <summary>The real <c>centime node --log-format json --log-level …</c>: every line is one JSON object with a UTC
    /// date; lines written while serving a request carry its id; the level filters what is written.</summary>
    [Fact]
    public async Task Logs_JsonWithUtcDates_RequestIdOnRequestLines_LevelFilters()
    {
        async Task<List<JsonObject>> RunAsync(string level)
        {
            var data = Path.Combine(Path.GetTempPath(), "centime-logs-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var node = NodeProcess.Start(data, NodeProcess.FreePort(), "--log-format", "json", "--log-level", level);
                Assert.True(await node.WaitHealthyAsync(TimeSpan.FromSeconds(60)), node.Output);
                using var http = new HttpClient();
                using (var traced = new HttpRequestMessage(HttpMethod.Get, node.Url + "v1/coins/NOPE"))
                {
                    traced.Headers.Add("X-Request-Id", "trace-" + level);
                    using var answer = await http.SendAsync(traced);
                    Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
                }

                await Task.Delay(300); // the console logger writes on its own thread
                node.KillHard();
                return node.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(line =>
                    {
                        try
                        {
                            return JsonNode.Parse(line)!.AsObject();
                        }
                        catch (JsonException)
                        {
                            Assert.Fail("not a JSON log line: " + line);
                            throw;
                        }
                    }).ToList();
            }
            finally
            {
                try
                {
                    Directory.Delete(data, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        static string? RequestIdOf(JsonObject line) =>
            line["Scopes"] is JsonArray scopes ? scopes.OfType<JsonObject>().Select(s => s["RequestId"]?.GetValue<string>()).FirstOrDefault(id => id is not null) : null;

        var debug = await RunAsync("debug");
        var warning = await RunAsync("warning");

        Assert.NotEmpty(debug);
        foreach (var line in debug.Concat(warning))
        {
            Assert.True(UtcDate().IsMatch(line["Timestamp"]?.GetValue<string>() ?? ""), "no UTC date: " + line.ToJsonString());
            Assert.NotNull(line["LogLevel"]);
            Assert.NotNull(line["Category"]);
        }

        var requestLines = debug.Where(l => l["Category"]!.GetValue<string>() == "Centime.Requests").ToList();
        Assert.NotEmpty(requestLines);
        Assert.All(requestLines, l => Assert.NotNull(RequestIdOf(l)));
        var traced = Assert.Single(requestLines, l => RequestIdOf(l) == "trace-debug");
        Assert.Contains("/v1/coins/NOPE", traced["Message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("404", traced["Message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(debug, l => l["LogLevel"]!.GetValue<string>() == "Information");
        Assert.All(warning, l => Assert.Contains(l["LogLevel"]!.GetValue<string>(), new[] { "Warning", "Error", "Critical" }));
        Assert.DoesNotContain(warning, l => RequestIdOf(l) == "trace-warning");
    }

    [Fact]
    public async Task Logs_TextFormat_StartWithUtcDate_UnknownLevelRefused()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-logs-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var node = NodeProcess.Start(data, NodeProcess.FreePort()))
            {
                Assert.True(await node.WaitHealthyAsync(TimeSpan.FromSeconds(60)), node.Output);
                await Task.Delay(300);
                node.KillHard();
                var lines = node.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.NotEmpty(lines);
                Assert.All(lines.Where(l => !l.StartsWith(' ')), l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", l));
            }

            using var refused = NodeProcess.Start(data, NodeProcess.FreePort(), "--log-level", "loud");
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60))); // a usage error (docs/cli.md)
            Assert.Contains("loud", refused.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
