using System.Security.Cryptography;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Liabilities;

namespace Centime.Node.Transparency;

/// <summary>
/// The issuer's signing key for disclosure reports: a secp256k1 private key in <c>&lt;data&gt;/issuer.key</c>
/// (0x-hex, owner-only), created on first start. Its address is printed on the transparency page and in every
/// report; publish it through a second channel (website, regulator filing) so readers can pin it.
/// </summary>
internal sealed class IssuerKey
{
    public const string FileName = "issuer.key";

    private readonly byte[] _privateKey;

    private IssuerKey(byte[] privateKey)
    {
        _privateKey = privateKey;
        Address = Secp256k1.Default.AddressOf(privateKey);
    }

    public Address Address { get; }

    public static IssuerKey LoadOrCreate(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            var bytes = Convert.FromHexString(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text);
            if (!Secp256k1.IsValidPrivateKey(bytes))
            {
                throw new InvalidDataException($"{path} does not hold a valid secp256k1 private key (0x + 64 hex digits).");
            }

            return new IssuerKey(bytes);
        }

        var key = Secp256k1.NewPrivateKey();
        SecretFile.WriteOwnerOnly(path, "0x" + Convert.ToHexStringLower(key));
        return new IssuerKey(key);
    }

    /// <summary>Signs report bytes (see <see cref="Client.DisclosureSignature"/>).</summary>
    public Client.DisclosureSignatureBlock Sign(ReadOnlySpan<byte> report) => Client.DisclosureSignature.Sign(report, _privateKey);

    /// <summary>Zeroes the key when the node stops.</summary>
    public void Forget() => CryptographicOperations.ZeroMemory(_privateKey);
}
