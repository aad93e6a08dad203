using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Centime.Node.Tests;

/// <summary>One request to interop/ethers-bridge.mjs (ethers 6.17.0 from npm), for signatures a real wallet library makes.</summary>
internal static class EthersBridge
{
    public static JsonObject Call(JsonObject request)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Centime.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Centime.slnx not found above the test binaries");
        }

        var interop = Path.Combine(root, "interop");
        Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "ethers")),
            $"{interop}/node_modules/ethers is missing: run scripts/install-deps.sh (it runs npm ci in interop/).");
        var start = new ProcessStartInfo("node", "ethers-bridge.mjs")
        {
            WorkingDirectory = interop,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        using var process = Process.Start(start)!;
        request["id"] = 1;
        process.StandardInput.WriteLine(request.ToJsonString());
        process.StandardInput.Close();
        var line = process.StandardOutput.ReadLine();
        var errors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "ethers bridge did not exit");
        Assert.True(line is not null, "ethers bridge: " + errors);
        var reply = JsonNode.Parse(line)!.AsObject();
        Assert.True(reply["ok"]!.GetValue<bool>(), $"ethers failed: {reply["error"]}");
        return reply;
    }
}
