namespace Centime.Node;

/// <summary>Node configuration. Defaults are safe for a developer machine: loopback only, data in ./centime-data.</summary>
public sealed class NodeOptions
{
    /// <summary>Default listen address: loopback only. Bind elsewhere only on purpose (<c>--urls</c>).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8402";

    /// <summary>Directory holding the journal, snapshots and the operator key.</summary>
    public string DataDirectory { get; set; } = "./centime-data";

    /// <summary>URLs Kestrel listens on.</summary>
    public string Urls { get; set; } = DefaultUrl;

    /// <summary>EIP-712 chainId of this ledger network (used in every coin's domain). 8402 by default.</summary>
    public ulong ChainId { get; set; } = 8402;

    /// <summary>Operator API key. When null, the key in &lt;data&gt;/operator.key is used, created on first start.</summary>
    public string? OperatorKey { get; set; }

    /// <summary>
    /// Sandbox mode (<c>centime node --sandbox</c>), off by default: coins created on this node are sandbox coins unless
    /// asked otherwise — unbacked test money the operator key may mint and move with plain transfers, shown as such on
    /// the transparency page. Outside sandbox mode the operator key mints nothing (minting goes through issuance) and
    /// debits no holder, and existing sandbox coins cannot be moved by operator transfers.
    /// </summary>
    public bool Sandbox { get; set; }

    /// <summary>
    /// Single-operator mode (<c>centime node --single-operator</c>), off by default: administrative changes (operators,
    /// roles, allowances, thresholds) need no second admin, and approvals only a different operator. The node journals
    /// the mode it starts in (audit trail) and the transparency page shows it. Default: multi-operator mode.
    /// </summary>
    public bool SingleOperator { get; set; }

    /// <summary>fsync every block (turn off only for throw-away benchmarks).</summary>
    public bool Fsync { get; set; } = true;

    /// <summary>Snapshot once this many commands are journaled above the newest snapshot on disk (0 = no command
    /// limit). Counted across restarts (see <see cref="Sequencing.SequencerOptions.SnapshotEveryCommands"/>).</summary>
    public long SnapshotEveryCommands { get; set; } = 2_000_000;

    /// <summary>Snapshot once this many blocks are journaled above the newest snapshot on disk (0 = no block limit).</summary>
    public long SnapshotEveryBlocks { get; set; } = 100_000;

    /// <summary>Publish a proof-of-liabilities root for every coin each time this many blocks have been added (0 = off).</summary>
    public ulong LiabilitiesEveryBlocks { get; set; }

    /// <summary>Publish a proof-of-liabilities root for every coin after this many minutes if the ledger moved (0 = off).</summary>
    public double LiabilitiesEveryMinutes { get; set; }

    /// <summary>Webhooks: delay before the first retry of a failed delivery; it doubles per failure up to <see cref="WebhookRetryMax"/> (jittered to ½–1×).</summary>
    public TimeSpan WebhookRetryFirst { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Webhooks: longest delay between retries. Deliveries are retried until they succeed, never skipped.</summary>
    public TimeSpan WebhookRetryMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Webhooks: time a receiver has to answer one delivery.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most listings the x402 discovery list holds (exactly; a full list refuses new ones, never evicts).</summary>
    public int X402DiscoveryCapacity { get; set; } = 10_000;

    /// <summary>Default of <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 4096;

    /// <summary>Most concurrent HTTP connections (Kestrel's limit; 0 = no limit). A flood of idle or slow connections
    /// cannot exhaust the node's sockets and memory; <c>centime node --max-connections</c>.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>Most concurrent server-sent-event streams (GET /v1/events).</summary>
    public int MaxEventStreams { get; set; } = 64;

    /// <summary>Minimum log level name for the console (Information by default): trace, debug, information, warning,
    /// error, critical or none (<c>centime node --log-level</c>).</summary>
    public string LogLevel { get; set; } = "Information";

    /// <summary>The value of <see cref="LogFormat"/> for one JSON object per line.</summary>
    public const string JsonLogs = "json";

    /// <summary>The value of <see cref="Store"/> for the journal on local disk (the default).</summary>
    public const string EmbeddedStore = "embedded";

    /// <summary>The value of <see cref="Store"/> for the journal on PostgreSQL (docs/replication.md).</summary>
    public const string PostgresStore = "postgres";

    /// <summary>Where blocks and snapshots are kept (<c>centime node --store</c>): <c>embedded</c> (segment files in the
    /// data directory, the default) or <c>postgres</c> (<see cref="PostgresConnectionString"/>; the data directory then
    /// holds only local files such as the operator key).</summary>
    public string Store { get; set; } = EmbeddedStore;

    /// <summary>Npgsql connection string of the PostgreSQL store (<c>centime node --pg</c>); several hosts with
    /// <c>Target Session Attributes=primary</c> find the primary after a database failover.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Follow the PostgreSQL store's leader instead of sequencing (<c>centime node --follow</c>): serve every read
    /// from blocks the leader appends (a bounded lag behind), refuse writes with <c>not_leader</c>, and take the lease
    /// over when the leader's expires.</summary>
    public bool Follow { get; set; }

    /// <summary>The URL clients reach this node at (<c>centime node --advertise-url</c>), kept in the PostgreSQL lease row
    /// while it leads so a follower's <c>not_leader</c> problem can name it (<c>leader</c>). By default the first of
    /// <see cref="Urls"/> when that names a host clients can use (not 0.0.0.0, [::], * or + and not port 0).</summary>
    public string? AdvertisedUrl { get; set; }

    /// <summary>How long the PostgreSQL leader lease lasts without renewal (<c>centime node --lease-seconds</c>).</summary>
    public TimeSpan PostgresLease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Console log format: <c>text</c> (one line each, default) or <c>json</c> (one JSON object per line, with
    /// its scopes, e.g. the request id, as properties) (<c>centime node --log-format</c>).</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>The level named by <paramref name="name"/>; <see cref="ArgumentException"/> for any other name (a typo
    /// must not silently log at another level).</summary>
    public static Microsoft.Extensions.Logging.LogLevel ParseLogLevel(string name) =>
        name.ToLowerInvariant() switch
        {
            "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
            "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
            "information" or "info" => Microsoft.Extensions.Logging.LogLevel.Information,
            "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
            "error" => Microsoft.Extensions.Logging.LogLevel.Error,
            "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
            "none" => Microsoft.Extensions.Logging.LogLevel.None,
            _ => throw new ArgumentException($"unknown log level '{name}': trace, debug, information, warning, error, critical or none", nameof(name)),
        };
}
