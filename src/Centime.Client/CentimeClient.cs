using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Centime.Client;

/// <summary>An error answer from the node, with its RFC 7807 problem.</summary>
public sealed class CentimeApiException(int status, Problem problem) : Exception($"{problem.Code}: {problem.Detail ?? problem.Title}")
{
    public int Status { get; } = status;
    public Problem Problem { get; } = problem;
    public string Code => Problem.Code;

    /// <summary>True when retrying the same request later could succeed (server unavailable, transient ledger outcomes).</summary>
    public bool IsTransient => Status is 503 or 502 or 504 or 429;
}

/// <summary>
/// Typed client for the node's REST API (docs/api.md). Thread-safe; reuse one instance.
/// Writes need the operator key; reads are public.
/// </summary>
public sealed partial class CentimeClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    public CentimeClient(Uri baseAddress, string? apiKey = null, HttpMessageHandler? handler = null)
        : this(new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) }, apiKey)
    {
        _ownsHttp = true;
    }

    /// <summary>
    /// A client of several nodes of one ledger — a PostgreSQL-store leader and its followers (docs/replication.md):
    /// each request goes to a node that can take it, moving on after a connection failure or <c>503 not_leader</c>
    /// (<see cref="NodeFailoverHandler"/>), so a failover does not reach the caller. Transfer batches are repeated
    /// safely (their ids make them idempotent: a transfer the first try applied answers <c>exists</c>).
    /// </summary>
    public static CentimeClient ForNodes(IReadOnlyList<Uri> nodes, string? apiKey = null, HttpMessageHandler? handler = null)
    {
        var failover = new NodeFailoverHandler(nodes, handler);
        var http = new HttpClient(failover) { BaseAddress = new Uri(failover.Nodes[0] + "/"), Timeout = TimeSpan.FromSeconds(100) };
        return new CentimeClient(http, apiKey, ownsHttp: true);
    }

    private CentimeClient(HttpClient http, string? apiKey, bool ownsHttp)
        : this(http, apiKey)
    {
        _ownsHttp = ownsHttp;
    }

    public CentimeClient(HttpClient http, string? apiKey = null)
    {
        _http = http;
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public Uri? BaseAddress => _http.BaseAddress;

    public Task<HealthInfo> GetHealthAsync(CancellationToken ct = default) => GetAsync<HealthInfo>("v1/health", ct);

    public Task<Page<CoinInfo>> ListCoinsAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<CoinInfo>>("v1/coins" + PageQuery(limit, cursor), ct);

    public Task<CoinInfo> GetCoinAsync(string symbol, CancellationToken ct = default) => GetAsync<CoinInfo>("v1/coins/" + Uri.EscapeDataString(symbol), ct);

    public Task<CoinInfo> CreateCoinAsync(CreateCoinRequest request, CancellationToken ct = default) => PostAsync<CoinInfo>("v1/coins", request, ct);

    /// <summary>Submits up to 8,189 transfers; returns once they are durable, with one result each.</summary>
    public async Task<TransferBatchResponse> SubmitTransfersAsync(IReadOnlyList<TransferRequest> transfers, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/transfers") { Content = JsonContent.Create(new TransferBatchRequest(transfers), options: Json) };
        request.Options.Set(NodeFailoverHandler.Idempotent, true); // every transfer carries its id: a repeat applies nothing twice
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        return await ReadAsync<TransferBatchResponse>(response, ct).ConfigureAwait(false);
    }

    public Task<TransferInfo> GetTransferAsync(string id, CancellationToken ct = default) => GetAsync<TransferInfo>("v1/transfers/" + Uri.EscapeDataString(id), ct);

    public Task<InclusionProof> GetInclusionProofAsync(string id, CancellationToken ct = default) =>
        GetAsync<InclusionProof>("v1/transfers/" + Uri.EscapeDataString(id) + "/proof", ct);

    public Task<AccountInfo> GetAccountAsync(string address, CancellationToken ct = default) => GetAsync<AccountInfo>("v1/accounts/" + Uri.EscapeDataString(address), ct);

    /// <summary>An account's transfers in a coin, newest first.</summary>
    public Task<Page<TransferInfo>> GetHistoryAsync(string address, string coin, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<TransferInfo>>("v1/accounts/" + Uri.EscapeDataString(address) + "/history" + PageQuery(limit, cursor, ("coin", coin)), ct);

    /// <summary>Block headers, newest first.</summary>
    public Task<Page<BlockInfo>> ListBlocksAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<BlockInfo>>("v1/blocks" + PageQuery(limit, cursor), ct);

    /// <summary>The query of a list route: its filters, then <c>limit</c> and <c>cursor</c> (docs/api.md "Lists").</summary>
    private static string PageQuery(int? limit, string? cursor, params (string Name, string? Value)[] filters) =>
        Query([.. filters, ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)]);

    public Task<BlockInfo> GetBlockAsync(ulong height, bool withCommands = false, CancellationToken ct = default) =>
        GetAsync<BlockInfo>("v1/blocks/" + height.ToString(CultureInfo.InvariantCulture) + (withCommands ? "?commands=true" : ""), ct);

    private async Task<T> GetAsync<T>(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private async Task<T> PostAsync<T>(string path, object body, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(path, body, Json, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private static Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct) => ReadResponseAsync<T>(response, ct);

    /// <summary>
    /// The body of a successful answer of the node as <typeparamref name="T"/>; otherwise throws <see cref="CentimeApiException"/>
    /// (see <see cref="ThrowIfProblemAsync"/>). For callers that speak HTTP to the node themselves.
    /// </summary>
    public static async Task<T> ReadResponseAsync<T>(HttpResponseMessage response, CancellationToken ct = default)
    {
        await ThrowIfProblemAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
               ?? throw new InvalidDataException("The node answered with an empty body.");
    }

    /// <summary>Throws <see cref="CentimeApiException"/> with the node's problem (or one made from the status) unless the answer succeeded.</summary>
    public static async Task ThrowIfProblemAsync(HttpResponseMessage response, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        Problem? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<Problem>(Json, ct).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }

        var status = (int)response.StatusCode;
        throw new CentimeApiException(status, problem ?? new Problem("about:blank", response.ReasonPhrase ?? "error", status, null, "http_" + status.ToString(CultureInfo.InvariantCulture)));
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
