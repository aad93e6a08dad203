using Centime.Node.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Centime.Node.Operations;

/// <summary>
/// What the generated OpenAPI document (<c>/openapi/v1.json</c>) says beyond the routes: the bearer scheme (the
/// operator API key), which operations need it, and the RFC 7807 problems every operation may answer
/// (<c>application/problem+json</c>, docs/errors.md). <c>@redocly/cli lint</c> of the served document passes with no
/// errors (OpenApiLintTests). Per-operation security is generated from each route's <see cref="AccessPolicy"/> (the
/// metadata <see cref="EndpointAccess"/> enforces), so the document cannot drift from the node; OpenApiLintTests
/// .Security_EveryOperation_MatchesTheNode still checks it over HTTP.
/// </summary>
internal static class OpenApiContract
{
    public const string BearerScheme = "operatorKey";
    private const string ProblemSchema = "Problem";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Contracts"] = "Programmable payments: escrow, bond, split, refund, milestones, stream, subscription, standing order; signed events and oracle facts (docs/contracts.md).",
        ["Events"] = "Server-sent events of committed blocks and HMAC-signed webhooks (docs/events.md).",
        ["Exchange"] = "FX feeds and signed rates, StableSwap pools, quotes, swaps and cross-border payments (docs/exchange.md).",
        ["Holder-signed"] = "EIP-3009 / EIP-2612 commands signed by the holder; no operator key (docs/api.md).",
        ["Issuance"] = "Operators and roles, approvals, deposits, mints, redemptions, reserves and the audit trail (docs/issuance.md).",
        ["x402"] = "The x402 facilitator (verify, settle, hash-chain channels) and the discovery list (docs/x402.md).",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, context, _) =>
        {
            // Kestrel's base address ends in '/', which the spec's server URL must not.
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            document.Info.Description ??= "Centime node REST API. Errors are RFC 7807 problems with a stable code (docs/errors.md).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The operator API key (<data>/operator.key) or an issuance operator's key: 'Authorization: Bearer <key>'.",
            };
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ProblemSchema] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "RFC 7807 problem details with Centime's stable code.",
                Required = new HashSet<string> { "type", "title", "status", "code" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "urn:centime:problem:<code>" },
                    ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable error code (docs/errors.md)." },
                    ["index"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The offending item of a batch, when there is one." },
                },
            };

            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            {
                tag.Description ??= tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description)
                    ? description
                    : "Coins, transfers, accounts, blocks, inclusion proofs and proof of liabilities (docs/api.md).";
            }

            var policies = context.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints
                .Select(e => (Name: e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName, Policy: e.Metadata.GetMetadata<AccessPolicy>()))
                .Where(e => e.Name is not null && e.Policy is not null)
                .ToDictionary(e => e.Name!, e => e.Policy!, StringComparer.Ordinal);
            foreach (var path in document.Paths.Values)
            {
                foreach (var (_, operation) in path.Operations ?? [])
                {
                    var id = operation.OperationId ?? "";
                    Describe(document, operation, policies.TryGetValue(id, out var policy)
                        ? policy
                        : throw new InvalidOperationException($"operation '{id}' has no access policy (name the route with WithName and declare its policy)"));
                }
            }

            return Task.CompletedTask;
        });
    }

    private static void Describe(OpenApiDocument document, OpenApiOperation operation, AccessPolicy policy)
    {
        var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };
        operation.Security = policy.Kind switch
        {
            AccessKind.Public => [],
            AccessKind.OperatorKeyOrHolderSignature => [bearer, new OpenApiSecurityRequirement()],
            _ => [bearer],
        };

        operation.Responses ??= new OpenApiResponses();
        AddProblem(document, operation, "4XX", "Refused: a problem with a stable code (docs/errors.md); nothing changed.");
        if (policy.Kind != AccessKind.Public)
        {
            AddProblem(document, operation, "401", "The operator key is missing or wrong (code unauthorized).");
        }

        if (policy.NeedsCredential)
        {
            AddProblem(document, operation, "403", policy.Kind == AccessKind.OperatorKey
                ? "Another operator's key: this needs the node's operator key (code forbidden_role)."
                : $"The operator lacks the role ({policy}; code forbidden_role).");
        }

        AddProblem(document, operation, "5XX", "node_unavailable (503: the ledger writer stopped), not_leader (503: a follower node; write to the leader) or internal_error (500).");
    }

    private static void AddProblem(OpenApiDocument document, OpenApiOperation operation, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
            },
        };
    }
}
