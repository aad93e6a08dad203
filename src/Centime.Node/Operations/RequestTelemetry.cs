using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

using Centime.Node.Sequencing;

namespace Centime.Node.Operations;

/// <summary>
/// The first middleware of the node (docs/operations.md): gives every request an id, returned in
/// <c>X-Request-Id</c> on every response (problems and 500s included) and carried by every log line written while
/// the request runs; counts requests and times them by route for <c>/metrics</c>; writes one debug line per request.
/// The id is the client's <c>X-Request-Id</c> when it is a safe token (1–64 of <c>A–Z a–z 0–9 . _ -</c>), so a caller
/// can follow its own id through the logs; otherwise a new one. Nothing from headers or bodies is logged but the
/// method, the route and the path (never the query, which could carry a secret).
/// </summary>
internal sealed class RequestTelemetry(ILogger logger)
{
    public const string Header = "X-Request-Id";
    private const int MaxIdLength = 64;

    private readonly ConcurrentDictionary<(string Method, string Route), RouteStats> _routes = new();
    private long _inFlight;

    /// <summary>Requests being served now.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Per (method, route template) statistics, unmatched requests under route <c>unmatched</c>.</summary>
    public IEnumerable<KeyValuePair<(string Method, string Route), RouteStats>> Routes => _routes;

    public void Install(WebApplication app) => app.Use(InvokeAsync);

    private async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var start = Stopwatch.GetTimestamp();
        var id = http.Request.Headers[Header] is [{ } given] && IsSafeId(given) ? given : NewId();
        http.TraceIdentifier = id;
        http.Response.OnStarting(static state =>
        {
            var h = (HttpContext)state;
            h.Response.Headers[Header] = h.TraceIdentifier;
            return Task.CompletedTask;
        }, http);

        // Routing ran before this middleware (WebApplication adds it first), so the endpoint is known now; the
        // exception handler clears it when it re-executes, hence read before.
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        Interlocked.Increment(ref _inFlight);
        using var scope = logger.BeginScope(new RequestScope(id));
        try
        {
            await next(http);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            var elapsed = Stopwatch.GetTimestamp() - start;
            var stats = _routes.GetOrAdd((MethodLabel(http.Request.Method), route), static _ => new RouteStats());
            stats.Record(http.Response.StatusCode, elapsed);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("{Method} {Path} ({Route}) answered {Status} in {Milliseconds} ms",
                    http.Request.Method, http.Request.Path.Value, route, http.Response.StatusCode, Math.Round(elapsed * 1000.0 / Stopwatch.Frequency, 3));
            }
        }
    }

    /// <summary>The method as a metric label: the standard ones as they are, any other token as <c>other</c> — a client
    /// inventing methods must not grow the series (and the node's memory) without bound.</summary>
    internal static string MethodLabel(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "PATCH" or "HEAD" or "OPTIONS" => method,
        _ => "other",
    };

    /// <summary>A fresh id: 16 random bytes, hex (unguessable, so ids of other callers cannot be predicted).</summary>
    private static string NewId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    internal static bool IsSafeId(string id)
    {
        if (id.Length is 0 or > MaxIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Counts by status code and a latency histogram for one route.</summary>
    internal sealed class RouteStats
    {
        private readonly ConcurrentDictionary<int, StrongBox<long>> _byStatus = new();

        public Histogram Duration { get; } = new();

        public IEnumerable<KeyValuePair<int, long>> ByStatus => _byStatus.Select(p => KeyValuePair.Create(p.Key, Volatile.Read(ref p.Value.Value)));

        public void Record(int status, long elapsedTicks)
        {
            Interlocked.Increment(ref _byStatus.GetOrAdd(status, static _ => new StrongBox<long>()).Value);
            Duration.Observe(elapsedTicks);
        }
    }

    /// <summary>The logging scope of a request: <c>RequestId</c> as a structured property (JSON logs) and as text.</summary>
    private sealed class RequestScope(string id) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("RequestId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "RequestId:" + id;
    }
}
