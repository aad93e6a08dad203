using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Issuance.Tests;

public sealed class LiabilitiesTreeTests(ITestOutputHelper output)
{
    internal static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Build_RandomLedger_EveryHolderProofVerifiesAndTotalIsSupply()
    {
        var seed = TestSeeds.Next(output, nameof(Build_RandomLedger_EveryHolderProofVerifiesAndTotalIsSupply));
        var tag = TestSeeds.Tag(seed);
        var rng = new Random(seed);
        var ledger = new LedgerState();
        var results = new CommandResult[LedgerState.MaxBatchSize];
        ulong height = 0;
        ulong time = 1_700_000_000_000_000_000UL;
        void Apply(List<Command> commands)
        {
            for (var i = 0; i < commands.Count; i += LedgerState.MaxBatchSize)
            {
                var block = commands.Skip(i).Take(LedgerState.MaxBatchSize).ToArray();
                ledger.ApplyBlock(++height, time += 1_000_000_000UL, block, results.AsSpan(0, block.Length));
            }
        }

        Apply([Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")), Command.Of(new CreateCoin("JHKD", 6, "HKD", "J Dollar", "1"))]);
        var coin = ledger.Coins[0];
        var other = ledger.Coins[1];
        var holders = Enumerable.Range(0, 2_000 + rng.Next(2_000)).Select(_ => RandomAddress(rng)).Distinct().ToArray();
        UInt128 id = 1;
        var commands = new List<Command>();
        foreach (var holder in holders)
        {
            commands.Add(Command.Of(new Transfer { Id = id++, DebitAccount = coin.SupplyAccount, CreditAccount = holder, Amount = (UInt128)rng.NextInt64(1, 10_000_000_000), Coin = coin.Number, Code = 1 }));
            commands.Add(Command.Of(new Transfer { Id = id++, DebitAccount = other.SupplyAccount, CreditAccount = holder, Amount = 7, Coin = other.Number, Code = 1 }));
        }

        Apply(commands);

        // Payments between holders (some fail for lack of funds, some spend a whole balance) and burns, in rounds
        // built from the balances of the round before.
        for (var round = 0; round < 3; round++)
        {
            commands.Clear();
            for (var i = 0; i < holders.Length; i++)
            {
                var from = holders[rng.Next(holders.Length)];
                var to = rng.Next(10) == 0 ? coin.SupplyAccount : holders[rng.Next(holders.Length)];
                ledger.TryGetAccount(coin.Number, from, out var account);
                var amount = rng.Next(4) == 0 && account.Balance > 0 ? (UInt128)account.Balance : (UInt128)rng.NextInt64(1, 5_000_000_000);
                if (from != to)
                {
                    commands.Add(Command.Of(new Transfer { Id = id++, DebitAccount = from, CreditAccount = to, Amount = amount, Coin = coin.Number, Code = 1 }));
                }
            }

            Apply(commands);
        }

        // Burn some holders' whole balance, so the ledger has zero-balance holders the tree must leave out.
        commands.Clear();
        foreach (var holder in holders.Take(50))
        {
            ledger.TryGetAccount(coin.Number, holder, out var account);
            if (account.Balance > 0)
            {
                commands.Add(Command.Of(new Transfer { Id = id++, DebitAccount = holder, CreditAccount = coin.SupplyAccount, Amount = (UInt128)account.Balance, Coin = coin.Number, Code = 1 }));
            }
        }

        Apply(commands);
        ledger.TryGetAccount(coin.Number, coin.SupplyAccount, out var supplyAccount);
        var supply = (UInt128)(-supplyAccount.Balance);

        var balances = LiabilitiesTree.HolderBalances(ledger, coin.Number);
        var tree = LiabilitiesTree.Build(coin.Symbol, ledger.Height, balances, Secret);
        output.WriteLine($"{holders.Length} holders, {tree.LeafCount} with a balance, total {tree.Root.Total}");

        Assert.True(supply == tree.Root.Total, $"{tag} tree total {tree.Root.Total} != circulating supply {supply}");
        Assert.True(balances.Aggregate(UInt128.Zero, (s, b) => s + b.Balance) == tree.Root.Total, $"{tag} total is not the sum of balances");
        Assert.True(tree.LeafCount < holders.Length, $"{tag} no holder was drained to zero; the workload lost its zero-balance case");
        foreach (var (address, balance) in balances)
        {
            var proof = tree.GetProof(address);
            Assert.True(balance == proof.Balance, $"{tag} {address}: proof balance {proof.Balance} != ledger balance {balance}");
            var verdict = LiabilityProofVerifier.Verify(proof, tree.Root);
            Assert.True(verdict.IsValid, $"{tag} {address}: {verdict.Code} {verdict.Reason}");
        }

        foreach (var holder in holders.Where(h => !balances.Any(b => b.Address == h)).Take(20))
        {
            Assert.False(tree.TryGetProof(holder, out _), $"{tag} {holder} has no balance but got a proof");
        }
    }

    [Fact]
    public void Build_RandomSizes_RootMatchesIndependentReference()
    {
        var seed = TestSeeds.Next(output, nameof(Build_RandomSizes_RootMatchesIndependentReference));
        var rng = new Random(seed);

        // Edges of the 8-lane hashing, the 8-leaf buckets, the 64-leaf groups and the parallel path.
        int[] sizes = [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1_000, 8_191, 8_192, 16_385, 20_001, rng.Next(1, 3_000), rng.Next(1, 3_000)];
        foreach (var size in sizes)
        {
            var holders = RandomHolders(rng, size);
            var height = (ulong)rng.NextInt64();
            var tree = LiabilitiesTree.Build("NUSD", height, holders, Secret);
            var expected = ReferenceRoot(holders, Secret, "NUSD", height);
            Assert.True(expected == tree.Root, $"{TestSeeds.Tag(seed)} {size} leaves: root {tree.Root} != reference {expected}");

            // Spot-check proofs at the edges of buckets and at the end, where odd nodes move up.
            foreach (var index in new[] { 0, size / 2, size - 1, Math.Min(size - 1, 7), Math.Min(size - 1, 8) })
            {
                var verdict = LiabilityProofVerifier.Verify(tree.GetProof(holders[index].Address), tree.Root);
                Assert.True(verdict.IsValid, $"{TestSeeds.Tag(seed)} {size} leaves, leaf {index}: {verdict.Code} {verdict.Reason}");
            }
        }
    }

    [Fact]
    public void Build_KnownInput_MatchesGoldenRoot()
    {
        // Freezes the format: leaf and node layout, salt derivation, odd-node promotion. If this changes, every
        // published proof stops verifying — bump LiabilityProof.CurrentVersion instead.
        var holders = Enumerable.Range(1, 5).Select(i => (Address.FromBytes(Enumerable.Repeat((byte)(i * 17), 20).ToArray()), (UInt128)(i * 1_000_000))).ToList();
        var tree = LiabilitiesTree.Build("NUSD", 42, holders, Secret);
        Assert.Equal(ReferenceRoot(holders, Secret, "NUSD", 42), tree.Root);
        Assert.Equal((UInt128)15_000_000, tree.Root.Total);
        Assert.Equal(Hash32.Parse(GoldenRootHash), tree.Root.Hash);
    }

    internal const string GoldenRootHash = "0x959ec506477d001d76dc60852f27f9f4eb34405051ddb83c59c6f20eb4b76d6a";

    [Fact]
    public void Build_SameInputAndSecret_IsReproducible()
    {
        var rng = new Random(7);
        var holders = RandomHolders(rng, 500);
        var first = LiabilitiesTree.Build("NUSD", 9, holders, Secret);
        var second = LiabilitiesTree.Build("NUSD", 9, holders, Secret);
        Assert.Equal(first.Root, second.Root);
        Assert.Equal(first.GetProof(holders[3].Address).Salt, second.GetProof(holders[3].Address).Salt);
    }

    [Fact]
    public void Build_OtherSecretCoinOrHeight_ChangesSaltsAndHashButNotTotal()
    {
        var rng = new Random(8);
        var holders = RandomHolders(rng, 100);
        var baseline = LiabilitiesTree.Build("NUSD", 9, holders, Secret);
        var otherSecret = Secret.Select(b => (byte)(b ^ 0x5a)).ToArray();
        foreach (var tree in new[] { LiabilitiesTree.Build("NUSD", 9, holders, otherSecret), LiabilitiesTree.Build("NUSD", 10, holders, Secret), LiabilitiesTree.Build("JHKD", 9, holders, Secret) })
        {
            Assert.Equal(baseline.Root.Total, tree.Root.Total);
            Assert.NotEqual(baseline.Root.Hash, tree.Root.Hash);
            Assert.NotEqual(baseline.GetProof(holders[0].Address).Salt, tree.GetProof(holders[0].Address).Salt);
        }
    }

    [Fact]
    public void Build_ZeroBalanceDummyUsers_AreLeftOutAndTotalUnchanged()
    {
        var rng = new Random(9);
        var holders = RandomHolders(rng, 50);
        var honest = LiabilitiesTree.Build("NUSD", 1, holders, Secret);
        var withDummies = holders.Concat(Enumerable.Range(0, 50).Select(_ => (RandomAddress(rng), UInt128.Zero)))
            .DistinctBy(h => h.Item1).OrderBy(h => h.Item1).ToList();
        var padded = LiabilitiesTree.Build("NUSD", 1, withDummies, Secret);
        Assert.Equal(honest.Root, padded.Root);
        Assert.Equal(holders.Count, padded.LeafCount);
    }

    [Fact]
    public void Build_ExtraUsers_CanOnlyRaiseTotal()
    {
        // The dummy-user attack needs a leaf that lowers the total; with unsigned balances every leaf adds ≥ 0.
        var rng = new Random(10);
        var holders = RandomHolders(rng, 40);
        var baseline = LiabilitiesTree.Build("NUSD", 1, holders, Secret).Root.Total;
        for (var i = 0; i < 20; i++)
        {
            var extra = holders.Append((RandomAddress(rng), (UInt128)rng.NextInt64(1, long.MaxValue))).DistinctBy(h => h.Item1).OrderBy(h => h.Item1).ToList();
            Assert.True(LiabilitiesTree.Build("NUSD", 1, extra, Secret).Root.Total >= baseline);
        }
    }

    [Fact]
    public void Build_NoHolders_RootIsZero()
    {
        var tree = LiabilitiesTree.Build("NUSD", 1, [], Secret);
        Assert.Equal(new LiabilitiesRoot(Hash32.Zero, UInt128.Zero), tree.Root);
        Assert.Equal(0, tree.LeafCount);
        Assert.False(tree.TryGetProof(RandomAddress(new Random(1)), out _));
    }

    [Fact]
    public void Build_UnsortedOrDuplicateAddresses_Throws()
    {
        var a = Address.FromBytes(Enumerable.Repeat((byte)1, 20).ToArray());
        var b = Address.FromBytes(Enumerable.Repeat((byte)2, 20).ToArray());
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [(b, 1), (a, 1)], Secret));
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [(a, 1), (a, 2)], Secret));
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [(Address.Zero, 1)], Secret));
    }

    [Fact]
    public void Build_BalanceOrTotalAboveMaximum_Throws()
    {
        var a = Address.FromBytes(Enumerable.Repeat((byte)1, 20).ToArray());
        var b = Address.FromBytes(Enumerable.Repeat((byte)2, 20).ToArray());
        var max = LedgerState.MaxSupply;

        // 2^127 and above would read as a negative Int128: refused, as is a total that would wrap.
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [(a, max + 1)], Secret));
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [(a, UInt128.MaxValue)], Secret));
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [(a, max), (b, 1)], Secret));
        Assert.Equal(max, LiabilitiesTree.Build("NUSD", 1, [(a, max - 1), (b, 1)], Secret).Root.Total);
    }

    [Fact]
    public void Build_ShortSecretOrBadCoin_Throws()
    {
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("NUSD", 1, [], new byte[31]));
        Assert.Throws<ArgumentException>(() => LiabilitiesTree.Build("nusd", 1, [], Secret));
    }

    [Fact]
    public void GetProof_UnknownAddress_ThrowsKeyNotFound()
    {
        var tree = LiabilitiesTree.Build("NUSD", 1, RandomHolders(new Random(2), 10), Secret);
        Assert.Throws<KeyNotFoundException>(() => tree.GetProof(Address.FromBytes(Enumerable.Repeat((byte)0xff, 20).ToArray())));
    }

    [Fact]
    public void GetProof_Salt_IsDerivedFromSecretCoinHeightAndAddress()
    {
        var holders = RandomHolders(new Random(3), 10);
        var tree = LiabilitiesTree.Build("NUSD", 77, holders, Secret);
        var proof = tree.GetProof(holders[4].Address);
        Assert.Equal(Hash32.FromBytes(ReferenceSalt(Secret, "NUSD", 77, holders[4].Address)), proof.Salt);
        Assert.Equal("NUSD", proof.Coin);
        Assert.Equal(77UL, proof.Height);
        Assert.Equal(tree.Root, proof.Root);
    }

    internal static Address RandomAddress(Random rng)
    {
        var bytes = new byte[20];
        rng.NextBytes(bytes);
        bytes[0] |= 1; // never the zero address
        return Address.FromBytes(bytes);
    }

    internal static List<(Address Address, UInt128 Balance)> RandomHolders(Random rng, int count)
    {
        var set = new SortedDictionary<Address, UInt128>();
        while (set.Count < count)
        {
            var balance = rng.Next(20) == 0
                ? new UInt128((ulong)rng.NextInt64(0, 1L << 40), (ulong)rng.NextInt64()) // large, still far below 2^127 in total
                : (UInt128)rng.NextInt64(1, 1_000_000_000_000);
            set[RandomAddress(rng)] = balance;
        }

        return [.. set.Select(kv => (kv.Key, kv.Value))];
    }

    // An independent statement of the format (docs/reserves.md), written from the spec rather than from the code.
    internal static byte[] ReferenceSalt(byte[] secret, string coin, ulong height, Address address)
    {
        var message = new List<byte>();
        message.AddRange("centime/pol/v1/salt-key"u8.ToArray());
        message.Add(0);
        message.AddRange(Encoding.UTF8.GetBytes(coin));
        message.Add(0);
        var h = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(h, height);
        message.AddRange(h);
        var key = HMACSHA256.HashData(secret, message.ToArray());
        return SHA256.HashData([.. key, .. address.ToBytes()]);
    }

    internal static LiabilitiesRoot ReferenceRoot(List<(Address Address, UInt128 Balance)> holders, byte[] secret, string coin, ulong height)
    {
        static byte[] U128(UInt128 v)
        {
            var b = new byte[16];
            BinaryPrimitives.WriteUInt128LittleEndian(b, v);
            return b;
        }

        var level = holders.Where(h => h.Balance != 0)
            .Select(h => (Hash: SHA256.HashData([0x00, .. h.Address.ToBytes(), .. U128(h.Balance), .. ReferenceSalt(secret, coin, height, h.Address)]), Sum: h.Balance))
            .ToList();
        if (level.Count == 0)
        {
            return new LiabilitiesRoot(Hash32.Zero, 0);
        }

        while (level.Count > 1)
        {
            var next = new List<(byte[] Hash, UInt128 Sum)>();
            for (var i = 0; i < level.Count; i += 2)
            {
                if (i + 1 == level.Count)
                {
                    next.Add(level[i]);
                    continue;
                }

                var (l, r) = (level[i], level[i + 1]);
                next.Add((SHA256.HashData([0x01, .. l.Hash, .. U128(l.Sum), .. r.Hash, .. U128(r.Sum)]), l.Sum + r.Sum));
            }

            level = next;
        }

        return new LiabilitiesRoot(Hash32.FromBytes(level[0].Hash), level[0].Sum);
    }
}
