using System.Buffers.Binary;
using System.Security.Cryptography;
using CsCheck;

namespace Centime.Ledger.Tests;

public sealed class BlockAndMerkleTests
{
    private static Hash32[] Leaves(int n) => [.. Enumerable.Range(0, n).Select(i => Merkle.Leaf(BitConverter.GetBytes(i * 7919)))];

    [Fact]
    public void Proof_EveryLeafOfTreesOfSize1To40_Verifies()
    {
        for (var n = 1; n <= 40; n++)
        {
            var leaves = Leaves(n);
            var root = Merkle.Root(leaves);
            for (var i = 0; i < n; i++)
            {
                var proof = Merkle.Proof(leaves, i);
                Assert.True(Merkle.Verify(leaves[i], proof, root), $"size {n}, leaf {i}");
                Assert.True(proof.Length <= (int)Math.Ceiling(Math.Log2(n)), $"size {n}, leaf {i}: proof of {proof.Length} steps");
            }
        }
    }

    [Fact]
    public void Proof_ChangedLeafSiblingOrSide_FailsToVerify()
    {
        for (var n = 1; n <= 40; n++)
        {
            var leaves = Leaves(n);
            var root = Merkle.Root(leaves);
            for (var i = 0; i < n; i++)
            {
                var proof = Merkle.Proof(leaves, i);
                Assert.False(Merkle.Verify(Flip(leaves[i]), proof, root), $"size {n}, leaf {i}: a changed leaf verified");
                if (n > 1)
                {
                    Assert.False(Merkle.Verify(leaves[(i + 1) % n], proof, root), $"size {n}, leaf {i}: another leaf verified with this proof");
                }

                for (var s = 0; s < proof.Length; s++)
                {
                    var changed = (ProofStep[])proof.Clone();
                    changed[s] = changed[s] with { Sibling = Flip(changed[s].Sibling) };
                    Assert.False(Merkle.Verify(leaves[i], changed, root), $"size {n}, leaf {i}: changed sibling {s} verified");

                    var swapped = (ProofStep[])proof.Clone();
                    swapped[s] = swapped[s] with { SiblingOnLeft = !swapped[s].SiblingOnLeft };
                    Assert.False(Merkle.Verify(leaves[i], swapped, root), $"size {n}, leaf {i}: sibling {s} on the wrong side verified");
                }

                if (proof.Length > 0)
                {
                    Assert.False(Merkle.Verify(leaves[i], proof.AsSpan(0, proof.Length - 1), root), $"size {n}, leaf {i}: a shortened proof verified");
                }
            }
        }
    }

    [Fact]
    public void Root_FollowsTheDocumentedConstruction()
    {
        Assert.Equal(Hash32.Zero, Merkle.Root([]));
        var l = Leaves(5);
        Assert.Equal(l[0], Merkle.Root(l.AsSpan(0, 1)));
        Assert.Equal(Merkle.Node(l[0], l[1]), Merkle.Root(l.AsSpan(0, 2)));
        // An odd node moves up unchanged (no duplication).
        Assert.Equal(Merkle.Node(Merkle.Node(l[0], l[1]), l[2]), Merkle.Root(l.AsSpan(0, 3)));
        Assert.Equal(Merkle.Node(Merkle.Node(Merkle.Node(l[0], l[1]), Merkle.Node(l[2], l[3])), l[4]), Merkle.Root(l));
        // And so a tree is not the same as the tree with its last leaf repeated (CVE-2012-2459).
        Assert.NotEqual(Merkle.Root(l.AsSpan(0, 3)), Merkle.Root([l[0], l[1], l[2], l[2]]));
    }

    [Fact]
    public void LeafAndNode_AreDomainSeparatedSha256()
    {
        byte[] data = [1, 2, 3];
        Assert.Equal(Hash32.FromBytes(SHA256.HashData((byte[])[0x00, 1, 2, 3])), Merkle.Leaf(data));
        var a = Merkle.Leaf([1]);
        var b = Merkle.Leaf([2]);
        Assert.Equal(Hash32.FromBytes(SHA256.HashData([0x01, .. a.ToBytes(), .. b.ToBytes()])), Merkle.Node(a, b));
        // A 64-byte leaf that is the concatenation of two hashes does not collide with their node.
        Assert.NotEqual(Merkle.Node(a, b), Merkle.Leaf([.. a.ToBytes(), .. b.ToBytes()]));
        // Leaves longer than the stack fast path hash the same way.
        var big = new byte[2000];
        big[1999] = 9;
        Assert.Equal(Hash32.FromBytes(SHA256.HashData([0x00, .. big])), Merkle.Leaf(big));
        var edge = new byte[511];
        Assert.Equal(Hash32.FromBytes(SHA256.HashData([0x00, .. edge])), Merkle.Leaf(edge));
    }

    [Fact]
    public void Proof_IndexOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Merkle.Proof(Leaves(3), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Merkle.Proof(Leaves(3), -1));
    }

    [Fact]
    public void Seal_Decode_RoundTripsCommandsResultsAndRoots()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        var alice = TestLedger.Holder("alice");
        var bob = TestLedger.Holder("bob");
        Command[] commands =
        [
            Command.Of(ledger.Mint(coin, alice, 100)),
            Command.Of(ledger.Pay(coin, alice, bob, 30, TransferFlags.Linked)),
            Command.Of(ledger.Pay(coin, alice, bob, 500)).With(CommandFlags.RequestEnd),
            TestLedger.Freeze(coin, bob),
            Command.Of(new CreateCoin("JHKD", 2, "HKD", "Jade", "1")),
        ];
        var timestamp = ledger.Now;
        var results = ledger.ApplyAt(timestamp, commands);
        var previous = Hash32.Sha256([42]);

        var buffer = new byte[16]; // too small: Seal grows it
        var header = Block.Seal(ledger.State.Height, timestamp, previous, commands, results, ref buffer, out var length);
        var block = Block.Decode(buffer.AsSpan(0, length));

        Assert.Equal(header, block.Header);
        Assert.Equal(new BlockHeader(ledger.State.Height, timestamp, commands.Length, previous, header.CommandsRoot, header.ResultsRoot), header);
        Assert.Equal(results.Select(r => r.Code), block.Results);
        Assert.Equal(commands.Length, block.Commands.Length);
        for (var i = 0; i < commands.Length; i++)
        {
            Assert.Equal(EncodingTests.Encode(commands[i]), EncodingTests.Encode(block.Commands[i]));
            Assert.Equal(commands[i].Flags, block.Commands[i].Flags);
        }

        Assert.Equal(header.CommandsRoot, Merkle.Root(block.CommandLeaves()));
        Assert.Equal(header.ResultsRoot, Merkle.Root(block.ResultLeaves()));
        Assert.Equal(Hash32.Sha256(buffer.AsSpan(0, BlockHeader.EncodedSize)), block.Hash);

        // Inclusion of the transfer at index 1 against the block's command root, from nothing but its bytes.
        var leaves = block.CommandLeaves();
        Assert.True(Merkle.Verify(Merkle.Leaf(EncodingTests.Encode(commands[1])), Merkle.Proof(leaves, 1), header.CommandsRoot));
    }

    [Fact]
    public void Seal_EmptyBlock_HasZeroRootsAndDecodes()
    {
        var buffer = Array.Empty<byte>();
        var header = Block.Seal(1, 5, Hash32.Zero, [], [], ref buffer, out var length);
        Assert.Equal(BlockHeader.EncodedSize, length);
        Assert.True(header.CommandsRoot.IsZero && header.ResultsRoot.IsZero);
        var block = Block.Decode(buffer.AsSpan(0, length));
        Assert.Empty(block.Commands);
        Assert.Equal(header, block.Header);
    }

    [Fact]
    public void BlockHeader_Encoding_IsVersionedLittleEndianWithRulesAndReservedZero()
    {
        Gen.Select(Gen.ULong, Gen.ULong, Gen.Int[0, LedgerState.MaxBatchSize], Gen.Byte.Array[32], Gen.Byte.Array[32], Gen.Byte.Array[32]).Sample((h, t, n, p, c, r) =>
        {
            var header = new BlockHeader(h, t, n, Hash32.FromBytes(p), Hash32.FromBytes(c), Hash32.FromBytes(r));
            var b = header.ToBytes();
            Assert.Equal(BlockHeader.EncodedSize, b.Length);
            Assert.Equal(BlockHeader.CurrentVersion, BinaryPrimitives.ReadUInt16LittleEndian(b));
            Assert.Equal(h, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(8)));
            Assert.Equal(t, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(16)));
            Assert.Equal(p, b[24..56]);
            Assert.Equal(LedgerRules.Current, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2)));
            Assert.True(b.AsSpan(120).IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(header, BlockHeader.ReadFrom(b));
            Assert.Equal(Hash32.Sha256(b), header.ComputeHash());
        }, iter: 200);
    }

    [Fact]
    public void BlockHeader_RulesOfAnOlderOrNewerNode_ReadBackOrRefused()
    {
        var old = new BlockHeader(3, 4, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, LedgerRules.Original);
        var bytes = old.ToBytes();
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2))); // what every block before rule versions holds
        Assert.Equal(LedgerRules.Original, BlockHeader.ReadFrom(bytes).Rules);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), LedgerRules.Current + 1);
        Assert.Throws<FormatException>(() => BlockHeader.ReadFrom(bytes));
    }

    [Fact]
    public void Decode_MalformedBlocks_ThrowFormatException()
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        Command[] commands = [Command.Of(ledger.Mint(coin, TestLedger.Holder("a"), 1)), TestLedger.Freeze(coin, TestLedger.Holder("b"))];
        var results = ledger.Apply(commands);
        var buffer = Array.Empty<byte>();
        Block.Seal(ledger.State.Height, results[0].Timestamp, Hash32.Zero, commands, results, ref buffer, out var length);
        var good = buffer.AsSpan(0, length).ToArray();

        Assert.Throws<FormatException>(() => Block.Decode(good.AsSpan(0, 100))); // shorter than a header
        Assert.Throws<FormatException>(() => Block.Decode(good.AsSpan(0, length - 1))); // result section short
        Assert.Throws<FormatException>(() => Block.Decode([.. good, 0])); // trailing byte
        Assert.Throws<FormatException>(() => Block.Decode(good.AsSpan(0, BlockHeader.EncodedSize + 10))); // command cut

        var version = (byte[])good.Clone();
        version[0] = 2;
        Assert.Throws<FormatException>(() => Block.Decode(version));

        var count = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(count.AsSpan(4), -1);
        Assert.Throws<FormatException>(() => Block.Decode(count));
        BinaryPrimitives.WriteInt32LittleEndian(count.AsSpan(4), LedgerState.MaxBatchSize + 1);
        Assert.Throws<FormatException>(() => Block.Decode(count));
    }

    [Fact]
    public void Hash32_ParseAndToString_RoundTrip()
    {
        Gen.Byte.Array[32].Sample(b =>
        {
            var h = Hash32.FromBytes(b);
            Assert.Equal(b, h.ToBytes());
            Assert.Equal(h, Hash32.Parse(h.ToString()));
            Assert.Equal("0x" + Convert.ToHexStringLower(b), h.ToString());
        }, iter: 200);
        Assert.False(Hash32.TryParse("0x12", out _));
        Assert.False(Hash32.TryParse(null, out _));
        Assert.False(Hash32.TryParse("0x" + new string('g', 64), out _));
        Assert.Throws<FormatException>(() => Hash32.Parse("nope"));
    }

    private static Hash32 Flip(Hash32 h)
    {
        var b = h.ToBytes();
        b[31] ^= 1;
        return Hash32.FromBytes(b);
    }
}
