using System.Net.Http.Json;
using Centime.Client;
using Centime.Node;
using Microsoft.Extensions.Logging;

namespace Centime.Node.Tests;

/// <summary>A real node in this process, listening on a random loopback port, with its own temp data directory.</summary>
public sealed class TestNode : IAsyncDisposable
{
    public const string OperatorKey = "ck_test_operator_key_0123456789";

    private TestNode(CentimeNode node, string data)
    {
        Node = node;
        DataDirectory = data;
        BaseUrl = node.Urls.First(u => u.StartsWith("http://127.0.0.1", StringComparison.Ordinal)) + "/";
        Client = new CentimeClient(new Uri(BaseUrl), OperatorKey);
        Anonymous = new CentimeClient(new Uri(BaseUrl));
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorKey);
    }

    public CentimeNode Node { get; }
    public string DataDirectory { get; }
    public string BaseUrl { get; }
    public CentimeClient Client { get; }
    public CentimeClient Anonymous { get; }
    public HttpClient Http { get; }

    public static async Task<TestNode> StartAsync(string? dataDirectory = null, Action<NodeOptions>? configure = null)
    {
        var data = dataDirectory ?? Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var options = new NodeOptions { DataDirectory = data, Urls = "http://127.0.0.1:0", OperatorKey = OperatorKey, SnapshotEveryCommands = 0 };
        configure?.Invoke(options);
        var node = CentimeNode.Create(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await node.StartAsync();
        return new TestNode(node, data);
    }

    /// <summary>
    /// A node in sandbox mode: coins created on it are unbacked test coins the operator key may mint and move. For tests
    /// that need balances, not issuance (issued coins are minted through /v1/issuance on a node without it).
    /// </summary>
    public static Task<TestNode> StartSandboxAsync(string? dataDirectory = null, Action<NodeOptions>? configure = null) =>
        StartAsync(dataDirectory, o =>
        {
            o.Sandbox = true;
            configure?.Invoke(o);
        });

    private CentimeClient? _assetProtection;

    /// <summary>The asset_protection operator's API key, once <see cref="AssetProtectionAsync"/> seated it.</summary>
    public string? AssetProtectionKey { get; private set; }

    /// <summary>
    /// A client with the key of an <c>asset_protection</c> operator (freeze, unfreeze), seated on first use by the
    /// operator key. Only a single-operator node (<c>o.SingleOperator = true</c>) lets one admin seat it alone; on
    /// others the seat waits for a second admin and this fails.
    /// </summary>
    public async Task<CentimeClient> AssetProtectionAsync()
    {
        if (_assetProtection is null)
        {
            var seated = await Client.AddOperatorAsync(new AddOperatorRequest("asset-protection", ["asset_protection"]));
            Assert.True(seated.Status == "executed", $"seating asset_protection is {seated.Status}: start the node with SingleOperator = true");
            AssetProtectionKey = seated.Key!;
            _assetProtection = new CentimeClient(new Uri(BaseUrl), AssetProtectionKey);
        }

        return _assetProtection;
    }

    private CentimeClient? _assetProtection2;

    /// <summary>
    /// Freezes (or unfreezes) an account by lawful order: <see cref="AssetProtectionAsync"/>'s operator requests it and a
    /// second asset_protection operator (seated on first use, so a single-operator node) approves it.
    /// </summary>
    public async Task FreezeAsync(string address, string coin, bool frozen, string reason = "court_order")
    {
        var requester = await AssetProtectionAsync();
        if (_assetProtection2 is null)
        {
            var seated = await Client.AddOperatorAsync(new AddOperatorRequest("asset-protection-2", ["asset_protection"]));
            Assert.True(seated.Status == "executed", $"seating a second asset_protection is {seated.Status}: start the node with SingleOperator = true");
            _assetProtection2 = new CentimeClient(new Uri(BaseUrl), seated.Key!);
        }

        var order = await requester.RequestLawfulOrderAsync(coin, new LawfulOrderRequest
        {
            Kind = frozen ? "freeze" : "unfreeze",
            Account = address,
            Reference = "Test order " + Ids.Next(),
            Reason = frozen ? reason : "order_lifted",
        });
        Assert.Equal("pending_approval", order.Status);
        Assert.Equal("approved", (await _assetProtection2.ApproveAsync(order.Action)).Status);
    }

    /// <summary>Creates a coin and mints <paramref name="amount"/> minor units to each address (a sandbox node's operator mint).</summary>
    public async Task<CoinInfo> CoinWithHoldersAsync(string symbol, UInt128 amount, params string[] holders)
    {
        var coin = await Client.CreateCoinAsync(new CreateCoinRequest(symbol, "USD", 6, symbol + " Dollar", "1"));
        if (holders.Length > 0)
        {
            var mints = holders.Select(h => new TransferRequest { Id = Ids.Next(), Coin = symbol, Debit = coin.SupplyAccount, Credit = h, Amount = amount.ToString() }).ToList();
            var r = await Client.SubmitTransfersAsync(mints);
            Assert.All(r.Results, x => Assert.Equal("ok", x.Result));
        }

        return coin;
    }

    public async Task<HttpResponseMessage> PostRawAsync(string path, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return await Http.PostAsync(path, content);
    }

    public async Task<Problem> ReadProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<Problem>())!;
    }

    /// <summary>Stops the node (final snapshot) but keeps the data directory.</summary>
    public async Task StopAsync()
    {
        Client.Dispose();
        _assetProtection?.Dispose();
        _assetProtection2?.Dispose();
        Anonymous.Dispose();
        Http.Dispose();
        await Node.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Unique transfer ids for a test run.</summary>
public static class Ids
{
    private static long _next = DateTime.UtcNow.Ticks;

    public static string Next() => Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Well-known test addresses (the Hardhat/Anvil default accounts).</summary>
public static class Holders
{
    public const string Alice = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    public const string Bob = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    public const string Carol = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    public const string Dave = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
}
