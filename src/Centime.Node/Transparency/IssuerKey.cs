using System.Security.Cryptography;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Liabilities;

namespace Centime.Node.Transparency;

/// <summary>
/// The issuer's signing key for disclosure reports: a secp256k1 private key in <c>&lt;data&gt;/issuer.key</c>
/// (0x-hex, owner-only), created on first start. Its address is printed on the transparency page and in every
/// report; publish it through a second channel (website, regulator filing) so readers can pin it.
/// <para>
/// Rotation (docs/transparency.md, "Issuer key"): <see cref="Prepare"/> writes a new key to
/// <c>issuer-next-&lt;address&gt;.key</c> and the issuance module journals only its address (an approved
/// <c>RotateIssuerKey</c>); once that executes the node <see cref="Adopt"/>s it: the old key file is kept as
/// <c>issuer-retired-&lt;address&gt;.key</c> and <c>issuer.key</c> holds the new one. At start the key of record in the
/// ledger wins: a rotation that executed just before a crash is adopted then.
/// </para>
/// </summary>
internal sealed class IssuerKey
{
    public const string FileName = "issuer.key";

    private readonly string _directory;
    private readonly Lock _lock = new();
    private volatile Current _current;

    private sealed record Current(byte[] PrivateKey, Address Address);

    private IssuerKey(string directory, byte[] privateKey)
    {
        _directory = directory;
        _current = new Current(privateKey, Secp256k1.Default.AddressOf(privateKey));
    }

    public Address Address => _current.Address;

    public static IssuerKey LoadOrCreate(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            return new IssuerKey(dataDirectory, Read(path));
        }

        var key = Secp256k1.NewPrivateKey();
        SecretFile.WriteOwnerOnly(path, "0x" + Convert.ToHexStringLower(key));
        return new IssuerKey(dataDirectory, key);
    }

    private static byte[] Read(string path)
    {
        var text = File.ReadAllText(path).Trim();
        var bytes = Convert.FromHexString(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text);
        if (!Secp256k1.IsValidPrivateKey(bytes))
        {
            throw new InvalidDataException($"{path} does not hold a valid secp256k1 private key (0x + 64 hex digits).");
        }

        return bytes;
    }

    private string NextPath(Address address) => Path.Combine(_directory, "issuer-next-" + address.ToString().ToLowerInvariant() + ".key");

    private string RetiredPath(Address address) => Path.Combine(_directory, "issuer-retired-" + address.ToString().ToLowerInvariant() + ".key");

    /// <summary>A new key, written next to the current one (owner-only) until a rotation to it executes; answers its address.</summary>
    public Address Prepare()
    {
        var key = Secp256k1.NewPrivateKey();
        var address = Secp256k1.Default.AddressOf(key);
        SecretFile.WriteOwnerOnly(NextPath(address), "0x" + Convert.ToHexStringLower(key));
        CryptographicOperations.ZeroMemory(key);
        return address;
    }

    /// <summary>
    /// Makes <paramref name="address"/> (the ledger's issuer key of record) the signing key: nothing when it already is;
    /// else its prepared key file becomes <c>issuer.key</c> and the old key is kept as retired. Throws when the node has no
    /// key for that address (the ledger's key of record must be this node's).
    /// </summary>
    public void Adopt(Address address)
    {
        lock (_lock)
        {
            var old = _current;
            if (old.Address == address)
            {
                return;
            }

            var next = NextPath(address);
            if (!File.Exists(next))
            {
                throw new InvalidDataException($"the ledger's issuer key of record is {address}, but {FileName} holds {old.Address} and {next} does not exist");
            }

            var key = Read(next);
            var path = Path.Combine(_directory, FileName);
            File.Copy(path, RetiredPath(old.Address), overwrite: true);
            File.Move(next, path, overwrite: true);
            _current = new Current(key, address);
        }
    }

    /// <summary>Signs report bytes with the current key (see <see cref="Client.DisclosureSignature"/>).</summary>
    public Client.DisclosureSignatureBlock Sign(ReadOnlySpan<byte> report) => Client.DisclosureSignature.Sign(report, _current.PrivateKey);

    /// <summary>Zeroes the key when the node stops.</summary>
    public void Forget() => CryptographicOperations.ZeroMemory(_current.PrivateKey);
}
