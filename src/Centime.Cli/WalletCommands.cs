using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Centime.Crypto;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// <c>centime wallet …</c>: keys in a directory of Web3 Secret Storage v3 files (geth-compatible names) with
/// wallet names. Passwords come from --password-file, CENTIME_PASSWORD or a prompt without echo. Private keys
/// and passwords are never printed.
/// </summary>
internal static class WalletCommands
{
    public static readonly Option<string> KeystoreDir = new("--keystore-dir")
    {
        Description = "Keystore directory (env CENTIME_KEYSTORE; default ~/.centime/keystore)",
        Recursive = true,
        DefaultValueFactory = _ => KeystoreDirectory.DefaultPath,
    };

    public static readonly Option<FileInfo?> PasswordFile = new("--password-file")
    {
        Description = "Read the password from this file's first line (else env CENTIME_PASSWORD, else a prompt)",
        Recursive = true,
    };

    public static Command Create()
    {
        var wallet = new Command("wallet", "Create, import, list and use keys (encrypted keystore files).") { KeystoreDir, PasswordFile };

        var name = new Option<string?>("--name") { Description = "Wallet name (letters, digits, '.', '_', '-')" };
        var scryptN = new Option<int>("--scrypt-n")
        {
            Description = "scrypt cost n for the new keystore file (power of two; lower is faster to open and weaker)",
            DefaultValueFactory = _ => KeystoreKdf.DefaultScryptN,
        };
        var create = new Command("new", "Generate a key and save it encrypted.") { name, scryptN };
        create.SetAction(parse => Run(parse, () =>
        {
            var dir = Directory(parse);
            var password = Password(parse, confirm: true);
            var key = Secp256k1.NewPrivateKey();
            try
            {
                var entry = dir.Create(key, password, parse.GetValue(name), Kdf(parse.GetValue(scryptN)));
                Print(parse, entry, "created");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }

            return CliContext.ExitOk;
        }));
        wallet.Add(create);

        var keyFile = new Option<FileInfo?>("--private-key-file") { Description = "File holding a hex private key (64 digits, 0x optional)" };
        var keystoreFile = new Option<FileInfo?>("--keystore") { Description = "A keystore v3 JSON file (geth, ethers, MetaMask export)" };
        var import = new Command("import", "Import a private key or a keystore file.") { keyFile, keystoreFile, name, scryptN };
        import.SetAction(parse => Run(parse, () =>
        {
            var dir = Directory(parse);
            var kf = parse.GetValue(keyFile);
            var ks = parse.GetValue(keystoreFile);
            if ((kf is null) == (ks is null))
            {
                throw new UsageException("give exactly one of --private-key-file and --keystore");
            }

            KeystoreEntry entry;
            if (kf is not null)
            {
                var key = ReadPrivateKey(kf);
                try
                {
                    entry = dir.Create(key, Password(parse, confirm: true), parse.GetValue(name), Kdf(parse.GetValue(scryptN)));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }
            else
            {
                var json = File.ReadAllText(ks!.FullName);
                var password = Password(parse, confirm: false);
                var key = KeystoreV3.Decrypt(json, password); // proves the password before the file is copied in
                try
                {
                    // Keep the file as written (its KDF settings); re-encrypt only when it states no address.
                    entry = HasAddress(json) ? dir.Save(json, parse.GetValue(name)) : dir.Create(key, password, parse.GetValue(name), Kdf(parse.GetValue(scryptN)));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }

            Print(parse, entry, "imported");
            return CliContext.ExitOk;
        }));
        wallet.Add(import);

        var list = new Command("list", "List the keys in the keystore directory.");
        list.SetAction(parse => Run(parse, () =>
        {
            var dir = Directory(parse);
            var entries = dir.List();
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(entries.Select(e => new { name = e.Name, address = e.Address.ToString(), file = e.FilePath }));
                return CliContext.ExitOk;
            }

            if (entries.Count == 0)
            {
                AnsiConsole.MarkupLine($"no keys in {Markup.Escape(dir.Path)} (create one with [bold]centime wallet new --name NAME[/])");
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Name", "Address", "File");
            foreach (var e in entries)
            {
                table.AddRow(Markup.Escape(e.Name ?? "-"), e.Address.ToString(), Markup.Escape(Path.GetFileName(e.FilePath)));
            }

            AnsiConsole.Write(table);
            return CliContext.ExitOk;
        }));
        wallet.Add(list);

        var walletName = new Argument<string>("wallet") { Description = "Wallet name or 0x address" };
        var address = new Command("address", "Print a wallet's address.") { walletName };
        address.SetAction(parse => Run(parse, () =>
        {
            var entry = Directory(parse).Find(parse.GetValue(walletName)!);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(new { name = entry.Name, address = entry.Address.ToString() });
            }
            else
            {
                Console.Out.WriteLine(entry.Address.ToString());
            }

            return CliContext.ExitOk;
        }));
        wallet.Add(address);

        var typedData = new Option<FileInfo>("--typed-data") { Description = "EIP-712 typed data (eth_signTypedData_v4 JSON) to sign", Required = true };
        var sign = new Command("sign", "Sign EIP-712 typed data; prints the 65-byte signature (r ‖ s ‖ v) in hex.") { walletName, typedData };
        sign.SetAction(parse => Run(parse, () =>
        {
            var dir = Directory(parse);
            var entry = dir.Find(parse.GetValue(walletName)!);
            TypedData td;
            try
            {
                td = TypedData.Parse(File.ReadAllText(parse.GetValue(typedData)!.FullName));
            }
            catch (FormatException ex)
            {
                throw new UsageException($"{parse.GetValue(typedData)!.Name}: {ex.Message}");
            }

            var digest = td.Digest(); // before asking for the password: bad input fails fast
            var key = dir.LoadPrivateKey(entry.Address.ToString(), Password(parse, confirm: false));
            try
            {
                var signature = Secp256k1.Default.Sign(key, digest);
                if (CliContext.WantsJson(parse))
                {
                    CliContext.PrintJson(new { signature = signature.ToHex(), signer = entry.Address.ToString(), digest = digest.ToString(), primaryType = td.PrimaryType });
                }
                else
                {
                    Console.Out.WriteLine(signature.ToHex());
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }

            return CliContext.ExitOk;
        }));
        wallet.Add(sign);
        return wallet;
    }

    private static KeystoreDirectory Directory(ParseResult parse) => new(parse.GetValue(KeystoreDir)!);

    private static KeystoreKdf Kdf(int n) =>
        n >= 2 && (n & (n - 1)) == 0 ? KeystoreKdf.Scrypt(n) : throw new UsageException($"--scrypt-n {n} is not a power of two ≥ 2");

    private static void Print(ParseResult parse, KeystoreEntry entry, string verb)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(new { name = entry.Name, address = entry.Address.ToString(), file = entry.FilePath });
        }
        else
        {
            AnsiConsole.MarkupLine($"[green]{verb}[/] {entry.Address}{(entry.Name is null ? "" : $" ({Markup.Escape(entry.Name)})")}");
            Console.Out.WriteLine($"file {entry.FilePath}"); // unwrapped, so it can be copied
        }
    }

    private static bool HasAddress(string json)
    {
        try
        {
            _ = KeystoreV3.AddressOf(json);
            return true;
        }
        catch (KeystoreException)
        {
            return false;
        }
    }

    private static byte[] ReadPrivateKey(FileInfo file)
    {
        var text = File.ReadAllText(file.FullName).Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        byte[] key;
        try
        {
            key = text.Length == 64 ? Convert.FromHexString(text) : [];
        }
        catch (FormatException)
        {
            key = [];
        }

        if (!Secp256k1.IsValidPrivateKey(key))
        {
            throw new UsageException($"{file.Name} does not hold a private key (64 hex digits, 0x optional, a valid secp256k1 scalar)");
        }

        return key;
    }

    /// <summary>Decrypts a keystore wallet's private key (asking for its password); the caller clears the bytes after use.</summary>
    internal static byte[] LoadPrivateKey(ParseResult parse, string name)
    {
        var keystore = new KeystoreDirectory(parse.GetValue(KeystoreDir)!);
        if (!keystore.TryFind(name, out _))
        {
            throw new UsageException($"no wallet '{name}' in {keystore.Path} (see 'centime wallet list')");
        }

        try
        {
            return keystore.LoadPrivateKey(name, Password(parse, confirm: false));
        }
        catch (KeystoreException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <summary>--password-file, then CENTIME_PASSWORD, then a prompt without echo (twice for a new key).</summary>
    internal static string Password(ParseResult parse, bool confirm)
    {
        if (parse.GetValue(PasswordFile) is { } file)
        {
            var text = File.ReadAllText(file.FullName);
            var end = text.IndexOfAny(['\r', '\n']);
            return end < 0 ? text : text[..end];
        }

        if (Environment.GetEnvironmentVariable("CENTIME_PASSWORD") is { } env)
        {
            return env;
        }

        if (Console.IsInputRedirected)
        {
            throw new UsageException("no password: use --password-file FILE, set CENTIME_PASSWORD, or run in a terminal to be asked");
        }

        var password = Prompt("Password: ");
        if (confirm && Prompt("Repeat password: ") != password)
        {
            throw new UsageException("the passwords differ");
        }

        return password;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var sb = new StringBuilder();
        while (true)
        {
            var k = Console.ReadKey(intercept: true); // intercept: nothing is echoed
            if (k.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (k.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                }
            }
            else if (!char.IsControl(k.KeyChar))
            {
                sb.Append(k.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return sb.ToString();
    }

    /// <summary>Runs a wallet command: keystore, file and input problems become messages and exit codes.</summary>
    private static int Run(ParseResult parse, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException ex)
        {
            return Fail(parse, ex.Message, CliContext.ExitUsage);
        }
        catch (KeystoreException ex)
        {
            return Fail(parse, ex.Message, CliContext.ExitFailed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Fail(parse, ex.Message, CliContext.ExitUsage);
        }
    }

    private static int Fail(ParseResult parse, string message, int code)
    {
        CliContext.PrintProblem(parse, new Centime.Client.Problem("about:blank", "wallet", 0, message, code == CliContext.ExitUsage ? "usage" : "wallet_error"));
        return code;
    }
}
