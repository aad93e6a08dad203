using System.Diagnostics;
using System.Text.Json;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Centime.Bench;

/// <summary>Options of `centime bench signed`.</summary>
public sealed class SignedBenchOptions
{
    public int Seconds { get; init; } = 5;
    public int Payers { get; init; } = 1000;
    public int BatchSize { get; init; } = 4096;
}

/// <summary>
/// `centime bench signed`: signature recovery per backend (one thread and all cores), then holder-signed
/// EIP-3009 transfers end to end: signed JSON over loopback HTTP → parse → recover (in parallel, before the
/// sequencer) → apply → fdatasync → response. Authorizations are signed and serialised before the clock
/// starts, so the figure is the node's cost, although the client shares the cores.
/// </summary>
public static class SignedBench
{
    public static async Task<int> RunAsync(SignedBenchOptions options, CancellationToken ct)
    {
        AnsiConsole.MarkupLine($"[bold]centime bench signed[/]: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {options.Seconds} s per phase; default backend: {Markup.Escape(Secp256k1.Default.Name)}");
        var rows = new List<(string What, string Figure, string Conditions)>();
        var backends = new List<ISecp256k1Backend>();
        if (Secp256k1.Native is { } native)
        {
            backends.Add(native);
        }

        backends.Add(Secp256k1.Managed);
        var seconds = Math.Max(1, options.Seconds);
        foreach (var backend in backends)
        {
            foreach (var threads in new[] { 1, Environment.ProcessorCount })
            {
                var m = SignatureBench.Measure(backend, TimeSpan.FromSeconds(Math.Max(1, seconds / 2.0)), threads);
                rows.Add(($"recovery, {backend.Name}", $"{m.PerSecond:N0} signatures/s",
                    $"{threads} thread(s), ecrecover + keccak of the public key; {m.PerCpuSecond:N0} per CPU-second of this process"));
            }
        }

        var dir = Path.Combine(Path.GetTempPath(), "centime-bench-signed-" + Guid.NewGuid().ToString("N"));
        try
        {
            rows.Add(await EndToEndAsync(dir, options, ct));
        }
        finally
        {
            BenchOutput.DeleteScratch(dir);
        }

        BenchOutput.PrintTable(rows);
        return 0;
    }

    private static async Task<(string, string, string)> EndToEndAsync(string dir, SignedBenchOptions options, CancellationToken ct)
    {
        const string key = "ck_bench_operator_key_000000000";
        await using var node = CentimeNode.Create(new NodeOptions { DataDirectory = dir, Urls = "http://127.0.0.1:0", OperatorKey = key, SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, Sandbox = true },
            l => l.SetMinimumLevel(LogLevel.Warning));
        await node.StartAsync(ct);
        using var client = new CentimeClient(new Uri(node.Urls[0] + "/"), key);
        var coin = await client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD"), ct);
        var payers = Enumerable.Range(0, options.Payers).Select(i => new HolderSigner(Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes("bench payer " + i)))).ToArray();
        await client.SubmitTransfersAsync(payers.Select((p, i) => new TransferRequest { Id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Coin = "NUSD", Debit = coin.SupplyAccount, Credit = p.Address.ToString(), Amount = "1000000000000" }).ToList(), ct);

        // Enough signed work for the phase at twice the target rate, signed on all cores before the clock starts.
        var count = Math.Max(options.BatchSize, 80_000 * options.Seconds) + (3 * options.BatchSize);
        var batches = (count + options.BatchSize - 1) / options.BatchSize;
        var bodies = new byte[batches][];
        var validBefore = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        var signed = 0;
        var signing = Task.Run(() => Parallel.For(0, batches, b =>
        {
            var items = new AuthorizationRequest[options.BatchSize];
            for (var i = 0; i < items.Length; i++)
            {
                var payer = payers[(b * options.BatchSize + i) % payers.Length];
                var payee = payers[(b * options.BatchSize + i + 1) % payers.Length].Address;
                items[i] = payer.SignAuthorization(coin.Domain, payee, 1, 0, validBefore);
                Interlocked.Increment(ref signed);
            }

            bodies[b] = JsonSerializer.SerializeToUtf8Bytes(new AuthorizationBatchRequest(items), json);
        }), ct);
        await LedgerBench.ProgressAsync($"signing {batches * options.BatchSize:N0} authorizations", 0, signing, () => signed / (double)(batches * options.BatchSize));

        using var http = new HttpClient { BaseAddress = new Uri(node.Urls[0] + "/"), Timeout = TimeSpan.FromMinutes(5) };
        // Warm-up (untimed): the first batches run while the JIT still compiles the request path.
        const int WarmUp = 3;
        for (var i = 0; i < Math.Min(WarmUp, bodies.Length - 1); i++)
        {
            using var content = new ByteArrayContent(bodies[i]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("v1/coins/NUSD/authorized-transfers", content, ct);
            response.EnsureSuccessStatusCode();
        }

        long ok = 0;
        long failed = 0;
        var next = Math.Min(WarmUp, bodies.Length - 1) - 1;
        var sw = Stopwatch.StartNew();
        var latencies = new List<double>();
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed.TotalSeconds < options.Seconds)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= bodies.Length)
                {
                    return;
                }

                var started = sw.Elapsed;
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync($"v1/coins/NUSD/authorized-transfers", content, ct);
                response.EnsureSuccessStatusCode();
                var result = (await JsonSerializer.DeserializeAsync<SignedBatchResponse>(await response.Content.ReadAsStreamAsync(ct), json, ct))!;
                Interlocked.Add(ref ok, result.Succeeded);
                Interlocked.Add(ref failed, result.Failed);
                lock (latencies)
                {
                    latencies.Add((sw.Elapsed - started).TotalMilliseconds);
                }
            }
        }, ct)).ToArray();
        await LedgerBench.ProgressAsync("holder-signed transfers over HTTP", options.Seconds, Task.WhenAll(workers));
        var elapsed = sw.Elapsed.TotalSeconds;
        latencies.Sort();
        var p50 = latencies.Count > 0 ? latencies[latencies.Count / 2] : 0;
        var p99 = latencies.Count > 0 ? latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))] : 0;
        if (failed > 0)
        {
            AnsiConsole.MarkupLine($"[yellow]warning[/] {failed:N0} authorizations failed");
        }

        return ("holder-signed transfers, end to end", $"{ok / elapsed:N0} transfers/s",
            $"EIP-3009 transferWithAuthorization, {ok:N0} applied in {elapsed:F1} s, JSON batches of {options.BatchSize:N0} over loopback HTTP, 3 clients in the same process, " +
            $"{options.Payers:N0} payers, recovery by {Secp256k1.Default.Name} in parallel before the sequencer, fdatasync per block; batch p50 {p50:F0} ms, p99 {p99:F0} ms (target ≥ 40,000/s)");
    }
}
