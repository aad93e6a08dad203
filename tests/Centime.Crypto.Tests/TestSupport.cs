using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Centime.Crypto.Tests;

/// <summary>Random seeds for randomized tests: printed, and overridable with CENTIME_SEED to replay a failure.</summary>
internal static class TestSeed
{
    public static Random Create(ITestOutputHelper output, string test)
    {
        var env = Environment.GetEnvironmentVariable("CENTIME_SEED");
        var seed = env is { Length: > 0 } ? int.Parse(env, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"{test}: seed {seed} (replay with CENTIME_SEED={seed})");
        return new Random(seed);
    }
}

internal static class RepoRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Centime.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Centime.slnx not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>
/// interop/ethers-bridge.mjs in one Node process: JSON requests in, JSON replies out, in order. Missing Node or
/// npm packages fail the test with a message that says how to install them.
/// </summary>
internal sealed class EthersBridge : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private int _nextId;

    private EthersBridge(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    public static EthersBridge Start()
    {
        var interop = Path.Combine(RepoRoot.Find(), "interop");
        if (!Directory.Exists(Path.Combine(interop, "node_modules", "ethers")))
        {
            Assert.Fail($"{interop}/node_modules/ethers is missing: run scripts/install-deps.sh (it runs npm ci in interop/).");
        }

        var psi = new ProcessStartInfo("node", "ethers-bridge.mjs")
        {
            WorkingDirectory = interop,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"cannot start node ({ex.Message}): install Node.js and run scripts/install-deps.sh.");
            throw;
        }

        var bridge = new EthersBridge(process!);
        var version = bridge.Call(new JsonObject { ["op"] = "version" });
        Assert.Equal("6.17.0", version["version"]!.GetValue<string>());
        return bridge;
    }

    /// <summary>One request; asserts success.</summary>
    public JsonObject Call(JsonObject request)
    {
        var reply = CallMany([request])[0];
        Assert.True(reply["ok"]!.GetValue<bool>(), $"ethers failed: {reply["error"]} for {request.ToJsonString()}");
        return reply;
    }

    /// <summary>Many requests through the pipe at once (a writer task keeps both pipes flowing); replies in order.</summary>
    public List<JsonObject> CallMany(IReadOnlyList<JsonObject> requests)
    {
        var firstId = _nextId;
        var lines = new List<string>(requests.Count);
        foreach (var r in requests)
        {
            r["id"] = _nextId++;
            lines.Add(r.ToJsonString());
        }

        var writer = Task.Run(() =>
        {
            foreach (var line in lines)
            {
                _process.StandardInput.WriteLine(line);
            }

            _process.StandardInput.Flush();
        });
        var replies = new List<JsonObject>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var line = _process.StandardOutput.ReadLine();
            if (line is null)
            {
                string err;
                lock (_stderr)
                {
                    err = _stderr.ToString();
                }

                Assert.Fail($"ethers bridge exited early: {err}");
            }

            var reply = JsonNode.Parse(line)!.AsObject();
            Assert.Equal(firstId + i, reply["id"]!.GetValue<int>());
            replies.Add(reply);
        }

        writer.Wait();
        return replies;
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}

internal static class Json
{
    public static JsonNode ParseNode(string json) => JsonNode.Parse(json)!;

    public static string Indented(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
