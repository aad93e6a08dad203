using System.Text;
using Centime.Issuance;
using Centime.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Api;

/// <summary>Who may call a route. Declared once per route at registration (<see cref="EndpointAccessExtensions"/>).</summary>
internal enum AccessKind
{
    /// <summary>Anyone: public reads, and commands whose authority is a signature in the request itself (holder-signed
    /// EIP-3009/2612 commands, oracle facts, signed rates, HMAC webhooks, the x402 facilitator).</summary>
    Public,

    /// <summary>The node's operator key (the bootstrap admin's).</summary>
    OperatorKey,

    /// <summary>Any issuance operator's key (the node's operator key is the bootstrap admin) whose roles include one of
    /// <see cref="AccessPolicy.AnyOf"/>; <see cref="OperatorRoles.None"/> = any operator at all.</summary>
    Role,

    /// <summary>The node's operator key, or a holder's signature in the request (the handler tells which, after reading
    /// the body: <see cref="Caller.RequireOperatorKeyUnlessSigned"/>).</summary>
    OperatorKeyOrHolderSignature,
}

/// <summary>The access policy of one route: endpoint metadata, read by <see cref="EndpointAccess"/> before the handler
/// runs and by the OpenAPI document (per-operation security).</summary>
internal sealed record AccessPolicy(AccessKind Kind, OperatorRoles AnyOf)
{
    public bool NeedsCredential => Kind is AccessKind.OperatorKey or AccessKind.Role;

    public override string ToString() => Kind switch
    {
        AccessKind.Role when AnyOf == OperatorRoles.None => "any operator",
        AccessKind.Role => "role " + string.Join("|", OperatorRoleNames.ToNames(AnyOf)),
        _ => Kind.ToString(),
    };
}

/// <summary>
/// The authenticated principal of a request, handed to the handler as a parameter: the operator whose key was
/// presented (the node's operator key is the bootstrap admin), or <see cref="Anonymous"/> on a key-or-signature route
/// called without the operator key. Bound from what <see cref="EndpointAccess"/> found, never from the headers again.
/// </summary>
internal sealed record Caller(string Id, OperatorRoles Roles, bool HoldsOperatorKey)
{
    public static readonly Caller Anonymous = new("", OperatorRoles.None, false);

    public static readonly Caller NodeOperator = new(IssuanceModule.BootstrapAdmin, OperatorRoles.Admin, true);

    /// <summary>Minimal API binding: the principal <see cref="EndpointAccess"/> authenticated for this request.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext http) =>
        ValueTask.FromResult<Caller?>(http.Features.Get<Caller>() ?? throw new InvalidOperationException("no access policy ran for " + http.Request.Path));

    /// <summary>
    /// On a <see cref="AccessKind.OperatorKeyOrHolderSignature"/> route, once the handler knows whether the request is
    /// signed: an unsigned one needs the operator key (401 otherwise). A signed one is authorized by its signature,
    /// which the handler verifies.
    /// </summary>
    public void RequireOperatorKeyUnlessSigned(bool signed)
    {
        if (!signed && !HoldsOperatorKey)
        {
            throw EndpointAccess.Unauthorized(EndpointAccess.OperatorKeyNeeded + ", or a holder's signature");
        }
    }
}

/// <summary>Declaring a route's access policy: exactly one per route (checked at start by <see cref="EndpointAccess.Verify"/>).</summary>
internal static class EndpointAccessExtensions
{
    /// <summary>Anyone may call it (public data, or the request carries its own signature).</summary>
    public static TBuilder Public<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessPolicy(AccessKind.Public, OperatorRoles.None));

    /// <summary>Only the node's operator key.</summary>
    public static TBuilder RequiresOperatorKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessPolicy(AccessKind.OperatorKey, OperatorRoles.None));

    /// <summary>An operator with one of <paramref name="anyOf"/> (the node's operator key counts as admin).</summary>
    public static TBuilder RequiresRole<TBuilder>(this TBuilder builder, OperatorRoles anyOf) where TBuilder : IEndpointConventionBuilder =>
        anyOf == OperatorRoles.None
            ? throw new ArgumentException("name at least one role; RequiresAnyOperator for any operator", nameof(anyOf))
            : builder.WithMetadata(new AccessPolicy(AccessKind.Role, anyOf));

    /// <summary>Any operator, whatever its roles (the handler or the module decides the rest).</summary>
    public static TBuilder RequiresAnyOperator<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessPolicy(AccessKind.Role, OperatorRoles.None));

    /// <summary>The node's operator key, or a holder's signature in the request.</summary>
    public static TBuilder RequiresOperatorKeyOrHolderSignature<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessPolicy(AccessKind.OperatorKeyOrHolderSignature, OperatorRoles.None));
}

/// <summary>
/// The one access filter: middleware that runs after routing and before every handler, reads the route's
/// <see cref="AccessPolicy"/>, authenticates the presented key (<c>Authorization: Bearer &lt;key&gt;</c> or
/// <c>X-Api-Key</c>; the node's operator key, else an issuance operator's key by its SHA-256), answers 401
/// <c>unauthorized</c> (no or unknown key, with the bearer challenge) or 403 <c>forbidden_role</c> (a known operator
/// without the authority) before the handler runs, and hands the <see cref="Caller"/> to the handler. Handlers never
/// read credentials.
/// </summary>
internal static class EndpointAccess
{
    public const string OperatorKeyNeeded = "this operation needs the operator API key: 'Authorization: Bearer <key>' (the key is in <data>/operator.key)";

    public static void Install(WebApplication app, NodeContext node)
    {
        app.Use(async (http, next) =>
        {
            try
            {
                if (http.GetEndpoint()?.Metadata.GetMetadata<AccessPolicy>() is { } policy && policy.Kind != AccessKind.Public)
                {
                    http.Features.Set(Authorize(node, http.Request, policy));
                }

                await next(http);
            }
            catch (ProblemException ex) when (ex.Status == StatusCodes.Status401Unauthorized && ex.Code == ProblemCodes.Unauthorized)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"centime\"";
                throw;
            }
        });
    }

    /// <summary>Every route declares exactly one policy: checked once the routes are mapped, so a node with an
    /// undeclared route does not start (and every test fails).</summary>
    public static void Verify(IEndpointRouteBuilder routes)
    {
        var wrong = routes.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetOrderedMetadata<AccessPolicy>().Count != 1)
            .Select(e => $"{e.DisplayName} ({e.Metadata.GetOrderedMetadata<AccessPolicy>().Count} access policies)")
            .ToList();
        if (wrong.Count > 0)
        {
            throw new InvalidOperationException("every route declares exactly one access policy (.Public(), .RequiresOperatorKey(), .RequiresRole(…), "
                + ".RequiresAnyOperator(), .RequiresOperatorKeyOrHolderSignature()): " + string.Join("; ", wrong));
        }
    }

    public static ProblemException Unauthorized(string detail) => new(401, ProblemCodes.Unauthorized, "Unauthorized", detail);

    private static Caller Authorize(NodeContext node, HttpRequest request, AccessPolicy policy)
    {
        var key = PresentedKey(request);
#pragma warning disable RS0030 // the one place that checks a key (BannedSymbols.txt)
        var isOperatorKey = node.IsOperatorKey(key);
#pragma warning restore RS0030
        if (isOperatorKey)
        {
            return Permits(Caller.NodeOperator, policy) ? Caller.NodeOperator : throw Forbidden(Caller.NodeOperator, policy);
        }

        if (policy.Kind == AccessKind.OperatorKeyOrHolderSignature)
        {
            // As before the filter: another key does not refuse a signed request; the handler refuses an unsigned one
            // (Caller.RequireOperatorKeyUnlessSigned) once it has read whether the request is signed.
            return Caller.Anonymous;
        }

        var caller = OperatorByKey(node, key)
            ?? throw Unauthorized(policy.Kind == AccessKind.OperatorKey ? OperatorKeyNeeded : "this operation needs an operator API key: 'Authorization: Bearer <key>'");
        return Permits(caller, policy) ? caller : throw Forbidden(caller, policy);
    }

    private static bool Permits(Caller caller, AccessPolicy policy) => policy.Kind switch
    {
        AccessKind.OperatorKey => caller.HoldsOperatorKey,
        AccessKind.Role => policy.AnyOf == OperatorRoles.None || (caller.Roles & policy.AnyOf) != 0,
        _ => true,
    };

    private static ProblemException Forbidden(Caller caller, AccessPolicy policy) => new(403, ResultCode.ForbiddenRole.ToProblemCode(), "Forbidden",
        policy.Kind == AccessKind.OperatorKey
            ? $"operator '{caller.Id}' is not the node's operator: {OperatorKeyNeeded}"
            : $"operator '{caller.Id}' has roles [{string.Join(", ", OperatorRoleNames.ToNames(caller.Roles))}]; this needs one of [{string.Join(", ", OperatorRoleNames.ToNames(policy.AnyOf))}]");

    private static Caller? OperatorByKey(NodeContext node, string key)
    {
        if (key.Length == 0)
        {
            return null;
        }

        var hash = Hash32.Sha256(Encoding.UTF8.GetBytes(key));
        using (var view = node.Read())
        {
            return view.State.Module<IssuanceModule>()?.OperatorByKeyHash(hash) is { } op ? new Caller(op.Id, op.Roles, false) : null;
        }
    }

    /// <summary>The presented key, or "" when none.</summary>
    private static string PresentedKey(HttpRequest request)
    {
#pragma warning disable RS0030 // the one credential reader (BannedSymbols.txt)
        var header = request.Headers.Authorization.ToString();
#pragma warning restore RS0030
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : request.Headers["X-Api-Key"].ToString();
    }
}
