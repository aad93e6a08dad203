using Microsoft.AspNetCore.Http;

namespace Centime.Node.Api;

/// <summary>
/// The one reader of operator credentials: <c>Authorization: Bearer &lt;key&gt;</c>, or <c>X-Api-Key: &lt;key&gt;</c>,
/// and the one 401 answer. <see cref="Endpoints.RequireOperator"/> (the bootstrap key) and the issuance routes'
/// role check (any operator's key, then its roles) both read the key here.
/// </summary>
internal static class OperatorAuth
{
    /// <summary>The presented key, or "" when none.</summary>
    public static string PresentedKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : request.Headers["X-Api-Key"].ToString();
    }

    /// <summary>401 with the bearer challenge.</summary>
    public static ProblemException Unauthorized(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"centime\"";
        return new ProblemException(401, ProblemCodes.Unauthorized, "Unauthorized", detail);
    }
}
