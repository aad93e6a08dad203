using System.Diagnostics;
using System.Runtime;
using Centime.Client;
using Centime.Ledger;
using Centime.Node;
using Centime.Node.Sequencing;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Centime.Bench;

/// <summary>Options of `centime bench ledger`.</summary>
public sealed class LedgerBenchOptions
{
    public int Seconds { get; init; } = 5;
    public int Accounts { get; init; } = 1_000_000;
    public string? Directory { get; init; }

    /// <summary><c>embedded</c> (every phase) or <c>postgres</c>: durable batches on the embedded journal and on a
    /// PostgreSQL the bench starts itself, side by side, single-transfer latency and recovery on PostgreSQL, and
    /// pgbench TPC-B on the same server for the ceiling.</summary>
    public string Store { get; init; } = "embedded";
}

/// <summary>
/// `centime bench ledger`: every figure DESIGN.md §6 asks of the ledger, printed with its conditions.
/// Phases: in-memory apply (one core), durable sequencer with 8,189-transfer blocks, single-transfer commit
/// latency under light load, HTTP JSON batch submission over loopback, replay (from genesis and from a
/// snapshot), memory per funded account.
/// </summary>
public static class LedgerBench
{
    private const int Batch = LedgerState.MaxBatchSize;
    private const int Holders = 10_000;

    public static async Task<int> RunAsync(LedgerBenchOptions options, CancellationToken ct)
    {
        var dir = options.Directory ?? Path.Combine(Path.GetTempPath(), "centime-bench-" + Guid.NewGuid().ToString("N"));
        var rows = new List<(string What, string Figure, string Conditions)>();
        AnsiConsole.MarkupLine($"[bold]centime bench ledger[/]: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {options.Seconds} s per phase, data in {Markup.Escape(dir)}");
        if (options.Store == "postgres")
        {
            try
            {
                rows.AddRange(await PostgresBench.RunAsync(dir, options.Seconds, ct));
            }
            finally
            {
                BenchOutput.DeleteScratch(dir);
            }

            BenchOutput.PrintTable(rows);
            return 0;
        }

        try
        {
            rows.Add(InMemoryApply(options.Seconds));
            rows.AddRange(await DurableBatchesAsync(dir, options.Seconds, ct));
            rows.Add(await SingleTransferLatencyAsync(dir, options.Seconds, ct));
            rows.AddRange(Replay(dir));
            rows.Add(await HttpBatchesAsync(Path.Combine(dir, "http"), options.Seconds, ct));
            rows.Add(MemoryPerAccount(options.Accounts));
        }
        finally
        {
            BenchOutput.DeleteScratch(dir);
        }

        BenchOutput.PrintTable(rows);
        return 0;
    }

    /// <summary>A state with one coin and <paramref name="holders"/> funded holders.</summary>
    internal static (LedgerState State, Address[] Holders) FundedState(int holders, UInt128 each)
    {
        var state = new LedgerState();
        var results = new CommandResult[Batch];
        state.ApplyBlock(1, state.NextTimestamp, [Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))], results);
        var supply = Coin.SupplyAccountOf("NUSD");
        var addresses = new Address[holders];
        for (var i = 0; i < holders; i++)
        {
            addresses[i] = Address.Derive("bench-holder-" + i);
        }

        var id = (UInt128)1 << 100;
        for (var start = 0; start < holders; start += Batch)
        {
            var n = Math.Min(Batch, holders - start);
            var commands = new Command[n];
            for (var i = 0; i < n; i++)
            {
                commands[i] = Command.Of(new Transfer { Id = id++, DebitAccount = supply, CreditAccount = addresses[start + i], Amount = each, Coin = 1, Code = 1 });
            }

            state.ApplyBlock(state.Height + 1, state.NextTimestamp, commands, results);
        }

        return (state, addresses);
    }

    /// <summary>Pre-built batches of random holder-to-holder transfers with unique ids.</summary>
    internal static Command[][] TransferBatches(Address[] holders, int batches, int size, ref UInt128 nextId, int seed)
    {
        var random = new Random(seed);
        var all = new Command[batches][];
        for (var b = 0; b < batches; b++)
        {
            var commands = new Command[size];
            for (var i = 0; i < size; i++)
            {
                var from = random.Next(holders.Length);
                var to = random.Next(holders.Length - 1);
                if (to >= from)
                {
                    to++;
                }

                commands[i] = Command.Of(new Transfer { Id = nextId++, DebitAccount = holders[from], CreditAccount = holders[to], Amount = 1, Coin = 1, Code = 1 });
            }

            all[b] = commands;
        }

        return all;
    }

    private static (string, string, string) InMemoryApply(int seconds)
    {
        var (state, holders) = FundedState(Holders, 1_000_000_000);
        UInt128 id = 1;
        var results = new CommandResult[Batch];
        long applied = 0;
        var applyTicks = 0L;
        var applyCpuNs = 0L;
        var wall = Stopwatch.StartNew();
        var warmup = true;
        Progress($"in-memory apply ({seconds} s)", seconds + 1, until =>
        {
            while (wall.Elapsed < until)
            {
                // Generating batches is not part of apply: only the ApplyBlock calls are timed.
                var batches = TransferBatches(holders, 16, Batch, ref id, (int)(ulong)id);
                foreach (var batch in batches)
                {
                    var cpu0 = ThreadCpuNanoseconds();
                    var t0 = Stopwatch.GetTimestamp();
                    state.ApplyBlock(state.Height + 1, state.NextTimestamp, batch, results);
                    if (!warmup)
                    {
                        applyTicks += Stopwatch.GetTimestamp() - t0;
                        applyCpuNs += ThreadCpuNanoseconds() - cpu0;
                        applied += Batch;
                    }
                }

                if (warmup && wall.Elapsed.TotalSeconds >= 1)
                {
                    warmup = false;
                }
            }
        });
        var rate = applied / (applyTicks / (double)Stopwatch.Frequency);
        var perCpu = applyCpuNs > 0 ? $"; {applied / (applyCpuNs / 1e9):N0} per CPU-second of the applying thread (wall time counts time the thread waited for a core)" : "";
        return ("state machine apply, in memory", $"{rate:N0} transfers/s", $"one thread, {Holders:N0} funded holders, batches of {Batch:N0}, {applied:N0} transfers timed after 1 s warm-up{perCpu} (target ≥ 5,000,000/s)");
    }

    /// <summary>CPU time the calling thread has run (Linux: /proc/thread-self/schedstat), or 0 where unavailable.
    /// On a shared machine this tells apply's cost apart from time spent waiting for a core.</summary>
    internal static long ThreadCpuNanoseconds()
    {
        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            var end = text.IndexOf(' ', StringComparison.Ordinal);
            return long.Parse(end < 0 ? text : text[..end], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static async Task<List<(string, string, string)>> DurableBatchesAsync(string dir, int seconds, CancellationToken ct)
    {
        var (rows, _) = await DurableBatchesAsync(Journal.Journal.Open(Path.Combine(dir, "durable")), "durable node, batches of 8,189", "fdatasync per block", seconds, ct);
        return rows;
    }

    /// <summary>Durable batches of 8,189 transfers from 3 submitters through the sequencer onto <paramref name="journal"/>
    /// (disposed at the end); returns the rows and the rate.</summary>
    internal static async Task<(List<(string, string, string)> Rows, double Rate)> DurableBatchesAsync(Journal.BlockStore journal, string label, string durability, int seconds, CancellationToken ct,
        Func<Sequencer, Task>? prepare = null)
    {
        using var sequencer = new Sequencer(journal, new SequencerOptions { SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, SnapshotOnShutdown = false });
        var supply = Coin.SupplyAccountOf("NUSD");
        await sequencer.SubmitAsync([Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))]);
        var holders = Enumerable.Range(0, Holders).Select(i => Address.Derive("bench-holder-" + i)).ToArray();
        UInt128 id = 1;
        for (var start = 0; start < Holders; start += Batch)
        {
            var n = Math.Min(Batch, Holders - start);
            await sequencer.SubmitAsync(Enumerable.Range(start, n).Select(i => Command.Of(new Transfer
            { Id = id++, DebitAccount = supply, CreditAccount = holders[i], Amount = 1_000_000_000, Coin = 1, Code = 1 })).ToArray());
        }

        if (prepare is not null)
        {
            await prepare(sequencer);
        }

        // Pre-build enough batches for the whole run so generation does not compete with the writer.
        var estimate = Math.Max(64, seconds * 200);
        var batches = TransferBatches(holders, estimate, Batch, ref id, 2);
        var latencies = new List<double>();
        var next = -1;
        long committed = 0;
        var sw = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var clients = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed < deadline)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= batches.Length)
                {
                    return;
                }

                var t0 = Stopwatch.GetTimestamp();
                var receipt = await sequencer.SubmitAsync(batches[i]);
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(ms);
                }

                Interlocked.Add(ref committed, receipt.Results.Length);
            }
        }, ct)).ToArray();
        await ProgressAsync($"durable batches ({seconds} s)", seconds, Task.WhenAll(clients));
        var elapsed = sw.Elapsed.TotalSeconds;
        latencies.Sort();
        var height = sequencer.State.Height;
        sequencer.Dispose();
        journal.Dispose();
        return (
        [
            (label, $"{committed / elapsed:N0} transfers/s", $"{durability}, 3 submitters, {height:N0} blocks (target ≥ 1,000,000/s)"),
            ("  batch commit latency", $"p50 {Percentile(latencies, 0.50):F2} ms, p99 {Percentile(latencies, 0.99):F2} ms", "submit → durable, including queueing behind other batches (target p99 ≤ 10 ms)"),
        ], committed / elapsed);
    }

    private static Task<(string, string, string)> SingleTransferLatencyAsync(string dir, int seconds, CancellationToken ct) =>
        SingleTransferLatencyAsync(Journal.Journal.Open(Path.Combine(dir, "durable")), "fdatasync each", seconds, ct);

    /// <summary>Sequential single transfers under light load onto <paramref name="journal"/> (which holds the durable
    /// phase's funded holders; disposed at the end, after a snapshot).</summary>
    internal static async Task<(string, string, string)> SingleTransferLatencyAsync(Journal.BlockStore journal, string durability, int seconds, CancellationToken ct)
    {
        using var sequencer = new Sequencer(journal, new SequencerOptions { SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, SnapshotOnShutdown = true });
        var holders = Enumerable.Range(0, 100).Select(i => Address.Derive("bench-holder-" + i)).ToArray();
        UInt128 id = (UInt128)1 << 90;
        var latencies = new List<double>();
        var sw = Stopwatch.StartNew();
        var run = Task.Run(async () =>
        {
            var i = 0;
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                var t = new Transfer { Id = id++, DebitAccount = holders[i % 100], CreditAccount = holders[(i + 1) % 100], Amount = 1, Coin = 1, Code = 1 };
                i++;
                var t0 = Stopwatch.GetTimestamp();
                await sequencer.SubmitAsync([Command.Of(t)]);
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                await Task.Delay(1, ct); // light load: one transfer at a time, ~500/s
            }
        }, ct);
        await ProgressAsync($"single-transfer latency ({seconds} s)", seconds, run);
        latencies.Sort();
        sequencer.Dispose();
        journal.Dispose();
        return ("one transfer, light load", $"p50 {Percentile(latencies, 0.50):F3} ms, p99 {Percentile(latencies, 0.99):F3} ms",
            $"{latencies.Count:N0} sequential single-transfer requests, {durability} (target p99 ≤ 1 ms)");
    }

    private static List<(string, string, string)> Replay(string dir)
    {
        var path = Path.Combine(dir, "durable");
        // With the snapshot written at the end of the latency phase: only later blocks replay (none, or few).
        var sw = Stopwatch.StartNew();
        var withSnapshot = Journal.Journal.Open(path);
        var snapshotTime = sw.Elapsed;
        var transfers = withSnapshot.State.TransferCount;
        var height = withSnapshot.Height;
        var hash = withSnapshot.State.ComputeStateHash();
        withSnapshot.Dispose();

        // From genesis: hide the snapshots.
        var hidden = Path.Combine(dir, "hidden-snapshots");
        System.IO.Directory.CreateDirectory(hidden);
        foreach (var f in System.IO.Directory.GetFiles(path).Where(f => !f.EndsWith(".seg", StringComparison.Ordinal)))
        {
            File.Move(f, Path.Combine(hidden, Path.GetFileName(f)));
        }

        sw.Restart();
        var genesis = Journal.Journal.Open(path);
        var genesisTime = sw.Elapsed;
        var same = genesis.State.ComputeStateHash() == hash;
        genesis.Dispose();
        return
        [
            ("replay from genesis", $"{transfers / genesisTime.TotalSeconds:N0} transfers/s", $"{transfers:N0} transfers in {height:N0} blocks, {genesisTime.TotalSeconds:F2} s incl. checksum scan; state hash equal to live: {same}"),
            ("recovery with snapshot", $"{snapshotTime.TotalSeconds:F2} s", $"{transfers:N0} transfers in state (target: 10,000,000 transfers in ≤ 10 s)"),
        ];
    }

    private static async Task<(string, string, string)> HttpBatchesAsync(string dir, int seconds, CancellationToken ct)
    {
        const string key = "ck_bench_operator_key_000000000";
        await using var node = CentimeNode.Create(new NodeOptions { DataDirectory = dir, Urls = "http://127.0.0.1:0", OperatorKey = key, SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, Sandbox = true },
            l => l.SetMinimumLevel(LogLevel.Warning));
        await node.StartAsync(ct);
        using var client = new CentimeClient(new Uri(node.Urls[0] + "/"), key);
        var coin = await client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD"), ct);
        var holders = Enumerable.Range(0, 1000).Select(i => Address.Derive("bench-http-" + i).ToString()).ToArray();
        await client.SubmitTransfersAsync(holders.Select((h, i) => new TransferRequest { Id = (i + 1).ToString(), Coin = "NUSD", Debit = coin.SupplyAccount, Credit = h, Amount = "1000000000000" }).ToList(), ct);

        // Bodies are serialised up front (UTF-8 bytes): the client's cost is not the node's. Every transfer needs a fresh
        // id, so the phase ends early when they run out; enough for the phase at ~400,000 transfers/s (≈ 1.2 MB each).
        var random = new Random(3);
        long nextId = 1_000_000;
        var bodies = Enumerable.Range(0, Math.Clamp(seconds * 50, 24, 500)).Select(_ =>
        {
            var sb = new System.Text.StringBuilder("{\"transfers\":[");
            for (var i = 0; i < Batch; i++)
            {
                var from = random.Next(holders.Length);
                var to = (from + 1 + random.Next(holders.Length - 1)) % holders.Length;
                sb.Append(i == 0 ? "" : ",").Append("{\"id\":\"").Append(nextId++).Append("\",\"coin\":\"NUSD\",\"debit\":\"").Append(holders[from])
                  .Append("\",\"credit\":\"").Append(holders[to]).Append("\",\"amount\":\"1\"}");
            }

            return System.Text.Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
        }).ToArray();

        using var http = new HttpClient { BaseAddress = new Uri(node.Urls[0] + "/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        long sent = 0;
        var sw = Stopwatch.StartNew();
        var next = -1;
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= bodies.Length)
                {
                    return;
                }

                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("v1/transfers", content, ct);
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref sent, Batch);
            }
        }, ct)).ToArray();
        await ProgressAsync("HTTP JSON batches", seconds, Task.WhenAll(workers));
        var rate = sent / sw.Elapsed.TotalSeconds;
        return ("HTTP batch submission (JSON, loopback)", $"{rate:N0} transfers/s",
            $"{sent:N0} transfers in batches of {Batch:N0}, 3 concurrent clients in the same process, fdatasync per block (target ≥ 300,000/s)");
    }

    private static (string, string, string) MemoryPerAccount(int accounts)
    {
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        var before = GC.GetTotalMemory(true);
        LedgerState? state = null;
        Progress($"memory: {accounts:N0} funded accounts", 1, _ => state = FundedState(accounts, 1_000_000).State);
        var after = GC.GetTotalMemory(true);
        var perAccount = (after - before) / (double)accounts;
        GC.KeepAlive(state);
        return ("memory per funded account", $"{perAccount:N0} bytes",
            $"{accounts:N0} accounts each funded by one mint (account + its transfer record + indexes); 10,000,000 accounts ≈ {perAccount * 10_000_000 / (1 << 30):F2} GiB (target ≤ 2 GiB)");
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private static void Progress(string label, int seconds, Action<TimeSpan> work)
    {
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask(label, maxValue: seconds);
            var sw = Stopwatch.StartNew();
            for (var s = 1; s <= seconds; s++)
            {
                work(TimeSpan.FromSeconds(s));
                task.Value = Math.Min(seconds, sw.Elapsed.TotalSeconds);
            }
        });
        AnsiConsole.MarkupLine($"[grey]done: {Markup.Escape(label)}[/]");
    }

    /// <summary>Shows a progress bar until <paramref name="work"/> ends: by elapsed time out of
    /// <paramref name="seconds"/>, or by <paramref name="fraction"/> (0..1) when given.</summary>
    internal static async Task ProgressAsync(string label, int seconds, Task work, Func<double>? fraction = null)
    {
        await AnsiConsole.Progress().AutoClear(true).StartAsync(async ctx =>
        {
            var task = ctx.AddTask(label, maxValue: fraction is null ? seconds : 1);
            var sw = Stopwatch.StartNew();
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, Task.Delay(200));
                task.Value = fraction is null ? Math.Min(seconds, sw.Elapsed.TotalSeconds) : Math.Clamp(fraction(), 0, 1);
            }
        });
        await work;
        AnsiConsole.MarkupLine($"[grey]done: {Markup.Escape(label)}[/]");
    }
}
