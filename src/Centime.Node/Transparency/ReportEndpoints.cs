using System.Text;
using Centime.Node.Api;
using Centime.Node.Liabilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Transparency;

/// <summary>
/// <c>GET /v1/coins/{symbol}/reports/monthly?month=2026-10[&amp;format=html]</c>: the signed monthly disclosure report
/// (public, like the transparency page), and <c>GET /v1/issuer</c>: the address that signs reports.
/// </summary>
internal static class ReportEndpoints
{
    public static void Map(WebApplication app, NodeContext node, LiabilitiesPublisher publisher, IIssuanceDisclosure issuance, IssuerKey issuer)
    {
        app.MapGet("/v1/issuer", () => Results.Json(IssuerOf(node, issuer), JsonDefaults.Options))
            .WithName("GetIssuer").WithSummary("The issuer address that signs disclosure reports now, and every key that signed before with its period.").Produces<IssuerInfo>().Public();
        app.MapPost("/v1/issuance/issuer-key", (Caller caller) => RotateAsync(node, issuer, caller)).WithName("RotateIssuerKey").WithTags("Issuance")
            .WithSummary("Replace the issuer key that signs disclosure reports (admin; under the default policy a second, independent admin approves).")
            .Produces<Client.ActionOutcome>().RequiresRole(Centime.Issuance.OperatorRoles.Admin);
        app.MapGet("/v1/coins/{symbol}/reports/monthly", (string symbol, string? month, string? format, HttpContext http) => Monthly(node, publisher, issuance, issuer, symbol, month, format, http))
            .WithName("GetMonthlyReport")
            .WithSummary("Signed monthly disclosure report: supply, reserves by category and eligibility, coverage, liabilities root, redemptions and their timeliness. JSON, or HTML with format=html.").Public();
        app.Lifetime.ApplicationStopped.Register(issuer.Forget);
    }

    /// <summary>The report signer now, and every issuer key with the block it signed from (and until, for retired ones).</summary>
    public sealed record IssuerInfo(string Address, string SignatureScheme, IReadOnlyList<IssuerKeyInfo> Keys);

    /// <summary>An issuer key's period: it signed reports produced from block <see cref="SinceHeight"/> (0: the start)
    /// until block <see cref="UntilHeight"/> (exclusive; null: it signs now).</summary>
    public sealed record IssuerKeyInfo(string Address, ulong SinceHeight, ulong? UntilHeight);

    private static IssuerInfo IssuerOf(NodeContext node, IssuerKey issuer)
    {
        List<IssuerKeyInfo> keys;
        using (var view = node.Read())
        {
            var periods = view.Module<Centime.Issuance.IssuanceModule>()?.IssuerKeys ?? [];
            keys = [.. periods.Select((p, i) => new IssuerKeyInfo(p.Address.ToString(), p.SinceHeight, i + 1 < periods.Count ? periods[i + 1].SinceHeight : null))];
        }

        if (keys.Count == 0)
        {
            keys.Add(new IssuerKeyInfo(issuer.Address.ToString(), 0, null)); // never rotated: the node's first key
        }

        return new IssuerInfo(issuer.Address.ToString(), Client.DisclosureSignature.Scheme, keys);
    }

    /// <summary>
    /// An admin asks to replace the issuer key: the node writes a new key file and journals only its address; the new key
    /// signs once the rotation executes (at once in single-operator mode, else on a second admin's approval). Reports
    /// already signed keep verifying against the key that signed them (listed by <c>GET /v1/issuer</c>).
    /// </summary>
    private static async Task<IResult> RotateAsync(NodeContext node, IssuerKey issuer, Caller caller)
    {
        var next = issuer.Prepare();
        var command = new Centime.Issuance.RotateIssuerKey(IssuanceEndpoints.ActionIdOf(null), caller.Id, issuer.Address, next);
        return Results.Json(await IssuanceEndpoints.SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static IResult Monthly(NodeContext node, LiabilitiesPublisher publisher, IIssuanceDisclosure issuance, IssuerKey issuer,
        string symbol, string? month, string? format, HttpContext http)
    {
        if (format is not (null or "json" or "html"))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'format' is json (default) or html");
        }

        if (!MonthlyReport.TryParseMonth(month, out var from, out var to))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'month' is required as YYYY-MM, e.g. ?month=2026-10");
        }

        var now = DateTimeOffset.UtcNow;
        if (from > now)
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", $"{month} has not started yet");
        }

        // A month in progress reports the figures to date; a month that is over, the figures at its last block.
        var complete = to <= now;
        CoinFigures? figures;
        if (complete)
        {
            switch (CoinFigures.CollectAtEnd(node, symbol, to, out figures))
            {
                case PeriodStatus.NoCoin:
                    throw new ProblemException(404, ProblemCodes.CoinNotFound, "Not found", $"no coin '{symbol}'");
                case PeriodStatus.BeforeCoin:
                    throw new ProblemException(404, ProblemCodes.ReportBeforeCoin, "Not found", $"{symbol} did not exist yet in {month}: there is no report for it");
                case PeriodStatus.NotRecorded:
                    throw new ProblemException(404, ProblemCodes.ReportPeriodNotRecorded, "Not found",
                        $"{month} ended before this node recorded month ends for {symbol}: its figures as of the month's end are not known");
            }
        }
        else
        {
            figures = CoinFigures.Collect(node, publisher, symbol) ?? throw new ProblemException(404, ProblemCodes.CoinNotFound, "Not found", $"no coin '{symbol}'");
        }

        var lastBlock = LastBlockBefore(node, to);
        var liabilities = publisher.History(symbol).LastOrDefault(p => lastBlock is { } h && p.Height <= h);
        var report = MonthlyReport.Build(figures!, month!, from, to, complete, lastBlock, liabilities, issuance.Redemptions(symbol, from, complete ? to : now), issuer.Address.ToString(), now);
        var signed = Client.DisclosureSignature.Envelope(report, issuer.Sign(report));
        if (format != "html")
        {
            return Results.Bytes(signed, "application/json");
        }

        // A static document: its inline stylesheet and nothing else may load or run.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Content(MonthlyReportHtml.Render(signed), "text/html; charset=utf-8", Encoding.UTF8);
    }

    /// <summary>The height of the last block whose time is before <paramref name="end"/>, or null when there is none (block times only grow).</summary>
    private static ulong? LastBlockBefore(NodeContext node, DateTimeOffset end)
    {
        var journal = node.Sequencer.Journal;
        var endNanos = (ulong)end.ToUnixTimeMilliseconds() * 1_000_000UL;
        ulong lo = 0, hi = node.Sequencer.DurableHeight; // invariant: block lo (0 = none) is before end; blocks above hi are not
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            if (journal.ReadHeader(mid).Timestamp < endNanos)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo == 0 ? null : lo;
    }
}
