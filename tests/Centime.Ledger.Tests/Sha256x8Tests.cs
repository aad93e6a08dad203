using System.Security.Cryptography;
using CsCheck;

namespace Centime.Ledger.Tests;

/// <summary>The eight-lane SHA-256 that builds trees must agree with the platform SHA-256 the verifiers use.</summary>
public sealed class Sha256x8Tests
{
    [Fact]
    public void Hash_RandomMessages_MatchesPlatformSha256()
    {
        // CsCheck prints the seed to re-run with when a sample fails.
        Gen.Select(Gen.Int[0, Sha256x8.MaxLength], Gen.Int[1, Sha256x8.Lanes], Gen.Byte.Array[Sha256x8.Lanes * Sha256x8.MaxLength]).Sample((length, count, data) =>
        {
            var hashes = new byte[count * 32];
            Sha256x8.Hash(data, length, count, hashes);
            for (var lane = 0; lane < count; lane++)
            {
                var expected = SHA256.HashData(data.AsSpan(lane * length, length));
                Assert.True(expected.AsSpan().SequenceEqual(hashes.AsSpan(lane * 32, 32)), $"length {length}, lane {lane} of {count}");
            }
        }, iter: 2_000);
    }

    [Theory]
    [InlineData(52)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(64)]
    [InlineData(69)]
    [InlineData(97)]
    [InlineData(119)]
    [InlineData(120)]
    public void Hash_PaddingBoundaryLengths_MatchesPlatformSha256(int length)
    {
        var data = new byte[8 * length];
        new Random(length).NextBytes(data);
        var hashes = new byte[256];
        Sha256x8.Hash(data, length, 8, hashes);
        for (var lane = 0; lane < 8; lane++)
        {
            Assert.Equal(SHA256.HashData(data.AsSpan(lane * length, length)), hashes.AsSpan(lane * 32, 32).ToArray());
        }
    }

    [Fact]
    public void Hash_KnownAnswer_Abc()
    {
        var hashes = new byte[32];
        Sha256x8.Hash("abc"u8, 3, 1, hashes);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(hashes));
    }

    [Fact]
    public void Hash_BadArguments_Throws()
    {
        Assert.Throws<ArgumentException>(() => Sha256x8.Hash(new byte[100], 10, 0, new byte[32]));
        Assert.Throws<ArgumentException>(() => Sha256x8.Hash(new byte[100], 10, 9, new byte[9 * 32]));
        Assert.Throws<ArgumentException>(() => Sha256x8.Hash(new byte[300], Sha256x8.MaxLength + 1, 1, new byte[32]));
    }
}
