using System.CommandLine;
using Centime.Journal;
using Centime.Node;

namespace Centime.Cli;

internal static class NodeCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory (journal, snapshots, operator key)", DefaultValueFactory = _ => "./centime-data" };
        var urls = new Option<string>("--urls") { Description = "Listen URLs (loopback by default)", DefaultValueFactory = _ => NodeOptions.DefaultUrl };
        var chainId = new Option<ulong>("--chain-id") { Description = "EIP-712 chain id of this ledger network", DefaultValueFactory = _ => 8402 };
        var noFsync = new Option<bool>("--no-fsync") { Description = "Do not fsync blocks (benchmarks only: acknowledged data can be lost)" };
        var polBlocks = new Option<ulong>("--liabilities-every-blocks") { Description = "Publish a proof-of-liabilities root for every coin every N blocks (0 = off)" };
        var polMinutes = new Option<double>("--liabilities-every-minutes") { Description = "Publish a proof-of-liabilities root for every coin every N minutes if the ledger moved (0 = off)" };
        var sandbox = new Option<bool>("--sandbox") { Description = "Sandbox mode: coins created here are unbacked test coins the operator key may mint and move (shown on the transparency page). Off by default." };
        var singleOperator = new Option<bool>("--single-operator") { Description = "Single-operator mode: administrative changes need no second admin (journaled, shown on the transparency page). Off by default." };
        var logLevel = new Option<string>("--log-level") { Description = "Minimum log level: trace, debug, information, warning, error, critical, none", DefaultValueFactory = _ => "information" };
        logLevel.AcceptOnlyFromAmong("trace", "debug", "information", "warning", "error", "critical", "none");
        var logFormat = new Option<string>("--log-format") { Description = "Console logs as text lines or one JSON object per line (dates in UTC, request ids)", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var maxConnections = new Option<int>("--max-connections") { Description = "Most concurrent HTTP connections; further ones wait or are refused (0 = no limit)", DefaultValueFactory = _ => NodeOptions.DefaultMaxConnections };
        var store = new Option<string>("--store") { Description = "Where blocks are kept: embedded (segment files in --data) or postgres (--pg; docs/replication.md)", DefaultValueFactory = _ => NodeOptions.EmbeddedStore };
        store.AcceptOnlyFromAmong(NodeOptions.EmbeddedStore, NodeOptions.PostgresStore);
        var pg = new Option<string?>("--pg") { Description = "Npgsql connection string of the PostgreSQL store (several hosts with 'Target Session Attributes=primary' follow a database failover)" };
        var follow = new Option<bool>("--follow") { Description = "PostgreSQL store: follow the leader (serve reads, refuse writes with not_leader) and take over when its lease expires" };
        var advertiseUrl = new Option<string?>("--advertise-url") { Description = "PostgreSQL store: the URL clients reach this node at, named to them by followers while it leads (default: the first --urls entry)" };
        var leaseSeconds = new Option<double>("--lease-seconds") { Description = "PostgreSQL store: how long the leader lease lasts without renewal", DefaultValueFactory = _ => 10 };
        var command = new Command("node", "Run a ledger node (embedded storage by default, or PostgreSQL).") { data, urls, chainId, noFsync, polBlocks, polMinutes, sandbox, singleOperator, logLevel, logFormat, maxConnections, store, pg, leaseSeconds, follow, advertiseUrl };
        command.SetAction(async (parse, ct) =>
        {
            var options = new NodeOptions
            {
                DataDirectory = parse.GetValue(data)!,
                Urls = parse.GetValue(urls)!,
                ChainId = parse.GetValue(chainId),
                Fsync = !parse.GetValue(noFsync),
                LiabilitiesEveryBlocks = parse.GetValue(polBlocks),
                LiabilitiesEveryMinutes = parse.GetValue(polMinutes),
                LogLevel = parse.GetValue(logLevel)!,
                LogFormat = parse.GetValue(logFormat)!,
                Sandbox = parse.GetValue(sandbox),
                SingleOperator = parse.GetValue(singleOperator),
                MaxConnections = parse.GetValue(maxConnections),
                Store = parse.GetValue(store)!,
                PostgresConnectionString = parse.GetValue(pg),
                PostgresLease = TimeSpan.FromSeconds(parse.GetValue(leaseSeconds)),
                Follow = parse.GetValue(follow),
                AdvertisedUrl = parse.GetValue(advertiseUrl),
            };
            CentimeNode node;
            try
            {
                node = CentimeNode.Create(options);
            }
            catch (JournalCorruptException ex)
            {
                // Refuse to start: never guess over corruption (DESIGN.md §5).
                Console.Error.WriteLine($"centime: refusing to start: {ex.Message}");
                Console.Error.WriteLine("The journal must be restored from a replica or backup; nothing was modified.");
                return CliContext.ExitCorrupt;
            }
            catch (StoreException ex)
            {
                // Misconfigured or unreachable store, another leader, mixed data: say which and change nothing.
                Console.Error.WriteLine($"centime: refusing to start: {ex.Message}");
                return ex.Unreachable ? CliContext.ExitUnreachable : CliContext.ExitFailed;
            }

            Console.Error.WriteLine($"centime node listening on {options.Urls} (data: {Path.GetFullPath(options.DataDirectory)}). Ctrl+C to stop.");
            return await node.RunAsync(ct);
        });
        return command;
    }
}
