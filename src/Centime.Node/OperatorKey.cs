using System.Security.Cryptography;

namespace Centime.Node;

/// <summary>The operator API key: created once in the data directory (owner-only permissions), never logged.</summary>
public static class OperatorKey
{
    public const string FileName = "operator.key";

    /// <summary>Reads &lt;data&gt;/operator.key, creating it with a fresh random key if missing.</summary>
    public static string LoadOrCreate(string dataDirectory, out bool created)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        created = false;
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= 16)
            {
                return existing;
            }
        }

        var key = "ck_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        Write(path, key);
        created = true;
        return key;
    }

    /// <summary>Replaces &lt;data&gt;/operator.key after a journaled rotation of the bootstrap admin's key.</summary>
    public static void Replace(string dataDirectory, string key) => Write(Path.Combine(dataDirectory, FileName), key);

    private static void Write(string path, string key)
    {
        var temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(key);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
