using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Issuance;
using Centime.Node.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Centime.Node.Tests;

/// <summary>
/// Issue 13, "one auth filter": every route declares exactly one access policy at registration, and the one filter
/// (<see cref="EndpointAccess"/>) refuses, before any handler runs, a request without a key (401 unauthorized, bearer
/// challenge), with an unknown key (401) and with an operator's key lacking the authority (403 forbidden_role) — over
/// real HTTP, on every non-public route of the route table, and nothing changes.
/// </summary>
public sealed class EndpointAccessTests
{
    [Fact]
    public async Task RouteTable_EveryRoute_DeclaresExactlyOnePolicy()
    {
        await using var node = await TestNode.StartAsync();
        var routes = Routes(node);
        Assert.True(routes.Count > 100, $"only {routes.Count} routes");
        var undeclared = routes.Where(r => r.Endpoint.Metadata.GetOrderedMetadata<AccessPolicy>().Count != 1).Select(r => r.Endpoint.DisplayName).ToList();
        Assert.True(undeclared.Count == 0, "routes without exactly one access policy: " + string.Join(", ", undeclared));
        // Spot checks that the declarations say what the routes do.
        Assert.Equal(AccessKind.OperatorKey, PolicyOf(routes, "POST", "/v1/transfers").Kind);
        Assert.Equal(OperatorRoles.Minter, PolicyOf(routes, "POST", "/v1/issuance/coins/{coin}/mints").AnyOf);
        Assert.Equal(AccessKind.OperatorKeyOrHolderSignature, PolicyOf(routes, "POST", "/v1/contracts").Kind);
        Assert.Equal(AccessKind.Public, PolicyOf(routes, "POST", "/v1/coins/{symbol}/transfer-with-authorization").Kind);
        // The principal is bound from the filter, not from the request: it is no parameter of the served API.
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        var document = await http.GetStringAsync("openapi/v1.json");
        Assert.DoesNotContain("\"caller\"", document, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Verify_RouteWithoutPolicy_StopsTheNode()
    {
        var builder = WebApplication.CreateSlimBuilder();
        using var app = builder.Build();
        app.MapGet("/declared", () => "ok").Public();
        EndpointAccess.Verify(app);
        app.MapGet("/undeclared", () => "ok");
        var ex = Assert.Throws<InvalidOperationException>(() => EndpointAccess.Verify(app));
        Assert.Contains("/undeclared", ex.Message, StringComparison.Ordinal);
        app.MapGet("/twice", () => "ok").Public().RequiresOperatorKey();
        Assert.Contains("/twice", Assert.Throws<InvalidOperationException>(() => EndpointAccess.Verify(app)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryNonPublicRoute_RefusesNoKeyWrongKeyAndWrongRole_BeforeTheHandler_AndChangesNothing()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.SingleOperator = true);
        await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "NUSD Dollar", "1"));
        // Two operators whose roles do not overlap: for any role policy one of them lacks it.
        var pauser = (await node.Client.AddOperatorAsync(new AddOperatorRequest("pauser-1", ["pauser"]))).Key!;
        var auditor = (await node.Client.AddOperatorAsync(new AddOperatorRequest("auditor-1", ["auditor"]))).Key!;
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var before = await StateAsync(http);

        var failures = new List<string>();
        int refused = 0, routesChecked = 0;
        foreach (var (method, pattern, endpoint) in Routes(node))
        {
            var policy = endpoint.Metadata.GetMetadata<AccessPolicy>()!;
            if (policy.Kind == AccessKind.Public)
            {
                continue;
            }

            routesChecked++;
            var path = Fill(pattern);
            var cases = new List<(string Name, string? Key, int Status, string Code)>
            {
                ("no key", null, 401, "unauthorized"),
                ("wrong key", "ck_not_a_key_of_this_node", 401, "unauthorized"),
            };
            if (policy.Kind == AccessKind.OperatorKey)
            {
                cases.Add(("an operator's key", pauser, 403, "forbidden_role"));
            }
            else if (policy.Kind == AccessKind.Role && policy.AnyOf != OperatorRoles.None)
            {
                cases.Add(("wrong role", (policy.AnyOf & OperatorRoles.Pauser) == 0 ? pauser : auditor, 403, "forbidden_role"));
            }
            else if (policy.Kind == AccessKind.OperatorKeyOrHolderSignature)
            {
                // Neither the node's key nor a signature (the body is {}): another operator's key is no authority here.
                cases.Add(("an operator's key, unsigned", pauser, 401, "unauthorized"));
            }

            foreach (var (name, key, status, code) in cases)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
                if (key is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }

                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var answered = (int)response.StatusCode;
                var answeredCode = answered >= 400 && body.StartsWith('{') ? JsonNode.Parse(body)?["code"]?.GetValue<string>() : null;
                if (answered != status || answeredCode != code)
                {
                    failures.Add($"{method} {pattern} ({policy}), {name}: {answered} {answeredCode}, expected {status} {code}");
                }
                else if (status == 401 && !response.Headers.WwwAuthenticate.ToString().StartsWith("Bearer", StringComparison.Ordinal))
                {
                    failures.Add($"{method} {pattern}, {name}: 401 without the bearer challenge");
                }
                else
                {
                    refused++;
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(routesChecked >= 40, $"only {routesChecked} non-public routes");
        Assert.Equal(before, await StateAsync(http));
        Console.WriteLine($"EndpointAccess: {routesChecked} non-public routes, {refused} refusals as documented, state unchanged");
    }

    /// <summary>401 means the API key, and only the filter says it: no route answers 401 for a bad signature (those are
    /// 422 signature_invalid / signature_high_s / signer_mismatch, docs/errors.md), and no route builds its own 401.</summary>
    [Fact]
    public void Only_TheAccessFilter_Answers401()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(NodeProcess.RepoRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(sources, f => f.EndsWith("EndpointAccess.cs", StringComparison.Ordinal));
        var offenders = sources.Where(f => !f.EndsWith("EndpointAccess.cs", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f) is var text && (text.Contains("ProblemException(401", StringComparison.Ordinal)
                || text.Contains("new(401,", StringComparison.Ordinal) || text.Contains("\"invalid_signature\"", StringComparison.Ordinal)
                || text.Contains("ProblemCodes.Unauthorized", StringComparison.Ordinal)))
            .ToList();
        Assert.True(offenders.Count == 0, "401 or invalid_signature outside the access filter: " + string.Join(", ", offenders));
    }

    [Fact]
    public async Task Handler_GetsThePrincipalTheFilterAuthenticated()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.SingleOperator = true);
        var seated = await node.Client.AddOperatorAsync(new AddOperatorRequest("pauser-1", ["pauser"]));
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        foreach (var (key, id, role) in new[] { (TestNode.OperatorKey, IssuanceModule.BootstrapAdmin, "admin"), (seated.Key!, "pauser-1", "pauser") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/issuance/whoami");
            request.Headers.Add("X-Api-Key", key); // the other header the filter reads
            using var response = await http.SendAsync(request);
            var who = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(id, who["operator"]!.GetValue<string>());
            Assert.Equal(role, who["roles"]![0]!.GetValue<string>());
        }
    }

    /// <summary>What a refused request must not change: the chain head, the operators, the webhooks.</summary>
    private static async Task<string> StateAsync(HttpClient http)
    {
        async Task<string> Get(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.OperatorKey);
            using var response = await http.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }

        var health = JsonNode.Parse(await Get("v1/health"))!;
        return $"{health["height"]} {health["hash"]} {await Get("v1/issuance/operators")} {await Get("v1/webhooks")} {await Get("v1/issuer")}";
    }

    private static List<(string Method, string Pattern, RouteEndpoint Endpoint)> Routes(TestNode node) =>
        node.Node.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.Trim('/'), e)))
            .ToList();

    private static AccessPolicy PolicyOf(List<(string Method, string Pattern, RouteEndpoint Endpoint)> routes, string method, string pattern) =>
        routes.Single(r => r.Method == method && r.Pattern == pattern).Endpoint.Metadata.GetMetadata<AccessPolicy>()!;

    /// <summary>Any value fills a parameter: the filter refuses before anything reads it.</summary>
    private static string Fill(string pattern)
    {
        var path = new StringBuilder();
        var inside = false;
        foreach (var c in pattern)
        {
            if (c == '{')
            {
                inside = true;
                path.Append('1');
            }
            else if (c == '}')
            {
                inside = false;
            }
            else if (!inside)
            {
                path.Append(c);
            }
        }

        return path.ToString();
    }
}
