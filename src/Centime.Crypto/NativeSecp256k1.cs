using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>
/// libsecp256k1 through P/Invoke. One context is created, randomised (side-channel blinding for signing) and
/// shared: after creation the library only reads it, so signing and recovery are thread-safe.
/// </summary>
internal sealed unsafe partial class NativeSecp256k1 : ISecp256k1Backend
{
    private const string Library = "libsecp256k1";
    private const uint ContextSignVerify = 0x0301; // SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY (ignored since 0.2, harmless)
    private const uint EcUncompressed = 0x0002;    // SECP256K1_EC_UNCOMPRESSED

    private static nint s_handle;
    private readonly nint _context;

    private NativeSecp256k1(nint context) => _context = context;

    public string Name => "libsecp256k1 (native)";

    /// <summary>Loads the library, creates the context and runs a known-answer test; null when any step fails.</summary>
    internal static NativeSecp256k1? TryCreate()
    {
        try
        {
            if (!NativeLibrary.TryLoad("libsecp256k1.so.1", out var handle) && !NativeLibrary.TryLoad("libsecp256k1.so", out handle))
            {
                return null;
            }

            s_handle = handle;
            NativeLibrary.SetDllImportResolver(typeof(NativeSecp256k1).Assembly, Resolve);
            var ctx = ContextCreate(ContextSignVerify);
            if (ctx == 0)
            {
                return null;
            }

            Span<byte> seed = stackalloc byte[32];
            RandomNumberGenerator.Fill(seed);
            fixed (byte* p = seed)
            {
                if (ContextRandomize(ctx, p) != 1)
                {
                    return null;
                }
            }

            var backend = new NativeSecp256k1(ctx);
            return backend.SelfTest() ? backend : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == Library ? s_handle : 0;

    /// <summary>Hardhat/anvil account 0: a known key → address, and a sign/recover round trip.</summary>
    private bool SelfTest()
    {
        ReadOnlySpan<byte> key = [0xac, 0x09, 0x74, 0xbe, 0xc3, 0x9a, 0x17, 0xe3, 0x6b, 0xa4, 0xa6, 0xb4, 0xd2, 0x38, 0xff, 0x94, 0x4b, 0xac, 0xb4, 0x78, 0xcb, 0xed, 0x5e, 0xfc, 0xae, 0x78, 0x4d, 0x7b, 0xf4, 0xf2, 0xff, 0x80];
        var expected = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        if (AddressOf(key) != expected)
        {
            return false;
        }

        var digest = Hash32.FromBytes(Keccak256.Hash("centime self-test"u8));
        var sig = Sign(key, digest);
        return sig.IsLowS && TryRecover(digest, sig, out var signer) && signer == expected;
    }

    [SkipLocalsInit]
    public Signature Sign(ReadOnlySpan<byte> privateKey32, in Hash32 digest)
    {
        if (privateKey32.Length != 32)
        {
            Secp256k1.ThrowInvalidKey(nameof(privateKey32));
        }

        byte* msg = stackalloc byte[32];
        digest.WriteTo(new Span<byte>(msg, 32));
        byte* rsig = stackalloc byte[65];
        byte* compact = stackalloc byte[64];
        int recid;
        fixed (byte* key = privateKey32)
        {
            // A null nonce function means RFC 6979 (HMAC-SHA256); the library normalises s to the lower half.
            if (EcdsaSignRecoverable(_context, rsig, msg, key, 0, 0) != 1)
            {
                Secp256k1.ThrowInvalidKey(nameof(privateKey32));
            }
        }

        _ = RecoverableSignatureSerializeCompact(_context, compact, &recid, rsig); // always 1 for a signature the library made
        var span = new ReadOnlySpan<byte>(compact, 64);
        return new Signature(Hash32.FromBytes(span[..32]), Hash32.FromBytes(span[32..]), (byte)(27 + recid));
    }

    [SkipLocalsInit]
    public bool TryRecover(in Hash32 digest, in Signature signature, out Address signer)
    {
        signer = default;
        byte* compact = stackalloc byte[64];
        var compactSpan = new Span<byte>(compact, 64);

        // libsecp256k1's recovery accepts high s, so the EIP-2 check happens here, before the call.
        if (!Secp256k1.IsAcceptable(signature, compactSpan[..32], compactSpan[32..]))
        {
            return false;
        }

        byte* rsig = stackalloc byte[65];
        if (RecoverableSignatureParseCompact(_context, rsig, compact, signature.V - 27) != 1)
        {
            return false;
        }

        byte* msg = stackalloc byte[32];
        digest.WriteTo(new Span<byte>(msg, 32));
        byte* pubkey = stackalloc byte[64];
        if (EcdsaRecover(_context, pubkey, rsig, msg) != 1)
        {
            return false;
        }

        signer = SerializeToAddress(pubkey);
        return true;
    }

    [SkipLocalsInit]
    public Address AddressOf(ReadOnlySpan<byte> privateKey32)
    {
        if (privateKey32.Length != 32)
        {
            Secp256k1.ThrowInvalidKey(nameof(privateKey32));
        }

        byte* pubkey = stackalloc byte[64];
        fixed (byte* key = privateKey32)
        {
            if (SeckeyVerify(_context, key) != 1 || EcPubkeyCreate(_context, pubkey, key) != 1)
            {
                Secp256k1.ThrowInvalidKey(nameof(privateKey32));
            }
        }

        return SerializeToAddress(pubkey);
    }

    private Address SerializeToAddress(byte* pubkey)
    {
        byte* output = stackalloc byte[65];
        nuint length = 65;
        _ = EcPubkeySerialize(_context, output, &length, pubkey, EcUncompressed); // always 1 with a 65-byte buffer
        return Address.FromPublicKey(new ReadOnlySpan<byte>(output + 1, 64)); // skip the 0x04 prefix
    }

    [LibraryImport(Library, EntryPoint = "secp256k1_context_create")]
    private static partial nint ContextCreate(uint flags);

    [LibraryImport(Library, EntryPoint = "secp256k1_context_randomize")]
    private static partial int ContextRandomize(nint ctx, byte* seed32);

    [LibraryImport(Library, EntryPoint = "secp256k1_ecdsa_sign_recoverable")]
    private static partial int EcdsaSignRecoverable(nint ctx, byte* signature65, byte* msg32, byte* seckey32, nint nonceFunction, nint nonceData);

    [LibraryImport(Library, EntryPoint = "secp256k1_ecdsa_recoverable_signature_serialize_compact")]
    private static partial int RecoverableSignatureSerializeCompact(nint ctx, byte* output64, int* recid, byte* signature65);

    [LibraryImport(Library, EntryPoint = "secp256k1_ecdsa_recoverable_signature_parse_compact")]
    private static partial int RecoverableSignatureParseCompact(nint ctx, byte* signature65, byte* input64, int recid);

    [LibraryImport(Library, EntryPoint = "secp256k1_ecdsa_recover")]
    private static partial int EcdsaRecover(nint ctx, byte* pubkey64, byte* signature65, byte* msg32);

    [LibraryImport(Library, EntryPoint = "secp256k1_ec_pubkey_serialize")]
    private static partial int EcPubkeySerialize(nint ctx, byte* output, nuint* outputLength, byte* pubkey64, uint flags);

    [LibraryImport(Library, EntryPoint = "secp256k1_ec_pubkey_create")]
    private static partial int EcPubkeyCreate(nint ctx, byte* pubkey64, byte* seckey32);

    [LibraryImport(Library, EntryPoint = "secp256k1_ec_seckey_verify")]
    private static partial int SeckeyVerify(nint ctx, byte* seckey32);
}
