using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Centime.Node.Tests;

/// <summary>
/// The request line and header limits over raw sockets (docs/api.md "Limits"): up to the node's limits a request is
/// answered; past them, up to Kestrel's, the node answers an RFC 7807 problem (414 uri_too_long, 431
/// request_headers_too_large) with nothing applied; past Kestrel's own limits, or not HTTP at all, Kestrel answers
/// before the node can (bare status, empty body) — the documented remainder, asserted here so a change in Kestrel's
/// behaviour is noticed.
/// </summary>
public sealed class RequestLimitTests
{
    [Fact]
    public async Task RequestLineAndHeaders_OverTheNodesLimits_AreProblems_PastKestrelsAreBare()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var port = new Uri(node.BaseUrl).Port;

        // At the limit: answered by the route (here a 200 from /v1/health with a long ignored query).
        var query = "/v1/health?pad=";
        var atLimit = await SendAsync(port, $"GET {query}{new string('a', 8 * 1024 - query.Length)} HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, atLimit.Status);

        // Over the node's limit, under Kestrel's: 414 problem.
        var tooLong = await SendAsync(port, $"GET {query}{new string('a', 10_000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        AssertProblem(tooLong, 414, "uri_too_long");

        // A POST with a long target is refused before its body is read, and nothing is applied.
        var height = (await node.Anonymous.GetHealthAsync()).Height;
        const string Body = """{"symbol":"LONG","currency":"USD"}""";
        var post = await SendAsync(port, $"POST /v1/coins?pad={new string('a', 10_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TestNode.OperatorKey}\r\nContent-Type: application/json\r\nContent-Length: {Body.Length}\r\n\r\n{Body}");
        AssertProblem(post, 414, "uri_too_long");
        Assert.Equal(height, (await node.Anonymous.GetHealthAsync()).Height);

        // Headers: too many lines, too many bytes: 431 problem.
        var many = string.Concat(Enumerable.Range(0, 150).Select(i => $"X-Pad-{i}: {i}\r\n"));
        AssertProblem(await SendAsync(port, $"GET /v1/health HTTP/1.1\r\nHost: x\r\n{many}\r\n"), 431, "request_headers_too_large");
        AssertProblem(await SendAsync(port, $"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: {new string('b', 40_000)}\r\n\r\n"), 431, "request_headers_too_large");

        // Past Kestrel's own limits, and not HTTP at all: Kestrel's bare answers (status only, empty body).
        AssertBare(await SendAsync(port, $"GET {query}{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
        AssertBare(await SendAsync(port, $"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: {new string('b', 70_000)}\r\n\r\n"), 431);
        AssertBare(await SendAsync(port, "GARBAGE\r\n\r\n"), 400);
    }

    private static void AssertProblem((int Status, string Headers, string Body) answer, int status, string code)
    {
        Assert.True(answer.Status == status, $"expected {status}, got {answer.Status}\n{answer.Headers}\n{answer.Body}");
        Assert.Contains("content-type: application/problem+json", answer.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(code, JsonNode.Parse(answer.Body)?["code"]?.GetValue<string>());
    }

    private static void AssertBare((int Status, string Headers, string Body) answer, int status)
    {
        Assert.True(answer.Status == status, $"expected Kestrel's bare {status}, got {answer.Status}\n{answer.Headers}\n{answer.Body}");
        Assert.Equal("", answer.Body);
    }

    /// <summary>Writes raw bytes on a new connection and reads one answer (headers, then Content-Length bytes).</summary>
    private static async Task<(int Status, string Headers, string Body)> SendAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (IOException)
        {
            // Kestrel may answer and close before it has read everything we send.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
            var text = Encoding.UTF8.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var headers = text[..end];
                var length = headers.Split("\r\n").Select(h => h.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(-1);
                if ((length >= 0 && Encoding.UTF8.GetByteCount(text[(end + 4)..]) >= length)
                    || (headers.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase) && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal)))
                {
                    break;
                }
            }
        }

        var all = Encoding.UTF8.GetString(received.ToArray());
        var split = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer: '{all}'");
        var head = all[..split];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = all[(split + 4)..];
        if (head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (status, head, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var rest = chunked;
        while (rest.Length > 0)
        {
            var line = rest.IndexOf("\r\n", StringComparison.Ordinal);
            if (line < 0)
            {
                break;
            }

            var size = Convert.ToInt32(rest[..line], 16);
            if (size == 0)
            {
                break;
            }

            result.Append(rest.AsSpan(line + 2, Math.Min(size, rest.Length - line - 2)));
            rest = rest[Math.Min(rest.Length, line + 2 + size + 2)..];
        }

        return result.ToString();
    }
}
