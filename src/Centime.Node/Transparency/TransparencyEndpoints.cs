using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using Centime.Issuance;
using Centime.Node.Api;
using Centime.Node.Liabilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Transparency;

/// <summary>
/// The public transparency page (docs/transparency.md): <c>/transparency</c> lists the coins, <c>/transparency/{symbol}</c>
/// shows supply, reserves by category, coverage and the latest liabilities root, and lets a holder verify their
/// inclusion proof in the browser with pol-verify.js. No authentication, no external resources; a strict
/// Content-Security-Policy allows only this node's own scripts, styles and API.
/// </summary>
internal static class TransparencyEndpoints
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Assets = LoadAssets();

    public static void Map(WebApplication app, NodeContext node, LiabilitiesPublisher publisher, IssuerKey issuer)
    {
        app.MapGet("/transparency", (HttpContext http) => Index(node, http)).ExcludeFromDescription().Public();
        app.MapGet("/transparency/{symbol}", (string symbol, HttpContext http) => CoinPage(node, publisher, issuer, symbol, http)).ExcludeFromDescription().Public();
        app.MapGet("/transparency/assets/{file}", (string file, HttpContext http) => Asset(file, http)).ExcludeFromDescription().Public();
    }

    private static Dictionary<string, (byte[], string)> LoadAssets()
    {
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal)
        {
            ["pol-verify.js"] = (Read(typeof(LiabilitiesTree).Assembly, "Centime.Issuance.pol-verify.js"), "text/javascript; charset=utf-8"),
        };
        var own = typeof(TransparencyEndpoints).Assembly;
        foreach (var name in own.GetManifestResourceNames())
        {
            const string prefix = "Centime.Node.wwwroot.transparency.";
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                var file = name[prefix.Length..];
                var type = file.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
                assets[file] = (Read(own, name), type);
            }
        }

        return assets;
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static IResult Asset(string file, HttpContext http)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return ProblemResults.NotFound("route_not_found", $"no asset '{file}'");
        }

        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static IResult Index(NodeContext node, HttpContext http)
    {
        List<(string Symbol, string Name)> coins;
        using (var view = node.Read())
        {
            coins = [.. view.State.Coins.Select(c => (c.Symbol, c.Name))];
        }

        var body = new StringBuilder();
        body.Append("<h1>Transparency</h1><p class=\"lede\">Each coin issued on this ledger publishes its supply, its reserves and a proof of liabilities that every holder can check in this browser.</p>");
        if (coins.Count == 0)
        {
            body.Append("<p>No coin has been issued yet.</p>");
        }
        else
        {
            body.Append("<ul class=\"coins\">");
            foreach (var (symbol, name) in coins)
            {
                body.Append(CultureInfo.InvariantCulture, $"<li><a href=\"/transparency/{H(symbol)}\"><strong>{H(symbol)}</strong> {H(name)}</a></li>");
            }

            body.Append("</ul>");
        }

        return Page(http, "Transparency", body.ToString(), withScript: false);
    }

    private static IResult CoinPage(NodeContext node, LiabilitiesPublisher publisher, IssuerKey issuer, string symbol, HttpContext http)
    {
        var f = CoinFigures.Collect(node, publisher, symbol);
        if (f is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Page(http, "Not found", $"<h1>No coin {H(symbol)}</h1><p><a href=\"/transparency\">All coins</a></p>", withScript: false, status: 404);
        }

        string Units(UInt128 v) => CoinFigures.FormatUnits(v, f.Decimals);
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"<p class=\"crumb\"><a href=\"/transparency\">Transparency</a> / {H(f.Symbol)}</p>");
        b.Append(CultureInfo.InvariantCulture, $"<h1>{H(f.Name)} <span class=\"symbol\">{H(f.Symbol)}</span></h1>");
        var backing = f.Backing;
        b.Append(CultureInfo.InvariantCulture, $"<p class=\"headline {backing.State}\" id=\"headline\" data-state=\"{backing.State}\">{H(backing.Text)}</p>");
        Modes(b, node);
        b.Append(CultureInfo.InvariantCulture, $"<p class=\"lede\">Figures as of block <span id=\"height\">{f.Height}</span> ({H(f.LedgerTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))} UTC).</p>");

        var coverage = f.CoverageBasisPoints is { } bp ? CoinFigures.FormatPercent(bp) : "n/a";
        b.Append("<section class=\"cards\">");
        Card(b, "supply", "Circulating supply", Units(f.CirculatingSupply) + " " + f.Symbol,
            f.Liabilities is { } held ? $"{held.LeafCount.ToString("N0", CultureInfo.InvariantCulture)} {(held.LeafCount == 1 ? "holder" : "holders")} at block {held.Height}" : "minus the supply account's balance");
        Card(b, "reserves", "Eligible reserves", f.Reserves is null ? "not reported" : Units(f.Reserves.EligibleTotal) + " " + f.Currency,
            f.Reserves is null ? "no reserve book on this node" : $"of {Units(f.Reserves.Total)} booked ({f.Reserves.Regime}, {f.Reserves.AsOf:yyyy-MM-dd})");
        Card(b, "coverage", "Coverage ratio", coverage, "eligible reserves ÷ circulating supply");
        Card(b, "liabilities", "Proven liabilities", f.Liabilities is null ? "not published" : Units(f.Liabilities.Root.Total) + " " + f.Symbol,
            f.Liabilities is null ? "no proof of liabilities yet" : $"at block {f.Liabilities.Height}");
        b.Append("</section>");
        if (f.Frozen > UInt128.Zero)
        {
            // Frozen coins are still the holders' (Hong Kong keeps them backed): counted above, never netted out.
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\" id=\"frozen\">Of the circulating supply, <span id=\"frozen-amount\">{H(Units(f.Frozen))} {H(f.Symbol)}</span> sit in accounts frozen by lawful order: still owed to their holders, so still counted in the supply, the liabilities and the coverage above.</p>");
        }

        b.Append("<section><h2>Reserves by category</h2>");
        if (f.Reserves is null)
        {
            b.Append("<p class=\"muted\">This node has no reserve book for the coin.</p>");
        }
        else
        {
            b.Append("<table id=\"reserves\"><thead><tr><th>Category</th><th class=\"num\">Holdings</th><th class=\"num\">Booked</th><th class=\"num\">Eligible</th><th class=\"num\">Share of eligible</th></tr></thead><tbody>");
            foreach (var c in f.Reserves.Categories)
            {
                var share = f.Reserves.EligibleTotal == 0 ? "—" : CoinFigures.FormatPercent(c.Eligible * 10_000 / f.Reserves.EligibleTotal);
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(CoinFigures.CategoryLabel(c.Category))}</td><td class=\"num\">{c.Holdings}</td><td class=\"num\">{Units(c.Amount)}</td><td class=\"num\">{Units(c.Eligible)}</td><td class=\"num\">{share}</td></tr>");
            }

            b.Append(CultureInfo.InvariantCulture, $"</tbody><tfoot><tr><th>Total</th><th></th><th class=\"num\">{Units(f.Reserves.Total)}</th><th class=\"num\">{Units(f.Reserves.EligibleTotal)}</th><th></th></tr></tfoot></table>");
            if (f.Reserves.BankBalances.Count > 0)
            {
                // Bank balances come from the bank's own statements (camt.053 closing booked balance): say which and of when.
                b.Append("<table id=\"bank-balances\"><thead><tr><th>Bank account</th><th>Bank</th><th class=\"num\">Balance</th><th>Source</th></tr></thead><tbody>");
                foreach (var d in f.Reserves.BankBalances)
                {
                    var source = d.StatementId is { } id
                        ? $"bank statement {H(id)} of {d.Date:yyyy-MM-dd} (closing booked balance)"
                        : $"typed in by the issuer, valued {d.Date:yyyy-MM-dd} (no bank statement imported)";
                    b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(d.Holding)}</td><td>{H(d.Bank)}</td><td class=\"num\">{Units(d.Amount)}</td><td>{source}</td></tr>");
                }

                b.Append("</tbody></table>");
            }

            if (f.Reserves.Violations.Count > 0)
            {
                b.Append("<ul class=\"violations\">");
                foreach (var v in f.Reserves.Violations)
                {
                    b.Append(CultureInfo.InvariantCulture, $"<li>{H(v)}</li>");
                }

                b.Append("</ul>");
            }
        }

        b.Append("</section>");

        Reports(b, node, f.Symbol, issuer);

        b.Append("<section id=\"liabilities\"");
        if (f.Liabilities is { } l)
        {
            b.Append(CultureInfo.InvariantCulture,
                $" data-coin=\"{H(f.Symbol)}\" data-decimals=\"{f.Decimals}\" data-root-hash=\"{l.Root.Hash}\" data-root-total=\"{l.Root.Total}\" data-height=\"{l.Height}\"");
        }

        b.Append("><h2>Proof of liabilities</h2>");
        if (f.Liabilities is not { } p)
        {
            b.Append("<p class=\"muted\">No liabilities root has been published for this coin yet.</p></section>");
            return Page(http, f.Symbol + " transparency", b.ToString(), withScript: false);
        }

        b.Append("<p>Every holder balance at one block is a leaf of a Merkle-sum tree. The issuer publishes only the root: a hash and the total it owes. ");
        b.Append("Your proof shows your balance is one of the leaves adding up to that total.</p>");
        b.Append("<dl class=\"root\">");
        b.Append(CultureInfo.InvariantCulture, $"<dt>Root hash</dt><dd><code id=\"root-hash\">{p.Root.Hash}</code></dd>");
        b.Append(CultureInfo.InvariantCulture, $"<dt>Total liabilities</dt><dd><span id=\"root-total\">{Units(p.Root.Total)}</span> {H(f.Symbol)} <span class=\"muted\">({p.Root.Total} minor units)</span></dd>");
        b.Append(CultureInfo.InvariantCulture, $"<dt>Block height</dt><dd>{p.Height}</dd>");
        b.Append(CultureInfo.InvariantCulture, $"<dt>Holders in the tree</dt><dd>{p.LeafCount.ToString("N0", CultureInfo.InvariantCulture)}</dd>");
        b.Append(CultureInfo.InvariantCulture, $"<dt>Published</dt><dd>{H(p.PublishedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))} UTC</dd>");
        b.Append(CultureInfo.InvariantCulture, $"<dt>Equals circulating supply</dt><dd>{(p.Root.Total == p.CirculatingSupply ? "yes" : "NO")} ({Units(p.CirculatingSupply)} at block {p.Height})</dd>");
        b.Append("</dl>");

        b.Append("<div class=\"verify\"><h3>Check that your balance is counted</h3>");
        b.Append("<p class=\"muted\">The check runs in this page's JavaScript (<a href=\"/transparency/assets/pol-verify.js\">pol-verify.js</a>) against the root shown above; the node only hands out the proof.</p>");
        b.Append("<form id=\"by-address\" autocomplete=\"off\"><label for=\"address\">Your address</label><div class=\"row\">");
        b.Append("<input id=\"address\" name=\"address\" type=\"text\" spellcheck=\"false\" placeholder=\"0x…\" pattern=\"0x[0-9a-fA-F]{40}\" required>");
        b.Append("<button id=\"verify-address\" type=\"submit\">Fetch and verify</button></div></form>");
        b.Append("<form id=\"by-proof\" autocomplete=\"off\"><label for=\"proof\">…or paste a proof (JSON)</label>");
        b.Append("<textarea id=\"proof\" name=\"proof\" rows=\"6\" spellcheck=\"false\" placeholder='{\"version\":1,\"coin\":…}'></textarea>");
        b.Append("<div class=\"row\"><button id=\"verify-proof\" type=\"submit\">Verify pasted proof</button></div></form>");
        b.Append("<div id=\"verdict\" role=\"status\" aria-live=\"polite\" data-state=\"idle\"></div>");
        b.Append("<details id=\"proof-details\" hidden><summary>Proof</summary><pre id=\"proof-json\"></pre></details>");
        b.Append("</div></section>");
        return Page(http, f.Symbol + " transparency", b.ToString(), withScript: true);
    }

    /// <summary>Links to the reports of this month (to date) and the two before it, for months the coin existed in and
    /// whose figures as of the month's end the node knows (docs/transparency.md §3).</summary>
    private static void Reports(StringBuilder b, NodeContext node, string symbol, IssuerKey issuer)
    {
        b.Append("<section id=\"reports\"><h2>Monthly disclosure reports</h2>");
        b.Append(CultureInfo.InvariantCulture, $"<p>Signed by the issuer key <code id=\"issuer\">{issuer.Address}</code> (EIP-191 personal_sign over the report's keccak256). ");
        b.Append("Check a downloaded JSON report offline with <code>centime report verify FILE.json --signer ISSUER</code>.</p><ul class=\"reports\">");
        var now = DateTimeOffset.UtcNow;
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 3; i++, month = month.AddMonths(-1))
        {
            if (i > 0 && CoinFigures.CollectAtEnd(node, symbol, month.AddMonths(1), out _) != PeriodStatus.Figures)
            {
                break; // the coin did not exist yet, or the node did not record that month's end: older months neither
            }

            var m = month.ToString("yyyy-MM", CultureInfo.InvariantCulture);
            var url = $"/v1/coins/{Uri.EscapeDataString(symbol)}/reports/monthly?month={m}";
            b.Append(CultureInfo.InvariantCulture, $"<li data-month=\"{m}\">{H(month.ToString("MMMM yyyy", CultureInfo.InvariantCulture))}{(i == 0 ? " (to date)" : "")}: <a href=\"{H(url)}&amp;format=html\">HTML</a> · <a href=\"{H(url)}\">signed JSON</a></li>");
        }

        b.Append("</ul></section>");
    }

    /// <summary>How the node runs, when that changes what a reader may conclude: shown above the figures.</summary>
    private static void Modes(StringBuilder b, NodeContext node)
    {
        bool singleOperator;
        using (var view = node.Read())
        {
            singleOperator = view.State.Module<IssuanceModule>() is { SingleOperator: true };
        }

        if (node.Options.Sandbox)
        {
            b.Append("<p class=\"mode\" id=\"mode-sandbox\"><strong>Sandbox node.</strong> Coins created here are unbacked test money: the operator key can mint and move them without reserves.</p>");
        }

        if (singleOperator)
        {
            b.Append("<p class=\"mode\" id=\"mode-single-operator\"><strong>Single-operator mode.</strong> One administrator can change operators, roles, allowances and approval thresholds without a second person's approval.</p>");
        }
    }

    private static void Card(StringBuilder b, string id, string label, string value, string note) =>
        b.Append(CultureInfo.InvariantCulture, $"<div class=\"card\" id=\"card-{id}\"><div class=\"label\">{H(label)}</div><div class=\"value\">{H(value)}</div><div class=\"note\">{H(note)}</div></div>");

    private static IResult Page(HttpContext http, string title, string body, bool withScript, int status = 200)
    {
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append(CultureInfo.InvariantCulture, $"<title>{H(title)}</title><link rel=\"stylesheet\" href=\"/transparency/assets/transparency.css\"><link rel=\"icon\" href=\"data:,\">");
        if (withScript)
        {
            html.Append("<script type=\"module\" src=\"/transparency/assets/transparency.js\"></script>");
        }

        html.Append("</head><body><main>").Append(body);
        html.Append("<footer>Served by a Centime node · <a href=\"/openapi/v1.json\">API</a></footer></main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string H(string text) => HtmlEncoder.Default.Encode(text);
}
