using System.Diagnostics;
using Centime.Journal;
using Centime.Ledger;
using Centime.Node.Api;
using Centime.Node.Sequencing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Centime.Node;

/// <summary>
/// The node: recovers the journal, starts the sequencer, serves the REST API. Owns everything it opens;
/// disposing it stops the HTTP server, commits what is queued, writes a snapshot and closes the journal.
/// </summary>
public sealed class CentimeNode : IAsyncDisposable
{
    private readonly BlockStore _journal;
    private readonly Sequencer _sequencer;

    private CentimeNode(WebApplication app, BlockStore journal, Sequencer sequencer, NodeContext context)
    {
        App = app;
        _journal = journal;
        _sequencer = sequencer;
        Context = context;
    }

    public WebApplication App { get; }

    public NodeContext Context { get; }

    /// <summary>The addresses Kestrel actually listens on (useful with port 0).</summary>
    public IReadOnlyList<string> Urls => App.Urls.ToList();

    /// <summary>The state machine's modules, in a fresh instance each call (the journal makes one set per state it builds;
    /// in-process cross-module tests use this one list, so they run exactly what a node runs).
    /// The disclosure module records month ends for the reports (docs/transparency.md §3).</summary>
    public static IReadOnlyList<LedgerModule> CreateModules() =>
        [new Centime.Issuance.IssuanceModule(), new Centime.Contracts.ContractModule(), new Centime.Exchange.ExchangeModule(), new Centime.Issuance.DisclosureModule(), new Centime.Agents.X402.ChannelModule(),
            new Centime.Compliance.ComplianceModule()];

    /// <summary>
    /// Opens the data directory (recovering the journal; throws <see cref="JournalCorruptException"/> on
    /// corruption) and builds the web application. Call <see cref="StartAsync"/> to listen.
    /// </summary>
    public static CentimeNode Create(NodeOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            // Every line carries a UTC date and, inside a request, its request id (a logging scope; docs/operations.md).
            const string Iso = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            if (options.LogFormat == NodeOptions.JsonLogs)
            {
                builder.Logging.AddJsonConsole(o =>
                {
                    o.IncludeScopes = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = Iso;
                });
            }
            else
            {
                builder.Logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.IncludeScopes = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = Iso + " ";
                });
            }

            builder.Logging.SetMinimumLevel(NodeOptions.ParseLogLevel(options.LogLevel));
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            // Hosting's own scope repeats Kestrel's connection trace id beside ours; ours is the one answered in X-Request-Id.
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 16 << 20;
            k.Limits.MaxConcurrentConnections = options.MaxConnections > 0 ? options.MaxConnections : null;
            Api.RequestLimits.Configure(k.Limits); // above the node's own limits, which answer problems (Api/RequestLimits.cs)
        });
        builder.Services.AddOpenApi("v1", Operations.OpenApiContract.Configure);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonDefaults.Options.PropertyNamingPolicy;
            o.SerializerOptions.DefaultIgnoreCondition = JsonDefaults.Options.DefaultIgnoreCondition;
        });

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Centime.Node");

        var data = Path.GetFullPath(options.DataDirectory);
        logger.LogInformation("Opening data directory {Data}", data);
        var sw = Stopwatch.StartNew();
        var lastLog = Stopwatch.StartNew();
        var progress = new Progress<RecoveryProgress>(p =>
        {
            if (lastLog.ElapsedMilliseconds > 1000)
            {
                lastLog.Restart();
                logger.LogInformation("Recovery {Phase}: {Done}/{Total}", p.Phase, p.Done, p.Total);
            }
        });
        var journal = OpenStore(options, data, progress, app.Services.GetRequiredService<ILoggerFactory>());
        if (options.Follow && options.Store != NodeOptions.PostgresStore)
        {
            journal.Dispose();
            throw new StoreException("--follow needs --store postgres: an embedded journal has no leader to follow.");
        }

        var r = journal.Recovery;
        logger.LogInformation("Recovered height {Height} in {Ms} ms (snapshot at {Snapshot}, {Replayed} blocks replayed)",
            journal.Height, sw.ElapsedMilliseconds, r.SnapshotHeight, r.BlocksReplayed);
        if (r.TruncatedBytes > 0)
        {
            logger.LogWarning("Cut a torn tail of {Bytes} bytes from {File} (a write interrupted by a crash; it was never acknowledged)", r.TruncatedBytes, r.TruncatedFile);
        }
        if (!options.Fsync)
        {
            logger.LogWarning("fsync is OFF: acknowledged transfers can be lost on power failure. Use only for throw-away benchmarks.");
        }

        var sequencer = new Sequencer(journal, new SequencerOptions { SnapshotEveryCommands = options.SnapshotEveryCommands, SnapshotEveryBlocks = options.SnapshotEveryBlocks },
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<Sequencer>());
        var key = options.OperatorKey;
        if (key is null)
        {
            key = OperatorKey.LoadOrCreate(data, out var created);
            logger.LogInformation("Operator API key in {Path} ({State}; owner-only permissions; never logged)",
                Path.Combine(data, OperatorKey.FileName), created ? "created" : "existing");
        }

        var context = new NodeContext(sequencer, options, key);
        JournalGovernanceMode(sequencer, options, logger);

        // First: the request id and the per-route figures cover every answer, problems and 500s included.
        var telemetry = new Operations.RequestTelemetry(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Centime.Requests"));
        telemetry.Install(app);
        Api.RequestLimits.Install(app);
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledProblemAsync));
        app.UseStatusCodePages(WriteStatusProblemAsync);
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (ProblemException ex)
            {
                await ProblemResults.Of(ex.Status, ex.Code, ex.Title, ex.Detail, ex.Index).ExecuteAsync(http);
            }
            catch (NotLeaderException ex) when (!http.Response.HasStarted)
            {
                // A follower takes no write (docs/replication.md): nothing was applied; the detail names the leader.
                var problem = new ProblemException(503, ProblemCodes.NotLeader, "Not the leader", ex.Message).ToProblem() with { Leader = LeaderUrl(ex.Leader) };
                await new ProblemResults.ProblemResult(problem).ExecuteAsync(http);
            }
            catch (InvalidOperationException ex) when (IsJsonReadError(ex) && !http.Response.HasStarted)
            {
                // The JSON reader could not give a value of the body as asked: an unpaired surrogate escape ("\ud800")
                // or invalid UTF-8 in a string, or a value of another JSON type than the field's. Bad input, never a
                // 500; parsers check types first, this is the net under all of them.
                await ProblemResults.Of(400, ProblemCodes.MalformedJson, "Malformed JSON",
                    "a value in the body cannot be read as its field requires (invalid UTF-8, an unpaired surrogate escape, or a wrong JSON type): " + ex.Message).ExecuteAsync(http);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex)
            {
                // Kestrel cut the body (too slow, too large, broken chunking): the transport failed, not the JSON.
                var (code, title) = ex.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => (ProblemCodes.PayloadTooLarge, "Payload too large"),
                    StatusCodes.Status408RequestTimeout => (ProblemCodes.RequestTimeout, "Request timeout"),
                    _ => (ProblemCodes.BadRequest, "Bad request"),
                };
                if (!http.Response.HasStarted)
                {
                    await ProblemResults.Of(ex.StatusCode, code, title, ex.Message).ExecuteAsync(http);
                }
            }
        });
        Api.EndpointAccess.Install(app, context);
        app.MapOpenApi("/openapi/{documentName}.json").Public();
        Endpoints.Map(app, context);
        IssuanceEndpoints.Map(app, context);
        ContractEndpoints.Map(app, context);
        var feed = new Events.EventFeed(sequencer);
        var webhooks = new Events.WebhookDispatcher(feed, options, data, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Centime.Webhooks"));
        app.Lifetime.ApplicationStarted.Register(webhooks.Start);
        app.Lifetime.ApplicationStopping.Register(() => webhooks.DisposeAsync().AsTask().GetAwaiter().GetResult());
        EventEndpoints.Map(app, context, feed, webhooks);
        Operations.MetricsEndpoint.Map(app, context, telemetry, feed, webhooks);
        ExchangeEndpoints.Map(app, context);
        ComplianceEndpoints.Map(app, context);
        Transparency.TransparencyFeature.Install(app, context, data);
        SignedEndpoints.Map(app, context);
        X402.FacilitatorEndpoints.Map(app, context);
        Api.EndpointAccess.Verify(app);
        logger.LogInformation("Signature recovery: {Backend}", Crypto.Secp256k1.Default.Name);

        return new CentimeNode(app, journal, sequencer, context);
    }

    /// <summary>Marker file in the data directory of a node on the PostgreSQL store: an embedded node refuses the
    /// directory (its blocks are not there), and a PostgreSQL node refuses a directory holding an embedded journal.</summary>
    public const string PostgresMarkerFile = "store.postgres";

    /// <summary>Opens the block store the options name, refusing a data directory that holds the other store's data.</summary>
    private static BlockStore OpenStore(NodeOptions options, string data, IProgress<RecoveryProgress> progress, ILoggerFactory loggers)
    {
        var marker = Path.Combine(data, PostgresMarkerFile);
        switch (options.Store)
        {
            case NodeOptions.EmbeddedStore:
                if (File.Exists(marker))
                {
                    throw new StoreException($"the data directory {data} belongs to a node on the PostgreSQL store ({PostgresMarkerFile}): its blocks are in PostgreSQL, not here. Start it with --store postgres --pg \"...\", or use an empty directory; nothing was modified.");
                }

                return Journal.Journal.Open(data, new JournalOptions { Fsync = options.Fsync, CreateModules = CreateModules }, progress);
            case NodeOptions.PostgresStore:
                if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
                {
                    throw new StoreException("--store postgres needs --pg \"<Npgsql connection string>\" (e.g. \"Host=db1,db2;Database=centime;Username=centime;Target Session Attributes=primary\").");
                }

                if (Directory.Exists(data) && Directory.EnumerateFiles(data, "journal-*.seg").Any())
                {
                    throw new StoreException($"the data directory {data} holds an embedded journal (journal-*.seg): a node on the PostgreSQL store keeps its blocks in PostgreSQL only, and mixing the two would fork the ledger. Use another --data directory; nothing was modified.");
                }

                Directory.CreateDirectory(data);
                var store = Storage.Postgres.PostgresStore.Open(new Storage.Postgres.PostgresStoreOptions
                {
                    ConnectionString = options.PostgresConnectionString,
                    LeaseDuration = options.PostgresLease,
                    CreateModules = CreateModules,
                    Logger = loggers.CreateLogger("Centime.Storage.Postgres"),
                    Follow = options.Follow,
                    // Named with its URL: a follower's not_leader answer tells clients where the leader listens.
                    NodeName = $"{Environment.MachineName}/{Environment.ProcessId} {options.AdvertisedUrl ?? options.Urls.Split(';')[0]}",
                }, progress);
                File.WriteAllText(marker, "This node keeps its blocks and snapshots in PostgreSQL (centime node --store postgres).\n");
                return store;
            default:
                throw new StoreException($"unknown store '{options.Store}': embedded or postgres");
        }
    }

    /// <summary>The leader's URL from its lease holder name (<c>host/process URL</c>), or null when it names none clients
    /// could use (a wildcard host such as 0.0.0.0, or port 0): the not_leader problem's <c>leader</c>.</summary>
    internal static string? LeaderUrl(string? holder)
    {
        var last = holder?[(holder.LastIndexOf(' ') + 1)..];
        return Uri.TryCreate(last, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Port > 0
               && url.Host is not ("0.0.0.0" or "[::]" or "::" or "*" or "+")
            ? url.GetLeftPart(UriPartial.Authority)
            : null;
    }

    /// <summary>
    /// The governance mode is part of the replicated state (approvals depend on it), so the node journals the mode it is
    /// started in whenever it differs from the state's; the command is in the audit trail.
    /// </summary>
    private static void JournalGovernanceMode(Sequencer sequencer, NodeOptions options, ILogger logger)
    {
        if (sequencer.IsFollower)
        {
            return; // the leader journals its own mode; a follower writes nothing
        }

        bool current;
        using (sequencer.ReadLock())
        {
            current = sequencer.State.Module<Centime.Issuance.IssuanceModule>()?.SingleOperator ?? options.SingleOperator;
        }

        if (current != options.SingleOperator)
        {
            var id = (UInt128)(ulong)System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, int.MaxValue) << 64 | (UInt128)(ulong)DateTime.UtcNow.Ticks;
            var command = new Centime.Issuance.SetGovernance(id, Centime.Issuance.IssuanceModule.SystemRequester, options.SingleOperator);
            var code = sequencer.SubmitAsync([Ledger.Command.Of(command)]).GetAwaiter().GetResult().Results[0].Code;
            if (code != Ledger.ResultCode.Ok)
            {
                throw new InvalidOperationException("Could not journal the governance mode: " + Ledger.ResultCodes.ToProblemCode(code));
            }
        }

        if (options.SingleOperator)
        {
            logger.LogWarning("Single-operator mode: administrative changes need no second admin (shown on the transparency page).");
        }

        if (options.Sandbox)
        {
            logger.LogWarning("Sandbox mode: coins created here are unbacked test coins the operator key can mint and move (shown on the transparency page).");
        }
    }

    /// <summary>Thrown by System.Text.Json while reading a value (its throw helpers are hidden from the trace's
    /// first frame, so <see cref="Exception.Source"/> does not name it; the trace does).</summary>
    private static bool IsJsonReadError(InvalidOperationException ex) =>
        ex.StackTrace?.Contains("at System.Text.Json.", StringComparison.Ordinal) == true;

    /// <summary>Bodiless errors from routing (no such route, wrong method, wrong media type) become problems too.</summary>
    private static Task WriteStatusProblemAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        var (code, title, detail) = http.Response.StatusCode switch
        {
            404 => ("route_not_found", "Not found", $"no endpoint {http.Request.Method} {http.Request.Path}; see /openapi/v1.json"),
            405 => ("method_not_allowed", "Method not allowed", $"{http.Request.Method} is not allowed on {http.Request.Path}"),
            415 => (ProblemCodes.UnsupportedMediaType, "Unsupported media type", "send 'Content-Type: application/json'"),
            var other => ("http_" + other.ToString(System.Globalization.CultureInfo.InvariantCulture), "Error", (string?)null),
        };
        return ProblemResults.Of(http.Response.StatusCode, code, title, detail).ExecuteAsync(http);
    }

    private static async Task WriteUnhandledProblemAsync(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is ProblemException p)
        {
            await ProblemResults.Of(p.Status, p.Code, p.Title, p.Detail, p.Index).ExecuteAsync(http);
            return;
        }

        // Never echo internal exception text: it may carry paths or secrets. The log has it.
        await ProblemResults.Of(500, "internal_error", "Internal error", "an unexpected error occurred; see the node log").ExecuteAsync(http);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => App.StartAsync(cancellationToken);

    /// <summary>Runs until Ctrl+C / SIGTERM, or until the ledger writer faults.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        await App.StartAsync(cancellationToken);
        var lifetime = App.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reg = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        using var reg2 = cancellationToken.Register(() => stopping.TrySetResult());
        await Task.WhenAny(stopping.Task, _sequencer.Stopped, _journal.Deposed);
        // A deposed PostgreSQL leader stops at once (the store logged why); its appends were already fenced.
        var faulted = _sequencer.Fault is not null || _journal.Deposed.IsFaulted;
        await DisposeAsync();
        return faulted ? 1 : 0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync();
        }
        catch (ObjectDisposedException)
        {
        }

        _sequencer.Dispose();
        _journal.Dispose();
        await App.DisposeAsync();
    }
}
