using System.Data;
using System.Diagnostics;
using Centime.Journal;
using Centime.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Centime.Storage.Postgres;

/// <summary>Configuration of a <see cref="PostgresStore"/>.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Npgsql connection string. Several hosts with <c>Target Session Attributes=primary</c> let the node find
    /// the primary after a database failover (docs/replication.md).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>How long the leader lease lasts without renewal. The leader renews it every third of this; a node that
    /// finds the lease held waits until it expires before taking over (a leader that crashed), and refuses to start if
    /// the holder keeps renewing it (two nodes configured as leaders).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Who this node is in the lease row and in logs (host, process, a random tag by default).</summary>
    public string NodeName { get; init; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Fresh instances of the state-machine modules (as <see cref="JournalOptions.CreateModules"/>).</summary>
    public Func<IReadOnlyList<LedgerModule>>? CreateModules { get; init; }

    public ILogger? Logger { get; init; }

    /// <summary>Open as a follower (<c>centime node --follow</c>): take no lease, tail the blocks the leader appends, and
    /// take the lease over (term + 1) once it expires.</summary>
    public bool Follow { get; init; }
}

/// <summary>
/// The journal on PostgreSQL (DESIGN.md §3, docs/replication.md): one row per block in <c>centime_blocks</c>, snapshots
/// in <c>centime_snapshots</c>, and one sequencing leader at a time, fenced by a lease term in <c>centime_lease</c>.
/// <see cref="Commit"/> inserts every appended block in ONE statement (group commit) that also share-locks the lease
/// row and requires this node's term: a node whose term was taken appends nothing, not even once, and a takeover
/// waits for an append in flight to commit. The sequencer acknowledges a request only after that statement commits,
/// so durability is PostgreSQL's (with a synchronous standby, an acknowledged transfer survives the primary's loss).
/// Headers live in memory as in the embedded journal; bodies are read from the database on demand (the newest few
/// are cached for the event feed).
/// </summary>
public sealed class PostgresStore : BlockStore
{
    private const int CachedBodies = 16;

    private const string AppendSql = """
        INSERT INTO centime_blocks (height, previous_hash, hash, term, body)
        SELECT b.height, b.previous_hash, b.hash, l.term, b.body
        FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[]) AS b(height, previous_hash, hash, body)
        CROSS JOIN (SELECT term FROM centime_lease WHERE id = 1 AND term = $1 FOR SHARE) AS l
        """;

    private readonly PostgresStoreOptions _options;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly List<BlockHeader> _headers = [];
    private readonly Lock _headersLock = new();
    private readonly Lock _cacheLock = new();
    private readonly Dictionary<ulong, byte[]> _cache = [];
    private readonly List<Pending> _pending = [];
    private readonly TaskCompletionSource _deposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private NpgsqlConnection? _writer;
    private Thread? _leaseThread;
    private LedgerState _state;
    private RecoveryInfo _recovery = new(0, 0, 0, TimeSpan.Zero, null);
    private volatile Tip _tip = new(0, Hash32.Zero);
    private long _term;
    private volatile bool _following;
    private volatile string? _leader;
    private long _knownHeight;
    private long _leaseValidUntil; // Environment.TickCount64 until which no other node can take this node's term
    private volatile Exception? _fault;
    private volatile bool _disposed;

    private PostgresStore(PostgresStoreOptions options, NpgsqlDataSource dataSource)
    {
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _dataSource = dataSource;
        _state = NewState();
    }

    public override LedgerState State => _state;

    public override ulong Height => _tip.Height;

    public override Hash32 LastHash => _tip.Hash;

    public override RecoveryInfo Recovery => _recovery;

    public override Task Deposed => _deposed.Task;

    /// <summary>This node's lease term (every block it appends carries it), or the term a follower last saw.</summary>
    public override long Term => Interlocked.Read(ref _term);

    public override string Role => _following ? "follower" : "leader";

    public override string? Leader => _leader;

    public override ulong KnownHeight => Math.Max(Height, (ulong)Interlocked.Read(ref _knownHeight));

    /// <summary>The node name in the lease row.</summary>
    public string NodeName => _options.NodeName;

    /// <summary>
    /// Connects, creates or migrates the schema, takes the leader lease (waiting for an expired holder's lease to run
    /// out; refusing if its holder is alive), then recovers: loads and verifies every header and the hash chain, the
    /// newest snapshot that matches it, and replays later blocks, checking their recorded results. Throws
    /// <see cref="StoreException"/> on configuration problems and <see cref="JournalCorruptException"/> on stored data
    /// that does not verify.
    /// </summary>
    public static PostgresStore Open(PostgresStoreOptions options, IProgress<RecoveryProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LeaseDuration < TimeSpan.FromMilliseconds(300))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LeaseDuration, "The lease lasts at least 300 ms.");
        }

        NpgsqlDataSource dataSource;
        try
        {
            dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new StoreException("the PostgreSQL connection string is not valid: " + ex.Message, ex);
        }

        var store = new PostgresStore(options, dataSource);
        try
        {
            store.Start(progress);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private LedgerState NewState() => new(_options.CreateModules?.Invoke());

    private void Start(IProgress<RecoveryProgress>? progress)
    {
        var clock = Stopwatch.StartNew();
        _writer = Connect();
        PostgresSchema.Ensure(_writer, m => _logger.LogInformation("{Message}", m));
        if (_options.Follow)
        {
            // Listen before reading: a block committed after the read below still wakes the first Follow.
            _following = true;
            var lease = ReadLease(_writer);
            (_term, _leader) = (lease.Term, lease.Holder);
            using var listen = new NpgsqlCommand("LISTEN centime_blocks", _writer);
            listen.ExecuteNonQuery();
            _logger.LogInformation("Following the leader '{Leader}' (term {Term})", lease.Holder, lease.Term);
        }
        else
        {
            AcquireLease();
            StartRenewing();
        }

        LoadHeaders(progress);
        var height = (ulong)_headers.Count;
        var (state, snapshotHeight) = LoadSnapshot(height);
        var replayed = Replay(state, snapshotHeight, height, progress);
        _state = state;
        _tip = new Tip(height, height == 0 ? Hash32.Zero : _headers[^1].ComputeHash());
        MarkCommitted(height);
        _recovery = new RecoveryInfo(snapshotHeight, replayed, 0, clock.Elapsed, null);
    }

    private void StartRenewing()
    {
        _leaseThread = new Thread(RenewLease) { Name = "centime-pg-lease", IsBackground = true };
        _leaseThread.Start();
    }

    // ---------------------------------------------------------------- following

    internal override IReadOnlyList<Block> Follow(TimeSpan wait, CancellationToken cancel)
    {
        ThrowIfUnusable();
        if (!_following)
        {
            throw new InvalidOperationException("This store is the leader: it does not follow.");
        }

        try
        {
            return FollowOnce(wait, cancel);
        }
        catch (Exception ex) when (IsConnectionLoss(ex, _writer) && !cancel.IsCancellationRequested && !_disposed)
        {
            // A follower holds no lease: it keeps serving what it has (its lag grows) and reconnects until it can read
            // again. Blocks are added only after a read completed, so a read cut short lost nothing.
            ReconnectFollower(ex, cancel);
            return [];
        }
    }

    private List<Block> FollowOnce(TimeSpan wait, CancellationToken cancel)
    {
        var blocks = FetchNewBlocks();
        if (blocks.Count > 0)
        {
            return blocks;
        }

        var lease = ReadLease(_writer!);
        _leader = lease.Holder;
        Interlocked.Exchange(ref _term, lease.Term);
        if (lease.ExpiresAt <= lease.Now && TryTakeOver(lease.Term))
        {
            // Every block of the old term committed before the lease changed hands (an append share-locks the lease row).
            var rest = new List<Block>();
            for (var more = FetchNewBlocks(); more.Count > 0; more = FetchNewBlocks())
            {
                rest.AddRange(more);
            }

            _following = false;
            StartRenewing();
            _logger.LogWarning("Took over as leader at term {Term} after the lease of '{Old}' (term {OldTerm}) expired; caught up to height {Height}",
                Term, lease.Holder, lease.Term, Height);
            return rest;
        }

        // Sleep until the leader's next commit (NOTIFY) or the timeout; notifications that came meanwhile end it at once.
        if (!cancel.IsCancellationRequested)
        {
            _writer!.Wait(wait);
        }

        return FetchNewBlocks();
    }

    private bool TryTakeOver(long seenTerm)
    {
        using var take = new NpgsqlCommand(
            """
            UPDATE centime_lease SET term = term + 1, holder = $1, acquired_at = now(), expires_at = now() + $2
            WHERE id = 1 AND term = $3 AND expires_at <= now() RETURNING term
            """, _writer);
        take.Parameters.Add(new NpgsqlParameter { Value = _options.NodeName });
        take.Parameters.Add(new NpgsqlParameter { Value = _options.LeaseDuration });
        take.Parameters.Add(new NpgsqlParameter { Value = seenTerm });
        var sent = Environment.TickCount64;
        if (take.ExecuteScalar() is not long term)
        {
            return false;
        }

        Volatile.Write(ref _leaseValidUntil, sent + (long)_options.LeaseDuration.TotalMilliseconds);
        Interlocked.Exchange(ref _term, term);
        _leader = _options.NodeName;
        return true;
    }

    private void ReconnectFollower(Exception cause, CancellationToken cancel)
    {
        _logger.LogWarning("Follower lost the connection to PostgreSQL: {Message}. Reconnecting (reads are served meanwhile, their lag grows)", cause.Message);
        _writer?.Dispose();
        _writer = null;
        _dataSource.Clear();
        var delay = 50;
        while (!cancel.IsCancellationRequested)
        {
            ThrowIfUnusable();
            try
            {
                var connection = _dataSource.OpenConnection();
                using (var listen = new NpgsqlCommand("LISTEN centime_blocks", connection))
                {
                    listen.ExecuteNonQuery();
                }

                _writer = connection;
                _logger.LogWarning("Follower reconnected to PostgreSQL");
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
            {
                cancel.WaitHandle.WaitOne(delay);
                delay = Math.Min(delay * 2, 1000);
            }
        }
    }

    /// <summary>Follower: reads up to 64 blocks after <see cref="Height"/>, verifies height and hash chain, and adds them.</summary>
    private List<Block> FetchNewBlocks()
    {
        // Read every row first, then verify and add: a connection lost mid-read leaves the store as it was.
        var rows = new List<(ulong Height, byte[] Body)>();
        using (var command = new NpgsqlCommand("SELECT height, body, (SELECT max(height) FROM centime_blocks) FROM centime_blocks WHERE height > $1 ORDER BY height LIMIT 64", _writer))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (long)Height });
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(((ulong)reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
                Interlocked.Exchange(ref _knownHeight, reader.GetInt64(2));
            }
        }

        var blocks = new List<Block>(rows.Count);
        foreach (var (height, body) in rows)
        {
            var tip = _tip;
            if (height != tip.Height + 1)
            {
                ThrowCorrupt(height, $"block {height} follows block {tip.Height}: a gap in heights");
            }

            Block block;
            try
            {
                block = Block.Decode(body);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw new JournalCorruptException(Where, (long)height, $"block {height} does not decode: {ex.Message}", ex);
            }

            var header = block.Header;
            if (header.Height != height || header.PreviousHash != tip.Hash)
            {
                ThrowCorrupt(height, $"block {height} does not follow block {tip.Height} (hash {tip.Hash}): hash chain broken");
            }

            lock (_headersLock)
            {
                _headers.Add(header);
            }

            Remember(height, body);
            _tip = new Tip(height, header.ComputeHash());
            MarkCommitted(height);
            blocks.Add(block);
        }

        return blocks;
    }

    private void Remember(ulong height, byte[] body)
    {
        lock (_cacheLock)
        {
            _cache[height] = body;
            if (height > CachedBodies)
            {
                _cache.Remove(height - CachedBodies);
            }
        }
    }

    private NpgsqlConnection Connect()
    {
        try
        {
            return _dataSource.OpenConnection();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new StoreException($"cannot reach PostgreSQL ({Describe(_options.ConnectionString)}): {ex.Message}", ex) { Unreachable = true };
        }
    }

    /// <summary>Hosts, port and database of a connection string, never its password.</summary>
    internal static string Describe(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"host {b.Host}, port {b.Port}, database {b.Database ?? b.Username}";
        }
        catch (ArgumentException)
        {
            return "unparsable connection string";
        }
    }

    // ---------------------------------------------------------------- the lease

    /// <summary>
    /// Takes the lease with term + 1 once it is free (never taken, or expired by the database's clock). While another
    /// node holds it, waits for it to expire; if that holder renews it meanwhile, it is alive: refuse to start.
    /// </summary>
    private void AcquireLease()
    {
        DateTime? seenExpiry = null;
        while (true)
        {
            using var take = new NpgsqlCommand(
                """
                UPDATE centime_lease SET term = term + 1, holder = $1, acquired_at = now(), expires_at = now() + $2
                WHERE id = 1 AND expires_at <= now() RETURNING term
                """, _writer);
            take.Parameters.Add(new NpgsqlParameter { Value = _options.NodeName });
            take.Parameters.Add(new NpgsqlParameter { Value = _options.LeaseDuration });
            var sent = Environment.TickCount64;
            if (take.ExecuteScalar() is long term)
            {
                _term = term;
                Volatile.Write(ref _leaseValidUntil, sent + (long)_options.LeaseDuration.TotalMilliseconds);
                _logger.LogInformation("Leader lease taken: term {Term}, node {Node}, lease {Seconds} s", term, _options.NodeName, _options.LeaseDuration.TotalSeconds);
                return;
            }

            var lease = ReadLease(_writer!);
            if (seenExpiry is { } seen && lease.ExpiresAt > seen)
            {
                throw new StoreException(
                    $"another node holds the leader lease and keeps renewing it (holder '{lease.Holder}', term {lease.Term}, expires {lease.ExpiresAt:O}): only one node sequences a ledger. Stop that node first (this one then takes over once its lease expires); nothing was modified.");
            }

            seenExpiry = lease.ExpiresAt;
            var wait = lease.ExpiresAt - lease.Now + TimeSpan.FromMilliseconds(50);
            _logger.LogWarning("Leader lease held by '{Holder}' (term {Term}) for {Ms} ms more; waiting for it to expire before taking over",
                lease.Holder, lease.Term, (long)wait.TotalMilliseconds);
            Thread.Sleep(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(50));
        }
    }

    private static LeaseRow ReadLease(NpgsqlConnection connection)
    {
        using var read = new NpgsqlCommand("SELECT term, holder, expires_at, now() FROM centime_lease WHERE id = 1", connection);
        using var reader = read.ExecuteReader();
        if (!reader.Read())
        {
            throw new StoreException("the centime_lease row is missing: the schema was altered by hand.");
        }

        var expires = reader.GetFieldValue<DateTime>(2);
        var now = reader.GetFieldValue<DateTime>(3);
        return new LeaseRow(reader.GetInt64(0), reader.GetString(1), expires, now);
    }

    /// <summary>
    /// Renews the lease every third of its duration while the node runs. Finding another term there means a newer
    /// leader took over (this node was paused or cut off longer than the lease): deposed, for good — the term check in
    /// every append already keeps this node from writing; this makes it stop at once and say why.
    /// </summary>
    private void RenewLease()
    {
        var period = _options.LeaseDuration / 3;
        var lastRenewed = Stopwatch.StartNew();
        while (!_stop.Token.WaitHandle.WaitOne(period))
        {
            try
            {
                using var connection = _dataSource.OpenConnection();
                using var renew = new NpgsqlCommand("UPDATE centime_lease SET expires_at = now() + $2 WHERE id = 1 AND term = $1", connection);
                renew.Parameters.Add(new NpgsqlParameter { Value = Term });
                renew.Parameters.Add(new NpgsqlParameter { Value = _options.LeaseDuration });
                var sent = Environment.TickCount64;
                if (renew.ExecuteNonQuery() == 1)
                {
                    // The database set expires_at from its clock after this was sent: counting from the send is safe.
                    Volatile.Write(ref _leaseValidUntil, sent + (long)_options.LeaseDuration.TotalMilliseconds);
                    lastRenewed.Restart();
                    continue;
                }

                var lease = ReadLease(connection);
                Depose($"deposed: the leader lease is now held by '{lease.Holder}' at term {lease.Term} (this node held term {Term}); this node appends nothing more and stops sequencing");
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                _logger.LogWarning("Cannot renew the leader lease (last renewed {Ms} ms ago; appends stay fenced by term {Term}): {Message}",
                    lastRenewed.ElapsedMilliseconds, Term, ex.Message);
            }
        }
    }

    private void Depose(string reason)
    {
        var fault = new StoreException(reason);
        _fault ??= fault;
        if (_deposed.TrySetException(fault))
        {
            _logger.LogCritical("{Reason}", reason);
        }
    }

    // ---------------------------------------------------------------- recovery

    private void LoadHeaders(IProgress<RecoveryProgress>? progress)
    {
        using var command = new NpgsqlCommand(
            $"SELECT height, hash, substring(body FROM 1 FOR {BlockHeader.EncodedSize}) FROM centime_blocks ORDER BY height", _writer);
        using var reader = command.ExecuteReader(CommandBehavior.SequentialAccess);
        var previous = Hash32.Zero;
        var expected = 1UL;
        Span<byte> canonical = stackalloc byte[BlockHeader.EncodedSize];
        progress?.Report(new RecoveryProgress("scan", 0, 0));
        while (reader.Read())
        {
            var height = (ulong)reader.GetInt64(0);
            var storedHash = reader.GetFieldValue<byte[]>(1);
            var encoded = reader.GetFieldValue<byte[]>(2);
            if (height != expected)
            {
                ThrowCorrupt(expected, $"block {height} follows block {expected - 1}: a gap in heights");
            }

            BlockHeader header;
            try
            {
                header = BlockHeader.ReadFrom(encoded);
            }
            catch (FormatException ex)
            {
                throw new JournalCorruptException(Where, (long)height, $"block {height} has an unreadable header: {ex.Message}", ex);
            }

            header.WriteTo(canonical);
            if (header.Height != height || !canonical.SequenceEqual(encoded))
            {
                ThrowCorrupt(height, $"the row for height {height} holds a header for block {header.Height} or one not in canonical form");
            }

            if (header.PreviousHash != previous)
            {
                ThrowCorrupt(height, $"hash chain broken at height {height}: the block names previous hash {header.PreviousHash}, but block {height - 1} hashes to {previous}");
            }

            previous = header.ComputeHash();
            if (!previous.ToBytes().AsSpan().SequenceEqual(storedHash))
            {
                ThrowCorrupt(height, $"block {height} hashes to {previous}, but its row says {Convert.ToHexStringLower(storedHash)}");
            }

            _headers.Add(header);
            expected++;
        }

        progress?.Report(new RecoveryProgress("scan", _headers.Count, _headers.Count));
    }

    private (LedgerState State, ulong Height) LoadSnapshot(ulong height)
    {
        var candidates = new List<long>();
        using (var list = new NpgsqlCommand("SELECT height FROM centime_snapshots ORDER BY height DESC", _writer))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                candidates.Add(reader.GetInt64(0));
            }
        }

        foreach (var candidate in candidates)
        {
            var problem = TryLoadSnapshot((ulong)candidate, height, out var state);
            if (problem is null)
            {
                return (state!, (ulong)candidate);
            }

            _logger.LogWarning("Snapshot at height {Height} in PostgreSQL passed over: {Problem}", candidate, problem);
        }

        return (NewState(), 0);
    }

    private string? TryLoadSnapshot(ulong height, ulong storeHeight, out LedgerState? state)
    {
        state = null;
        if (height == 0 || height > storeHeight)
        {
            return $"the blocks end at height {storeHeight}";
        }

        using var command = new NpgsqlCommand("SELECT data FROM centime_snapshots WHERE height = $1", _writer);
        command.Parameters.Add(new NpgsqlParameter { Value = (long)height });
        if (command.ExecuteScalar() is not byte[] data)
        {
            return "deleted meanwhile";
        }

        if (!SnapshotFormat.TryReadHeader(data, out var header, out var problem))
        {
            return problem;
        }

        var expected = _headers[(int)height - 1].ComputeHash();
        if (header.Height != height || header.BlockHash != expected)
        {
            return $"taken after block {header.Height} hash {header.BlockHash}, but block {height} hashes to {expected}";
        }

        var body = data.AsSpan(SnapshotFormat.HeaderSize);
        if (body.Length != header.StateLength || System.IO.Hashing.XxHash128.HashToUInt128(body) != header.StateHash)
        {
            return "state checksum or length mismatch";
        }

        try
        {
            using var stream = new MemoryStream(data, SnapshotFormat.HeaderSize, body.Length, writable: false);
            var loaded = LedgerState.ReadSnapshot(stream, _options.CreateModules?.Invoke());
            if (loaded.Height != height || stream.Position != stream.Length)
            {
                return $"the state is at height {loaded.Height}, or bytes are left over";
            }

            state = loaded;
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private ulong Replay(LedgerState state, ulong from, ulong to, IProgress<RecoveryProgress>? progress)
    {
        if (from >= to)
        {
            return 0;
        }

        var total = (long)(to - from);
        progress?.Report(new RecoveryProgress("replay", 0, total));
        var results = new CommandResult[LedgerState.MaxBatchSize];
        using var command = new NpgsqlCommand("SELECT height, body FROM centime_blocks WHERE height > $1 AND height <= $2 ORDER BY height", _writer);
        command.Parameters.Add(new NpgsqlParameter { Value = (long)from });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)to });
        using var reader = command.ExecuteReader(CommandBehavior.SequentialAccess);
        var next = from + 1;
        while (reader.Read())
        {
            var height = (ulong)reader.GetInt64(0);
            var block = DecodeVerified(height, reader.GetFieldValue<byte[]>(1));
            if (height != next)
            {
                ThrowCorrupt(height, $"replay expected block {next}");
            }

            if (ReplayBlock(state, block, results) is { } problem)
            {
                ThrowCorrupt(height, problem);
            }

            if (height % 1000 == 0)
            {
                progress?.Report(new RecoveryProgress("replay", (long)(height - from), total));
            }

            next++;
        }

        if (state.Height != to)
        {
            ThrowCorrupt(to, $"replay stopped at height {state.Height}, expected {to}");
        }

        progress?.Report(new RecoveryProgress("replay", total, total));
        return to - from;
    }

    /// <summary>Decodes a stored body and checks it starts with the header recovery verified for that height.</summary>
    private Block DecodeVerified(ulong height, byte[] body)
    {
        var header = ReadHeader(height);
        Span<byte> canonical = stackalloc byte[BlockHeader.EncodedSize];
        header.WriteTo(canonical);
        if (body.Length < BlockHeader.EncodedSize || !body.AsSpan(0, BlockHeader.EncodedSize).SequenceEqual(canonical))
        {
            ThrowCorrupt(height, $"the body of block {height} does not start with its verified header");
        }

        try
        {
            return Block.Decode(body);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new JournalCorruptException(Where, (long)height, $"block {height} does not decode: {ex.Message}", ex);
        }
    }

    // ---------------------------------------------------------------- reads

    public override BlockHeader ReadHeader(ulong height)
    {
        lock (_headersLock)
        {
            if (height == 0 || height > (ulong)_headers.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(height), height, $"No block at height {height} (the store holds 1..{_headers.Count}).");
            }

            return _headers[(int)height - 1];
        }
    }

    public override Block ReadBlock(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ = ReadHeader(height); // range check
        WaitForCommit(height);
        byte[]? body;
        lock (_cacheLock)
        {
            _cache.TryGetValue(height, out body);
        }

        if (body is null)
        {
            try
            {
                body = SelectBody(height);
            }
            catch (Exception ex) when (IsConnectionLoss(ex, null))
            {
                // A pooled connection from before a database restart: once more, on a fresh one.
                _dataSource.Clear();
                body = SelectBody(height);
            }
        }

        return DecodeVerified(height, body);
    }

    private byte[] SelectBody(ulong height)
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT body FROM centime_blocks WHERE height = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (long)height });
        return command.ExecuteScalar() as byte[] ?? throw new JournalCorruptException(Where, (long)height, $"block {height} is durable but has no row");
    }

    // ---------------------------------------------------------------- writes

    internal override void Append(ReadOnlySpan<byte> encodedBlock, in BlockHeader header)
    {
        ThrowIfUnusable();
        if (_following)
        {
            throw new InvalidOperationException("A follower appends nothing: it has no lease.");
        }

        var tip = _tip;
        if (header.Height != tip.Height + 1)
        {
            throw new ArgumentException($"Block height {header.Height} does not follow the store's height {tip.Height}.", nameof(header));
        }

        if (header.PreviousHash != tip.Hash)
        {
            throw new ArgumentException($"Block {header.Height} names previous hash {header.PreviousHash}, but the store's last hash is {tip.Hash}.", nameof(header));
        }

        Span<byte> encodedHeader = stackalloc byte[BlockHeader.EncodedSize];
        header.WriteTo(encodedHeader);
        if (encodedBlock.Length < BlockHeader.EncodedSize || !encodedBlock[..BlockHeader.EncodedSize].SequenceEqual(encodedHeader))
        {
            throw new ArgumentException("The block encoding does not start with the given header.", nameof(encodedBlock));
        }

        var hash = Hash32.Sha256(encodedHeader);
        _pending.Add(new Pending(header, hash, encodedBlock.ToArray()));
        lock (_headersLock)
        {
            _headers.Add(header);
        }

        _tip = new Tip(header.Height, hash);
    }

    internal override void Commit()
    {
        ThrowIfUnusable();
        if (_pending.Count == 0)
        {
            return;
        }

        var n = _pending.Count;
        var heights = new long[n];
        var previous = new byte[n][];
        var hashes = new byte[n][];
        var bodies = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            var p = _pending[i];
            heights[i] = (long)p.Header.Height;
            previous[i] = p.Header.PreviousHash.ToBytes();
            hashes[i] = p.Hash.ToBytes();
            bodies[i] = p.Body;
        }

        // A lost connection leaves the statement's outcome unknown: reconnect (while the lease lasts), look whether
        // the blocks are there, and append them only if they are not. Requests are completed only after this returns.
        int inserted;
        var uncertain = false;
        while (true)
        {
            try
            {
                if (uncertain && FindAppended(heights, hashes) is { } found)
                {
                    inserted = found;
                    break;
                }

                using var command = new NpgsqlCommand(AppendSql, _writer);
                command.Parameters.Add(new NpgsqlParameter { Value = Term });
                command.Parameters.Add(new NpgsqlParameter { Value = heights });
                command.Parameters.Add(new NpgsqlParameter { Value = previous });
                command.Parameters.Add(new NpgsqlParameter { Value = hashes });
                command.Parameters.Add(new NpgsqlParameter { Value = bodies });
                inserted = command.ExecuteNonQuery();
                break;
            }
            catch (Exception ex) when (IsConnectionLoss(ex, _writer) && !_disposed)
            {
                uncertain = true;
                ReconnectWriter(ex, $"appending blocks {heights[0]}..{heights[^1]}");
            }
            catch (Exception ex)
            {
                // Not a lost connection (a constraint, a bug): crash-only, recovery reads what PostgreSQL holds.
                _fault ??= ex;
                throw;
            }
        }

        if (inserted != n)
        {
            // The term check failed: a newer leader holds the lease. Nothing of these blocks was written.
            string holder;
            try
            {
                var lease = ReadLease(_writer!);
                holder = $"'{lease.Holder}' at term {lease.Term}";
            }
            catch (Exception ex) when (ex is NpgsqlException or StoreException)
            {
                holder = "another node";
            }

            Depose($"deposed: appending blocks {heights[0]}..{heights[^1]} was refused because the leader lease is held by {holder} (this node held term {Term}); nothing was appended, this node stops sequencing");
            throw _fault!;
        }

        foreach (var p in _pending)
        {
            Remember(p.Header.Height, p.Body);
        }

        _pending.Clear();
        MarkCommitted((ulong)heights[^1]);
    }

    /// <summary>
    /// After a lost connection: whether an append whose outcome is unknown committed. Returns the number of blocks
    /// found when all of them are there under this node's term with these hashes (it committed), 0 when another
    /// term's blocks hold these heights (deposed: the caller reports it), or null when none is there (retry the append;
    /// its term check still fences it). One statement inserts all or nothing, so anything else is corruption.
    /// </summary>
    private int? FindAppended(long[] heights, byte[][] hashes)
    {
        using var command = new NpgsqlCommand("SELECT height, hash, term FROM centime_blocks WHERE height >= $1 AND height <= $2 ORDER BY height", _writer);
        command.Parameters.Add(new NpgsqlParameter { Value = heights[0] });
        command.Parameters.Add(new NpgsqlParameter { Value = heights[^1] });
        using var reader = command.ExecuteReader();
        var found = 0;
        var ours = true;
        while (reader.Read())
        {
            ours &= reader.GetInt64(2) == Term && found < hashes.Length && reader.GetInt64(0) == heights[found]
                && reader.GetFieldValue<byte[]>(1).AsSpan().SequenceEqual(hashes[found]);
            found++;
        }

        if (found == 0)
        {
            return null;
        }

        if (!ours)
        {
            return 0; // another leader's blocks: this node was deposed while it was cut off
        }

        if (found != heights.Length)
        {
            ThrowCorrupt((ulong)heights[0], $"only {found} of blocks {heights[0]}..{heights[^1]} were appended by one statement");
        }

        _logger.LogInformation("Blocks {First}..{Last} had been committed before the connection was lost", heights[0], heights[^1]);
        return found;
    }

    /// <summary>Whether <paramref name="ex"/> means the connection (or the server behind it) went away rather than the
    /// statement being refused: a network error, a timeout, a server restarting or shutting down.</summary>
    private static bool IsConnectionLoss(Exception ex, NpgsqlConnection? connection) =>
        ex is NpgsqlException { IsTransient: true }
        || (ex is NpgsqlException or InvalidOperationException && connection?.FullState is ConnectionState.Broken or ConnectionState.Closed);

    /// <summary>
    /// Leader: replaces the lost writer connection, retrying with backoff (50 ms doubling to 1 s) for as long as this
    /// node's lease lasts since its last renewal — no other node can take the term before that. Past it, the store
    /// stops (crash-only: a restart recovers from PostgreSQL and takes the lease again). Reconnecting never
    /// acknowledges anything: the caller still finds out whether its append committed.
    /// </summary>
    private void ReconnectWriter(Exception cause, string what)
    {
        _logger.LogWarning("Lost the connection to PostgreSQL while {What}: {Message}. Reconnecting while the lease (term {Term}) lasts, {Ms} ms more",
            what, cause.Message, Term, Math.Max(0, Volatile.Read(ref _leaseValidUntil) - Environment.TickCount64));
        _writer?.Dispose();
        _writer = null;
        _dataSource.Clear(); // idle pooled connections went down with the server too
        var delay = 50;
        while (true)
        {
            ThrowIfUnusable();
            var left = Volatile.Read(ref _leaseValidUntil) - Environment.TickCount64;
            if (left <= 0)
            {
                var fault = new StoreException(
                    $"lost the connection to PostgreSQL ({Describe(_options.ConnectionString)}) while {what} and could not reconnect before the leader lease (term {Term}) ran out: this node stops sequencing; restart it to recover from PostgreSQL. Cause: {cause.Message}",
                    cause)
                { Unreachable = true };
                _fault ??= fault;
                throw fault;
            }

            try
            {
                _writer = _dataSource.OpenConnection();
                _logger.LogWarning("Reconnected to PostgreSQL (term {Term})", Term);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
            {
                cause = ex;
                _stop.Token.WaitHandle.WaitOne((int)Math.Min(delay, left));
                delay = Math.Min(delay * 2, 1000);
            }
        }
    }

    internal override void WriteSnapshot(ulong height, Hash32 blockHash, ReadOnlyMemory<byte> stateBytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (stateBytes.IsEmpty)
        {
            throw new ArgumentException("The state encoding is empty.", nameof(stateBytes));
        }

        var data = new byte[SnapshotFormat.HeaderSize + stateBytes.Length];
        SnapshotFormat.WriteHeader(data, height, blockHash, stateBytes.Span);
        stateBytes.Span.CopyTo(data.AsSpan(SnapshotFormat.HeaderSize));
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        // Only a snapshot of a block the store holds, with that very hash, is kept (a deposed node's cannot be).
        using (var insert = new NpgsqlCommand(
                   """
                   INSERT INTO centime_snapshots (height, block_hash, data)
                   SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM centime_blocks WHERE height = $1 AND hash = $2)
                   ON CONFLICT (height) DO NOTHING
                   """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = (long)height });
            insert.Parameters.Add(new NpgsqlParameter { Value = blockHash.ToBytes() });
            insert.Parameters.Add(new NpgsqlParameter { Value = data });
            if (insert.ExecuteNonQuery() == 0)
            {
                throw new InvalidOperationException($"Block {height} with hash {blockHash} is not in the store (or already has a snapshot).");
            }
        }

        using (var prune = new NpgsqlCommand(
                   "DELETE FROM centime_snapshots WHERE height NOT IN (SELECT height FROM centime_snapshots ORDER BY height DESC LIMIT 2)", connection, tx))
        {
            prune.ExecuteNonQuery();
        }

        tx.Commit();
    }

    protected override void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is { } fault)
        {
            throw fault as StoreException ?? (Exception)new InvalidOperationException("The PostgreSQL store stopped after a failure; restart to recover. Cause: " + fault.Message, fault);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        _leaseThread?.Join();
        if (_fault is null && !_following && _writer is { State: ConnectionState.Open } && Term > 0)
        {
            try
            {
                // A clean stop hands the lease over at once: the next node need not wait for it to expire.
                using var release = new NpgsqlCommand("UPDATE centime_lease SET expires_at = now() WHERE id = 1 AND term = $1", _writer);
                release.Parameters.Add(new NpgsqlParameter { Value = Term });
                release.ExecuteNonQuery();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // It expires by itself (the connection may be gone).
            }
        }

        _writer?.Dispose();
        _dataSource.Dispose();
        _stop.Dispose();
        WakeCommitWaiters();
    }

    private const string Where = "PostgreSQL table centime_blocks";

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowCorrupt(ulong height, string reason) => throw new JournalCorruptException(Where, (long)height, reason);

    private sealed record Tip(ulong Height, Hash32 Hash);

    private readonly record struct Pending(BlockHeader Header, Hash32 Hash, byte[] Body);

    private readonly record struct LeaseRow(long Term, string Holder, DateTime ExpiresAt, DateTime Now);
}
