using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Centime.Storage.Postgres;
using Spectre.Console;

namespace Centime.Bench;

/// <summary>
/// <c>centime bench ledger --store postgres</c> (issue 14): the durable-batch phase on the embedded journal and on the
/// PostgreSQL store in the same run, single-transfer latency and recovery on PostgreSQL, and pgbench's TPC-B on the
/// same server as the ceiling of what PostgreSQL commits per second as a plain OLTP database. The bench starts its own
/// PostgreSQL (Debian's, in a temporary directory, default durability settings: fsync and synchronous_commit on).
/// </summary>
internal static partial class PostgresBench
{
    public static async Task<List<(string, string, string)>> RunAsync(string dir, int seconds, CancellationToken ct)
    {
        var rows = new List<(string, string, string)>();
        AnsiConsole.MarkupLine("[grey]starting a temporary PostgreSQL server[/]");
        using var server = TemporaryPostgres.Start(TimeSpan.FromSeconds(120));
        var version = server.BinDirectory.Split(Path.DirectorySeparatorChar).Reverse().Skip(1).FirstOrDefault() ?? "?";

        var (embedded, embeddedRate) = await LedgerBench.DurableBatchesAsync(Journal.Journal.Open(Path.Combine(dir, "durable")),
            "embedded journal: durable batches of 8,189", "fdatasync per block", seconds, ct);
        rows.AddRange(embedded);

        var db = server.CreateDatabase("bench");
        PostgresStore Open() => PostgresStore.Open(new PostgresStoreOptions { ConnectionString = db });
        var (postgres, postgresRate) = await LedgerBench.DurableBatchesAsync(Open(),
            "PostgreSQL store: durable batches of 8,189", $"PostgreSQL {version} on this machine, one INSERT … commit per group of blocks (WAL fsync)", seconds, ct);
        rows.AddRange(postgres);
        rows.Add(("  PostgreSQL store / embedded", $"{postgresRate / embeddedRate:P0}", "durable transfers/s, same run (goal ≥ 50%)"));

        rows.Add(await LedgerBench.SingleTransferLatencyAsync(Open(), "one PostgreSQL commit each", seconds, ct));

        var sw = Stopwatch.StartNew();
        using (var recovered = Open())
        {
            var elapsed = sw.Elapsed;
            rows.Add(("PostgreSQL store: recovery", $"{elapsed.TotalSeconds:F2} s",
                $"{recovered.State.TransferCount:N0} transfers in {recovered.Height:N0} blocks; snapshot at {recovered.Recovery.SnapshotHeight:N0}, {recovered.Recovery.BlocksReplayed:N0} blocks replayed, read from PostgreSQL"));
        }

        var tps = PgbenchTpcB(server, seconds);
        rows.Add(("pgbench TPC-B (same server)", $"{tps:N0} transactions/s", "pgbench -s 10, 8 clients, 2 threads, prepared statements: PostgreSQL's own commit ceiling here"));
        rows.Add(("  PostgreSQL store / pgbench TPC-B", $"{postgresRate / tps:N0}×", "durable transfers/s per TPC-B transaction/s (goal ≥ 250×)"));
        return rows;
    }

    private static double PgbenchTpcB(TemporaryPostgres server, int seconds)
    {
        var db = server.CreateDatabase("pgbench");
        var name = new Npgsql.NpgsqlConnectionStringBuilder(db).Database!;
        string[] connect = ["-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", "centime"];
        server.RunClientProgram("pgbench", TimeSpan.FromMinutes(5), [.. connect, "-i", "-q", "-s", "10", name]);
        var output = "";
        AnsiConsole.Status().Start($"pgbench TPC-B ({seconds} s)", _ =>
            output = server.RunClientProgram("pgbench", TimeSpan.FromSeconds(seconds + 120), [.. connect, "-c", "8", "-j", "2", "-M", "prepared", "-T", seconds.ToString(CultureInfo.InvariantCulture), name]));
        var match = TpsLine().Match(output);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException("pgbench printed no tps line:\n" + output);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}
