using System.Net.Http.Json;
using System.Text.Json;

namespace Centime.Agents.X402;

/// <summary>
/// A facilitator over HTTP: <c>POST {base}/verify</c>, <c>POST {base}/settle</c>, <c>GET {base}/supported</c>,
/// as in @x402/core's HTTPFacilitatorClient. For a Centime node the base is <c>http://node:8402/x402</c>.
/// A non-2xx answer whose body is a verify/settle result is returned as that result.
/// </summary>
public sealed class HttpFacilitatorClient : IX402Facilitator, IX402ChannelFacilitator, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _base;

    public HttpFacilitatorClient(Uri baseUrl, HttpClient? http = null)
    {
        _base = baseUrl.ToString().TrimEnd('/');
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(90) };
    }

    /// <summary>
    /// A facilitator on several nodes of one ledger (a PostgreSQL-store leader and its followers, each base a node's
    /// <c>…/x402</c>): a request moves to the next node after a connection failure or <c>503 not_leader</c>
    /// (<see cref="Centime.Client.NodeFailoverHandler"/>). Verify is a read and is repeated after any failure; settle is
    /// repeated only when it was never sent or a follower refused it (a settle of unknown outcome is the caller's to look
    /// up, <see cref="LookUpPaymentAsync"/>, rather than to send again).
    /// </summary>
    public HttpFacilitatorClient(IReadOnlyList<Uri> baseUrls)
    {
        var failover = new Centime.Client.NodeFailoverHandler(baseUrls);
        _base = failover.Nodes[0];
        _ownsHttp = true;
        _http = new HttpClient(failover) { Timeout = TimeSpan.FromSeconds(90) };
    }

    public Task<VerifyResponse> VerifyAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default) =>
        PostAsync<VerifyResponse>("/verify", payload, requirements, "isValid", cancellationToken);

    public Task<SettleResponse> SettleAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default) =>
        PostAsync<SettleResponse>("/settle", payload, requirements, "success", cancellationToken);

    public async Task<SupportedResponse> GetSupportedAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, _base + "/supported"), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new X402FacilitatorException($"facilitator GET /supported answered {(int)response.StatusCode}", (int)response.StatusCode);
        }

        return await ReadAsync<SupportedResponse>(response, cancellationToken);
    }

    /// <summary>
    /// Looks a payment up by (asset, from, nonce) (<c>GET {base}/transactions</c>, a Centime facilitator): its deterministic
    /// transaction id and whether it settled — what a resource server asks after a settle timed out, instead of settling again.
    /// </summary>
    public async Task<PaymentLookup> LookUpPaymentAsync(string asset, string from, string nonce, CancellationToken cancellationToken = default)
    {
        var query = "/transactions?asset=" + Uri.EscapeDataString(asset) + "&from=" + Uri.EscapeDataString(from) + "&nonce=" + Uri.EscapeDataString(nonce);
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, _base + query), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new X402FacilitatorException($"facilitator GET /transactions answered {(int)response.StatusCode}", (int)response.StatusCode);
        }

        return await ReadAsync<PaymentLookup>(response, cancellationToken);
    }

    /// <summary>Lists paid resources (<c>GET {base}/discovery/resources</c>, the x402 "Bazaar").</summary>
    public async Task<DiscoveryResponse> GetDiscoveryResourcesAsync(string? type = null, int limit = 20, int offset = 0, CancellationToken cancellationToken = default)
    {
        var query = FormattableString.Invariant($"/discovery/resources?limit={limit}&offset={offset}") + (type is null ? "" : "&type=" + Uri.EscapeDataString(type));
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, _base + query), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new X402FacilitatorException($"facilitator GET /discovery/resources answered {(int)response.StatusCode}", (int)response.StatusCode);
        }

        return await ReadAsync<DiscoveryResponse>(response, cancellationToken);
    }

    /// <summary>Registers a listing signed by its payTo (<see cref="Centime.Client.HolderSigner.SignDiscoveryListing"/>,
    /// <see cref="DiscoveryListing"/>) at a Centime facilitator. A refusal throws <see cref="X402FacilitatorException"/>
    /// with the problem's <see cref="X402FacilitatorException.Code"/> (<c>discovery_rate_limited</c> is transient).</summary>
    public async Task<DiscoveryItem> RegisterDiscoveryListingAsync(Centime.Client.DiscoveryRegistration registration, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _base + "/discovery/resources") { Content = JsonContent.Create(registration, options: X402Headers.Json) };
        using var response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var (code, detail) = ProblemOf(bytes);
            throw new X402FacilitatorException($"facilitator POST /discovery/resources answered {(int)response.StatusCode} {code}: {detail}", (int)response.StatusCode, code: code);
        }

        return await ReadAsync<DiscoveryItem>(response, cancellationToken);
    }

    public Task<ChannelResponse> OpenChannelAsync(ChannelOpenRequest request, CancellationToken cancellationToken = default) =>
        PostChannelAsync("/channels/open", request, cancellationToken);

    public Task<ChannelResponse> SettleChannelAsync(ChannelSettleRequest request, CancellationToken cancellationToken = default) =>
        PostChannelAsync("/channels/settle", request, cancellationToken);

    private async Task<ChannelResponse> PostChannelAsync<TRequest>(string path, TRequest body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _base + path) { Content = JsonContent.Create(body, options: X402Headers.Json) };
        using var response = await SendAsync(request, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode && !HasProperty(bytes, "success"))
        {
            throw new X402FacilitatorException($"facilitator POST {path} answered {(int)response.StatusCode}", (int)response.StatusCode);
        }

        try
        {
            return JsonSerializer.Deserialize<ChannelResponse>(bytes, X402Headers.Json) ?? throw new X402FacilitatorException($"facilitator POST {path} answered null");
        }
        catch (JsonException ex)
        {
            throw new X402FacilitatorException($"facilitator POST {path} answered malformed JSON", (int)response.StatusCode, ex);
        }
    }

    private async Task<T> PostAsync<T>(string path, PaymentPayload payload, PaymentRequirements requirements, string marker, CancellationToken cancellationToken)
        where T : class
    {
        var body = new FacilitatorRequest { X402Version = payload.X402Version, PaymentPayload = payload, PaymentRequirements = requirements };
        using var request = new HttpRequestMessage(HttpMethod.Post, _base + path) { Content = JsonContent.Create(body, options: X402Headers.Json) };
        request.Options.Set(Centime.Client.NodeFailoverHandler.Idempotent, path == "/verify"); // verify changes nothing
        using var response = await SendAsync(request, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode && !HasProperty(bytes, marker))
        {
            throw new X402FacilitatorException($"facilitator POST {path} answered {(int)response.StatusCode}", (int)response.StatusCode);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, X402Headers.Json) ?? throw new X402FacilitatorException($"facilitator POST {path} answered null", (int)response.StatusCode);
        }
        catch (JsonException ex)
        {
            throw new X402FacilitatorException($"facilitator POST {path} answered malformed JSON", (int)response.StatusCode, ex);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new X402FacilitatorException($"facilitator {request.RequestUri} unreachable: {ex.Message}", null, ex);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(X402Headers.Json, cancellationToken)
                   ?? throw new X402FacilitatorException("facilitator answered null", (int)response.StatusCode);
        }
        catch (JsonException ex)
        {
            throw new X402FacilitatorException("facilitator answered malformed JSON", (int)response.StatusCode, ex);
        }
    }

    private static (string? Code, string? Detail) ProblemOf(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            return root.ValueKind != JsonValueKind.Object ? (null, null) : (
                root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static bool HasProperty(byte[] json, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
