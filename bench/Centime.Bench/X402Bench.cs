using System.Diagnostics;
using System.Globalization;
using System.Net;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node;
using Centime.Node.X402;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Eip712Domain = Centime.Client.Eip712Domain;

namespace Centime.Bench;

/// <summary>Options of `centime bench x402`.</summary>
public sealed class X402BenchOptions
{
    public int Seconds { get; init; } = 5;
    public int Concurrency { get; init; } = 64;
    public int Payers { get; init; } = 1000;
}

/// <summary>
/// `centime bench x402`: an ASP.NET Core API with one free and one priced endpoint (the middleware of
/// Centime.Agents) in front of a durable node (fsync per block), driven over loopback HTTP by clients in the
/// same process. Figures: unpaid req/s and latency; <c>exact</c>-scheme paid req/s (verify, handler, settle as a
/// durable ledger transfer, PAYMENT-RESPONSE) with the facilitator in process and over HTTP (the node's
/// /x402); <c>centime-hashchain</c> paid req/s (one channel per client); added latency p50/p99 paid vs unpaid,
/// one request at a time. Payments are signed before the clock
/// starts (the payer's cost is not the server's), so the figures are the server side's, although the clients
/// share the cores.
/// </summary>
public static class X402Bench
{
    private const string Key = "ck_bench_operator_key_000000000";

    public static async Task<int> RunAsync(X402BenchOptions options, CancellationToken ct)
    {
        AnsiConsole.MarkupLine($"[bold]centime bench x402[/]: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {options.Seconds} s per phase, " +
                               $"{options.Concurrency} concurrent clients; signatures: {Markup.Escape(Secp256k1.Default.Name)}");
        // Readers of the ledger state (the facilitator's nonce and balance check) wait while a block is being made
        // durable; enough pool threads keep those short waits from starving the HTTP server.
        ThreadPool.GetMinThreads(out var workerThreads, out var ioThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, options.Concurrency * 2), ioThreads);
        var dir = Path.Combine(Path.GetTempPath(), "centime-bench-x402-" + Guid.NewGuid().ToString("N"));
        var rows = new List<(string What, string Figure, string Conditions)>();
        try
        {
            await using var node = CentimeNode.Create(new NodeOptions { DataDirectory = dir, Urls = "http://127.0.0.1:0", OperatorKey = Key, SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, Sandbox = true },
                l => l.SetMinimumLevel(LogLevel.Warning));
            await node.StartAsync(ct);
            var nodeUrl = node.Urls[0] + "/";
            using var client = new CentimeClient(new Uri(nodeUrl), Key);
            var coin = await client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"), ct);
            var payers = Enumerable.Range(0, options.Payers).Select(i => new HolderSigner(Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes("x402 bench payer " + i)))).ToArray();
            await client.SubmitTransfersAsync(payers.Select((p, i) => new TransferRequest
            {
                Id = (i + 1).ToString(CultureInfo.InvariantCulture),
                Coin = "NUSD",
                Debit = coin.SupplyAccount,
                Credit = p.Address.ToString(),
                Amount = "1000000000000",
            }).ToList(), ct);
            var merchant = new HolderSigner(Keccak256.Hash("x402 bench merchant"u8)).Address;
            var asset = X402Asset.From(coin);

            var inProcess = new NodeFacilitator(node.Context);
            using var overHttp = new HttpFacilitatorClient(new Uri(nodeUrl + "x402"));
            await using var apiLocal = await StartApiAsync(inProcess, asset, merchant);
            await using var apiHttp = await StartApiAsync(overHttp, asset, merchant);

            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
            var seconds = Math.Max(1, options.Seconds);

            // Warm-up: JIT, connections, coin lookup, offers.
            var warm = Sign(payers, asset, merchant, apiLocal, 2000);
            await DriveAsync(http, apiLocal.Url("free"), null, options.Concurrency, 1, ct);
            await DriveAsync(http, apiLocal.Url("paid"), warm, options.Concurrency, 1, ct);
            await DriveAsync(http, apiHttp.Url("paid"), Sign(payers, asset, merchant, apiHttp, 1000), options.Concurrency, 1, ct);

            var free = await DriveAsync(http, apiLocal.Url("free"), null, options.Concurrency, seconds, ct);
            rows.Add(("unpaid endpoint", $"{free.Rate:N0} req/s", $"{options.Concurrency} clients; latency p50 {free.P50:F2} ms, p99 {free.P99:F2} ms"));

            var budget = 25_000 * seconds;
            var local = await DriveAsync(http, apiLocal.Url("paid"), await SignWithProgressAsync(payers, asset, merchant, apiLocal, budget), options.Concurrency, seconds, ct);
            rows.Add(("exact paid, facilitator in process", $"{local.Rate:N0} paid req/s",
                $"{options.Concurrency} clients; verify + handler + settle (durable ledger transfer, fsync per block); p50 {local.P50:F2} ms, p99 {local.P99:F2} ms; {local.Failed} failed (target ≥ 15,000/s)"));

            var remote = await DriveAsync(http, apiHttp.Url("paid"), await SignWithProgressAsync(payers, asset, merchant, apiHttp, budget), options.Concurrency, seconds, ct);
            rows.Add(("exact paid, facilitator over HTTP", $"{remote.Rate:N0} paid req/s",
                $"{options.Concurrency} clients; the node's POST /x402/verify and /x402/settle over loopback; p50 {remote.P50:F2} ms, p99 {remote.P99:F2} ms; {remote.Failed} failed"));

            // High-frequency scheme: one channel per client, opened by its first request; then one keccak per request.
            await using var apiHf = await StartApiAsync(inProcess, asset, merchant, hashChain: true);
            var perClient = Math.Max(1000, 100_000 * seconds / options.Concurrency);
            var channels = await SignChannelsAsync(payers, asset, merchant, apiHf, options.Concurrency, perClient);
            var hf = await DriveChannelsAsync(http, apiHf.Url("paid"), channels, seconds, ct);
            var settleWatch = Stopwatch.StartNew();
            var unsettled = apiHf.Options.Channels.UnsettledUnits;
            await apiHf.Options.Channels.SettleAsync(inProcess, cancellationToken: ct);
            rows.Add(("centime-hashchain paid", $"{hf.Rate:N0} paid req/s",
                $"{options.Concurrency} clients, one channel each (opened by the first request: EIP-3009 deposit); one keccak per request; p50 {hf.P50:F2} ms, p99 {hf.P99:F2} ms; " +
                $"{hf.Failed} failed; {unsettled:N0} words settled as {apiHf.Options.Channels.Count} ledger transfers in {settleWatch.Elapsed.TotalMilliseconds:F0} ms (target ≥ 50,000/s)"));

            // Added latency: one request at a time, paid vs the same server's free endpoint.
            var freeSerial = await DriveAsync(http, apiLocal.Url("free"), null, 1, seconds, ct);
            var paidSerial = await DriveAsync(http, apiLocal.Url("paid"), await SignWithProgressAsync(payers, asset, merchant, apiLocal, 10_000 * seconds), 1, seconds, ct);
            rows.Add(("added latency, exact (in process)", $"p50 +{paidSerial.P50 - freeSerial.P50:F2} ms, p99 +{paidSerial.P99 - freeSerial.P99:F2} ms",
                $"1 client; unpaid p50 {freeSerial.P50:F3} / p99 {freeSerial.P99:F3} ms, paid p50 {paidSerial.P50:F3} / p99 {paidSerial.P99:F3} ms (includes one fsync'd block per payment; target p99 ≤ 2 ms)"));
        }
        finally
        {
            BenchOutput.DeleteScratch(dir);
        }

        BenchOutput.PrintTable(rows);
        return 0;
    }

    private sealed class Api(WebApplication app, string baseUrl, X402Options options) : IAsyncDisposable
    {
        public X402Options Options { get; } = options;

        public string Url(string path) => baseUrl + path;

        public string Resource(string path) => baseUrl + path;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<Api> StartApiAsync(IX402Facilitator facilitator, X402Asset asset, Address merchant, bool hashChain = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var options = new X402Options { Facilitator = facilitator, Assets = new StaticAssetDirectory(asset), PayTo = merchant.ToString(), EnableHashChain = hashChain };
        app.UseX402(options);
        app.MapGet("/free", () => Results.Text("{\"ok\":true}", "application/json"));
        app.MapGet("/paid", () => Results.Text("{\"ok\":true}", "application/json")).RequirePayment("0.000001", asset.Symbol, "bench");
        await app.StartAsync();
        return new Api(app, app.Urls.First() + "/", options);
    }

    private static async Task<string[]> SignWithProgressAsync(HolderSigner[] payers, X402Asset asset, Address merchant, Api api, int count)
    {
        string[] headers = [];
        var task = Task.Run(() => headers = Sign(payers, asset, merchant, api, count));
        await LedgerBench.ProgressAsync($"signing {count:N0} payments", 0, task, () => 0);
        return headers;
    }

    /// <summary>The server's offer of one unit of the asset under <paramref name="scheme"/>, the coin's signing
    /// domain, and the paid resource, as a client sees them after the 402.</summary>
    private static (PaymentRequirements Offer, Eip712Domain Domain, ResourceInfo Resource) Offer(string scheme, X402Asset asset, Address merchant, Api api) =>
        (new PaymentRequirements
        {
            Scheme = scheme,
            Network = asset.Network,
            Amount = "1",
            Asset = asset.Address,
            PayTo = merchant.ToString(),
            MaxTimeoutSeconds = 60,
            Extra = new Dictionary<string, System.Text.Json.JsonElement>
            {
                ["name"] = System.Text.Json.JsonSerializer.SerializeToElement(asset.Name),
                ["version"] = System.Text.Json.JsonSerializer.SerializeToElement(asset.Version),
            },
        },
        new Eip712Domain(asset.Name, asset.Version, asset.ChainId, asset.Address),
        new ResourceInfo { Url = api.Resource("paid"), Description = "bench" });

    /// <summary>PAYMENT-SIGNATURE headers as @x402/fetch builds them, signed on all cores.</summary>
    private static string[] Sign(HolderSigner[] payers, X402Asset asset, Address merchant, Api api, int count)
    {
        var (offer, domain, resource) = Offer("exact", asset, merchant, api);
        var validBefore = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        var headers = new string[count];
        Parallel.For(0, count, i =>
        {
            var a = payers[i % payers.Length].SignAuthorization(domain, merchant, 1, 0, validBefore);
            var exact = new ExactEvmPayload
            {
                Signature = a.Signature!,
                Authorization = new ExactEvmAuthorization { From = a.From, To = a.To, Value = a.Value, ValidAfter = a.ValidAfter, ValidBefore = a.ValidBefore, Nonce = a.Nonce },
            };
            headers[i] = X402Headers.Encode(new PaymentPayload
            {
                X402Version = 2,
                Resource = resource,
                Accepted = offer,
                Payload = System.Text.Json.JsonSerializer.SerializeToElement(exact, X402Headers.Json),
                Extensions = [],
            });
        });
        return headers;
    }

    /// <summary>Per client: a channel's payments in order (the first opens it), as a client sends them.</summary>
    private static async Task<string[][]> SignChannelsAsync(HolderSigner[] payers, X402Asset asset, Address merchant, Api api, int clients, int capacity)
    {
        string[][] result = [];
        var task = Task.Run(() =>
        {
            var (offer, domain, resource) = Offer(HashChain.Scheme, asset, merchant, api);
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            result = new string[clients][];
            Parallel.For(0, clients, c =>
            {
                var payer = payers[c % payers.Length];
                var words = HashChain.Generate(HolderSigner.NewNonce(), capacity);
                var expiry = now + 3600;
                var id = HashChain.ChannelId(payer.Address, merchant, Address.Parse(asset.Address), asset.ChainId, 1, (ulong)capacity, words[0], expiry);
                var terms = new ChannelTerms
                {
                    Payer = payer.Address.ToString(),
                    PayTo = merchant.ToString(),
                    Asset = asset.Address,
                    Network = asset.Network,
                    Unit = "1",
                    Capacity = capacity,
                    Root = words[0].ToString(),
                    Expiry = (long)expiry,
                };
                var a = payer.SignAuthorization(domain, HashChain.Escrow(id), (ulong)capacity, 0, now + 600, id);
                var deposit = new ExactEvmPayload
                {
                    Signature = a.Signature!,
                    Authorization = new ExactEvmAuthorization { From = a.From, To = a.To, Value = a.Value, ValidAfter = a.ValidAfter, ValidBefore = a.ValidBefore, Nonce = a.Nonce },
                };
                var headers = new string[capacity];
                for (var i = 1; i <= capacity; i++)
                {
                    headers[i - 1] = X402Headers.Encode(new PaymentPayload
                    {
                        X402Version = 2,
                        Resource = resource,
                        Accepted = offer,
                        Extensions = [],
                        Payload = System.Text.Json.JsonSerializer.SerializeToElement(new HashChainPayload
                        {
                            ChannelId = id.ToString(),
                            Index = i,
                            Word = words[i].ToString(),
                            Terms = i == 1 ? terms : null,
                            Deposit = i == 1 ? deposit : null,
                        }, X402Headers.Json),
                    });
                }

                result[c] = headers;
            });
        });
        await LedgerBench.ProgressAsync($"building {clients} channels of {capacity:N0} words", 0, task, () => 0);
        return result;
    }

    /// <summary>Each client sends its channel's payments in order.</summary>
    private static async Task<Phase> DriveChannelsAsync(HttpClient http, string url, string[][] channels, double seconds, CancellationToken ct)
    {
        long ok = 0;
        long failed = 0;
        var latencies = new List<double>[channels.Length];
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, channels.Length).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(8192);
            var payments = channels[w];
            for (var i = 0; i < payments.Length && sw.Elapsed.TotalSeconds < seconds; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.TryAddWithoutValidation(X402Headers.PaymentSignature, payments[i]);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = sw.Elapsed.TotalSeconds;
        var all = latencies.Where(l => l is not null).SelectMany(l => l).ToList();
        all.Sort();
        return new Phase(ok / elapsed, all.Count > 0 ? all[all.Count / 2] : 0, all.Count > 0 ? all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))] : 0, failed);
    }

    private readonly record struct Phase(double Rate, double P50, double P99, long Failed);

    /// <summary>Requests from <paramref name="concurrency"/> clients until the time or the payments run out.</summary>
    private static async Task<Phase> DriveAsync(HttpClient http, string url, string[]? payments, int concurrency, double seconds, CancellationToken ct)
    {
        long ok = 0;
        long failed = 0;
        var next = -1;
        var latencies = new List<double>[concurrency];
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(4096);
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (payments is not null)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= payments.Length)
                    {
                        return;
                    }

                    request.Headers.TryAddWithoutValidation(X402Headers.PaymentSignature, payments[i]);
                }

                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode == HttpStatusCode.OK && (payments is null || response.Headers.Contains(X402Headers.PaymentResponse)))
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = sw.Elapsed.TotalSeconds;
        var all = latencies.Where(l => l is not null).SelectMany(l => l).ToList();
        all.Sort();
        var p50 = all.Count > 0 ? all[all.Count / 2] : 0;
        var p99 = all.Count > 0 ? all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))] : 0;
        return new Phase(ok / elapsed, p50, p99, failed);
    }
}
