using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// The byte layout of the proof-of-liabilities Merkle-sum tree, in one place (docs/reserves.md §Proof of
/// liabilities; wwwroot/pol-verify.js implements the same bytes for browsers):
/// <code>
/// leaf = SHA-256(0x00 ‖ address[20] ‖ balance u128 LE[16] ‖ salt[32])                         69 bytes in
/// node = SHA-256(0x01 ‖ leftHash[32] ‖ leftSum u128 LE[16] ‖ rightHash[32] ‖ rightSum u128 LE[16])  97 bytes in
/// sum(node) = leftSum + rightSum, checked against <see cref="MaxAmount"/>
/// </code>
/// Both children's sums are inside the parent's hash, so a prover cannot show one user a sibling sum that differs
/// from what the root commits to (the fix for the summation flaw in Maxwell's original tree). The 0x00/0x01 prefixes
/// keep a leaf from passing for an inner node.
/// </summary>
internal static class LiabilityHashing
{
    public const int LeafInputSize = 1 + Address.Size + 16 + SaltSize;
    public const int NodeInputSize = 1 + Hash32.Size + 16 + Hash32.Size + 16;
    public const int SaltSize = 32;

    /// <summary>Largest balance or sum a tree may carry: 2^127 − 1, the ledger's <see cref="LedgerState.MaxSupply"/>.
    /// Anything larger is refused, so the sum of two in-range values never wraps a u128 and a value that would read
    /// as negative in two's complement can never appear.</summary>
    public static UInt128 MaxAmount => LedgerState.MaxSupply;

    /// <summary>Deepest path accepted by verifiers; a tree of 2^64 leaves is deeper than any real one.</summary>
    public const int MaxPathLength = 64;

    private static ReadOnlySpan<byte> SaltKeyLabel => "centime/pol/v1/salt-key"u8;

    /// <summary>
    /// The per-tree salt key K = HMAC-SHA256(secret, "centime/pol/v1/salt-key" ‖ 0x00 ‖ coin ‖ 0x00 ‖ height u64 LE).
    /// Binding the coin and height gives every published tree fresh salts, so a sibling hash seen in two months'
    /// proofs does not reveal that a neighbour's balance stayed the same.
    /// </summary>
    public static byte[] DeriveSaltKey(ReadOnlySpan<byte> secret, string coin, ulong height)
    {
        var coinBytes = Encoding.UTF8.GetBytes(coin);
        var message = new byte[SaltKeyLabel.Length + 1 + coinBytes.Length + 1 + 8];
        SaltKeyLabel.CopyTo(message);
        var at = SaltKeyLabel.Length + 1;
        coinBytes.CopyTo(message, at);
        at += coinBytes.Length + 1;
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(at), height);
        return HMACSHA256.HashData(secret, message);
    }

    /// <summary>
    /// salt = SHA-256(K ‖ address). A secret-prefix hash is a sound PRF here because every input has the same
    /// length (52 bytes), so length extension cannot produce another valid input; it costs one SHA-256 block where
    /// HMAC would cost four, which matters at 10 million leaves.
    /// </summary>
    [SkipLocalsInit]
    public static void Salt(ReadOnlySpan<byte> saltKey, Address address, Span<byte> salt)
    {
        Span<byte> input = stackalloc byte[SaltSize + Address.Size];
        saltKey.CopyTo(input);
        address.WriteTo(input[SaltSize..]);
        SHA256.HashData(input, salt);
    }

    [SkipLocalsInit]
    public static Hash32 Leaf(Address address, UInt128 balance, ReadOnlySpan<byte> salt)
    {
        Span<byte> input = stackalloc byte[LeafInputSize];
        WriteLeafInput(input, address, balance, salt);
        Span<byte> hash = stackalloc byte[Hash32.Size];
        SHA256.HashData(input, hash);
        return Hash32.FromBytes(hash);
    }

    public static void WriteLeafInput(Span<byte> input, Address address, UInt128 balance, ReadOnlySpan<byte> salt)
    {
        input[0] = 0x00;
        address.WriteTo(input[1..]);
        BinaryPrimitives.WriteUInt128LittleEndian(input[(1 + Address.Size)..], balance);
        salt.CopyTo(input[(1 + Address.Size + 16)..]);
    }

    [SkipLocalsInit]
    public static Hash32 Node(in Hash32 leftHash, UInt128 leftSum, in Hash32 rightHash, UInt128 rightSum)
    {
        Span<byte> input = stackalloc byte[NodeInputSize];
        WriteNodeInput(input, leftHash, leftSum, rightHash, rightSum);
        Span<byte> hash = stackalloc byte[Hash32.Size];
        SHA256.HashData(input, hash);
        return Hash32.FromBytes(hash);
    }

    public static void WriteNodeInput(Span<byte> input, in Hash32 leftHash, UInt128 leftSum, in Hash32 rightHash, UInt128 rightSum)
    {
        input[0] = 0x01;
        leftHash.WriteTo(input[1..]);
        BinaryPrimitives.WriteUInt128LittleEndian(input[33..], leftSum);
        rightHash.WriteTo(input[49..]);
        BinaryPrimitives.WriteUInt128LittleEndian(input[81..], rightSum);
    }

    /// <summary>Adds two in-range amounts; false when the sum exceeds <see cref="MaxAmount"/>.</summary>
    public static bool TryAdd(UInt128 left, UInt128 right, out UInt128 sum)
    {
        // Both operands are ≤ 2^127 − 1 (callers check), so the u128 addition itself cannot wrap.
        sum = left + right;
        return sum <= MaxAmount;
    }
}
