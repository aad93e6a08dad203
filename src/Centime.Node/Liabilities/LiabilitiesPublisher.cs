using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Microsoft.Extensions.Logging;

namespace Centime.Node.Liabilities;

/// <summary>A published proof-of-liabilities commitment: what the issuer stands behind for one coin at one height.</summary>
/// <param name="Coin">Coin symbol.</param>
/// <param name="Height">Block height of the balances.</param>
/// <param name="Root">Root hash and total liabilities (minor units).</param>
/// <param name="LeafCount">Holders in the tree (non-zero balances).</param>
/// <param name="CirculatingSupply">Minus the supply account's balance at the same height; always equal to the total
/// (a publication where they differ is refused).</param>
/// <param name="PublishedAt">Wall-clock time of publication (UTC).</param>
/// <param name="BuildMilliseconds">How long building the tree took.</param>
public sealed record PublishedLiabilities(string Coin, ulong Height, LiabilitiesRoot Root, int LeafCount, UInt128 CirculatingSupply,
    DateTimeOffset PublishedAt, long BuildMilliseconds);

/// <summary>Why a publication or a proof request did not succeed; mapped to problem codes by the endpoints.</summary>
public enum LiabilitiesFailure
{
    None = 0,
    CoinNotFound,
    NotPublished,
    HolderNotInTree,
    ProofUnavailable,
    NegativeHolderBalance,
    TotalMismatch,
}

/// <summary>
/// Builds and publishes proof-of-liabilities trees (docs/transparency.md): copies one coin's holder balances under
/// the sequencer's read lock (a plain array copy, so the writer waits only for that), then sorts, checks and hashes
/// outside it. Keeps every published root (appended to <c>&lt;data&gt;/liabilities/roots.jsonl</c>, fsynced) and
/// the latest tree of each coin in memory to serve holders' inclusion proofs.
/// <para>
/// Salts come from a node secret (<c>&lt;data&gt;/liabilities.secret</c>, 32 random bytes, owner-only) through
/// <see cref="LiabilitiesTree.Build"/>'s derivation: HMAC keyed by the secret over coin and height, then one SHA-256
/// per address. The same secret, coin, height and balances give the same tree, so a proof can be re-issued; a
/// holder's salt reveals neither the secret nor any other holder's salt.
/// </para>
/// </summary>
public sealed class LiabilitiesPublisher : IDisposable
{
    public const string DirectoryName = "liabilities";
    public const string RootsFileName = "roots.jsonl";
    public const string SecretFileName = "liabilities.secret";

    private readonly Sequencer _sequencer;
    private readonly byte[] _secret;
    private readonly string _rootsPath;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CoinLiabilities> _coins = new(StringComparer.Ordinal);
    private readonly Lock _rootsFileLock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _automatic;

    public LiabilitiesPublisher(Sequencer sequencer, string dataDirectory, ILogger logger, TimeProvider? time = null)
    {
        _sequencer = sequencer;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _secret = LoadOrCreateSecret(dataDirectory);
        var directory = Path.Combine(dataDirectory, DirectoryName);
        Directory.CreateDirectory(directory);
        _directory = directory;
        _rootsPath = Path.Combine(directory, RootsFileName);
        LoadRoots();
    }

    /// <summary>The latest published root of <paramref name="coin"/>.</summary>
    public bool TryGetLatest(string coin, out PublishedLiabilities? latest)
    {
        latest = _coins.TryGetValue(coin, out var c) ? c.Latest : null;
        return latest is not null;
    }

    /// <summary>Every root published for <paramref name="coin"/>, oldest first.</summary>
    public IReadOnlyList<PublishedLiabilities> History(string coin)
    {
        if (!_coins.TryGetValue(coin, out var c))
        {
            return [];
        }

        lock (c.Gate)
        {
            return [.. c.History];
        }
    }

    /// <summary>
    /// Builds a tree over the holder balances of <paramref name="coin"/> at the current height and publishes its root.
    /// Concurrent calls for one coin run one after the other; the tree is built on the calling thread pool thread,
    /// never under the state lock.
    /// </summary>
    public async Task<(PublishedLiabilities? Published, LiabilitiesFailure Failure, string? Detail)> PublishAsync(string coin, CancellationToken cancellationToken = default)
    {
        var state = _coins.GetOrAdd(coin, static _ => new CoinLiabilities());
        await state.Publishing.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Publish(coin, state), cancellationToken);
        }
        finally
        {
            state.Publishing.Release();
        }
    }

    private (PublishedLiabilities?, LiabilitiesFailure, string?) Publish(string symbol, CoinLiabilities state)
    {
        var snapshot = Snapshot(symbol);
        if (snapshot.Failure != LiabilitiesFailure.None)
        {
            return (null, snapshot.Failure, snapshot.Detail);
        }

        var started = _time.GetTimestamp();
        Array.Sort(snapshot.Addresses, snapshot.Balances);
        var tree = LiabilitiesTree.Build(symbol, snapshot.Height, Pairs(snapshot.Addresses, snapshot.Balances), _secret);
        var elapsed = (long)_time.GetElapsedTime(started).TotalMilliseconds;

        // The tree total must be the circulating supply the ledger shows: a holder left out (or counted twice) would
        // make them differ. The ledger's invariant (all balances of a coin sum to zero) makes this hold; refuse to
        // publish rather than commit to a wrong figure if it ever does not.
        if (tree.Root.Total != snapshot.CirculatingSupply)
        {
            _logger.LogError("Liabilities of {Coin} at height {Height}: tree total {Total} differs from the circulating supply {Supply}; not published",
                symbol, snapshot.Height, tree.Root.Total, snapshot.CirculatingSupply);
            return (null, LiabilitiesFailure.TotalMismatch,
                $"tree total {tree.Root.Total} differs from the circulating supply {snapshot.CirculatingSupply} at height {snapshot.Height}; nothing was published");
        }

        var published = new PublishedLiabilities(symbol, snapshot.Height, tree.Root, tree.LeafCount, snapshot.CirculatingSupply, _time.GetUtcNow(), elapsed);
        // Balances first, then the root: a root in roots.jsonl always has its balances on disk (unless a later
        // publication of the same coin replaced them), so its proofs can be served again after a restart.
        LiabilitiesBalancesFile.Write(BalancesPath(symbol), snapshot.Height, snapshot.Addresses, snapshot.Balances);
        AppendRoot(published);
        lock (state.Gate)
        {
            state.History.Add(published);
            state.Latest = published;
            state.Tree = tree;
        }

        _logger.LogInformation("Published liabilities of {Coin} at height {Height}: {Leaves} holders, total {Total}, root {Root} ({Ms} ms)",
            symbol, published.Height, published.LeafCount, published.Root.Total, published.Root.Hash, elapsed);
        return (published, LiabilitiesFailure.None, null);
    }

    private static IEnumerable<(Address Address, UInt128 Balance)> Pairs(Address[] addresses, UInt128[] balances)
    {
        for (var i = 0; i < addresses.Length; i++)
        {
            yield return (addresses[i], balances[i]);
        }
    }

    private readonly record struct BalanceSnapshot(ulong Height, Address[] Addresses, UInt128[] Balances, UInt128 CirculatingSupply, LiabilitiesFailure Failure, string? Detail);

    /// <summary>Copies the holder balances of one coin under the read lock: no sorting, hashing or allocation per holder there.</summary>
    private BalanceSnapshot Snapshot(string symbol)
    {
        using (_sequencer.ReadLock())
        {
            var st = _sequencer.State;
            if (!st.TryGetCoin(symbol, out var coin))
            {
                return new BalanceSnapshot(0, [], [], 0, LiabilitiesFailure.CoinNotFound, $"no coin '{symbol}'");
            }

            var count = 0;
            foreach (ref readonly var account in st.Accounts)
            {
                if (account.Key.Coin == coin.Number && (account.Flags & AccountFlags.Supply) == 0 && account.CreditsPosted != account.DebitsPosted)
                {
                    count++;
                }
            }

            var addresses = new Address[count];
            var balances = new UInt128[count];
            var i = 0;
            UInt128 circulating = 0;
            foreach (ref readonly var account in st.Accounts)
            {
                if (account.Key.Coin != coin.Number)
                {
                    continue;
                }

                if ((account.Flags & AccountFlags.Supply) != 0)
                {
                    var supply = account.Balance;
                    circulating = supply < 0 ? (UInt128)(-supply) : 0;
                    continue;
                }

                if (account.CreditsPosted == account.DebitsPosted)
                {
                    continue;
                }

                // A negative leaf would let the issuer hide liabilities; holder accounts cannot overdraw, so this is a
                // broken invariant, and nothing is published.
                if (account.CreditsPosted < account.DebitsPosted)
                {
                    return new BalanceSnapshot(st.Height, [], [], 0, LiabilitiesFailure.NegativeHolderBalance,
                        $"holder {account.Key.Address} has a negative {symbol} balance {account.Balance}; nothing was published");
                }

                addresses[i] = account.Key.Address;
                balances[i] = account.CreditsPosted - account.DebitsPosted;
                i++;
            }

            return new BalanceSnapshot(st.Height, addresses, balances, circulating, LiabilitiesFailure.None, null);
        }
    }

    /// <summary>
    /// The inclusion proof of <paramref name="address"/> in the latest published tree of <paramref name="coin"/>.
    /// After a restart the tree is rebuilt on first use from the balances saved with it (same balances, same secret:
    /// the same root, checked), or from the current state if those are lost and the ledger has not moved; otherwise
    /// the proof is unavailable until the next publication.
    /// </summary>
    public (LiabilityProof? Proof, LiabilitiesFailure Failure, string? Detail) GetProof(string coin, Address address)
    {
        if (!_coins.TryGetValue(coin, out var state) || state.Latest is null)
        {
            return (null, CoinExists(coin) ? LiabilitiesFailure.NotPublished : LiabilitiesFailure.CoinNotFound,
                CoinExists(coin) ? $"no liabilities root has been published for {coin} yet" : $"no coin '{coin}'");
        }

        LiabilitiesTree? tree;
        PublishedLiabilities latest;
        lock (state.Gate)
        {
            tree = state.Tree;
            latest = state.Latest;
        }

        if (tree is null)
        {
            tree = Rebuild(latest);
            if (tree is null)
            {
                return (null, LiabilitiesFailure.ProofUnavailable,
                    $"the balances saved with the root at height {latest.Height} are missing or damaged and the ledger has moved on; proofs are served again after the next publication");
            }

            lock (state.Gate)
            {
                if (ReferenceEquals(state.Latest, latest))
                {
                    state.Tree = tree;
                }
            }
        }

        return tree.TryGetProof(address, out var proof)
            ? (proof, LiabilitiesFailure.None, null)
            : (null, LiabilitiesFailure.HolderNotInTree, $"{address} holds no {coin} in the tree published at height {tree.Height}");
    }

    private string BalancesPath(string coin) => Path.Combine(_directory, coin + ".balances");

    /// <summary>
    /// Rebuilds the latest published tree after a restart: from the balances saved with it, or else from the current
    /// state if the ledger has not moved since. Null when neither gives the published root.
    /// </summary>
    private LiabilitiesTree? Rebuild(PublishedLiabilities latest)
    {
        Address[] addresses;
        UInt128[] balances;
        if (LiabilitiesBalancesFile.TryRead(BalancesPath(latest.Coin), latest.Height, out var saved, out var error))
        {
            (addresses, balances) = saved;
        }
        else
        {
            _logger.LogWarning("Liabilities balances of {Coin} at height {Height} not usable ({Error}); trying the current state", latest.Coin, latest.Height, error);
            var snapshot = Snapshot(latest.Coin);
            if (snapshot.Failure != LiabilitiesFailure.None || snapshot.Height != latest.Height)
            {
                return null;
            }

            Array.Sort(snapshot.Addresses, snapshot.Balances);
            (addresses, balances) = (snapshot.Addresses, snapshot.Balances);
        }

        var tree = LiabilitiesTree.Build(latest.Coin, latest.Height, Pairs(addresses, balances), _secret);
        if (tree.Root != latest.Root)
        {
            _logger.LogWarning("Rebuilt liabilities tree of {Coin} at height {Height} has root {Rebuilt}, the published one is {Published} (was the secret replaced?)",
                latest.Coin, latest.Height, tree.Root.Hash, latest.Root.Hash);
            return null;
        }

        return tree;
    }

    private bool CoinExists(string coin)
    {
        using (_sequencer.ReadLock())
        {
            return _sequencer.State.TryGetCoin(coin, out _);
        }
    }

    /// <summary>
    /// Publishes every coin automatically: when <paramref name="everyBlocks"/> blocks have been added since a coin's
    /// last publication, or <paramref name="every"/> has passed and the ledger moved. Zero turns a trigger off.
    /// </summary>
    public void StartAutomatic(ulong everyBlocks, TimeSpan every)
    {
        if ((everyBlocks == 0 && every <= TimeSpan.Zero) || _automatic is not null)
        {
            return;
        }

        _automatic = Task.Run(() => AutomaticLoopAsync(everyBlocks, every, _stop.Token));
    }

    private async Task AutomaticLoopAsync(ulong everyBlocks, TimeSpan every, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                List<string> due = [];
                ulong height;
                using (_sequencer.ReadLock())
                {
                    height = _sequencer.State.Height;
                    foreach (var coin in _sequencer.State.Coins)
                    {
                        due.Add(coin.Symbol);
                    }
                }

                var now = _time.GetUtcNow();
                foreach (var symbol in due)
                {
                    TryGetLatest(symbol, out var latest);
                    var isDue = latest is null
                        || (everyBlocks > 0 && height >= latest.Height + everyBlocks)
                        || (every > TimeSpan.Zero && height != latest.Height && now - latest.PublishedAt >= every);
                    if (isDue)
                    {
                        var (_, failure, detail) = await PublishAsync(symbol, ct);
                        if (failure != LiabilitiesFailure.None)
                        {
                            _logger.LogError("Automatic liabilities publication of {Coin} failed: {Failure}: {Detail}", symbol, failure, detail);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "Automatic liabilities publication stopped");
        }
    }

    private void AppendRoot(PublishedLiabilities published)
    {
        var line = JsonSerializer.Serialize(LiabilitiesRootInfo.From(published), LiabilitiesRootInfo.FileOptions) + "\n";
        lock (_rootsFileLock)
        {
            using var stream = new FileStream(_rootsPath, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
    }

    private void LoadRoots()
    {
        if (!File.Exists(_rootsPath))
        {
            return;
        }

        var number = 0;
        foreach (var line in File.ReadLines(_rootsPath))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            // A torn last line (crash while appending) is skipped: its publication was never acknowledged.
            LiabilitiesRootInfo? info;
            try
            {
                info = JsonSerializer.Deserialize<LiabilitiesRootInfo>(line, LiabilitiesRootInfo.FileOptions);
            }
            catch (JsonException ex)
            {
                _logger.LogWarning("Skipping unreadable line {Line} of {File}: {Error}", number, _rootsPath, ex.Message);
                continue;
            }

            if (info?.ToPublished() is not { } published)
            {
                _logger.LogWarning("Skipping unreadable line {Line} of {File}", number, _rootsPath);
                continue;
            }

            var state = _coins.GetOrAdd(published.Coin, static _ => new CoinLiabilities());
            state.History.Add(published);
            state.Latest = published;
        }
    }

    private static byte[] LoadOrCreateSecret(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, SecretFileName);
        if (File.Exists(path))
        {
            var hex = File.ReadAllText(path).Trim();
            var bytes = Convert.FromHexString(hex);
            if (bytes.Length < LiabilitiesTree.MinimumSecretLength)
            {
                throw new InvalidDataException($"{path} must hold at least {LiabilitiesTree.MinimumSecretLength} bytes as hex.");
            }

            return bytes;
        }

        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        SecretFile.WriteOwnerOnly(path, Convert.ToHexStringLower(secret));
        return secret;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _automatic?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "SemaphoreSlim allocates an OS handle only when AvailableWaitHandle is used, which this never does")]
    private sealed class CoinLiabilities
    {
        public readonly Lock Gate = new();
        public readonly SemaphoreSlim Publishing = new(1, 1);
        public readonly List<PublishedLiabilities> History = [];
        public PublishedLiabilities? Latest;
        public LiabilitiesTree? Tree;
    }
}

/// <summary>A published root as JSON (API and roots.jsonl). Amounts and height are decimal strings.</summary>
public sealed record LiabilitiesRootInfo(
    int Version,
    string Coin,
    string Height,
    LiabilitiesRoot Root,
    int LeafCount,
    string CirculatingSupply,
    bool TotalMatchesSupply,
    DateTimeOffset PublishedAt,
    long BuildMilliseconds)
{
    internal static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web);

    public static LiabilitiesRootInfo From(PublishedLiabilities p) => new(
        LiabilityProof.CurrentVersion,
        p.Coin,
        p.Height.ToString(CultureInfo.InvariantCulture),
        p.Root,
        p.LeafCount,
        p.CirculatingSupply.ToString(CultureInfo.InvariantCulture),
        p.Root.Total == p.CirculatingSupply,
        p.PublishedAt,
        p.BuildMilliseconds);

    internal PublishedLiabilities? ToPublished() =>
        Coin is not null && ulong.TryParse(Height, NumberStyles.None, CultureInfo.InvariantCulture, out var height)
        && UInt128.TryParse(CirculatingSupply, NumberStyles.None, CultureInfo.InvariantCulture, out var supply)
            ? new PublishedLiabilities(Coin, height, Root, LeafCount, supply, PublishedAt, BuildMilliseconds)
            : null;
}

/// <summary>Small owner-only files in the data directory (secrets, keys).</summary>
internal static class SecretFile
{
    public static void WriteOwnerOnly(string path, string content)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// The holder balances behind the latest published tree of a coin, <c>&lt;data&gt;/liabilities/&lt;COIN&gt;.balances</c>,
/// so the tree (and any holder's proof) can be rebuilt after a restart. Little-endian, checksummed:
/// <code>"CPOL" | version u32 = 1 | height u64 | count u64 | count × (address[20] ‖ balance u128) | SHA-256 of all before</code>
/// Written to a temporary file, fsynced, then renamed over the previous one.
/// </summary>
internal static class LiabilitiesBalancesFile
{
    private const int HeaderSize = 24;
    private const int RecordSize = Address.Size + 16;
    private const uint Version = 1;

    public static void Write(string path, ulong height, Address[] addresses, UInt128[] balances)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            "CPOL"u8.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Version);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], height);
            BinaryPrimitives.WriteUInt64LittleEndian(header[16..], (ulong)addresses.Length);
            stream.Write(header);
            sha.AppendData(header);

            var buffer = new byte[RecordSize * 4096];
            var used = 0;
            for (var i = 0; i < addresses.Length; i++)
            {
                addresses[i].WriteTo(buffer.AsSpan(used, Address.Size));
                BinaryPrimitives.WriteUInt128LittleEndian(buffer.AsSpan(used + Address.Size, 16), balances[i]);
                used += RecordSize;
                if (used == buffer.Length || i == addresses.Length - 1)
                {
                    stream.Write(buffer, 0, used);
                    sha.AppendData(buffer, 0, used);
                    used = 0;
                }
            }

            stream.Write(sha.GetHashAndReset());
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    public static bool TryRead(string path, ulong height, out (Address[] Addresses, UInt128[] Balances) saved, out string? error)
    {
        saved = default;
        if (!File.Exists(path))
        {
            error = "no file";
            return false;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize + 32 || !bytes.AsSpan(0, 4).SequenceEqual("CPOL"u8) || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != Version)
        {
            error = "not a version-1 balances file";
            return false;
        }

        var count = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        if (count > (ulong)((bytes.Length - HeaderSize - 32) / RecordSize) || (ulong)bytes.Length != HeaderSize + (count * RecordSize) + 32)
        {
            error = "length does not match the holder count";
            return false;
        }

        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
        {
            error = "checksum mismatch";
            return false;
        }

        var fileHeight = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));
        if (fileHeight != height)
        {
            error = $"balances are for height {fileHeight}";
            return false;
        }

        var addresses = new Address[count];
        var balances = new UInt128[count];
        for (var i = 0; i < addresses.Length; i++)
        {
            var record = body.Slice(HeaderSize + (i * RecordSize), RecordSize);
            addresses[i] = Address.FromBytes(record[..Address.Size]);
            balances[i] = BinaryPrimitives.ReadUInt128LittleEndian(record[Address.Size..]);
        }

        saved = (addresses, balances);
        error = null;
        return true;
    }
}
