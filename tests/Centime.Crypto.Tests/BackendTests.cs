using System.Numerics;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Crypto.Tests;

public sealed class BackendTests(ITestOutputHelper output)
{
    private static readonly BigInteger N = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);

    private static ISecp256k1Backend NativeOrFail() =>
        Secp256k1.Native ?? throw new InvalidOperationException("libsecp256k1 is not installed: run scripts/install-deps.sh");

    [Fact]
    public void SignAndRecover_RandomKeysAndDigests_IdenticalOnBothBackends()
    {
        var native = NativeOrFail();
        var managed = Secp256k1.Managed;
        var rng = TestSeed.Create(output, nameof(SignAndRecover_RandomKeysAndDigests_IdenticalOnBothBackends));
        var key = new byte[32];
        var digestBytes = new byte[32];
        for (var i = 0; i < 2000; i++)
        {
            RandomKey(rng, key);
            rng.NextBytes(digestBytes);
            var digest = Hash32.FromBytes(digestBytes);
            var address = native.AddressOf(key);
            Assert.Equal(address, managed.AddressOf(key));
            var sig = native.Sign(key, digest);
            Assert.Equal(sig, managed.Sign(key, digest));
            Assert.True(sig.IsLowS);
            Assert.True(sig.V is 27 or 28);
            Assert.True(native.TryRecover(digest, sig, out var a1));
            Assert.True(managed.TryRecover(digest, sig, out var a2));
            Assert.Equal(address, a1);
            Assert.Equal(address, a2);

            // The high-s twin of a valid signature is valid ECDSA, but EIP-2 forbids it: both refuse it.
            var high = HighS(sig);
            Assert.False(high.IsLowS);
            Assert.False(native.TryRecover(digest, high, out _));
            Assert.False(managed.TryRecover(digest, high, out _));

            // The other recovery id yields some other address (or nothing), the same on both.
            var flipped = sig with { V = sig.V == 27 ? (byte)28 : (byte)27 };
            var ok1 = native.TryRecover(digest, flipped, out var f1);
            var ok2 = managed.TryRecover(digest, flipped, out var f2);
            Assert.Equal(ok1, ok2);
            Assert.Equal(f1, f2);
            Assert.NotEqual(address, f1);
        }
    }

    [Fact]
    public void TryRecover_GarbageSignatures_SameVerdictOnBothBackends()
    {
        var native = NativeOrFail();
        var managed = Secp256k1.Managed;
        var rng = TestSeed.Create(output, nameof(TryRecover_GarbageSignatures_SameVerdictOnBothBackends));
        var bytes = new byte[65];
        var digestBytes = new byte[32];
        int accepted = 0;
        for (var i = 0; i < 3000; i++)
        {
            rng.NextBytes(bytes);
            rng.NextBytes(digestBytes);
            switch (rng.Next(6))
            {
                case 0: bytes[64] = (byte)rng.Next(256); break;              // any v
                case 1: bytes.AsSpan(0, 32).Fill(0xFF); bytes[64] = 27; break; // r ≥ n
                case 2: bytes.AsSpan(32, 32).Clear(); bytes[64] = 28; break;   // s = 0
                case 3: bytes[32] &= 0x7F; bytes[64] = (byte)(27 + rng.Next(2)); break; // mostly low s
                case 4: bytes.AsSpan(0, 31).Clear(); bytes[32] &= 0x7F; bytes[64] = 27; break; // tiny r
                default: bytes[32] &= 0x3F; bytes[64] = (byte)rng.Next(2); break; // v 0/1 normalised by FromBytes
            }

            var sig = Signature.FromBytes(bytes);
            var digest = Hash32.FromBytes(digestBytes);
            var ok1 = native.TryRecover(digest, sig, out var a1);
            var ok2 = managed.TryRecover(digest, sig, out var a2);
            Assert.True(ok1 == ok2, $"case {i}: native {ok1}, managed {ok2} for {sig.ToHex()} over {digest}");
            Assert.Equal(a1, a2);
            if (ok1)
            {
                accepted++;
                Assert.True(sig.IsLowS);
            }
        }

        output.WriteLine($"{accepted} of 3000 garbage signatures recover to some address on both backends");
        Assert.InRange(accepted, 300, 2700); // the generator hits both outcomes
    }

    [Theory]
    [MemberData(nameof(GoldenVectorTests.Backends), MemberType = typeof(GoldenVectorTests))]
    public void TryRecover_EdgeSignatures_Rejected(string backendName)
    {
        var backend = GoldenVectorTests.Backend(backendName);
        var key = Keccak256.Hash("edge"u8);
        var digest = Hash32.Sha256("edge"u8);
        var sig = backend.Sign(key, digest);
        var n = ToHash(N);
        Assert.False(backend.TryRecover(digest, sig with { R = Hash32.Zero }, out _));
        Assert.False(backend.TryRecover(digest, sig with { S = Hash32.Zero }, out _));
        Assert.False(backend.TryRecover(digest, sig with { R = n }, out _));
        Assert.False(backend.TryRecover(digest, sig with { S = n }, out _));
        Assert.False(backend.TryRecover(digest, sig with { V = 29 }, out _));
        Assert.False(backend.TryRecover(digest, sig with { V = 0 }, out _));
        Assert.False(backend.TryRecover(digest, sig with { V = 1 }, out _));
        Assert.False(backend.TryRecover(digest, HighS(sig), out _));
        // s = n/2 exactly is still low; s = n/2 + 1 is high.
        var half = ToHash(N >> 1);
        Assert.True((sig with { S = half }).IsLowS);
        Assert.False((sig with { S = ToHash((N >> 1) + 1) }).IsLowS);
        Assert.False(backend.TryRecover(digest, sig with { S = ToHash((N >> 1) + 1) }, out _));
        // r = 5 is not the x of a curve point (5³ + 7 = 132 is not a square mod p).
        Assert.False(backend.TryRecover(digest, sig with { R = ToHash(5) }, out _));
        Assert.True(backend.TryRecover(digest, sig, out var signer));
        Assert.Equal(backend.AddressOf(key), signer);
    }

    [Theory]
    [MemberData(nameof(GoldenVectorTests.Backends), MemberType = typeof(GoldenVectorTests))]
    public void AddressOf_InvalidKeys_Throw(string backendName)
    {
        var backend = GoldenVectorTests.Backend(backendName);
        Assert.Throws<ArgumentException>(() => backend.AddressOf(new byte[32]));
        Assert.Throws<ArgumentException>(() => backend.AddressOf(ToHash(N).ToBytes()));
        Assert.Throws<ArgumentException>(() => backend.AddressOf(new byte[31]));
        Assert.Throws<ArgumentException>(() => backend.Sign(new byte[32], Hash32.Zero));
        Assert.Equal(backend.AddressOf(ToHash(N - 1).ToBytes()), Secp256k1.Managed.AddressOf(ToHash(N - 1).ToBytes()));
    }

    [Fact]
    public void Sign_DigestsAtAndAboveOrder_IdenticalOnBothBackends()
    {
        var native = NativeOrFail();
        var key = Keccak256.Hash("big digests"u8);
        foreach (var d in new[] { N, N + 1, (BigInteger.One << 256) - 1, BigInteger.Zero, BigInteger.One })
        {
            var digest = ToHash(d);
            var sig = native.Sign(key, digest);
            Assert.Equal(sig, Secp256k1.Managed.Sign(key, digest));
            Assert.True(Secp256k1.Managed.TryRecover(digest, sig, out var a));
            Assert.Equal(native.AddressOf(key), a);
        }
    }

    [Fact]
    public void Signature_ParseAndFormat_RoundTrip()
    {
        var key = Keccak256.Hash("rt"u8);
        var sig = Secp256k1.Default.Sign(key, Hash32.Sha256("rt"u8));
        var hex = sig.ToHex();
        Assert.Equal(132, hex.Length);
        Assert.True(Signature.TryParse(hex, out var back));
        Assert.Equal(sig, back);
        Assert.True(Signature.TryParse(hex[..^2] + (sig.V == 27 ? "00" : "01"), out var zeroOne));
        Assert.Equal(sig, zeroOne);
        Assert.True(Signature.TryParse(hex.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal), out var upper));
        Assert.Equal(sig, upper);
        Assert.False(Signature.TryParse(hex[..^2] + "1d", out _));
        Assert.False(Signature.TryParse(hex[2..], out _));
        Assert.False(Signature.TryParse(hex + "00", out _));
        Assert.False(Signature.TryParse(hex[..^1] + "g", out _));
        Assert.False(Signature.TryParse(null, out _));
        Span<byte> buffer = stackalloc byte[65];
        sig.CopyTo(buffer);
        Assert.Equal(sig, Signature.FromBytes(buffer));
    }

    [Fact]
    public void NewPrivateKey_IsValidAndDistinct()
    {
        var a = Secp256k1.NewPrivateKey();
        var b = Secp256k1.NewPrivateKey();
        Assert.True(Secp256k1.IsValidPrivateKey(a));
        Assert.NotEqual(a, b);
        Assert.Equal(Secp256k1.Managed.AddressOf(a), Secp256k1.Default.AddressOf(a));
    }

    [Fact]
    public void TryRecover_ManyThreads_NativeSharedContextIsThreadSafe()
    {
        var native = NativeOrFail();
        var cases = Enumerable.Range(0, 64).Select(i =>
        {
            var key = Secp256k1.NewPrivateKey();
            var digest = Hash32.FromBytes(Keccak256.Hash(BitConverter.GetBytes(i)));
            return (Digest: digest, Signature: native.Sign(key, digest), Signer: native.AddressOf(key));
        }).ToArray();
        const int perThread = 2_000; // a fixed count, not a time window: a loaded machine must not fail it
        long recovered = 0;
        long wrong = 0;
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            for (var i = 0; i < perThread; i++)
            {
                var c = cases[(i + (t * 31)) % cases.Length];
                if (!native.TryRecover(c.Digest, c.Signature, out var signer) || signer != c.Signer)
                {
                    Interlocked.Increment(ref wrong);
                }

                Interlocked.Increment(ref recovered);
            }
        })).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        output.WriteLine($"{native.Name}: {recovered:N0} recoveries on 2 threads in {clock.ElapsedMilliseconds} ms, {wrong} wrong");
        Assert.Equal(0, wrong);
        Assert.Equal(2 * perThread, recovered);
    }

    [Fact]
    public void TryRecover_Native_DoesNotAllocate()
    {
        var native = NativeOrFail();
        var key = Keccak256.Hash("alloc"u8);
        var digest = Hash32.Sha256("alloc"u8);
        var sig = native.Sign(key, digest);
        native.TryRecover(digest, sig, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            native.TryRecover(digest, sig, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // The node's whole admission path for an EIP-3009 transfer: struct hash, digest, recovery.
        var domain = new Eip712Domain("Net Dollar", "1", 8402, Address.Derive("coin:NUSD"), null);
        var separator = domain.Separator();
        var from = Address.Derive("from");
        var to = Address.Derive("to");
        System.Numerics.BigInteger value = 1_000_000, validBefore = 1_900_000_000;
        _ = Eip712.Digest(separator, Eip3009.TransferWithAuthorization(from, to, value, 0, validBefore, digest));
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            var d = Eip712.Digest(separator, Eip3009.TransferWithAuthorization(from, to, value, 0, validBefore, digest));
            native.TryRecover(d, sig, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static Signature HighS(Signature sig)
    {
        var s = new BigInteger(sig.S.ToBytes(), isUnsigned: true, isBigEndian: true);
        return sig with { S = ToHash(N - s), V = sig.V == 27 ? (byte)28 : (byte)27 };
    }

    internal static Hash32 ToHash(BigInteger x)
    {
        var b = new byte[32];
        x.TryWriteBytes(b.AsSpan(32 - x.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return Hash32.FromBytes(b);
    }

    private static void RandomKey(Random rng, byte[] key)
    {
        do
        {
            rng.NextBytes(key);
        }
        while (!Secp256k1.IsValidPrivateKey(key));
    }
}
