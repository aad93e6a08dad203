using System.Collections.Concurrent;
using Centime.Client;
using Centime.Journal;
using Centime.Storage.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Centime.Node.Tests;

/// <summary>One real PostgreSQL 15 server (Debian's, started by the tests in a temporary directory on a loopback port)
/// for the whole run; every test gets its own database. Killed on dispose, even when a test fails.</summary>
public sealed class PostgresFixture : IDisposable
{
    private readonly Lazy<TemporaryPostgres> _server = new(() => TemporaryPostgres.Start(TimeSpan.FromSeconds(60)));

    public TemporaryPostgres Server => _server.Value;

    public void Dispose()
    {
        if (_server.IsValueCreated)
        {
            _server.Value.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>
/// The journal on PostgreSQL (issue 14, docs/replication.md): a node on the postgres store restarts from the database
/// alone; a SIGKILLed node loses nothing it acknowledged; a second leader is refused and a deposed one appends nothing;
/// bad configuration is refused with a clear message and changes nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres, ITestOutputHelper output) : IDisposable
{
    // Every data directory a test made, removed when the test ends (tests of one collection run one at a time, and
    // each test has stopped its nodes and processes by then).
    private static readonly ConcurrentQueue<string> s_directories = new();

    private static string TempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "centime-pgtest-" + Guid.NewGuid().ToString("N"));
        s_directories.Enqueue(directory);
        return directory;
    }

    public void Dispose()
    {
        while (s_directories.TryDequeue(out var directory))
        {
            foreach (var path in new[] { directory }.Concat(Directory.GetDirectories(Path.GetTempPath(), Path.GetFileName(directory) + "-*")))
            {
                try
                {
                    if (Directory.Exists(path))
                    {
                        Directory.Delete(path, recursive: true);
                    }
                }
                catch (IOException)
                {
                    // best effort: a directory still in use stays behind in the temp folder
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static Action<NodeOptions> OnPostgres(string connectionString, Action<NodeOptions>? more = null) => o =>
    {
        o.Store = NodeOptions.PostgresStore;
        o.PostgresConnectionString = connectionString;
        o.PostgresLease = TimeSpan.FromSeconds(2);
        more?.Invoke(o);
    };

    /// <summary>Mints in batches; returns the id of the last transfer.</summary>
    private static async Task<string> MintAsync(TestNode node, string coin, int batches, int perBatch)
    {
        var last = "";
        var supply = Centime.Ledger.Coin.SupplyAccountOf(coin).ToString();
        for (var b = 0; b < batches; b++)
        {
            var transfers = Enumerable.Range(0, perBatch).Select(i => new TransferRequest
            {
                Id = Ids.Next(),
                Coin = coin,
                Debit = supply,
                Credit = Centime.Ledger.Address.Derive($"pg-{coin}-{i % 7}").ToString(),
                Amount = (1 + i).ToString(),
            }).ToList();
            var r = await node.Client.SubmitTransfersAsync(transfers);
            Assert.All(r.Results, x => Assert.Equal("ok", x.Result));
            last = transfers[^1].Id;
        }

        return last;
    }

    [Fact]
    public async Task NewNode_WithAnEmptyDirectory_ReachesTheSameStateHashFromPostgresAlone()
    {
        var db = postgres.Server.CreateDatabase();
        Centime.Ledger.Hash32 hash;
        ulong height;
        string lastId;
        await using (var first = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db, o => o.SnapshotEveryBlocks = 3)))
        {
            await first.Client.CreateCoinAsync(new CreateCoinRequest("PGUSD", "USD"));
            lastId = await MintAsync(first, "PGUSD", batches: 8, perBatch: 50);
            using (var view = first.Node.Context.Read())
            {
                hash = view.State.ComputeStateHash();
                height = view.Height;
            }
        }

        Assert.True(height >= 9, $"height {height}");
        using (var connection = Unpooled(db))
        {
            connection.Open();
            using var count = new NpgsqlCommand("SELECT count(*), max(height), (SELECT count(*) FROM centime_snapshots) FROM centime_blocks", connection);
            using var reader = count.ExecuteReader();
            reader.Read();
            Assert.Equal((long)height, reader.GetInt64(0));
            Assert.Equal((long)height, reader.GetInt64(1));
            Assert.InRange(reader.GetInt64(2), 1, 2); // the two newest are kept
        }

        // Another machine: nothing local at all, same database.
        await using var second = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db));
        using (var view = second.Node.Context.Read())
        {
            Assert.Equal(height, view.Height);
            Assert.Equal(hash, view.State.ComputeStateHash());
        }

        Assert.True(second.Node.Context.Sequencer.Journal.Recovery.SnapshotHeight > 0, "recovery started from a snapshot stored in PostgreSQL");
        var transfer = await second.Client.GetTransferAsync(lastId);
        Assert.Equal("PGUSD", transfer.Coin);
        var block = await second.Client.GetBlockAsync(height);
        Assert.Equal(height, block.Height);
    }

    [Fact]
    public async Task SecondLeader_IsRefusedWithAClearError_AndAppendsNothing()
    {
        var db = postgres.Server.CreateDatabase();
        await using var leader = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db));
        await leader.Client.CreateCoinAsync(new CreateCoinRequest("TWO", "USD"));
        var before = leader.Node.Context.Sequencer.DurableHeight;
        var ex = await Assert.ThrowsAsync<StoreException>(() => TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db)));
        output.WriteLine(ex.Message);
        Assert.Contains("another node holds the leader lease", ex.Message, StringComparison.Ordinal);
        await MintAsync(leader, "TWO", 1, 5); // the leader was not disturbed
        Assert.Equal(before + 1, leader.Node.Context.Sequencer.DurableHeight);
    }

    [Fact]
    public async Task DeposedLeader_AppendsNothing_StopsAndSaysWhy_NoForkNoDuplicateHeight()
    {
        var db = postgres.Server.CreateDatabase();
        await using var old = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db));
        await old.Client.CreateCoinAsync(new CreateCoinRequest("FENCE", "USD"));
        await MintAsync(old, "FENCE", 2, 10);

        // A newer leader takes the lease (as a node whose predecessor's lease expired would: term + 1).
        using (var connection = Unpooled(db))
        {
            connection.Open();
            using var take = new NpgsqlCommand("UPDATE centime_lease SET term = term + 1, holder = 'usurper', expires_at = now() + interval '1 hour'", connection);
            Assert.Equal(1, take.ExecuteNonQuery());
        }

        var heightBefore = BlockCount(db);
        var supply = Centime.Ledger.Coin.SupplyAccountOf("FENCE").ToString();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => old.Client.SubmitTransfersAsync(
            [new TransferRequest { Id = Ids.Next(), Coin = "FENCE", Debit = supply, Credit = Holders.Alice, Amount = "1" }]));
        output.WriteLine(refused.Message);
        Assert.Equal(heightBefore, BlockCount(db));
        var deposed = await Assert.ThrowsAsync<StoreException>(() => old.Node.Context.Sequencer.Journal.Deposed.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("deposed", deposed.Message, StringComparison.Ordinal);
        Assert.Contains("usurper", deposed.Message, StringComparison.Ordinal);
        Assert.NotNull(old.Node.Context.Sequencer.Fault);
    }

    [Fact]
    public async Task DatabaseRestart_UnderLoad_LeaderReconnects_NothingFails_EveryAcknowledgedTransferDurable()
    {
        // Its own server: this one is crashed and restarted under the node.
        using var server = TemporaryPostgres.Start(TimeSpan.FromSeconds(60));
        var db = server.CreateDatabase();
        IReadOnlyCollection<string> acked;
        int before;
        await using (var node = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db, o => o.PostgresLease = TimeSpan.FromSeconds(20))))
        {
            await node.Client.CreateCoinAsync(new CreateCoinRequest("RST", "USD"));
            await using var load = WriteLoad.Start(node.Client, "RST", Holders.Carol, writers: 2, perBatch: 10);
            await load.WaitForAsync(50, TimeSpan.FromSeconds(60));
            server.RestartAfterCrash(TimeSpan.FromSeconds(60)); // kill -9 of PostgreSQL, then crash recovery
            before = load.Count;
            await load.WaitForAsync(before + 50, TimeSpan.FromSeconds(30)); // the node resumed on its own
            acked = await load.StopAsync();
            output.WriteLine($"{before} acknowledged before the restart finished, {acked.Count} in all, {load.Failures} failed batches");
            Assert.True(acked.Count >= before + 50, $"writes did not resume after the database restarted ({acked.Count} acknowledged, {before} before)");
            Assert.Equal(0, load.Failures); // requests in flight waited for the reconnection; none failed
            Assert.Null(node.Node.Context.Sequencer.Fault);
            Assert.Equal("leader", (await node.Client.GetHealthAsync()).Role);
        }

        // Durable means in PostgreSQL: a node with nothing local finds every acknowledged id there.
        await using var fresh = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db));
        foreach (var id in acked)
        {
            Assert.Equal(id, (await fresh.Client.GetTransferAsync(id)).Id);
        }

        AssertNoForkOrDuplicate(db);
    }

    [Fact]
    public async Task ConnectionCut_AfterTheTermWasTaken_LeaderReconnectsButIsFenced_AppendsNothing()
    {
        var db = postgres.Server.CreateDatabase();
        await using var old = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db, o => o.PostgresLease = TimeSpan.FromSeconds(20)));
        await old.Client.CreateCoinAsync(new CreateCoinRequest("CUT", "USD"));
        await MintAsync(old, "CUT", 1, 5);
        var name = new NpgsqlConnectionStringBuilder(db).Database;
        Execute(db, "UPDATE centime_lease SET term = term + 1, holder = 'usurper', expires_at = now() + interval '1 hour'");
        Execute(postgres.Server.AdminConnectionString, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        var blocks = BlockCount(db);

        var supply = Centime.Ledger.Coin.SupplyAccountOf("CUT").ToString();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => old.Client.SubmitTransfersAsync(
            [new TransferRequest { Id = Ids.Next(), Coin = "CUT", Debit = supply, Credit = Holders.Alice, Amount = "1" }]));
        output.WriteLine(refused.Message);
        var deposed = await Assert.ThrowsAsync<StoreException>(() => old.Node.Context.Sequencer.Journal.Deposed.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("usurper", deposed.Message, StringComparison.Ordinal);
        Assert.Equal(blocks, BlockCount(db));
    }

    [Fact]
    public async Task Follower_ServesTheLeadersState_RefusesWritesNamingTheLeader()
    {
        var db = postgres.Server.CreateDatabase();
        await using var leader = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db));
        await leader.Client.CreateCoinAsync(new CreateCoinRequest("FOL", "USD"));
        await MintAsync(leader, "FOL", 2, 20);
        await using var follower = await TestNode.StartSandboxAsync(TempDirectory(), OnPostgres(db, o => o.Follow = true));
        var last = await MintAsync(leader, "FOL", 3, 20); // after the follower started: it must tail these

        var target = leader.Node.Context.Sequencer.DurableHeight;
        var health = await WaitForAsync(follower.Client, h => h.Height >= target, TimeSpan.FromSeconds(10));
        Assert.Equal("follower", health.Role);
        Assert.Equal(0UL, health.LagBlocks);
        Assert.Equal(1, health.Term);
        Assert.Contains("127.0.0.1", health.Leader ?? "", StringComparison.Ordinal); // the leader names its URL
        Assert.Equal("leader", (await leader.Client.GetHealthAsync()).Role);
        Assert.Equal(leader.Node.Context.Sequencer.State.ComputeStateHash(), follower.Node.Context.Sequencer.State.ComputeStateHash());
        Assert.Equal("FOL", (await follower.Client.GetTransferAsync(last)).Coin);

        var supply = Centime.Ledger.Coin.SupplyAccountOf("FOL").ToString();
        using var refused = await follower.PostRawAsync("/v1/transfers", $"{{\"transfers\":[{{\"id\":\"{Ids.Next()}\",\"coin\":\"FOL\",\"debit\":\"{supply}\",\"credit\":\"{Holders.Alice}\",\"amount\":\"1\"}}]}}");
        var problem = await follower.ReadProblemAsync(refused);
        Assert.Equal(503, (int)refused.StatusCode);
        Assert.Equal("not_leader", problem.Code);
        Assert.Contains("127.0.0.1", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(target, leader.Node.Context.Sequencer.DurableHeight);
    }

    [Fact]
    public async Task KillNine_LeaderUnderLoad_FollowerTakesOver_MultiUrlClientRidesThrough_EveryAcknowledgedTransferPresent()
    {
        var seed = Random.Shared.Next();
        output.WriteLine($"seed {seed} (the delay before the kill)");
        var db = postgres.Server.CreateDatabase();
        const string key = "ck_pg_crash_operator_key_012345";
        // The leader first: a follower that finds the lease free takes it (that is failover), so it must not start first.
        using var leader = StartProcess(db, key, "leader");
        Assert.True(await leader.WaitHealthyAsync(TimeSpan.FromSeconds(60)), leader.Output);
        using var follower = StartProcess(db, key, "follower", "--follow");
        Assert.True(await follower.WaitHealthyAsync(TimeSpan.FromSeconds(60)), follower.Output);

        // A write sent to the follower is refused, naming the leader's URL.
        using (var direct = new CentimeClient(new Uri(follower.Url), key))
        {
            var refused = await Assert.ThrowsAsync<CentimeApiException>(() => direct.CreateCoinAsync(new CreateCoinRequest("NOPE", "USD")));
            Assert.Equal("not_leader", refused.Code);
            Assert.Equal(leader.Url.TrimEnd('/'), refused.Problem.Leader);
        }

        // The follower first in the list: the client follows its not_leader answer to the leader, and after the kill
        // goes round the nodes until the follower has taken over.
        using var client = CentimeClient.ForNodes([new Uri(follower.Url), new Uri(leader.Url)], key);
        await client.CreateCoinAsync(new CreateCoinRequest("KILL", "USD"));
        await using var load = WriteLoad.Start(client, "KILL", Holders.Bob, writers: 3, perBatch: 20, keepGoing: true);
        // Kill only once acknowledgements are arriving: on a loaded machine a fixed delay can end before the first one.
        await load.WaitForAsync(100, TimeSpan.FromSeconds(60));
        await Task.Delay(new Random(seed).Next(100, 600));
        leader.KillHard();
        var atKill = load.Count;
        await load.WaitForAsync(atKill + 100, TimeSpan.FromSeconds(40));
        var acked = await load.StopAsync();
        output.WriteLine($"{atKill} acknowledged at the kill, {acked.Count} in all, {load.Failures} failed batches");
        Assert.True(acked.Count >= atKill + 100, $"writes did not resume on the new leader ({acked.Count} acknowledged, {atKill} at the kill)");
        Assert.Equal(0, load.Failures); // the multi-URL client hid the failover

        using var survivor = new CentimeClient(new Uri(follower.Url), key);
        var health = await survivor.GetHealthAsync();
        Assert.Equal("leader", health.Role);
        Assert.Equal(2, health.Term);
        foreach (var id in acked)
        {
            Assert.Equal(id, (await survivor.GetTransferAsync(id)).Id);
        }

        AssertNoForkOrDuplicate(db);
    }

    [Fact]
    public async Task SigStoppedLeader_IsDeposedByTheFollower_AppendsNothingAndSaysWhy()
    {
        var db = postgres.Server.CreateDatabase();
        const string key = "ck_pg_stop_operator_key_0123456";
        // The leader first: a follower that finds the lease free takes it (that is failover), so it must not start first.
        using var leader = StartProcess(db, key, "leader");
        Assert.True(await leader.WaitHealthyAsync(TimeSpan.FromSeconds(60)), leader.Output);
        using var follower = StartProcess(db, key, "follower", "--follow");
        Assert.True(await follower.WaitHealthyAsync(TimeSpan.FromSeconds(60)), follower.Output);
        using (var client = new CentimeClient(new Uri(leader.Url), key))
        {
            await client.CreateCoinAsync(new CreateCoinRequest("STOP", "USD"));
        }

        Signal("STOP", leader.Id);
        try
        {
            using var survivor = new CentimeClient(new Uri(follower.Url), key);
            var health = await WaitForAsync(survivor, h => h.Role == "leader", TimeSpan.FromSeconds(20));
            var supply = Centime.Ledger.Coin.SupplyAccountOf("STOP").ToString();
            var r = await survivor.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "STOP", Debit = supply, Credit = Holders.Dave, Amount = "5" }]);
            Assert.Equal("ok", r.Results[0].Result);
            output.WriteLine($"new leader at term {health.Term}");
        }
        finally
        {
            Signal("CONT", leader.Id);
        }

        var blocks = BlockCount(db);
        Assert.Equal(1, await leader.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("deposed", leader.Output, StringComparison.Ordinal);
        Assert.Equal(blocks, BlockCount(db));
        Assert.Equal(1L, Scalar<long>(db, "SELECT count(*) FROM centime_blocks WHERE term = 2")); // the new leader's one block
        AssertNoForkOrDuplicate(db);
    }

    [Fact]
    public async Task PrimaryDatabaseLost_StandbyPromoted_NodeRestartsThroughTheMultiHostString_NothingAcknowledgedLost()
    {
        // Its own pair: a primary that commits only once its synchronous standby has the WAL (synchronous_standby_names).
        using var primary = TemporaryPostgres.Start(TimeSpan.FromSeconds(60), "synchronous_standby_names=*");
        using var standby = primary.StartStandby("standby1", TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Scalar<long>(primary.AdminConnectionString, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the standby never became synchronous:\n" + standby.ServerLog);
            await Task.Delay(100);
        }

        var name = new NpgsqlConnectionStringBuilder(primary.CreateDatabase()).Database;
        var both = $"Host=127.0.0.1:{primary.Port},127.0.0.1:{standby.Port};Username=centime;Database={name};Target Session Attributes=primary;Timeout=3";
        const string key = "ck_pg_dbloss_operator_key_01234";
        IReadOnlyCollection<string> acked;
        var supply = Centime.Ledger.Coin.SupplyAccountOf("DBL").ToString();
        using (var node = StartProcess(both, key, "before"))
        {
            Assert.True(await node.WaitHealthyAsync(TimeSpan.FromSeconds(60)), node.Output);
            using var client = new CentimeClient(new Uri(node.Url), key);
            await client.CreateCoinAsync(new CreateCoinRequest("DBL", "USD"));
            await using var load = WriteLoad.Start(client, "DBL", Holders.Alice, writers: 3, perBatch: 10);
            await load.WaitForAsync(100, TimeSpan.FromSeconds(60));
            primary.KillHard(); // the primary database machine is gone
            acked = await load.StopAsync(TimeSpan.FromSeconds(20));
            // Crash-only: a failed append stops the node (its outcome is unknown); the supervisor restarts it.
            Assert.Equal(1, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }

        Assert.NotEmpty(acked); // something was acknowledged before the primary died
        standby.Promote(TimeSpan.FromSeconds(30));
        using var after = StartProcess(both, key, "after");
        Assert.True(await after.WaitHealthyAsync(TimeSpan.FromSeconds(60)), after.Output);
        using var check = new CentimeClient(new Uri(after.Url), key);
        output.WriteLine($"{acked.Count} acknowledged before the primary was killed; checking each on the promoted standby");
        foreach (var id in acked)
        {
            Assert.Equal(id, (await check.GetTransferAsync(id)).Id);
        }

        var r2 = await check.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "DBL", Debit = supply, Credit = Holders.Bob, Amount = "1" }]);
        Assert.Equal("ok", r2.Results[0].Result);
        AssertNoForkOrDuplicate(standby.ConnectionString(name!));
    }

    private static NodeProcess StartProcess(string db, string key, string name, params string[] extra)
    {
        var data = TempDirectory() + "-" + name;
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "operator.key"), key);
        return NodeProcess.Start(data, NodeProcess.FreePort(), ["--sandbox", "--store", "postgres", "--pg", db, "--lease-seconds", "1", .. extra]);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5_000);
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task<HealthInfo> WaitForAsync(CentimeClient client, Func<HealthInfo, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        HealthInfo? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await client.GetHealthAsync();
                if (condition(last))
                {
                    return last;
                }
            }
            catch (CentimeApiException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"condition not reached within {timeout.TotalSeconds} s; last health: {last}");
    }

    [Fact]
    public async Task UnreachableDatabase_IsRefusedClearly()
    {
        var port = NodeProcess.FreePort(); // nobody listens there
        var ex = await Assert.ThrowsAsync<StoreException>(() => TestNode.StartAsync(TempDirectory(),
            OnPostgres($"Host=127.0.0.1;Port={port};Username=centime;Database=nowhere;Timeout=3")));
        Assert.True(ex.Unreachable);
        Assert.Contains("cannot reach PostgreSQL", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"port {port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewerSchemaVersion_IsRefusedAndLeftAlone()
    {
        var db = postgres.Server.CreateDatabase();
        await (await TestNode.StartAsync(TempDirectory(), OnPostgres(db))).DisposeAsync(); // creates the schema
        Execute(db, "UPDATE centime_schema SET version = 99");
        var ex = await Assert.ThrowsAsync<StoreException>(() => TestNode.StartAsync(TempDirectory(), OnPostgres(db)));
        Assert.Contains("schema is at version 99", ex.Message, StringComparison.Ordinal);
        Assert.Equal(99, Scalar<int>(db, "SELECT version FROM centime_schema"));
    }

    [Fact]
    public async Task EmbeddedAndPostgresData_AreNeverMixed()
    {
        var db = postgres.Server.CreateDatabase();
        var embeddedDir = TempDirectory();
        var embeddedNode = await TestNode.StartSandboxAsync(embeddedDir);
        await embeddedNode.Client.CreateCoinAsync(new CreateCoinRequest("MIX", "USD"));
        await embeddedNode.StopAsync(); // an embedded journal with a block lives here now
        var onPg = await Assert.ThrowsAsync<StoreException>(() => TestNode.StartAsync(embeddedDir, OnPostgres(db)));
        Assert.Contains("holds an embedded journal", onPg.Message, StringComparison.Ordinal);

        var pgDir = TempDirectory();
        await (await TestNode.StartAsync(pgDir, OnPostgres(db))).StopAsync();
        var embedded = await Assert.ThrowsAsync<StoreException>(() => TestNode.StartAsync(pgDir));
        Assert.Contains("belongs to a node on the PostgreSQL store", embedded.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(pgDir, "journal-*.seg"));
    }

    /// <summary>A connection of the test's own, not pooled: a test that terminates the database's backends must not
    /// get one of them back from a pool.</summary>
    private static NpgsqlConnection Unpooled(string db) => new(db + ";Pooling=false");

    private static long BlockCount(string db) => Scalar<long>(db, "SELECT count(*) FROM centime_blocks");

    /// <summary>Heights 1..n with no gap or repeat, each block naming the hash of the one before: one chain, no fork.</summary>
    private static void AssertNoForkOrDuplicate(string db)
    {
        using var connection = Unpooled(db);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT height, previous_hash, hash FROM centime_blocks ORDER BY height", connection);
        using var reader = command.ExecuteReader();
        var expected = 1L;
        byte[] previous = new byte[32];
        while (reader.Read())
        {
            Assert.Equal(expected, reader.GetInt64(0));
            Assert.Equal(previous, reader.GetFieldValue<byte[]>(1));
            previous = reader.GetFieldValue<byte[]>(2);
            expected++;
        }
    }

    private static void Execute(string db, string sql)
    {
        using var connection = Unpooled(db);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static T Scalar<T>(string db, string sql)
    {
        using var connection = Unpooled(db);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return (T)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Writers that mint batches of transfers (fresh ids) until stopped, keeping every id the node acknowledged: the
    /// ids a crash test then looks up. A failed batch ends its writer, or with <c>keepGoing</c> is dropped and the
    /// writer goes on (its ids were never acknowledged, so whether they landed is not checked).
    /// </summary>
    private sealed class WriteLoad : IAsyncDisposable
    {
        private readonly ConcurrentBag<string> _acknowledged = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _writers = Task.CompletedTask;

        public int Failures;

        public int Count => _acknowledged.Count;

        public static WriteLoad Start(CentimeClient client, string coin, string credit, int writers, int perBatch, bool keepGoing = false)
        {
            var load = new WriteLoad();
            var supply = Centime.Ledger.Coin.SupplyAccountOf(coin).ToString();
            load._writers = Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
            {
                while (!load._stop.IsCancellationRequested)
                {
                    var batch = Enumerable.Range(0, perBatch).Select(_ => new TransferRequest { Id = Ids.Next(), Coin = coin, Debit = supply, Credit = credit, Amount = "3" }).ToList();
                    try
                    {
                        var r = await client.SubmitTransfersAsync(batch);
                        // "exists": a repeat (after a failover) of a batch the first try applied, with the same fields.
                        Assert.All(r.Results, x => Assert.Contains(x.Result, new[] { "ok", "exists" }));
                        foreach (var t in batch)
                        {
                            load._acknowledged.Add(t.Id!);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or CentimeApiException)
                    {
                        Interlocked.Increment(ref load.Failures);
                        if (!keepGoing)
                        {
                            return;
                        }

                        await Task.Delay(50);
                    }
                }
            })));
            return load;
        }

        /// <summary>Waits (bounded) until at least <paramref name="atLeast"/> ids were acknowledged: on a loaded machine
        /// a fixed delay can end before the first one.</summary>
        public async Task WaitForAsync(int atLeast, TimeSpan atMost)
        {
            var deadline = DateTime.UtcNow + atMost;
            while (_acknowledged.Count < atLeast && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        /// <summary>Stops the writers (waiting up to <paramref name="atMost"/> for the batches in flight) and returns every
        /// acknowledged id.</summary>
        public async Task<IReadOnlyCollection<string>> StopAsync(TimeSpan? atMost = null)
        {
            await _stop.CancelAsync();
            await Task.WhenAny(_writers, Task.Delay(atMost ?? TimeSpan.FromSeconds(30)));
            if (_writers.IsFaulted)
            {
                await _writers; // a writer's failed assertion (a result that is neither ok nor exists) fails the test
            }

            return [.. _acknowledged];
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }
}
