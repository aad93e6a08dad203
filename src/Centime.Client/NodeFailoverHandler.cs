using System.Net;
using System.Text.Json;

namespace Centime.Client;

/// <summary>
/// Sends each request to one of several nodes of one ledger (a PostgreSQL-store leader and its followers,
/// docs/replication.md) and moves on to the next when that node cannot take it:
/// <list type="bullet">
/// <item>the connection could not be made (nothing was sent), or</item>
/// <item>the node answered <c>503 not_leader</c> (a follower: nothing was applied) — the problem's <c>leader</c> URL is
/// tried next when it is one of these nodes — or <c>503 node_unavailable</c> (its writer stopped), or</item>
/// <item>the connection broke after the request was sent, for requests that are safe to repeat: reads, and requests
/// marked <see cref="Idempotent"/> (a transfer batch: every transfer carries its id, so a repeat of one that was
/// applied answers <c>exists</c> instead of applying it twice).</item>
/// </list>
/// It keeps going round the nodes, waiting 100 ms doubling to 2 s between rounds, for up to <c>retryFor</c> (a
/// failover takes up to the lease duration); then the last answer or error is the caller's. The node that answered
/// last is tried first next time. Requests must address the first node (an <see cref="HttpClient.BaseAddress"/> of
/// <c>nodes[0]</c>); the handler rewrites that prefix for the others.
/// </summary>
public sealed class NodeFailoverHandler : DelegatingHandler
{
    /// <summary>Set on a request whose repeat is harmless even if the first try was applied (ids make it so).</summary>
    public static readonly HttpRequestOptionsKey<bool> Idempotent = new("Centime.Idempotent");

    private readonly string[] _prefixes;
    private readonly TimeSpan _retryFor;
    private int _preferred;

    /// <param name="nodes">The nodes' base URLs (for the x402 facilitator, each node's <c>…/x402</c>).</param>
    /// <param name="inner">The handler that sends (a new <see cref="SocketsHttpHandler"/> by default).</param>
    /// <param name="retryFor">How long to keep trying the nodes for one request (default 30 s).</param>
    public NodeFailoverHandler(IReadOnlyList<Uri> nodes, HttpMessageHandler? inner = null, TimeSpan? retryFor = null)
        : base(inner ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            throw new ArgumentException("At least one node URL is needed.", nameof(nodes));
        }

        _prefixes = new string[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            _prefixes[i] = nodes[i].AbsoluteUri.TrimEnd('/');
        }

        _retryFor = retryFor ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>The nodes' base URLs, as given.</summary>
    public IReadOnlyList<string> Nodes => _prefixes;

    /// <summary>
    /// Parses a comma-separated list of node URLs (<c>centime --node</c>, <c>CENTIME_NODE</c>): each an absolute
    /// http(s) URL; returns null with the offending entry in <paramref name="bad"/> otherwise.
    /// </summary>
    public static IReadOnlyList<Uri>? ParseList(string text, out string? bad)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nodes = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withSlash = part.EndsWith('/') ? part : part + "/";
            if (!Uri.TryCreate(withSlash, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                bad = part;
                return null;
            }

            nodes.Add(url);
        }

        bad = nodes.Count == 0 ? text : null;
        return nodes.Count == 0 ? null : nodes;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var original = request.RequestUri?.AbsoluteUri ?? "";
        var suffix = Suffix(original);
        if (suffix is null || _prefixes.Length == 1)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var repeatable = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
                         || (request.Options.TryGetValue(Idempotent, out var marked) && marked);
        var deadline = DateTime.UtcNow + _retryFor;
        var delay = TimeSpan.FromMilliseconds(100);
        var start = Volatile.Read(ref _preferred);
        int? next = null;
        HttpRequestException? lastError = null;
        HttpResponseMessage? lastAnswer = null;
        while (true)
        {
            for (var tried = 0; tried < _prefixes.Length; tried++)
            {
                var node = next ?? (start + tried) % _prefixes.Length;
                next = null;
                request.RequestUri = new Uri(_prefixes[node] + suffix);
                try
                {
                    var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    var (verdict, leader) = await JudgeAsync(response, cancellationToken).ConfigureAwait(false);
                    if (verdict == Verdict.Answer || (verdict == Verdict.Unavailable && !repeatable))
                    {
                        Volatile.Write(ref _preferred, node);
                        lastAnswer?.Dispose();
                        return response;
                    }

                    lastAnswer?.Dispose();
                    lastAnswer = response;
                    lastError = null;
                    if (leader is not null && Array.IndexOf(_prefixes, leader.TrimEnd('/')) is var named and >= 0 && named != node)
                    {
                        next = named; // the follower named the leader: go there next
                        start = named;
                    }
                }
                catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError || repeatable)
                {
                    lastError = ex; // never sent (refused, unreachable), or sent but repeatable
                }
            }

            if (DateTime.UtcNow + delay > deadline)
            {
                if (lastAnswer is not null)
                {
                    return lastAnswer;
                }

                throw new HttpRequestException($"no node answered ({string.Join(", ", _prefixes)}); last error: {lastError?.Message}", lastError);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    private string? Suffix(string uri)
    {
        foreach (var prefix in _prefixes)
        {
            if (uri.StartsWith(prefix, StringComparison.Ordinal) && (uri.Length == prefix.Length || uri[prefix.Length] is '/' or '?'))
            {
                return uri[prefix.Length..];
            }
        }

        return null;
    }

    private enum Verdict
    {
        /// <summary>The node's answer, whatever it is: the caller's.</summary>
        Answer,

        /// <summary><c>503 not_leader</c>: a follower applied nothing; any request may go to the next node.</summary>
        NotLeader,

        /// <summary><c>503 node_unavailable</c>: the node's writer stopped, perhaps mid-request; only a repeatable
        /// request may go to the next node.</summary>
        Unavailable,
    }

    /// <summary>Whether another node should get the request: a 503 whose problem is <c>not_leader</c> (with the
    /// leader's URL when the follower knows it) or <c>node_unavailable</c>. The body stays readable for the caller.</summary>
    private static async Task<(Verdict Verdict, string? Leader)> JudgeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
        {
            return (Verdict.Answer, null);
        }

        await response.Content.LoadIntoBufferAsync(ct).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String)
            {
                return (Verdict.Answer, null);
            }

            if (code.ValueEquals("not_leader"))
            {
                return (Verdict.NotLeader, root.TryGetProperty("leader", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null);
            }

            return (code.ValueEquals("node_unavailable") ? Verdict.Unavailable : Verdict.Answer, null);
        }
        catch (JsonException)
        {
            return (Verdict.Answer, null);
        }
    }
}
