using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Ledger;
using Centime.Node.X402;

namespace Centime.Agents.Tests;

/// <summary>Issue 12 item 5: discovery listings are registered only by their payTo's signature, per-payTo
/// rate-limited, and capped exactly; overwrite, flood and eviction attempts fail (docs/x402.md "Discovery").</summary>
public sealed class DiscoveryTests
{
    /// <summary>Hardhat's account #1: a key ethers can be handed too.</summary>
    private const string GenuineKey = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    private static readonly HolderSigner Genuine = new(Convert.FromHexString(GenuineKey[2..]));
    private static readonly HolderSigner Stranger = new(Keccak256.Hash("centime x402 discovery stranger"u8));
    private const string Url = "https://weather.example/now";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static string Listing(LedgerNode node, Address payTo, string amount = "10000", string description = "Weather now") =>
        DiscoveryListing.Json([Payments.Offer(node.Asset, amount, payTo)], description);

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, LedgerNode node, object registration) =>
        await http.PostAsJsonAsync(node.FacilitatorUrl + "/discovery/resources", registration, Web);

    private static async Task<DiscoveryResponse> PageAsync(LedgerNode node)
    {
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        return await facilitator.GetDiscoveryResourcesAsync(limit: 1000);
    }

    private static async Task<string?> CodeOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())?["code"]?.GetValue<string>();

    private static DiscoveryItem GenuineListing(DiscoveryResponse page) =>
        Assert.Single(page.Items, i => i.Resource == Url && i.Accepts[0].PayTo == Genuine.Address.ToString());

    [Fact]
    public async Task Register_ThroughSdk_SignedByPayTo_Listed()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));

        var listed = await facilitator.RegisterDiscoveryListingAsync(
            DiscoveryListing.Sign(Genuine, node.Asset.ChainId, Url, [Payments.Offer(node.Asset, "10000", Genuine.Address)], "Weather now", "application/json"));
        var page = await facilitator.GetDiscoveryResourcesAsync(type: "http");

        Assert.Equal(Url, listed.Resource);
        var item = Assert.Single(page.Items);
        Assert.Equal(Url, item.Resource);
        Assert.Equal(Genuine.Address.ToString(), item.Accepts[0].PayTo);
        Assert.Equal("10000", item.Accepts[0].Amount);
        Assert.Equal("Weather now", item.Metadata!["description"].GetString());
        Assert.Equal("application/json", item.Metadata!["mimeType"].GetString());
    }

    /// <summary>The registration is plain EIP-712: ethers computes the same digest, a registration ethers signs is
    /// listed, and ethers recovers the SDK's signature to the payee.</summary>
    [Fact]
    public async Task Register_SignedByEthers_Listed_AndSdkSignatureVerifiesInEthers()
    {
        await using var node = await LedgerNode.StartAsync();
        var listing = Listing(node, Genuine.Address);
        var issuedAt = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var typedData = JsonNode.Parse(DiscoveryTypedData.Listing(node.Asset.ChainId, Url, Genuine.Address, listing, issuedAt));

        var signed = await NodeScripts.EthersAsync(new JsonObject { ["op"] = "signTypedData", ["privateKey"] = GenuineKey, ["typedData"] = typedData });
        var sdk = Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, listing, issuedAt);
        var verified = await NodeScripts.EthersAsync(new JsonObject { ["op"] = "verifyTypedData", ["typedData"] = typedData!.DeepClone(), ["signature"] = sdk.Signature });
        using var http = new HttpClient();
        using var created = await PostAsync(http, node, new DiscoveryRegistration(Url, signed["address"]!.GetValue<string>(), listing, issuedAt, signed["signature"]!.GetValue<string>()));

        Assert.Equal(DiscoveryTypedData.Digest(node.Asset.ChainId, Url, Genuine.Address, listing, issuedAt).ToString(), signed["digest"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Genuine.Address.ToString(), verified["address"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("10000", GenuineListing(await PageAsync(node)).Accepts[0].Amount);
    }

    [Fact]
    public async Task OverwriteAttempts_Fail_GenuineListingUnchanged()
    {
        await using var node = await LedgerNode.StartAsync();
        using var http = new HttpClient();
        var genuine = Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address));
        using (var first = await PostAsync(http, node, genuine))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        // 1. the stranger claims the genuine payTo: its signature does not recover to it
        var forged = Stranger.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Stranger.Address)) with { PayTo = Genuine.Address.ToString() };
        using var claimed = await PostAsync(http, node, forged);
        // 2. the stranger signs as itself a listing whose accepts pay someone else (itself listed as the genuine payee's URL)
        using var mismatch = await PostAsync(http, node, Stranger.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address)));
        // 3. the genuine registration replayed (same issuedAt), and copies of it with the accepts redirected to the
        //    stranger, a cheaper amount, or another URL
        using var replayed = await PostAsync(http, node, genuine);
        using var redirected = await PostAsync(http, node, genuine with { Listing = Listing(node, Stranger.Address) });
        using var cheaper = await PostAsync(http, node, genuine with { Listing = Listing(node, Genuine.Address, amount: "1") });
        using var moved = await PostAsync(http, node, genuine with { Resource = "https://weather.example/elsewhere" });
        // 4. the stranger lists the same URL paying itself: a listing of its own, beside the genuine one
        using var own = await PostAsync(http, node, Stranger.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Stranger.Address, description: "cheaper!")));

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "signer_mismatch"), (claimed.StatusCode, await CodeOf(claimed)));
        Assert.Equal((HttpStatusCode.Forbidden, "discovery_pay_to_mismatch"), (mismatch.StatusCode, await CodeOf(mismatch)));
        Assert.Equal((HttpStatusCode.Conflict, "discovery_registration_stale"), (replayed.StatusCode, await CodeOf(replayed)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "signer_mismatch"), (redirected.StatusCode, await CodeOf(redirected)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "signer_mismatch"), (cheaper.StatusCode, await CodeOf(cheaper)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "signer_mismatch"), (moved.StatusCode, await CodeOf(moved)));
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        var page = await PageAsync(node);
        Assert.Equal(2, page.Pagination.Total);
        var mine = GenuineListing(page);
        Assert.Equal("10000", mine.Accepts[0].Amount);
        Assert.Equal("Weather now", mine.Metadata!["description"].GetString());
    }

    /// <summary>The payee itself can update its listing with a later registration; an older one cannot roll it back.</summary>
    [Fact]
    public async Task Update_ByPayTo_LaterIssuedAtReplaces_EarlierRefused()
    {
        await using var node = await LedgerNode.StartAsync();
        using var http = new HttpClient();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var older = Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address, amount: "10000"), now - 10);
        var newer = Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address, amount: "20000"), now);

        using var second = await PostAsync(http, node, newer);
        using var rollback = await PostAsync(http, node, older);

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "discovery_registration_stale"), (rollback.StatusCode, await CodeOf(rollback)));
        var page = await PageAsync(node);
        Assert.Equal(1, page.Pagination.Total);
        Assert.Equal("20000", GenuineListing(page).Accepts[0].Amount);
    }

    [Fact]
    public async Task FloodFromOneKey_RateLimited_OneSignatureListsOneResource_NoEviction()
    {
        await using var node = await LedgerNode.StartAsync();
        using var http = new HttpClient();
        using (var first = await PostAsync(http, node, Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address))))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        // One signature, 300 resources: it covers one URL, so every other URL fails the signature.
        var one = Stranger.SignDiscoveryListing(node.Asset.ChainId, "https://spam.example/signed", Listing(node, Stranger.Address));
        var reused = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            using var r = await PostAsync(http, node, one with { Resource = "https://spam.example/" + i.ToString(CultureInfo.InvariantCulture) });
            return (r.StatusCode, await CodeOf(r));
        }));

        // 300 properly signed listings from one key, at once.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var flood = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            using var r = await PostAsync(http, node, Stranger.SignDiscoveryListing(node.Asset.ChainId, "https://spam.example/" + i.ToString(CultureInfo.InvariantCulture), Listing(node, Stranger.Address)));
            return (r.StatusCode, r.StatusCode == HttpStatusCode.Created ? null : await CodeOf(r), r.Headers.RetryAfter?.Delta);
        }));
        var elapsed = clock.Elapsed;

        Assert.All(reused, r => Assert.Equal((HttpStatusCode.UnprocessableEntity, "signer_mismatch"), r));
        // The burst, plus at most one refill per period the flood lasted (the machine may be slow).
        var created = flood.Count(s => s.StatusCode == HttpStatusCode.Created);
        Assert.InRange(created, ResourceRegistry.BurstPerPayTo, ResourceRegistry.BurstPerPayTo + (int)(elapsed.TotalSeconds / ResourceRegistry.RefillSeconds) + 1);
        var limited = flood.Where(s => s.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(300 - created, limited.Count);
        Assert.All(limited, s => Assert.Equal((HttpStatusCode.TooManyRequests, "discovery_rate_limited", (TimeSpan?)TimeSpan.FromSeconds(ResourceRegistry.RefillSeconds)), s));
        var page = await PageAsync(node);
        Assert.Equal(1 + created, page.Pagination.Total);
        Assert.Equal("10000", GenuineListing(page).Accepts[0].Amount);
    }

    [Fact]
    public async Task Cap_HoldsExactly_Under20ConcurrentClients_NothingEvicted_PayeeStillUpdates()
    {
        const int capacity = 50;
        await using var node = await LedgerNode.StartAsync(discoveryCapacity: capacity);
        using var http = new HttpClient();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using (var first = await PostAsync(http, node, Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address), now - 5)))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        // 20 clients, each its own connection and key, register 5 listings each at once: 100 attempts for 49 places.
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(c => Task.Run(async () =>
        {
            using var client = new HttpClient();
            var key = new HolderSigner(Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes("centime x402 discovery client " + c.ToString(CultureInfo.InvariantCulture))));
            return await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
            {
                var url = $"https://c{c}.example/{i}";
                using var r = await PostAsync(client, node, key.SignDiscoveryListing(node.Asset.ChainId, url, Listing(node, key.Address)));
                return (r.StatusCode, Code: r.StatusCode == HttpStatusCode.Created ? null : await CodeOf(r));
            }));
        })));
        // Full: a newcomer is refused, while the genuine payee can still update its own listing.
        using var newcomer = await PostAsync(http, node, Stranger.SignDiscoveryListing(node.Asset.ChainId, "https://late.example/", Listing(node, Stranger.Address)));
        using var update = await PostAsync(http, node, Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address, amount: "20000"), now));

        var all = results.SelectMany(x => x).ToList();
        Assert.Equal(capacity - 1, all.Count(s => s.StatusCode == HttpStatusCode.Created));
        Assert.All(all.Where(s => s.StatusCode != HttpStatusCode.Created), s => Assert.Equal((HttpStatusCode.Conflict, "discovery_full"), s));
        Assert.Equal((HttpStatusCode.Conflict, "discovery_full"), (newcomer.StatusCode, await CodeOf(newcomer)));
        Assert.Equal(HttpStatusCode.Created, update.StatusCode);
        var page = await PageAsync(node);
        Assert.Equal(capacity, page.Pagination.Total);
        Assert.Equal(capacity, page.Items.Count);
        Assert.Equal("20000", GenuineListing(page).Accepts[0].Amount);
    }

    /// <summary>Bad registrations are 4xx problems with stable codes (never a 500) and list nothing.</summary>
    /// <summary>The per-payTo token bucket in exact integer milliseconds: a burst, then one per refill period to the
    /// millisecond; a clock stepping back adds no credit.</summary>
    [Fact]
    public void RateLimit_BurstThenOnePerRefillPeriod_ExactToTheMillisecond_ClockStepBackAddsNothing()
    {
        var registry = new ResourceRegistry();
        var payTo = Address.Derive("test:bucket");
        var n = 0;
        ResourceRegistry.Outcome Register(long nowMs) =>
            registry.Register(payTo, new DiscoveryItem { Resource = "https://api.example/r" + n++, Accepts = [], LastUpdated = "2026-12-07T00:00:00Z" }, 1, nowMs);

        const long t0 = 1_000_000;
        for (var i = 0; i < ResourceRegistry.BurstPerPayTo; i++)
        {
            Assert.Equal(ResourceRegistry.Outcome.Registered, Register(t0));
        }

        Assert.Equal(ResourceRegistry.Outcome.RateLimited, Register(t0));
        var refillMs = ResourceRegistry.RefillSeconds * 1000L;
        Assert.Equal(ResourceRegistry.Outcome.RateLimited, Register(t0 + refillMs - 1));
        Assert.Equal(ResourceRegistry.Outcome.Registered, Register(t0 + refillMs));
        Assert.Equal(ResourceRegistry.Outcome.RateLimited, Register(t0 - (100 * refillMs))); // the clock stepped back
        Assert.Equal(ResourceRegistry.Outcome.RateLimited, Register(t0 + refillMs + 1));
        Assert.Equal(ResourceRegistry.Outcome.Registered, Register(t0 + (2 * refillMs) + 1));
        Assert.Equal(ResourceRegistry.BurstPerPayTo + 2, registry.Count);
    }

    [Fact]
    public async Task BadRegistrations_RefusedWithCodes_NothingListed()
    {
        await using var node = await LedgerNode.StartAsync();
        using var http = new HttpClient();
        var good = Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address));
        var otherNetwork = DiscoveryListing.Json([Payments.Offer(node.Asset, "10000", Genuine.Address) with { Network = "eip155:1" }]);
        var cases = new (string Name, object Body, HttpStatusCode Status, string Code)[]
        {
            ("issuedAt beyond any clock", good with { IssuedAt = ulong.MaxValue }, HttpStatusCode.BadRequest, "invalid_field"),
            ("issuedAt an hour ago", Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, Listing(node, Genuine.Address), (ulong)DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds()), HttpStatusCode.BadRequest, "invalid_field"),
            ("issuedAt missing", new { resource = Url, payTo = good.PayTo, listing = good.Listing, signature = good.Signature }, HttpStatusCode.BadRequest, "missing_field"),
            ("unknown field", new { resource = Url, payTo = good.PayTo, listing = good.Listing, issuedAt = good.IssuedAt, signature = good.Signature, accepts = 1 }, HttpStatusCode.BadRequest, "unknown_field"),
            ("not a URL", Genuine.SignDiscoveryListing(node.Asset.ChainId, "ftp:nowhere", Listing(node, Genuine.Address)), HttpStatusCode.BadRequest, "invalid_field"),
            ("bad payTo", good with { PayTo = "0x12" }, HttpStatusCode.BadRequest, "invalid_address"),
            ("bad signature", good with { Signature = "0xzz" }, HttpStatusCode.UnprocessableEntity, "signature_invalid"),
            ("listing not JSON", Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, "{"), HttpStatusCode.BadRequest, "invalid_field"),
            ("no accepts", Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, "{\"accepts\":[]}"), HttpStatusCode.BadRequest, "invalid_field"),
            ("another network", Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, otherNetwork), HttpStatusCode.BadRequest, "invalid_field"),
            ("listing too long", Genuine.SignDiscoveryListing(node.Asset.ChainId, Url, DiscoveryListing.Json([Payments.Offer(node.Asset, "10000", Genuine.Address)], new string('x', 5000))), HttpStatusCode.BadRequest, "invalid_field"),
        };

        foreach (var (name, body, status, code) in cases)
        {
            using var r = await PostAsync(http, node, body);
            Assert.True((status, code) == (r.StatusCode, await CodeOf(r)), $"{name}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }

        using var malformed = await http.PostAsync(node.FacilitatorUrl + "/discovery/resources", new StringContent("{\"resource\":", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode.BadRequest, "malformed_json"), (malformed.StatusCode, await CodeOf(malformed)));
        Assert.Equal(0, (await PageAsync(node)).Pagination.Total);
    }
}
