using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>One key in a <see cref="KeystoreDirectory"/>.</summary>
public sealed record KeystoreEntry(string? Name, Address Address, string FilePath);

/// <summary>
/// A directory of Web3 Secret Storage v3 files, named like geth's (<c>UTC--&lt;time&gt;--&lt;address&gt;</c>, so
/// geth and other tools can use the same directory), plus <c>names.json</c> mapping wallet names to addresses.
/// Keys are found by name or by address. Files are written atomically with owner-only permissions.
/// </summary>
public sealed class KeystoreDirectory
{
    /// <summary>The name-mapping file inside the directory.</summary>
    public const string NamesFile = "names.json";

    private static readonly JsonSerializerOptions NamesJson = new() { WriteIndented = true };

    /// <summary>Uses (and creates on first save) the directory at <paramref name="path"/>.</summary>
    public KeystoreDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary><c>$CENTIME_KEYSTORE</c> if set, else <c>~/.centime/keystore</c>.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("CENTIME_KEYSTORE") is { Length: > 0 } env
            ? env
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".centime", "keystore");

    /// <summary>The directory at <see cref="DefaultPath"/>.</summary>
    public static KeystoreDirectory OpenDefault() => new(DefaultPath);

    /// <summary>True for a usable wallet name: 1–64 of letters, digits, '.', '_', '-', not starting with "0x".</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } &&
        !name.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>All keystore files, with their names, ordered by name (unnamed last) then address.</summary>
    public IReadOnlyList<KeystoreEntry> List()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        var names = ReadNames();
        var byAddress = new Dictionary<Address, string>();
        foreach (var (name, address) in names)
        {
            byAddress.TryAdd(address, name);
        }

        var entries = new List<KeystoreEntry>();
        foreach (var file in Directory.EnumerateFiles(Path))
        {
            var fileName = System.IO.Path.GetFileName(file);
            if (fileName == NamesFile || fileName.StartsWith('.') || fileName.EndsWith(".tmp", StringComparison.Ordinal))
            {
                continue;
            }

            Address address;
            try
            {
                address = KeystoreV3.AddressOf(File.ReadAllText(file));
            }
            catch (Exception ex) when (ex is KeystoreException or IOException or UnauthorizedAccessException)
            {
                continue; // not a keystore we can read; leave it alone
            }

            entries.Add(new KeystoreEntry(byAddress.GetValueOrDefault(address), address, file));
        }

        entries.Sort((a, b) =>
            a.Name is null != b.Name is null ? (a.Name is null ? 1 : -1)
            : a.Name is not null && b.Name is not null && a.Name != b.Name ? string.CompareOrdinal(a.Name, b.Name)
            : a.Address.CompareTo(b.Address));
        return entries;
    }

    /// <summary>Finds a key by wallet name or by 0x address.</summary>
    public bool TryFind(string nameOrAddress, out KeystoreEntry entry)
    {
        ArgumentNullException.ThrowIfNull(nameOrAddress);
        var entries = List();
        var isAddress = Address.TryParse(nameOrAddress.ToLowerInvariant(), out var address);
        foreach (var e in entries)
        {
            if ((isAddress && e.Address == address) || (!isAddress && e.Name == nameOrAddress))
            {
                entry = e;
                return true;
            }
        }

        entry = null!;
        return false;
    }

    /// <summary>Finds a key by name or address or throws <see cref="KeystoreException"/>.</summary>
    public KeystoreEntry Find(string nameOrAddress) =>
        TryFind(nameOrAddress, out var entry) ? entry : throw new KeystoreException($"no wallet '{nameOrAddress}' in {Path}");

    /// <summary>The keystore JSON of a key.</summary>
    public string ReadJson(string nameOrAddress) => File.ReadAllText(Find(nameOrAddress).FilePath);

    /// <summary>Decrypts a key (zero the result when done). Throws <see cref="KeystoreException"/> on a wrong password.</summary>
    public byte[] LoadPrivateKey(string nameOrAddress, string password) => KeystoreV3.Decrypt(ReadJson(nameOrAddress), password);

    /// <summary>Encrypts <paramref name="privateKey32"/> and saves it under <paramref name="name"/> (optional).</summary>
    public KeystoreEntry Create(ReadOnlySpan<byte> privateKey32, string password, string? name = null, KeystoreKdf kdf = default)
    {
        CheckNewName(name);
        var address = Secp256k1.Default.AddressOf(privateKey32);
        CheckNewAddress(address);
        return Save(KeystoreV3.Encrypt(privateKey32, password, kdf), name);
    }

    /// <summary>
    /// Saves existing keystore JSON (its stated address is used for the file name) under <paramref name="name"/>
    /// (optional). Refuses a name in use or an address already present.
    /// </summary>
    public KeystoreEntry Save(string keystoreJson, string? name = null)
    {
        CheckNewName(name);
        var address = KeystoreV3.AddressOf(keystoreJson);
        CheckNewAddress(address);
        CreateDirectory();
        var now = DateTime.UtcNow;
        var fileName = "UTC--" + now.ToString("yyyy'-'MM'-'dd'T'HH'-'mm'-'ss'.'fffffff", CultureInfo.InvariantCulture) + "00Z--" +
            Convert.ToHexStringLower(address.ToBytes());
        var path = System.IO.Path.Combine(Path, fileName);
        WriteAtomically(path, keystoreJson);
        if (name is not null)
        {
            var names = ReadNames();
            names[name] = address;
            WriteNames(names);
        }

        return new KeystoreEntry(name, address, path);
    }

    /// <summary>Gives an existing key a (new) name.</summary>
    public void SetName(Address address, string name)
    {
        CheckNewName(name);
        if (!List().Any(e => e.Address == address))
        {
            throw new KeystoreException($"no key for {address} in {Path}");
        }

        var names = ReadNames();
        foreach (var stale in names.Where(kv => kv.Value == address).Select(kv => kv.Key).ToList())
        {
            names.Remove(stale);
        }

        names[name] = address;
        WriteNames(names);
    }

    private void CheckNewName(string? name)
    {
        if (name is null)
        {
            return;
        }

        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid wallet name: use 1-64 letters, digits, '.', '_' or '-', not starting with 0x.", nameof(name));
        }

        if (ReadNames().ContainsKey(name) && TryFind(name, out _))
        {
            throw new KeystoreException($"a wallet named '{name}' already exists in {Path}");
        }
    }

    private void CheckNewAddress(Address address)
    {
        if (TryFind(address.ToString(), out var existing))
        {
            throw new KeystoreException($"{address} is already in the keystore ({System.IO.Path.GetFileName(existing.FilePath)}{(existing.Name is null ? "" : $", named '{existing.Name}'")})");
        }
    }

    private Dictionary<string, Address> ReadNames()
    {
        var file = System.IO.Path.Combine(Path, NamesFile);
        var result = new Dictionary<string, Address>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return result;
        }

        Dictionary<string, string>? raw;
        try
        {
            raw = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file));
        }
        catch (JsonException ex)
        {
            throw new KeystoreException($"{file} is not a JSON object of name → address: {ex.Message}", ex);
        }

        foreach (var (name, text) in raw ?? [])
        {
            if (Address.TryParse(text, out var address))
            {
                result[name] = address;
            }
        }

        return result;
    }

    private void WriteNames(Dictionary<string, Address> names)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, address) in names)
        {
            sorted[name] = address.ToString();
        }

        WriteAtomically(System.IO.Path.Combine(Path, NamesFile), JsonSerializer.Serialize(sorted, NamesJson));
    }

    private void CreateDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path);
        }
        else
        {
            Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Writes a temporary file readable only by its owner, flushes it to disk, then renames it into place.</summary>
    private static void WriteAtomically(string path, string contents)
    {
        var tmp = path + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(tmp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
    }
}
