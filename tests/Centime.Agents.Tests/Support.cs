using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Eip712Domain = Centime.Client.Eip712Domain;

namespace Centime.Agents.Tests;

/// <summary>A real node on a random loopback port with a coin NUSD and funded payers.</summary>
public sealed class LedgerNode : IAsyncDisposable
{
    public const string OperatorKey = "ck_test_operator_key_0123456789";
    public const string Coin = "NUSD";

    /// <summary>Hardhat/Anvil test key #0 (0xf39F…2266): the npm client pays with it.</summary>
    public const string HardhatKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    public static readonly HolderSigner Payer = new(Convert.FromHexString(HardhatKey0[2..]));
    public static readonly HolderSigner Other = new(Keccak256.Hash("centime x402 test other"u8));
    public static readonly Address Merchant = new HolderSigner(Keccak256.Hash("centime x402 test merchant"u8)).Address;

    private static long _nextId = DateTime.UtcNow.Ticks;

    private LedgerNode(CentimeNode node, string data, CoinInfo coin)
    {
        Node = node;
        DataDirectory = data;
        BaseUrl = node.Urls.First(u => u.StartsWith("http://127.0.0.1", StringComparison.Ordinal)) + "/";
        Client = new CentimeClient(new Uri(BaseUrl), OperatorKey);
        CoinInfo = coin;
    }

    public CentimeNode Node { get; private set; }
    public string DataDirectory { get; }
    public string BaseUrl { get; private set; }
    public string FacilitatorUrl => BaseUrl + "x402";
    public CentimeClient Client { get; private set; }
    public CoinInfo CoinInfo { get; private set; }
    public X402Asset Asset => X402Asset.From(CoinInfo);

    private static CentimeNode Create(string data, int discoveryCapacity = 10_000) => CentimeNode.Create(
        new NodeOptions { DataDirectory = data, Urls = "http://127.0.0.1:0", OperatorKey = OperatorKey, SnapshotEveryCommands = 0, X402DiscoveryCapacity = discoveryCapacity, Sandbox = true },
        logging => logging.SetMinimumLevel(LogLevel.Warning));

    /// <summary>Stops the node and starts a new one on the same data directory (it recovers by replaying the
    /// journal); it listens on a new port, so clients must be made again from <see cref="BaseUrl"/>.</summary>
    public async Task RestartAsync()
    {
        Client.Dispose();
        await Node.DisposeAsync();
        Node = Create(DataDirectory);
        await Node.StartAsync();
        BaseUrl = Node.Urls.First(u => u.StartsWith("http://127.0.0.1", StringComparison.Ordinal)) + "/";
        Client = new CentimeClient(new Uri(BaseUrl), OperatorKey);
    }

    public static async Task<LedgerNode> StartAsync(UInt128? fund = null, int discoveryCapacity = 10_000)
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-x402-" + Guid.NewGuid().ToString("N"));
        var node = Create(data, discoveryCapacity);
        await node.StartAsync();
        var n = new LedgerNode(node, data, null!);
        var coin = await n.Client.CreateCoinAsync(new CreateCoinRequest(Coin, "USD", 6, "Net Dollar", "1"));
        n.CoinInfo = coin;
        var amount = fund ?? 1_000_000_000;
        var mints = new[] { Payer.Address, Other.Address }
            .Select(h => new TransferRequest { Id = NextId(), Coin = Coin, Debit = coin.SupplyAccount, Credit = h.ToString(), Amount = amount.ToString(CultureInfo.InvariantCulture) }).ToList();
        var r = await n.Client.SubmitTransfersAsync(mints);
        Assert.All(r.Results, x => Assert.Equal("ok", x.Result));
        return n;
    }

    public static string NextId() => Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);

    public async Task<UInt128> BalanceAsync(Address address)
    {
        var account = await Client.GetAccountAsync(address.ToString());
        var b = account.Balances.FirstOrDefault(x => x.Coin == Coin);
        return b is null ? UInt128.Zero : UInt128.Parse(b.Balance, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>An ASP.NET Core app with paid endpoints, the way a user writes it, on a random loopback port.</summary>
public sealed class PaidApi : IAsyncDisposable
{
    private PaidApi(WebApplication app)
    {
        App = app;
        BaseUrl = app.Urls.First() + "/";
    }

    public WebApplication App { get; }
    public string BaseUrl { get; }
    public int HandlerRuns;

    public X402Options Options { get; private set; } = null!;

    public static async Task<PaidApi> StartAsync(IX402Facilitator facilitator, IX402AssetDirectory assets, bool settleBefore = false, string? payTo = null, bool hashChain = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        PaidApi? api = null;
        var options = new X402Options
        {
            Facilitator = facilitator,
            Assets = assets,
            PayTo = payTo ?? LedgerNode.Merchant.ToString(),
            SettleBeforeHandler = settleBefore,
            EnableHashChain = hashChain,
        };
        app.UseX402(options);
        app.MapGet("/weather", () =>
        {
            Interlocked.Increment(ref api!.HandlerRuns);
            return Results.Json(new { city = "Lisbon", celsius = 21 });
        }).RequirePayment("0.01", LedgerNode.Coin, "Weather now", "application/json");
        app.MapPost("/echo", async (HttpRequest r) => Results.Text(await new StreamReader(r.Body).ReadToEndAsync())).RequirePayment("0.02", LedgerNode.Coin);
        app.MapGet("/broken", () => Results.Problem("handler failed", statusCode: 500)).RequirePayment("0.01", LedgerNode.Coin);
        app.MapGet("/free", () => "free");
        await app.StartAsync();
        api = new PaidApi(app) { Options = options };
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
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

    /// <summary>interop/, failing the test when Node or the npm packages are missing.</summary>
    public static string Interop()
    {
        var interop = Path.Combine(Find(), "interop");
        foreach (var package in new[] { "@x402/fetch", "@x402/evm", "@x402/core", "@x402/express", "express", "viem" })
        {
            if (!Directory.Exists(Path.Combine(interop, "node_modules", package)))
            {
                Assert.Fail($"{interop}/node_modules/{package} is missing: run scripts/install-deps.sh (it runs npm ci in interop/).");
            }
        }

        return interop;
    }
}

/// <summary>Runs the interop/ Node scripts.</summary>
internal static class NodeScripts
{
    private static ProcessStartInfo Start(string script, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoRoot.Interop(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(script);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    private static Process Launch(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"cannot start node ({ex.Message}): install Node.js and run scripts/install-deps.sh.");
            throw;
        }
    }

    /// <summary>One request to interop/ethers-bridge.mjs (the npm <c>ethers</c> wallet library); returns its reply.</summary>
    public static async Task<JsonObject> EthersAsync(JsonObject request)
    {
        using var p = Launch(Start("ethers-bridge.mjs", []));
        request["id"] = 1;
        await p.StandardInput.WriteLineAsync(request.ToJsonString());
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"ethers-bridge.mjs printed no JSON (exit {p.ExitCode}): {await stderr}");
        var reply = JsonNode.Parse(line)!.AsObject();
        Assert.True(reply["ok"]?.GetValue<bool>() == true, $"ethers failed: {reply["error"]} {await stderr}");
        return reply;
    }

    /// <summary>@x402/fetch pays one GET; returns its JSON line.</summary>
    public static Task<JsonObject> PayWithOfficialClientAsync(string url, X402Asset asset, string maxAmount) =>
        RunClientAsync("x402-client.mjs", [url, asset.Address, asset.Network, maxAmount]);

    /// <summary>@x402/fetch makes one payment for a GET and sends the paid request as <paramref name="copies"/>
    /// concurrent copies over warmed keep-alive connections (x402-fetch-copies.mjs); returns its JSON line.</summary>
    public static Task<JsonObject> PayOnceSendCopiesAsync(string url, X402Asset asset, string maxAmount, int copies) =>
        RunClientAsync("x402-fetch-copies.mjs", [url, asset.Address, asset.Network, maxAmount, copies.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    private static async Task<JsonObject> RunClientAsync(string script, string[] args)
    {
        var psi = Start(script, args);
        psi.Environment["X402_PK"] = LedgerNode.HardhatKey0;
        using var p = Launch(psi);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        var output = (await stdout).Trim();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"{script} printed no JSON (exit {p.ExitCode}): {output} {await stderr}");
        var json = JsonNode.Parse(line)!.AsObject();
        Assert.True(p.ExitCode == 0, $"{script} failed: {json["error"]} {await stderr}");
        return json;
    }

    /// <summary>The official @x402/express server using the node's facilitator; disposing it closes its stdin (it exits).</summary>
    public static async Task<ExpressServer> StartExpressAsync(string facilitatorUrl, X402Asset asset, string amount, Address payTo)
    {
        var psi = Start("x402-express-server.mjs", [facilitatorUrl, asset.Network, asset.Address, amount, payTo.ToString(), asset.Name, asset.Version, "0"]);
        var p = Launch(psi);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        p.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await p.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            await p.WaitForExitAsync(CancellationToken.None);
            lock (stderr)
            {
                Assert.Fail($"x402-express-server.mjs exited ({p.ExitCode}) before listening: {stderr}");
            }
        }

        var port = JsonNode.Parse(line!)!["port"]!.GetValue<int>();
        return new ExpressServer(p, $"http://127.0.0.1:{port}/");
    }
}

internal sealed class ExpressServer(Process process, string baseUrl) : IDisposable
{
    public string BaseUrl { get; } = baseUrl;

    public void Dispose()
    {
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }
}

/// <summary>Builds payments the way an x402 client does, with knobs for attacks.</summary>
internal static class Payments
{
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static PaymentRequirements Offer(X402Asset asset, string amount = "10000", Address? payTo = null) => new()
    {
        Scheme = "exact",
        Network = asset.Network,
        Amount = amount,
        Asset = asset.Address,
        PayTo = (payTo ?? LedgerNode.Merchant).ToString(),
        MaxTimeoutSeconds = 60,
        Extra = new Dictionary<string, JsonElement> { ["name"] = JsonSerializer.SerializeToElement(asset.Name), ["version"] = JsonSerializer.SerializeToElement(asset.Version) },
    };

    public static PaymentPayload Sign(HolderSigner signer, X402Asset asset, PaymentRequirements offer, UInt128? value = null, Address? to = null,
        ulong validAfter = 0, ulong? validBefore = null, Hash32? nonce = null, ulong? chainId = null)
    {
        var domain = new Eip712Domain(asset.Name, asset.Version, chainId ?? asset.ChainId, asset.Address);
        var a = signer.SignAuthorization(domain, to ?? Address.Parse(offer.PayTo), value ?? UInt128.Parse(offer.Amount, CultureInfo.InvariantCulture),
            validAfter, validBefore ?? (ulong)(Now + 60), nonce);
        var exact = new ExactEvmPayload
        {
            Signature = a.Signature!,
            Authorization = new ExactEvmAuthorization { From = a.From, To = a.To, Value = a.Value, ValidAfter = a.ValidAfter, ValidBefore = a.ValidBefore, Nonce = a.Nonce },
        };
        return new PaymentPayload
        {
            X402Version = 2,
            Resource = new ResourceInfo { Url = "http://127.0.0.1/test" },
            Accepted = offer,
            Payload = JsonSerializer.SerializeToElement(exact, X402Headers.Json),
            Extensions = [],
        };
    }

    public static SpendingLimits Generous => new() { MaxPerPayment = 1_000_000, MaxPerHostPerDay = 100_000_000, MaxPerDay = 100_000_000 };
}
