using Xunit.Abstractions;

namespace Centime.Ledger.Tests;

public sealed class IdIndexTests(ITestOutputHelper output)
{
    [Fact]
    public void IdIndex_RandomInsertsAndRemovals_AgreeWithDictionary()
    {
        var ids = new Dictionary<int, UInt128>();
        RandomInsertsAndRemovals(ids, new KeyIndex<UInt128, DictionaryIds>(new DictionaryIds(ids)));
    }

    [Fact]
    public void IdIndex_EqualTagsForDifferentIds_TellsThemApartByRecord()
    {
        // Eight tags for all ids: nearly every probe meets a tag match of another id.
        var ids = new Dictionary<int, UInt128>();
        RandomInsertsAndRemovals(ids, new KeyIndex<UInt128, CollidingIds>(new CollidingIds(ids)));
    }

    private void RandomInsertsAndRemovals<TSource>(Dictionary<int, UInt128> ids, KeyIndex<UInt128, TSource> index)
        where TSource : struct, IKeySource<UInt128>
    {
        var seed = Environment.GetEnvironmentVariable("CENTIME_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var colliding = typeof(TSource) == typeof(CollidingIds);
        var model = new Dictionary<UInt128, int>();
        var keys = new List<UInt128>();
        for (var step = 0; step < (colliding ? 5_000 : 200_000); step++)
        {
            var op = random.Next(10);
            if (op < 6 || keys.Count == 0)
            {
                // Small key space so collisions, reinsertions and long probe runs happen.
                var id = random.Next(3) == 0 ? (UInt128)(ulong)random.Next(1, 5000) : new UInt128((ulong)random.Next(4), (ulong)random.NextInt64(1, long.MaxValue));
                ref var slot = ref index.GetValueRefOrAddDefault(id, out var exists);
                Assert.True(exists == model.ContainsKey(id), $"seed {seed} step {step}: exists mismatch for {id}");
                if (!exists)
                {
                    ids[step] = id; // the record first: the index reads ids from it
                    slot = step;
                    model[id] = step;
                    keys.Add(id);
                }
            }
            else if (op < 8)
            {
                var k = random.Next(keys.Count);
                var id = keys[k];
                keys[k] = keys[^1];
                keys.RemoveAt(keys.Count - 1);
                Assert.True(index.Remove(id), $"seed {seed} step {step}: remove of present {id} failed");
                model.Remove(id);
                Assert.False(index.Remove(id), $"seed {seed} step {step}: second remove of {id} succeeded");
            }
            else
            {
                var id = keys[random.Next(keys.Count)];
                Assert.True(index.TryGetValue(id, out var v) && v == model[id], $"seed {seed} step {step}: lookup of {id}");
            }
        }

        Assert.Equal(model.Count, index.Count);
        foreach (var (id, value) in model)
        {
            Assert.True(index.TryGetValue(id, out var v) && v == value, $"seed {seed}: final lookup of {id}");
        }
    }

    [Fact]
    public void IdIndex_ReservedSlot_SkippedByLookupsAndRemovedByRemoveReserved()
    {
        var ids = new Dictionary<int, UInt128> { [0] = 7 };
        var index = new KeyIndex<UInt128, DictionaryIds>(new DictionaryIds(ids));
        index.Add(7, 0);
        index.GetValueRefOrAddDefault(8, out var exists);
        Assert.False(exists);
        Assert.False(index.TryGetValue(8, out _));
        Assert.False(index.Remove(8));
        Assert.True(index.RemoveReserved(8));
        Assert.Equal(1, index.Count);
        Assert.True(index.TryGetValue(7, out var v) && v == 0);
    }

    private static readonly IndexHashKey Key = IndexHashKey.Random();

    /// <summary>
    /// The index hash is keyed per state (hash flooding: which ids collide must not be computable from outside), yet
    /// the state it indexes is the same: two states fed the same blocks have different keys, equal state hashes, and
    /// find every id and account.
    /// </summary>
    [Fact]
    public void IndexHash_KeyedPerState_SameStateHashAndLookups()
    {
        var (k1, k2) = (IndexHashKey.Random(), IndexHashKey.Random());
        var ids = Enumerable.Range(1, 256).Select(i => (ulong)i).ToArray();
        Assert.True(ids.Count(i => k1.Hash(i, 0) != k2.Hash(i, 0)) > 250, "two keys must place ids differently");

        // Sequential ids still spread: no home slot of a 1,024-slot table gets more than a handful of 1,000 ids.
        var homes = Enumerable.Range(1, 1000).GroupBy(i => k1.Hash((ulong)i, 0) & 1023).Max(g => g.Count());
        Assert.True(homes <= 8, $"{homes} ids share one home slot");

        var a = new TestLedger();
        var b = new TestLedger();
        foreach (var ledger in new[] { a, b })
        {
            var coin = ledger.CreateCoin("NUSD");
            var batch = Enumerable.Range(0, 2000).Select(i => ledger.Mint(coin, TestLedger.Holder("h" + (i % 300)), (UInt128)(i + 1))).ToArray();
            Assert.All(ledger.Codes(batch), c => Assert.Equal(ResultCode.Ok, c));
        }

        Assert.Equal(a.State.ComputeStateHash(), b.State.ComputeStateHash());
        var nusd = a.State.Coins.Single(c => c.Symbol == "NUSD");
        Assert.Equal(a.Balance(nusd, TestLedger.Holder("h7")), b.Balance(nusd, TestLedger.Holder("h7")));
        Assert.True(b.State.TryGetTransfer(1_000 + 1_999, out _));
    }

    private readonly struct DictionaryIds(Dictionary<int, UInt128> ids) : IKeySource<UInt128>
    {
        public uint Hash(in UInt128 id) => new TransferIds(null!, Key).Hash(id);

        public bool Holds(int value, in UInt128 id) => ids[value] == id;
    }

    private readonly struct CollidingIds(Dictionary<int, UInt128> ids) : IKeySource<UInt128>
    {
        public uint Hash(in UInt128 id) => (uint)(ulong)(id % 8);

        public bool Holds(int value, in UInt128 id) => ids[value] == id;
    }
}
