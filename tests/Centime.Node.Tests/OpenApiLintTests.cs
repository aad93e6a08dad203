using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Centime.Node.Tests;

/// <summary>Issue 13: the OpenAPI document the node serves (<c>/openapi/v1.json</c>) passes <c>@redocly/cli lint</c>
/// (npm, pinned in interop/, installed by scripts/install-deps.sh) with no errors, and its security table says the
/// truth: an operation declared to need the bearer key answers 401 <c>unauthorized</c> without one, and no other does.</summary>
public sealed class OpenApiLintTests(ITestOutputHelper output)
{
    private static async Task<string> ServedDocumentAsync(TestNode node)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        return await anonymous.GetStringAsync("openapi/v1.json");
    }

    [Fact]
    public async Task OpenApi_Served_PassesRedoclyLint_WithNoErrors()
    {
        await using var node = await TestNode.StartAsync();
        var document = Path.Combine(Path.GetTempPath(), "centime-openapi-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(document, await ServedDocumentAsync(node));
        try
        {
            var interop = Path.Combine(NodeProcess.RepoRoot(), "interop");
            var cli = Path.Combine(interop, "node_modules", "@redocly", "cli", "bin", "cli.js");
            Assert.True(File.Exists(cli), $"{cli} is missing: run scripts/install-deps.sh (it runs npm ci in interop/).");
            var psi = new ProcessStartInfo("node")
            {
                WorkingDirectory = interop,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var a in new[] { cli, "lint", document, "--format=json" })
            {
                psi.ArgumentList.Add(a);
            }

            // Offline and quiet: no telemetry, no update check.
            psi.Environment["REDOCLY_TELEMETRY"] = "off";
            psi.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            psi.Environment["NO_UPDATE_NOTIFIER"] = "1";
            using var lint = Process.Start(psi)!;
            var stdout = lint.StandardOutput.ReadToEndAsync();
            var stderr = lint.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await lint.WaitForExitAsync(timeout.Token);
            var text = await stdout;
            var start = text.IndexOf('{', StringComparison.Ordinal);
            Assert.True(start >= 0, $"redocly printed no JSON (exit {lint.ExitCode}): {text} {await stderr}");
            var report = JsonNode.Parse(text[start..])!;
            var errors = report["totals"]!["errors"]!.GetValue<int>();
            var problems = report["problems"]!.AsArray();
            foreach (var p in problems)
            {
                output.WriteLine($"{p!["severity"]} {p["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}");
            }

            Assert.True(errors == 0, $"redocly lint: {errors} errors (see the test output)");
            Assert.DoesNotContain(problems, p => p!["ruleId"]?.GetValue<string>() == "tag-description");
            Assert.Equal(0, lint.ExitCode);
            // Not vacuous: the document has the scheme and problem responses the lint saw.
            var served = JsonNode.Parse(await File.ReadAllTextAsync(document))!;
            Assert.Equal("bearer", served["components"]!["securitySchemes"]!["operatorKey"]!["scheme"]!.GetValue<string>());
            Assert.True(served["paths"]!.AsObject().Count > 50);
        }
        finally
        {
            File.Delete(document);
        }
    }

    [Fact]
    public async Task Security_EveryOperation_MatchesTheNode()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.Sandbox = true);
        await node.CoinWithHoldersAsync("NUSD", 1_000, Holders.Alice);
        var document = JsonNode.Parse(await ServedDocumentAsync(node))!;
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var mismatches = new List<string>();
        var checkedOperations = 0;
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description" or "servers")
                {
                    continue;
                }

                var declared = operation!["security"]?.AsArray() ?? document["security"]?.AsArray();
                // [] = public; [{operatorKey}] = key only; [{operatorKey}, {}] = key or a signature in the body.
                var keyOnly = declared is { Count: 1 } && declared[0]!.AsObject().ContainsKey("operatorKey");
                var keyOrSignature = declared is { Count: 2 };
                var path = FillParameters(template);
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path.TrimStart('/'));
                if (method is "post" or "put" or "patch")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await anonymous.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var unauthorized = response.StatusCode == HttpStatusCode.Unauthorized
                    && (await response.Content.ReadAsStringAsync()).Contains("\"code\":\"unauthorized\"", StringComparison.Ordinal);
                checkedOperations++;
                // Key or signature: without either, 401 is as true as a 400 for the missing signature.
                if (unauthorized != keyOnly && !(keyOrSignature && unauthorized))
                {
                    mismatches.Add($"{method.ToUpperInvariant()} {template} ({operation["operationId"]}): declared {(keyOnly ? "key only" : declared?.ToJsonString() ?? "nothing")}, answered {(int)response.StatusCode} without a key");
                }

                Assert.True((int)response.StatusCode < 500, $"{method} {path}: {(int)response.StatusCode}");
            }
        }

        Assert.True(checkedOperations > 80, $"only {checkedOperations} operations");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    /// <summary>A real value for every path parameter, so a route's own checks pass as far as they can without a key.</summary>
    private static string FillParameters(string template)
    {
        var path = new StringBuilder();
        var at = 0;
        while (template.IndexOf('{', at) is var open and >= 0)
        {
            var close = template.IndexOf('}', open);
            path.Append(template, at, open - at);
            var name = template[(open + 1)..close];
            path.Append(name switch
            {
                "symbol" or "coin" or "c" => "NUSD",
                "address" or "owner" or "spender" or "authorizer" or "holder" => Holders.Alice,
                "nonce" => "0x" + new string('0', 64),
                "height" => "1",
                "file" => "app.js",
                _ => "1",
            });
            at = close + 1;
        }

        return path.Append(template, at, template.Length - at).ToString();
    }
}
