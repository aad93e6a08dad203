using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Centime.Node.Liabilities;

namespace Centime.Node.Transparency;

/// <summary>
/// The monthly disclosure report (GENIUS §4(a)(1)(C–D); docs/transparency.md §4): supply, reserves by category with
/// eligibility, coverage, the liabilities root, and the month's redemptions with their timeliness. Built as compact
/// JSON (the bytes the issuer signs), then wrapped with the signature; the HTML form is rendered from the signed
/// JSON so both always say the same.
/// </summary>
internal static class MonthlyReport
{
    public const string Format = "centime-monthly-disclosure/2";

    /// <summary>Parses "2026-10" into the month's UTC bounds [from, to).</summary>
    public static bool TryParseMonth(string? text, out DateTimeOffset from, out DateTimeOffset to)
    {
        from = to = default;
        if (text is null || text.Length != 7
            || !DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var month))
        {
            return false;
        }

        from = new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero);
        to = from.AddMonths(1);
        return true;
    }

    /// <summary>
    /// Writes the report's JSON (compact, UTF-8, fixed member order). Supply, reserves and coverage are as of the
    /// period's last block when the month is over (<paramref name="f"/> comes from <see cref="CoinFigures.CollectAtEnd"/>),
    /// or to date for the month in progress; the liabilities root is the latest one published at or before the month's
    /// last block; redemptions are counted over the month itself.
    /// </summary>
    public static byte[] Build(CoinFigures f, string month, DateTimeOffset from, DateTimeOffset to, bool complete, ulong? lastBlockOfMonth,
        PublishedLiabilities? liabilities, RedemptionFigures? redemptions, string issuer, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("issuer", issuer);
            w.WriteStartObject("coin");
            w.WriteString("symbol", f.Symbol);
            w.WriteString("name", f.Name);
            w.WriteString("currency", f.Currency);
            w.WriteNumber("decimals", f.Decimals);
            w.WriteEndObject();

            w.WriteString("month", month);
            w.WriteStartObject("period");
            w.WriteString("from", Iso(from));
            w.WriteString("to", Iso(to));
            w.WriteBoolean("complete", complete);
            if (lastBlockOfMonth is { } last)
            {
                w.WriteString("lastBlock", Dec(last));
            }
            else
            {
                w.WriteNull("lastBlock");
            }

            w.WriteEndObject();
            w.WriteString("generatedAt", Iso(now));

            w.WriteStartObject("figuresAsOf");
            w.WriteString("basis", complete ? "period_end" : "to_date");
            w.WriteString("height", Dec(f.Height));
            w.WriteString("ledgerTime", Iso(f.LedgerTime));
            w.WriteString("note", complete
                ? "supply, reserves and coverage are the ledger's state at the last block before the period's end; the liabilities root is the latest published at or before that block; redemptions are those of the month"
                : "the month is in progress: supply, reserves and coverage are the ledger's state when the report was generated; the liabilities root is the latest published; redemptions are those of the month so far");
            w.WriteEndObject();

            var backing = f.Backing;
            w.WriteStartObject("backing");
            w.WriteString("state", backing.State);
            w.WriteString("shortfall", Dec(backing.Shortfall));
            w.WriteString("statement", backing.Text);
            w.WriteEndObject();

            w.WriteStartObject("supply");
            w.WriteString("circulating", Dec(f.CirculatingSupply));
            w.WriteEndObject();

            if (f.Reserves is { } r)
            {
                w.WriteStartObject("reserves");
                w.WriteString("regime", r.Regime);
                w.WriteString("asOf", r.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteString("total", Dec(r.Total));
                w.WriteString("eligible", Dec(r.EligibleTotal));
                w.WriteStartArray("categories");
                foreach (var c in r.Categories)
                {
                    w.WriteStartObject();
                    w.WriteString("category", c.Category);
                    w.WriteNumber("holdings", c.Holdings);
                    w.WriteString("total", Dec(c.Amount));
                    w.WriteString("eligible", Dec(c.Eligible));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("holdings");
                foreach (var h in r.Holdings)
                {
                    w.WriteStartObject();
                    w.WriteString("id", h.Id);
                    w.WriteString("category", h.Category);
                    w.WriteString("value", Dec(h.Value));
                    w.WriteBoolean("eligible", h.Eligible);
                    w.WriteString("code", h.Code);
                    w.WriteString("reason", h.Reason);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("violations");
                foreach (var v in r.Violations)
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("reserves");
            }

            if (f.CoverageBasisPoints is { } bp)
            {
                w.WriteStartObject("coverage");
                w.WriteString("basisPoints", Dec(bp));
                w.WriteString("ratio", CoinFigures.FormatPercent(bp));
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("coverage");
            }

            if (liabilities is { } l)
            {
                w.WriteStartObject("liabilities");
                w.WriteString("height", Dec(l.Height));
                w.WriteStartObject("root");
                w.WriteString("hash", l.Root.Hash.ToString());
                w.WriteString("total", Dec(l.Root.Total));
                w.WriteEndObject();
                w.WriteNumber("leafCount", l.LeafCount);
                w.WriteString("circulatingSupply", Dec(l.CirculatingSupply));
                w.WriteBoolean("totalMatchesSupply", l.Root.Total == l.CirculatingSupply);
                w.WriteString("publishedAt", Iso(l.PublishedAt));
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("liabilities");
            }

            if (redemptions is { } d)
            {
                w.WriteStartObject("redemptions");
                w.WriteNumber("requested", d.Requested);
                w.WriteString("amountRequested", Dec(d.AmountRequested));
                w.WriteNumber("paid", d.Paid);
                w.WriteNumber("paidOnTime", d.PaidOnTime);
                w.WriteNumber("paidLate", d.PaidLate);
                w.WriteString("amountPaid", Dec(d.AmountPaid));
                w.WriteNumber("openAtEnd", d.OpenAtEnd);
                w.WriteNumber("overdueAtEnd", d.OverdueAtEnd);
                WriteOptional(w, "averageSecondsToPay", d.AverageSecondsToPay);
                WriteOptional(w, "maxSecondsToPay", d.MaxSecondsToPay);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("redemptions");
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Dec(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Renders a signed monthly report (the JSON file) as a standalone HTML page with inline CSS.</summary>
public static class MonthlyReportHtml
{
    /// <summary>The HTML of the signed report in <paramref name="signedJson"/>.</summary>
    /// <exception cref="JsonException">Not a signed report.</exception>
    public static string Render(ReadOnlySpan<byte> signedJson)
    {
        var reader = new Utf8JsonReader(signedJson);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var r = root.GetProperty("report");
        var s = root.GetProperty("signature");
        var coin = r.GetProperty("coin");
        var symbol = coin.GetProperty("symbol").GetString()!;
        var decimals = coin.GetProperty("decimals").GetInt32();
        var currency = coin.GetProperty("currency").GetString()!;
        string Units(JsonElement e) => e.ValueKind == JsonValueKind.String
            ? CoinFigures.FormatUnits(UInt128.Parse(e.GetString()!, CultureInfo.InvariantCulture), decimals)
            : "—";
        string T(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "—";

        var b = new StringBuilder();
        var month = r.GetProperty("month").GetString()!;
        b.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        b.Append(CultureInfo.InvariantCulture, $"<title>{H(symbol)} monthly disclosure {H(month)}</title><style>{Css}</style></head><body><main>");
        b.Append(CultureInfo.InvariantCulture, $"<h1>{H(coin.GetProperty("name").GetString()!)} <span class=\"symbol\">{H(symbol)}</span></h1>");
        b.Append(CultureInfo.InvariantCulture, $"<p class=\"lede\">Monthly disclosure report for <strong>{H(month)}</strong> · generated {H(T(r, "generatedAt"))}</p>");
        var period = r.GetProperty("period");
        var asOf = r.GetProperty("figuresAsOf");
        b.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">Period {H(T(period, "from"))} to {H(T(period, "to"))}{(period.GetProperty("complete").GetBoolean() ? "" : " (month not yet complete)")}; last block of the period: {H(T(period, "lastBlock"))}. ");
        var basis = T(asOf, "basis") == "period_end" ? "the last block before the period's end" : "when the report was generated (month in progress)";
        b.Append(CultureInfo.InvariantCulture, $"Supply, reserves and coverage are as of block {H(T(asOf, "height"))} ({H(T(asOf, "ledgerTime"))}), {basis}.</p>");
        if (r.TryGetProperty("backing", out var backing))
        {
            b.Append(CultureInfo.InvariantCulture, $"<p class=\"headline\" data-state=\"{H(T(backing, "state"))}\"><strong>{H(T(backing, "statement"))}</strong></p>");
        }

        var supply = r.GetProperty("supply");
        b.Append("<h2>Supply and coverage</h2><table class=\"kv\">");
        Row(b, "Circulating supply", $"{Units(supply.GetProperty("circulating"))} {symbol}");
        if (r.GetProperty("reserves") is { ValueKind: JsonValueKind.Object } reserves)
        {
            Row(b, "Reserves booked", $"{Units(reserves.GetProperty("total"))} {currency}");
            Row(b, "Eligible reserves", $"{Units(reserves.GetProperty("eligible"))} {currency} ({T(reserves, "regime")} rules, {T(reserves, "asOf")})");
        }

        Row(b, "Coverage ratio", r.GetProperty("coverage") is { ValueKind: JsonValueKind.Object } cov ? T(cov, "ratio") : "n/a");
        b.Append("</table>");

        b.Append("<h2>Reserves by category</h2>");
        if (r.GetProperty("reserves") is { ValueKind: JsonValueKind.Object } res)
        {
            b.Append("<table><tr><th>Category</th><th class=\"num\">Holdings</th><th class=\"num\">Booked</th><th class=\"num\">Eligible</th></tr>");
            foreach (var c in res.GetProperty("categories").EnumerateArray())
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(CoinFigures.CategoryLabel(T(c, "category")))}</td><td class=\"num\">{H(T(c, "holdings"))}</td><td class=\"num\">{Units(c.GetProperty("total"))}</td><td class=\"num\">{Units(c.GetProperty("eligible"))}</td></tr>");
            }

            b.Append("</table><h3>Holdings</h3><table><tr><th>Id</th><th>Category</th><th class=\"num\">Value</th><th>Eligible</th><th>Reason</th></tr>");
            foreach (var h in res.GetProperty("holdings").EnumerateArray())
            {
                b.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"nowrap\">{H(T(h, "id"))}</td><td class=\"nowrap\">{H(CoinFigures.CategoryLabel(T(h, "category")))}</td><td class=\"num nowrap\">{Units(h.GetProperty("value"))}</td><td>{(h.GetProperty("eligible").GetBoolean() ? "yes" : "no")}</td><td>{H(T(h, "reason"))}</td></tr>");
            }

            b.Append("</table>");
            var violations = res.GetProperty("violations");
            if (violations.GetArrayLength() > 0)
            {
                b.Append("<h3>Portfolio rule violations</h3><ul class=\"bad\">");
                foreach (var v in violations.EnumerateArray())
                {
                    b.Append(CultureInfo.InvariantCulture, $"<li>{H(v.GetString()!)}</li>");
                }

                b.Append("</ul>");
            }
        }
        else
        {
            b.Append("<p>No reserve book is kept for this coin on this node.</p>");
        }

        b.Append("<h2>Proof of liabilities</h2>");
        if (r.GetProperty("liabilities") is { ValueKind: JsonValueKind.Object } l)
        {
            var lr = l.GetProperty("root");
            b.Append("<table class=\"kv\">");
            Row(b, "Root hash", T(lr, "hash"));
            Row(b, "Total liabilities", $"{Units(lr.GetProperty("total"))} {symbol}");
            Row(b, "Block height", T(l, "height"));
            Row(b, "Holders in the tree", T(l, "leafCount"));
            Row(b, "Equals circulating supply at that height", l.GetProperty("totalMatchesSupply").GetBoolean() ? "yes" : "NO");
            Row(b, "Published", T(l, "publishedAt"));
            b.Append("</table>");
        }
        else
        {
            b.Append("<p>No liabilities root had been published by the end of the period.</p>");
        }

        b.Append("<h2>Redemptions in the month</h2>");
        if (r.GetProperty("redemptions") is { ValueKind: JsonValueKind.Object } d)
        {
            b.Append("<table class=\"kv\">");
            Row(b, "Requested", $"{T(d, "requested")} ({Units(d.GetProperty("amountRequested"))} {symbol})");
            Row(b, "Paid", $"{T(d, "paid")} ({Units(d.GetProperty("amountPaid"))} {currency})");
            Row(b, "Paid by the deadline", T(d, "paidOnTime"));
            Row(b, "Paid late", T(d, "paidLate"));
            Row(b, "Unpaid at the end of the month", T(d, "openAtEnd"));
            Row(b, "Of which overdue", T(d, "overdueAtEnd"));
            Row(b, "Average time to pay", Duration(d, "averageSecondsToPay"));
            Row(b, "Longest time to pay", Duration(d, "maxSecondsToPay"));
            b.Append("</table>");
        }
        else
        {
            b.Append("<p>This coin is not managed by the issuance module on this node: no redemptions are recorded.</p>");
        }

        b.Append("<h2>Signature</h2><table class=\"kv\">");
        Row(b, "Signed by (issuer)", T(s, "signer"));
        Row(b, "Scheme", T(s, "scheme"));
        Row(b, "Report hash (keccak256)", T(s, "reportHash"));
        Row(b, "Signature", T(s, "signature"));
        b.Append("</table><p class=\"note\">This page renders the signed JSON report. To check it, verify the JSON file offline: <code>centime report verify FILE.json --signer ISSUER</code>.</p>");
        b.Append("</main></body></html>");
        return b.ToString();
    }

    private static string Duration(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number)
        {
            return "—";
        }

        var t = TimeSpan.FromSeconds(v.GetUInt64());
        return t.TotalDays >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays} d {t.Hours} h {t.Minutes} min")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Hours} h {t.Minutes} min {t.Seconds} s");
    }

    private static void Row(StringBuilder b, string label, string value) =>
        b.Append(CultureInfo.InvariantCulture, $"<tr><th>{H(label)}</th><td>{H(value)}</td></tr>");

    private static string H(string text) => HtmlEncoder.Default.Encode(text);

    private const string Css =
        "body{margin:0;background:#f5f7fa;color:#1d2433;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Liberation Sans',sans-serif;line-height:1.5}" +
        "main{max-width:56rem;margin:0 auto;padding:2rem 1.25rem 3rem}h1{margin:0 0 .25rem}.symbol{font-size:1rem;color:#5d6679;border:1px solid #dde2ea;border-radius:.4rem;padding:.1rem .45rem;vertical-align:middle}" +
        ".lede,.note{color:#5d6679}h2{margin-top:2rem;font-size:1.2rem}table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dde2ea;margin:.5rem 0}" +
        "th,td{padding:.45rem .7rem;border-bottom:1px solid #dde2ea;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{font-weight:600}table.kv th{width:16rem}.num{text-align:right;font-variant-numeric:tabular-nums}" +
        ".nowrap{white-space:nowrap;overflow-wrap:normal}.bad{color:#b42318}code{font-family:ui-monospace,'DejaVu Sans Mono',monospace}";
}
