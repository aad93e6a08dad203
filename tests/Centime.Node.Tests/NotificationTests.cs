using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Centime.Node.Tests;

/// <summary>Notifications over real loopback HTTP (docs/events.md): signed webhooks with retries, restart, and the SSE stream.</summary>
public sealed class NotificationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>One request a receiver got.</summary>
    private sealed record Delivery(string EventId, string Type, string Signature, int Attempt, byte[] Body, long AtMs, int Answered);

    /// <summary>A small Kestrel receiver on 127.0.0.1 that answers 500 to the first <see cref="FailFirst"/> requests (and to all while <see cref="Down"/>).</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _seen;

        private Receiver(WebApplication app) => _app = app;

        public int FailFirst { get; init; }
        public volatile bool Down;
        public ConcurrentQueue<Delivery> Deliveries { get; } = new();
        public string Url => _app.Urls.First() + "/hook";

        /// <summary>Deliveries the receiver accepted (2xx), in order.</summary>
        public List<Delivery> Accepted => Deliveries.Where(d => d.Answered == 200).ToList();

        public static async Task<Receiver> StartAsync(int failFirst = 0)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new Receiver(app) { FailFirst = failFirst };
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var buffer = new MemoryStream();
                await http.Request.Body.CopyToAsync(buffer);
                var n = Interlocked.Increment(ref receiver._seen);
                var status = n <= receiver.FailFirst || receiver.Down ? 500 : 200;
                var h = http.Request.Headers;
                receiver.Deliveries.Enqueue(new Delivery(h["X-Centime-Event-Id"].ToString(), h["X-Centime-Event-Type"].ToString(), h["X-Centime-Signature"].ToString(),
                    int.Parse(h["X-Centime-Delivery-Attempt"].ToString(), CultureInfo.InvariantCulture), buffer.ToArray(), receiver._clock.ElapsedMilliseconds, status));
                return Results.StatusCode(status);
            });
            await app.StartAsync();
            return receiver;
        }

        public async Task<List<Delivery>> WaitAcceptedAsync(Func<List<Delivery>, bool> done)
        {
            var until = Stopwatch.StartNew();
            while (until.Elapsed < Patience)
            {
                var accepted = Accepted;
                if (done(accepted))
                {
                    return accepted;
                }

                await Task.Delay(50);
            }

            throw new TimeoutException($"the receiver got {Deliveries.Count} requests, accepted {Accepted.Count}");
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static void FastRetries(NodeOptions o)
    {
        o.WebhookRetryFirst = TimeSpan.FromMilliseconds(100);
        o.WebhookRetryMax = TimeSpan.FromMilliseconds(800);
        o.WebhookTimeout = TimeSpan.FromSeconds(5);
    }

    private static async Task<(string Id, byte[] Secret)> SubscribeAsync(TestNode node, object request)
    {
        using var response = await node.Http.PostAsJsonAsync("v1/webhooks", request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var created = JsonNode.Parse(text)!;
        return (created["webhook"]!["id"]!.GetValue<string>(), Convert.FromHexString(created["secret"]!.GetValue<string>()));
    }

    private static async Task PayAsync(TestNode node, string from, string to, ulong amount, string id)
    {
        var r = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = id, Coin = "NUSD", Debit = from, Credit = to, Amount = amount.ToString(CultureInfo.InvariantCulture) }]);
        Assert.Equal("ok", r.Results.Single().Result);
    }

    private static void AssertSigned(Delivery d, byte[] secret)
    {
        var parts = d.Signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var signed = Encoding.ASCII.GetBytes(parts["t"] + ".").Concat(d.Body).ToArray();
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(secret, signed)), parts["v1"]);
        Assert.Equal(d.EventId, JsonNode.Parse(d.Body)!["id"]!.GetValue<string>());
    }

    private static (ulong Height, int Index) Parse(string id)
    {
        var parts = id.Split('-');
        return (ulong.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Webhook_ReceiverFailsFirstDeliveries_RetriedWithBackoffSameEventIdThenInOrder()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 3);
        await using var node = await TestNode.StartSandboxAsync(configure: FastRetries);
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        var (_, secret) = await SubscribeAsync(node, new { url = receiver.Url, types = new[] { "transfer" }, account = Holders.Bob });

        for (var i = 1; i <= 3; i++)
        {
            await PayAsync(node, Holders.Alice, Holders.Bob, (ulong)(i * 1000), Ids.Next());
        }

        await PayAsync(node, Holders.Alice, Holders.Carol, 7, Ids.Next()); // another account: filtered out
        var accepted = await receiver.WaitAcceptedAsync(a => a.Count >= 3);
        var all = receiver.Deliveries.ToList();

        // The first event failed three times, then went through: four attempts, one event id, the same bytes.
        var first = all.Take(4).ToList();
        Assert.All(first, d => Assert.Equal(first[0].EventId, d.EventId));
        Assert.All(first, d => Assert.Equal(first[0].Body, d.Body));
        Assert.Equal([1, 2, 3, 4], first.Select(d => d.Attempt));
        Assert.Equal([500, 500, 500, 200], first.Select(d => d.Answered));

        // Exponential backoff: retry n waits at least half of 100 ms × 2^(n−1) (jitter is ½–1×).
        for (var n = 1; n <= 3; n++)
        {
            var gap = first[n].AtMs - first[n - 1].AtMs;
            var floor = 100 * (1 << (n - 1)) / 2;
            Assert.True(gap >= floor - 5, $"retry {n} came after {gap} ms; backoff promises at least {floor} ms");
        }

        // Every event signed with the subscription's secret; delivered in ledger order, amounts as paid, Carol's left out.
        Assert.All(all, d => AssertSigned(d, secret));
        Assert.Equal(3, accepted.Count);
        Assert.Equal(accepted.Select(d => d.EventId).Distinct().Count(), accepted.Count);
        Assert.True(accepted.Select(d => Parse(d.EventId)).SequenceEqual(accepted.Select(d => Parse(d.EventId)).Order()));
        Assert.Equal(["1000", "2000", "3000"], accepted.Select(d => JsonNode.Parse(d.Body)!["transfer"]!["amount"]!.GetValue<string>()));
        Assert.All(accepted, d => Assert.Equal("transfer", d.Type));

        // The subscription is listed without its secret, with its delivery state (updated just after the receiver answers).
        var list = "";
        for (var i = 0; i < 100 && !list.Contains("\"delivered\":3", StringComparison.Ordinal); i++)
        {
            await Task.Delay(20);
            list = await node.Http.GetStringAsync("v1/webhooks");
        }

        Assert.DoesNotContain(Convert.ToHexStringLower(secret), list, StringComparison.Ordinal);
        Assert.Contains("\"delivered\":3", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_Subscriptions_NeedAnAdmin()
    {
        await using var node = await TestNode.StartSandboxAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        using var response = await anonymous.PostAsJsonAsync("v1/webhooks", new { url = "http://127.0.0.1:9/hook" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await node.ReadProblemAsync(response)).Code);
        using var listed = await anonymous.GetAsync("v1/webhooks");
        Assert.Equal(HttpStatusCode.Unauthorized, listed.StatusCode);

        using var bad = await node.Http.PostAsJsonAsync("v1/webhooks", new { url = "ftp://example.org/x" });
        Assert.Equal("invalid_field", (await node.ReadProblemAsync(bad)).Code);
        using var badType = await node.Http.PostAsJsonAsync("v1/webhooks", new { url = "http://127.0.0.1:9/hook", types = new[] { "nope" } });
        Assert.Equal("invalid_field", (await node.ReadProblemAsync(badType)).Code);
        Assert.Equal("""{"items":[],"next":null}""", await node.Http.GetStringAsync("v1/webhooks"));
    }

    [Fact]
    public async Task Webhook_NodeRestarted_ResumesFromItsCursorWithoutLosingEvents()
    {
        await using var receiver = await Receiver.StartAsync();
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        string subscription;
        List<string> before;
        string pendingId;
        var first = await TestNode.StartSandboxAsync(data, FastRetries);
        try
        {
            var node = first;
            await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
            (subscription, _) = await SubscribeAsync(node, new { url = receiver.Url, types = new[] { "transfer" } });
            await PayAsync(node, Holders.Alice, Holders.Bob, 1, Ids.Next());
            await PayAsync(node, Holders.Alice, Holders.Bob, 2, Ids.Next());
            before = (await receiver.WaitAcceptedAsync(a => a.Count >= 2)).Select(d => d.EventId).ToList();

            // The receiver goes down: these are committed but not delivered when the node stops.
            receiver.Down = true;
            await PayAsync(node, Holders.Alice, Holders.Bob, 3, Ids.Next());
            await PayAsync(node, Holders.Alice, Holders.Bob, 4, Ids.Next());
            var until = Stopwatch.StartNew();
            while (!receiver.Deliveries.Any(d => d.Answered == 500) && until.Elapsed < Patience)
            {
                await Task.Delay(20);
            }

            pendingId = receiver.Deliveries.First(d => d.Answered == 500).EventId;
        }
        finally
        {
            await first.StopAsync(); // keeps the data directory
        }

        Assert.True(File.Exists(Path.Combine(data, "webhooks", subscription + ".cursor")));
        receiver.Down = false;
        var seenBeforeRestart = receiver.Deliveries.Count;
        await using (var node = await TestNode.StartSandboxAsync(data, FastRetries))
        {
            var accepted = await receiver.WaitAcceptedAsync(a => a.Count >= 4);
            var after = receiver.Deliveries.Skip(seenBeforeRestart).Where(d => d.Answered == 200).ToList();

            // Nothing delivered before the stop came again; the pending event kept its id; amounts 3 and 4 arrived once.
            Assert.DoesNotContain(after, d => before.Contains(d.EventId));
            Assert.Equal(pendingId, after[0].EventId);
            Assert.Equal(["3", "4"], after.Select(d => JsonNode.Parse(d.Body)!["transfer"]!["amount"]!.GetValue<string>()));
            Assert.Equal(["1", "2", "3", "4"], accepted.Select(d => JsonNode.Parse(d.Body)!["transfer"]!["amount"]!.GetValue<string>()));

            // The subscription survived the restart; event ids are the ones the stream derives from the same blocks.
            Assert.Contains(subscription, await node.Http.GetStringAsync("v1/webhooks"), StringComparison.Ordinal);
            var streamed = await ReadStreamAsync(node, "v1/events?types=transfer&fromHeight=1", null, 5); // the mint, then 1–4
            Assert.Equal(accepted.Select(d => d.EventId), streamed.Skip(1).Select(e => e.Id));
        }
    }

    private sealed record StreamedEvent(string Id, string Type, JsonNode Data);

    /// <summary>Reads <paramref name="count"/> events from the SSE stream with HttpClient (optionally resuming after <paramref name="lastEventId"/>).</summary>
    private static async Task<List<StreamedEvent>> ReadStreamAsync(TestNode node, string path, string? lastEventId, int count)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var cts = new CancellationTokenSource(Patience);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<StreamedEvent>();
        string? id = null, type = null, data = null;
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the stream ended");
            if (line.Length == 0)
            {
                if (id is not null)
                {
                    events.Add(new StreamedEvent(id, type!, JsonNode.Parse(data!)!));
                }

                id = type = data = null;
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }

        return events;
    }

    [Fact]
    public async Task EventStream_ReadWithHttpClient_LiveAndResumedWithLastEventId()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        var head = JsonNode.Parse(await node.Http.GetStringAsync("v1/health"))!["height"]!.GetValue<ulong>();

        // Live: the stream starts at the next block and gets what is committed after the request.
        var live = ReadStreamAsync(node, "v1/events?types=transfer&account=" + Holders.Bob, null, 3);
        await Task.Delay(200);
        for (var i = 1; i <= 4; i++)
        {
            await PayAsync(node, Holders.Alice, Holders.Bob, (ulong)i, Ids.Next());
        }

        var three = await live;
        Assert.Equal(["1", "2", "3"], three.Select(e => e.Data["transfer"]!["amount"]!.GetValue<string>()));
        Assert.All(three, e => Assert.Equal("transfer", e.Type));
        Assert.All(three, e => Assert.Equal(e.Id, e.Data["id"]!.GetValue<string>()));
        Assert.All(three, e => Assert.True(Parse(e.Id).Height > head));

        // Resume after the second: the third and fourth come next, with the same ids.
        var resumed = await ReadStreamAsync(node, "v1/events?types=transfer&account=" + Holders.Bob, three[1].Id, 2);
        Assert.Equal(three[2].Id, resumed[0].Id);
        Assert.Equal(three[2].Data.ToJsonString(), resumed[0].Data.ToJsonString());
        Assert.Equal("4", resumed[1].Data["transfer"]!["amount"]!.GetValue<string>());

        using var bad = await node.Http.GetAsync("v1/events?types=nope");
        Assert.Equal("invalid_field", (await node.ReadProblemAsync(bad)).Code);
    }

    [Fact]
    public async Task EventStream_ContractFilter_CreatedEventStepsInOrder()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Holders.Alice);
        var document = new
        {
            id = "5150",
            kind = "split",
            coin = "NUSD",
            amount = "1001",
            parties = new Dictionary<string, string> { ["buyer"] = Holders.Alice, ["seller"] = Holders.Bob, ["platform"] = Holders.Carol },
            payer = "buyer",
            recipients = new[] { new { party = "seller", bps = 9000 }, new { party = "platform", bps = 1000 } },
        };
        using var created = await node.Http.PostAsJsonAsync("v1/contracts", document);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        var events = await ReadStreamAsync(node, "v1/events?contract=5150&fromHeight=1", null, 4);
        Assert.Equal(["contract.created", "contract.step", "contract.step", "contract.step"], events.Select(e => e.Type));
        Assert.Equal(["fund", "split", "split"], events.Skip(1).Select(e => e.Data["step"]!.GetValue<string>()));
        Assert.Equal(["1001", "901", "100"], events.Skip(1).Select(e => e.Data["amount"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("5150", e.Data["contract"]!.GetValue<string>()));
    }
}
