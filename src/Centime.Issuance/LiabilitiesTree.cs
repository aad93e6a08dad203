using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// A proof-of-liabilities Merkle-sum tree over the holder balances of one coin at one block height
/// (layout in docs/reserves.md). Leaves are in ascending address order; an odd node at the end of a level moves up
/// unchanged. Each leaf carries a salt derived from a server secret, the coin and the height, so the tree is
/// reproducible by whoever holds the secret while a holder's proof reveals nothing that lets them brute-force a
/// neighbour's balance from the neighbour's leaf hash.
/// <para>
/// Guards against the known attacks (specs/issuer.md §2): balances are unsigned and at most 2^127 − 1, so a
/// negative leaf cannot exist; both child sums are inside every parent hash; adding a leaf (a dummy user) can only
/// raise the total; zero balances are left out (they owe nothing and would only pad the tree); every address
/// appears once.
/// </para>
/// Immutable after <see cref="Build"/>; proofs may be taken from many threads at once.
/// </summary>
public sealed class LiabilitiesTree
{
    /// <summary>Shortest accepted salt secret, in bytes.</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>
    /// Levels 0–2 (leaves and the two levels above) are not kept: a proof recomputes the 8-leaf bucket it needs
    /// from the stored addresses and balances. That cuts memory from ~120 to ~52 bytes per holder, which matters
    /// beyond RAM: on this kind of VM touching a fresh page costs microseconds, and a 10-million-holder tree's
    /// build time was dominated by page faults.
    /// </summary>
    private const int BucketLevels = 3;
    private const int BucketSize = 1 << BucketLevels;

    /// <summary>Leaves hashed together and reduced to their bucket nodes on the stack: 8 buckets, so every level of
    /// the reduction fills the eight SHA-256 lanes.</summary>
    private const int GroupSize = 64;

    // Below this many items work stays on the calling thread: Parallel.For's start-up would cost more.
    private const int ParallelThreshold = 8192;
    private const int ChunkSize = 16384; // a multiple of GroupSize

    private readonly Address[] _addresses;
    private readonly UInt128[] _balances;
    private readonly SumNode[][] _levels; // _levels[0] is tree level BucketLevels
    private readonly byte[] _saltKey;

    private LiabilitiesTree(string coin, ulong height, Address[] addresses, UInt128[] balances, SumNode[][] levels, byte[] saltKey)
    {
        Coin = coin;
        Height = height;
        _addresses = addresses;
        _balances = balances;
        _levels = levels;
        _saltKey = saltKey;
        var top = levels[^1];
        Root = top.Length == 0 ? new LiabilitiesRoot(Hash32.Zero, UInt128.Zero) : new LiabilitiesRoot(top[0].Hash, top[0].Sum);
    }

    /// <summary>Coin symbol the balances belong to.</summary>
    public string Coin { get; }

    /// <summary>Block height of the balances.</summary>
    public ulong Height { get; }

    /// <summary>The commitment to publish: root hash and total liabilities.</summary>
    public LiabilitiesRoot Root { get; }

    /// <summary>Holders in the tree (non-zero balances).</summary>
    public int LeafCount => _addresses.Length;

    /// <summary>
    /// Builds the tree. <paramref name="balances"/> must be in strictly ascending address order (no duplicates);
    /// zero balances are skipped. Hashing runs on all cores.
    /// </summary>
    /// <param name="coin">Coin symbol (see <see cref="Ledger.Coin.IsValidSymbol"/>); it and the height select the salts.</param>
    /// <param name="height">Block height of the balances.</param>
    /// <param name="balances">Holder balances in minor units, sorted by address.</param>
    /// <param name="saltSecret">Server secret of at least <see cref="MinimumSecretLength"/> bytes. Keep it: with it the
    /// same tree (and any holder's proof) can be rebuilt later; without it nobody can recompute a leaf from a guess.</param>
    /// <exception cref="ArgumentException">Addresses out of order or repeated, the zero address, a balance or total
    /// above 2^127 − 1, or a short secret.</exception>
    public static LiabilitiesTree Build(string coin, ulong height, IEnumerable<(Address Address, UInt128 Balance)> balances, ReadOnlySpan<byte> saltSecret)
    {
        ArgumentNullException.ThrowIfNull(balances);
        if (!Ledger.Coin.IsValidSymbol(coin))
        {
            throw new ArgumentException($"'{coin}' is not a coin symbol.", nameof(coin));
        }

        if (saltSecret.Length < MinimumSecretLength)
        {
            throw new ArgumentException($"The salt secret must be at least {MinimumSecretLength} bytes.", nameof(saltSecret));
        }

        var (addresses, amounts) = Collect(balances);
        var saltKey = LiabilityHashing.DeriveSaltKey(saltSecret, coin, height);
        var levels = new List<SumNode[]> { HashBuckets(addresses, amounts, saltKey) };
        while (levels[^1].Length > 1)
        {
            levels.Add(ReduceLevel(levels[^1]));
        }

        return new LiabilitiesTree(coin, height, addresses, amounts, [.. levels], saltKey);
    }

    /// <summary>
    /// The holder balances of <paramref name="coin"/> in <paramref name="state"/>, sorted by address, ready for
    /// <see cref="Build"/>: posted balances (funds on hold are still owed to someone), frozen accounts included
    /// (a frozen token is still a liability), the supply account excluded (minus its balance is the total the tree
    /// must reach), zero balances left out. A negative holder balance cannot be put in the tree and throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">A holder account has a negative balance.</exception>
    public static IReadOnlyList<(Address Address, UInt128 Balance)> HolderBalances(LedgerState state, uint coin)
    {
        ArgumentNullException.ThrowIfNull(state);
        var result = new List<(Address Address, UInt128 Balance)>();
        foreach (ref readonly var account in state.Accounts)
        {
            if (account.Key.Coin != coin || (account.Flags & AccountFlags.Supply) != 0)
            {
                continue;
            }

            var balance = account.Balance;
            if (balance < 0)
            {
                throw new InvalidOperationException($"Holder {account.Key.Address} of coin {coin} has a negative balance {balance}; a liabilities tree only takes balances ≥ 0.");
            }

            if (balance > 0)
            {
                result.Add((account.Key.Address, (UInt128)balance));
            }
        }

        result.Sort(static (a, b) => a.Address.CompareTo(b.Address));
        return result;
    }

    /// <summary>The inclusion proof of <paramref name="address"/>; false when it holds nothing in this tree.</summary>
    [SkipLocalsInit]
    public bool TryGetProof(Address address, [NotNullWhen(true)] out LiabilityProof? proof)
    {
        var index = Array.BinarySearch(_addresses, address);
        if (index < 0)
        {
            proof = null;
            return false;
        }

        var path = new List<LiabilityProofStep>(BucketLevels + _levels.Length);

        // Rebuild the leaf's bucket (bucket starts are multiples of 8, so its levels match the full tree's).
        var bucketStart = index & ~(BucketSize - 1);
        var count = Math.Min(BucketSize, _addresses.Length - bucketStart);
        Span<SumNode> nodes = stackalloc SumNode[BucketSize];
        HashLeaves(_addresses, _balances, bucketStart, count, _saltKey, nodes);
        var position = index - bucketStart;
        for (var level = 0; level < BucketLevels; level++)
        {
            AddSibling(path, nodes[..count], position);
            count = Reduce(nodes, count);
            position >>= 1;
        }

        position = index >> BucketLevels;
        for (var level = 0; level < _levels.Length - 1; level++)
        {
            AddSibling(path, _levels[level], position);
            position >>= 1;
        }

        Span<byte> salt = stackalloc byte[LiabilityHashing.SaltSize];
        LiabilityHashing.Salt(_saltKey, address, salt);
        proof = new LiabilityProof
        {
            Coin = Coin,
            Height = Height,
            Address = address,
            Balance = _balances[index],
            Salt = Hash32.FromBytes(salt),
            Path = path,
            Root = Root,
        };
        return true;
    }

    /// <summary>The inclusion proof of <paramref name="address"/>.</summary>
    /// <exception cref="KeyNotFoundException">The address holds nothing in this tree.</exception>
    public LiabilityProof GetProof(Address address) =>
        TryGetProof(address, out var proof) ? proof : throw new KeyNotFoundException($"{address} holds no {Coin} in the tree at height {Height}.");

    private static void AddSibling(List<LiabilityProofStep> path, ReadOnlySpan<SumNode> level, int position)
    {
        var sibling = position ^ 1;
        if (sibling < level.Length)
        {
            path.Add(new LiabilityProofStep(level[sibling].Hash, level[sibling].Sum, SiblingOnLeft: sibling < position));
        }
    }

    // AggressiveOptimization here and on the hashing loops: a tree is built a few times a day, so these loops
    // would otherwise run as unoptimised tier-0 code for most of a build.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (Address[] Addresses, UInt128[] Balances) Collect(IEnumerable<(Address Address, UInt128 Balance)> balances)
    {
        var capacity = balances.TryGetNonEnumeratedCount(out var known) ? Math.Max(known, 16) : 1024;
        var addresses = new Address[capacity];
        var amounts = new UInt128[capacity];
        var count = 0;
        var total = UInt128.Zero;
        var previous = Address.Zero;
        foreach (var (address, balance) in balances)
        {
            if (address.IsZero)
            {
                throw new ArgumentException("The zero address cannot hold a balance.", nameof(balances));
            }

            if (address <= previous)
            {
                throw new ArgumentException($"Balances must be in strictly ascending address order: {address} follows {previous}.", nameof(balances));
            }

            previous = address;
            if (balance == UInt128.Zero)
            {
                continue;
            }

            if (balance > LiabilityHashing.MaxAmount || !LiabilityHashing.TryAdd(total, balance, out total))
            {
                throw new ArgumentException($"Balance {balance} of {address} takes the total beyond 2^127 − 1 minor units.", nameof(balances));
            }

            if (count == addresses.Length)
            {
                var grown = checked(addresses.Length * 2);
                Array.Resize(ref addresses, grown);
                Array.Resize(ref amounts, grown);
            }

            addresses[count] = address;
            amounts[count] = balance;
            count++;
        }

        if (count != addresses.Length)
        {
            Array.Resize(ref addresses, count);
            Array.Resize(ref amounts, count);
        }

        return (addresses, amounts);
    }

    /// <summary>Level <see cref="BucketLevels"/> of the tree: every 8-leaf bucket hashed and reduced in stack memory.</summary>
    private static SumNode[] HashBuckets(Address[] addresses, UInt128[] balances, byte[] saltKey)
    {
        var buckets = new SumNode[(addresses.Length + BucketSize - 1) / BucketSize];
        ForChunks(addresses.Length, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            Span<SumNode> group = stackalloc SumNode[GroupSize];
            for (var first = start; first < end; first += GroupSize)
            {
                var count = Math.Min(GroupSize, end - first);
                HashLeaves(addresses, balances, first, count, saltKey, group);
                for (var level = 0; level < BucketLevels; level++)
                {
                    count = Reduce(group, count);
                }

                group[..count].CopyTo(buckets.AsSpan(first / BucketSize));
            }
        });
        return buckets;
    }

    /// <summary>The level above <paramref name="below"/>.</summary>
    private static SumNode[] ReduceLevel(SumNode[] below)
    {
        var above = new SumNode[(below.Length + 1) / 2];
        ForChunks(above.Length, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            // Chunks start at even positions of the level below, so pairing inside a chunk is the tree's pairing.
            Span<SumNode> group = stackalloc SumNode[2 * GroupSize];
            for (var first = start; first < end; first += GroupSize)
            {
                var from = 2 * first;
                var count = Math.Min(2 * GroupSize, below.Length - from);
                below.AsSpan(from, count).CopyTo(group);
                var reduced = Reduce(group, count);
                group[..reduced].CopyTo(above.AsSpan(first));
            }
        });
        return above;
    }

    /// <summary>Hashes the leaves <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 into <paramref name="nodes"/>.</summary>
    [SkipLocalsInit]
    private static void HashLeaves(Address[] addresses, UInt128[] balances, int first, int count, ReadOnlySpan<byte> saltKey, Span<SumNode> nodes)
    {
        const int SaltInputSize = LiabilityHashing.SaltSize + Address.Size;
        Span<byte> saltInputs = stackalloc byte[Sha256x8.Lanes * SaltInputSize];
        Span<byte> leafInputs = stackalloc byte[Sha256x8.Lanes * LiabilityHashing.LeafInputSize];
        Span<byte> hashes = stackalloc byte[Sha256x8.Lanes * Hash32.Size];
        for (var done = 0; done < count; done += Sha256x8.Lanes)
        {
            var lanes = Math.Min(Sha256x8.Lanes, count - done);
            for (var lane = 0; lane < lanes; lane++)
            {
                var saltInput = saltInputs.Slice(lane * SaltInputSize, SaltInputSize);
                saltKey.CopyTo(saltInput);
                addresses[first + done + lane].WriteTo(saltInput[LiabilityHashing.SaltSize..]);
            }

            HashMany(saltInputs, SaltInputSize, lanes, hashes);
            for (var lane = 0; lane < lanes; lane++)
            {
                LiabilityHashing.WriteLeafInput(
                    leafInputs.Slice(lane * LiabilityHashing.LeafInputSize, LiabilityHashing.LeafInputSize),
                    addresses[first + done + lane],
                    balances[first + done + lane],
                    hashes.Slice(lane * Hash32.Size, Hash32.Size));
            }

            HashMany(leafInputs, LiabilityHashing.LeafInputSize, lanes, hashes);
            for (var lane = 0; lane < lanes; lane++)
            {
                nodes[done + lane] = new SumNode(Hash32.FromBytes(hashes.Slice(lane * Hash32.Size, Hash32.Size)), balances[first + done + lane]);
            }
        }
    }

    /// <summary>
    /// Replaces the first <paramref name="count"/> nodes with the level above them, in place, and returns its size.
    /// Pairs (0,1), (2,3), …; an unpaired last node moves up unchanged. In place is safe: each batch of eight
    /// parents reads all sixteen children before writing, and parents sit at lower indexes than later children.
    /// </summary>
    [SkipLocalsInit]
    private static int Reduce(Span<SumNode> nodes, int count)
    {
        Span<byte> inputs = stackalloc byte[Sha256x8.Lanes * LiabilityHashing.NodeInputSize];
        Span<byte> hashes = stackalloc byte[Sha256x8.Lanes * Hash32.Size];
        Span<UInt128> sums = stackalloc UInt128[Sha256x8.Lanes];
        var pairs = count / 2;
        for (var done = 0; done < pairs; done += Sha256x8.Lanes)
        {
            var lanes = Math.Min(Sha256x8.Lanes, pairs - done);
            for (var lane = 0; lane < lanes; lane++)
            {
                ref readonly var left = ref nodes[2 * (done + lane)];
                ref readonly var right = ref nodes[(2 * (done + lane)) + 1];
                LiabilityHashing.WriteNodeInput(inputs.Slice(lane * LiabilityHashing.NodeInputSize, LiabilityHashing.NodeInputSize), left.Hash, left.Sum, right.Hash, right.Sum);

                // Cannot pass the cap: every sum is part of the leaf total, checked ≤ 2^127 − 1 in Collect.
                sums[lane] = left.Sum + right.Sum;
            }

            HashMany(inputs, LiabilityHashing.NodeInputSize, lanes, hashes);
            for (var lane = 0; lane < lanes; lane++)
            {
                nodes[done + lane] = new SumNode(Hash32.FromBytes(hashes.Slice(lane * Hash32.Size, Hash32.Size)), sums[lane]);
            }
        }

        if (count % 2 == 1)
        {
            nodes[pairs] = nodes[count - 1];
        }

        return (count + 1) / 2;
    }

    /// <summary>SHA-256 of <paramref name="count"/> back-to-back messages: eight lanes at a time where the CPU has
    /// 256-bit vectors, else one platform call per message.</summary>
    private static void HashMany(ReadOnlySpan<byte> inputs, int length, int count, Span<byte> hashes)
    {
        if (Sha256x8.IsSupported)
        {
            Sha256x8.Hash(inputs, length, count, hashes);
            return;
        }

        for (var lane = 0; lane < count; lane++)
        {
            SHA256.HashData(inputs.Slice(lane * length, length), hashes.Slice(lane * Hash32.Size, Hash32.Size));
        }
    }

    private static void ForChunks(int count, Action<int, int> body)
    {
        if (count < ParallelThreshold)
        {
            body(0, count);
            return;
        }

        var chunks = (count + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, chunk =>
        {
            var start = chunk * ChunkSize;
            body(start, Math.Min(count, start + ChunkSize));
        });
    }

    /// <summary>A tree node: hash and the liabilities total beneath it (48 bytes).</summary>
    private readonly record struct SumNode(Hash32 Hash, UInt128 Sum);
}
