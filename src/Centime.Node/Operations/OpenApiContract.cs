using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Centime.Node.Operations;

/// <summary>
/// What the generated OpenAPI document (<c>/openapi/v1.json</c>) says beyond the routes: the bearer scheme (the
/// operator API key), which operations need it, and the RFC 7807 problems every operation may answer
/// (<c>application/problem+json</c>, docs/errors.md). <c>@redocly/cli lint</c> of the served document passes with no
/// errors (OpenApiLintTests). The security table is checked against the node's behaviour by
/// OpenApiLintTests.Security_EveryOperation_MatchesTheNode: an operation declared bearer answers 401 without a key,
/// and no other does.
/// </summary>
internal static class OpenApiContract
{
    public const string BearerScheme = "operatorKey";
    private const string ProblemSchema = "Problem";

    /// <summary>Operations any caller may use: reads of public data, holder-signed commands (the signature is the
    /// authority), the x402 facilitator, oracle- and HMAC-signed contract inputs.</summary>
    private static readonly HashSet<string> Public = new(StringComparer.Ordinal)
    {
        "Health", "ListCoins", "GetCoin", "GetTransfer", "GetInclusionProof", "GetAccount", "GetHistory", "ListBlocks", "GetBlock",
        "EventStream", "GetIssuer", "GetMonthlyReport", "GetIssuancePolicy", "GetCoinIssuance", "GetReserves",
        "ContractSchema", "ListContracts", "GetContract", "ContractEvent", "ContractWebhook", "OracleFact",
        "GetFeed", "ListFeeds", "SubmitRate", "ListPools", "GetPool", "Quote", "GetSwap",
        "GetLiabilities", "ListLiabilities", "GetLiabilityProof",
        "TransferWithAuthorization", "ReceiveWithAuthorization", "AuthorizedTransfers", "CancelAuthorization", "Permit", "TransferFrom",
        "AuthorizationState", "Allowance", "PermitNonce",
        "HolderRedeem", "HolderRedeemTypedData", "AddLiquidityTypedData", "RemoveLiquidityTypedData",
        "X402Verify", "X402Settle", "X402Transaction", "X402Supported", "X402Discovery", "X402Register", "X402ChannelOpen", "X402ChannelSettle",
    };

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Contracts"] = "Programmable payments: escrow, bond, split, refund, milestones, stream, subscription, standing order; signed events and oracle facts (docs/contracts.md).",
        ["Events"] = "Server-sent events of committed blocks and HMAC-signed webhooks (docs/events.md).",
        ["Exchange"] = "FX feeds and signed rates, StableSwap pools, quotes, swaps and cross-border payments (docs/exchange.md).",
        ["Holder-signed"] = "EIP-3009 / EIP-2612 commands signed by the holder; no operator key (docs/api.md).",
        ["Issuance"] = "Operators and roles, approvals, deposits, mints, redemptions, reserves and the audit trail (docs/issuance.md).",
        ["x402"] = "The x402 facilitator (verify, settle, hash-chain channels) and the discovery list (docs/x402.md).",
    };

    /// <summary>Operations that take either the operator key or a holder's signature in the body.</summary>
    private static readonly HashSet<string> KeyOrSignature = new(StringComparer.Ordinal) { "CreateContract", "Pay", "Swap", "AddLiquidity", "RemoveLiquidity" };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
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

            foreach (var path in document.Paths.Values)
            {
                foreach (var (_, operation) in path.Operations ?? [])
                {
                    Describe(document, operation);
                }
            }

            return Task.CompletedTask;
        });
    }

    private static void Describe(OpenApiDocument document, OpenApiOperation operation)
    {
        var id = operation.OperationId ?? "";
        var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };
        operation.Security = Public.Contains(id) ? []
            : KeyOrSignature.Contains(id) ? [bearer, new OpenApiSecurityRequirement()]
            : [bearer];

        operation.Responses ??= new OpenApiResponses();
        AddProblem(document, operation, "4XX", "Refused: a problem with a stable code (docs/errors.md); nothing changed.");
        if (!Public.Contains(id))
        {
            AddProblem(document, operation, "401", "The operator key is missing or wrong (code unauthorized).");
        }

        AddProblem(document, operation, "5XX", "node_unavailable (503: the ledger writer stopped) or internal_error (500).");
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
