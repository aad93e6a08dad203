using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Centime.Node.Api;

/// <summary>
/// The node's limits on the request line and headers, answered as problems. Kestrel refuses a request line or header
/// block over its own limits before any middleware runs, with an empty body it does not let an application change
/// (HttpProtocol.SetBadRequestState: status, <c>Content-Length: 0</c>). So the node checks lower limits itself, first in
/// the pipeline, and answers them as RFC 7807 problems; Kestrel's limits are set above them, so only requests far
/// past the node's limits (or not parseable as HTTP at all) get Kestrel's bare answer. docs/api.md "Limits" lists
/// both; RequestLimitTests sends them over raw sockets.
/// </summary>
internal static class RequestLimits
{
    /// <summary>Longest request target (path and query, as sent) the node answers: longer is 414 <c>uri_too_long</c>.</summary>
    public const int MaxTarget = 8 * 1024;

    /// <summary>Most header bytes (names, values, separators) the node answers: more is 431 <c>request_headers_too_large</c>.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Most header lines the node answers: more is 431 <c>request_headers_too_large</c>.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Kestrel's own limits, above the node's: past these the answer is Kestrel's bare 414/431.</summary>
    public const int KestrelMaxRequestLine = 16 * 1024;

    public const int KestrelMaxHeaderBytes = 64 * 1024;

    public const int KestrelMaxHeaderCount = 200;

    public static void Configure(KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = KestrelMaxRequestLine;
        limits.MaxRequestHeadersTotalSize = KestrelMaxHeaderBytes;
        limits.MaxRequestHeaderCount = KestrelMaxHeaderCount;
    }

    public static void Install(WebApplication app) => app.Use(async (http, next) =>
    {
        if (Refusal(http) is { } problem)
        {
            // The rest of the request is not read: close the connection after the answer.
            http.Response.Headers.Connection = "close";
            await problem.ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    private static IResult? Refusal(HttpContext http)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (http.Request.Path + http.Request.QueryString).ToString();
        if (target.Length > MaxTarget)
        {
            return ProblemResults.Of(StatusCodes.Status414UriTooLong, ProblemCodes.UriTooLong, "URI too long",
                $"the request target (path and query) is {target.Length} characters; at most {MaxTarget}");
        }

        var count = 0;
        long bytes = 0;
        foreach (var (name, values) in http.Request.Headers)
        {
            foreach (var value in values)
            {
                count++;
                bytes += name.Length + 4 + (value?.Length ?? 0); // "name: value\r\n"
            }
        }

        return count > MaxHeaderCount || bytes > MaxHeaderBytes
            ? ProblemResults.Of(StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemCodes.RequestHeadersTooLarge, "Request headers too large",
                $"{count} header lines, {bytes} bytes; at most {MaxHeaderCount} lines and {MaxHeaderBytes} bytes")
            : null;
    }
}
