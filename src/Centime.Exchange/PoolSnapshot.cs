using System.Buffers.Binary;
using System.Numerics;

namespace Centime.Exchange;

/// <summary>
/// The pool's binary snapshot: compact, deterministic, little-endian, versioned, reserved bytes zero. The same
/// state always encodes to the same bytes and decoding refuses anything that is not such an encoding, so
/// decode → encode round-trips byte for byte (a ledger snapshot can hash it).
/// <code>
/// offset  size  field
/// 0       4     magic "CXPL"
/// 4       2     version (1)
/// 6       1     n, coin count (2..8)
/// 7       1     reserved (0)
/// 8       n     decimals[n] (≤ 18)
/// ...     32·n  oracle rate[n]   (uint256 LE, &gt; 0)
/// ...     32·n  stored balance[n]
/// ...     32·n  admin balance[n] (≤ stored)
/// ...     32×6  total supply, initial A, future A, fee, offpeg fee multiplier, admin fee
/// ...     8×2   initial A time, future A time (u64)
/// </code>
/// </summary>
public sealed partial class Pool
{
    /// <summary>Snapshot format version written by <see cref="ToSnapshot"/>.</summary>
    public const ushort SnapshotVersion = 1;

    private const int WordSize = 32;
    private static ReadOnlySpan<byte> SnapshotMagic => "CXPL"u8;

    /// <summary>Size of the snapshot of an n-coin pool.</summary>
    public static int SnapshotSize(int coinCount) => 8 + coinCount + (WordSize * ((3 * coinCount) + 6)) + 16;

    /// <summary>Encodes the pool's whole state.</summary>
    public byte[] ToSnapshot()
    {
        var n = CoinCount;
        var bytes = new byte[SnapshotSize(n)];
        var span = bytes.AsSpan();
        SnapshotMagic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], SnapshotVersion);
        span[6] = (byte)n;
        span[7] = 0;
        var at = 8;
        _decimals.CopyTo(span[at..]);
        at += n;
        foreach (var words in new[] { _oracleRates, _stored, _admin })
        {
            foreach (var w in words)
            {
                WriteWord(span, ref at, w);
            }
        }

        WriteWord(span, ref at, TotalSupply);
        WriteWord(span, ref at, InitialA);
        WriteWord(span, ref at, FutureA);
        WriteWord(span, ref at, Fee);
        WriteWord(span, ref at, OffpegFeeMultiplier);
        WriteWord(span, ref at, AdminFee);
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], InitialATime);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], FutureATime);
        return bytes;
    }

    /// <summary>Decodes a snapshot written by <see cref="ToSnapshot"/>; anything else is <see cref="ExchangeError.InvalidSnapshot"/>.</summary>
    public static PoolOutcome<Pool> FromSnapshot(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8 || !bytes[..4].SequenceEqual(SnapshotMagic)
            || BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) != SnapshotVersion || bytes[7] != 0)
        {
            return PoolOutcome<Pool>.Refused(ExchangeError.InvalidSnapshot);
        }

        int n = bytes[6];
        if (n is < MinCoins or > MaxCoins || bytes.Length != SnapshotSize(n))
        {
            return PoolOutcome<Pool>.Refused(ExchangeError.InvalidSnapshot);
        }

        var decimals = bytes.Slice(8, n).ToArray();
        foreach (var d in decimals)
        {
            if (d > 18)
            {
                return PoolOutcome<Pool>.Refused(ExchangeError.InvalidSnapshot);
            }
        }

        var pool = new Pool(decimals);
        var at = 8 + n;
        for (var i = 0; i < n; i++)
        {
            pool._oracleRates[i] = ReadWord(bytes, ref at);
        }

        for (var i = 0; i < n; i++)
        {
            pool._stored[i] = ReadWord(bytes, ref at);
        }

        for (var i = 0; i < n; i++)
        {
            pool._admin[i] = ReadWord(bytes, ref at);
        }

        pool.TotalSupply = ReadWord(bytes, ref at);
        pool.InitialA = ReadWord(bytes, ref at);
        pool.FutureA = ReadWord(bytes, ref at);
        pool.Fee = ReadWord(bytes, ref at);
        pool.OffpegFeeMultiplier = ReadWord(bytes, ref at);
        pool.AdminFee = ReadWord(bytes, ref at);
        pool.InitialATime = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
        pool.FutureATime = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(at + 8)..]);

        var valid = CheckFee(pool.Fee, pool.OffpegFeeMultiplier) == ExchangeError.None
            && pool.AdminFee <= MaxFee
            && pool.InitialA > 0 && pool.InitialA < MaxA * APrecisionValue
            && pool.FutureA > 0 && pool.FutureA < MaxA * APrecisionValue;
        for (var i = 0; i < n && valid; i++)
        {
            valid = pool._oracleRates[i] > 0 && pool._admin[i] <= pool._stored[i];
        }

        return valid ? PoolOutcome<Pool>.Ok(pool) : PoolOutcome<Pool>.Refused(ExchangeError.InvalidSnapshot);
    }

    private static readonly BigInteger APrecisionValue = StableSwapMath.APrecision;

    private static void WriteWord(Span<byte> span, ref int at, BigInteger value)
    {
        // Values are non-negative and < 2^256 by construction (every operation is range-checked).
        if (!value.TryWriteBytes(span.Slice(at, WordSize), out _, isUnsigned: true, isBigEndian: false))
        {
            throw new InvalidOperationException("pool value outside uint256");
        }

        at += WordSize;
    }

    private static BigInteger ReadWord(ReadOnlySpan<byte> bytes, ref int at)
    {
        var value = new BigInteger(bytes.Slice(at, WordSize), isUnsigned: true, isBigEndian: false);
        at += WordSize;
        return value;
    }
}
