using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using Centime.Ledger;

namespace Centime.Compliance;

/// <summary>A published sanctions file, parsed: its Ethereum addresses (sorted, distinct) and where it stands.</summary>
public sealed record ParsedSanctionsList(SanctionsSource Source, string Version, string Published, Hash32 Sha256, Address[] Addresses, int Entries);

/// <summary>Why a sanctions file could not be read (the message names the problem; nothing was loaded).</summary>
public sealed class SanctionsListFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads the published formats (docs/compliance.md, "Sanctions lists"). Runs at the edge, before anything is journaled:
/// the node journals the result, never the file, so replay needs no file and takes the same decisions.
/// <list type="bullet">
/// <item>OFAC SDN (<c>sdn.xml</c>, namespace <c>https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML</c>
/// or the older <c>http://tempuri.org/sdnList.xsd</c>): every <c>sdnEntry/idList/id</c> whose <c>idType</c> is
/// "Digital Currency Address - ETH" (and the other EVM chains OFAC lists the same 0x form under, e.g. USDC, USDT, ARB,
/// BSC) gives its <c>idNumber</c>; version and date from <c>publshInformation/Publish_Date</c> (sic) and <c>Record_Count</c>.</item>
/// <item>EU consolidated list (<c>export</c>, namespace <c>http://eu.europa.eu/fsd/export</c>): every 0x address in a
/// <c>sanctionEntity</c>'s <c>identification</c> (<c>number</c>/<c>latinNumber</c>) or its <c>remark</c> text;
/// version <c>globalFileId</c>, date <c>generationDate</c>.</item>
/// <item>The issuer's own list: text, one 0x address per line; <c># version: …</c> and <c># published: …</c> lines name it,
/// other <c>#</c> lines are comments.</item>
/// </list>
/// </summary>
public static partial class SanctionsListParser
{
    [GeneratedRegex("0x[0-9a-fA-F]{40}(?![0-9a-fA-F])", RegexOptions.CultureInvariant)]
    private static partial Regex EvmAddress();

    private static readonly XmlReaderSettings Settings = new()
    {
        // Lists come from outside: no DTDs, no external entities (XXE), no resolver.
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = true,
    };

    /// <summary>Parses one file of <paramref name="source"/>'s format.</summary>
    public static ParsedSanctionsList Parse(SanctionsSource source, ReadOnlySpan<byte> content)
    {
        var sha = Hash32.Sha256(content);
        var bytes = content.ToArray();
        try
        {
            return source switch
            {
                SanctionsSource.OfacSdn => ParseOfac(bytes, sha),
                SanctionsSource.EuConsolidated => ParseEu(bytes, sha),
                SanctionsSource.Issuer => ParseIssuer(bytes, sha),
                _ => throw new SanctionsListFormatException($"unknown list source {source}"),
            };
        }
        catch (XmlException ex)
        {
            throw new SanctionsListFormatException($"not well-formed XML: {ex.Message}", ex);
        }
    }

    private static ParsedSanctionsList ParseOfac(byte[] bytes, Hash32 sha)
    {
        var addresses = new SortedSet<Address>();
        string? published = null, count = null;
        var entries = 0;
        var sawRoot = false;
        using var reader = XmlReader.Create(new MemoryStream(bytes), Settings);
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            switch (reader.LocalName)
            {
                case "sdnList":
                    sawRoot = true;
                    break;
                case "Publish_Date":
                    published = reader.ReadElementContentAsString().Trim();
                    break;
                case "Record_Count":
                    count = reader.ReadElementContentAsString().Trim();
                    break;
                case "sdnEntry":
                    entries++;
                    break;
                case "id":
                    ReadOfacId(reader.ReadSubtree(), addresses);
                    break;
            }
        }

        if (!sawRoot)
        {
            throw new SanctionsListFormatException("not an OFAC SDN list: no sdnList element");
        }

        if (published is null)
        {
            throw new SanctionsListFormatException("the SDN list has no publshInformation/Publish_Date");
        }

        // OFAC writes MM/dd/yyyy; the journal keeps ISO dates.
        var date = DateOnly.TryParseExact(published, "MM/dd/yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : published;
        return new ParsedSanctionsList(SanctionsSource.OfacSdn, count is null ? date : $"{date} ({count} records)", date, sha, [.. addresses], entries);
    }

    private static void ReadOfacId(XmlReader id, SortedSet<Address> addresses)
    {
        string? type = null, number = null;
        using (id)
        {
            while (id.Read())
            {
                if (id.NodeType == XmlNodeType.Element && id.LocalName == "idType")
                {
                    type = id.ReadElementContentAsString().Trim();
                }

                if (id.NodeType == XmlNodeType.Element && id.LocalName == "idNumber")
                {
                    number = id.ReadElementContentAsString().Trim();
                }
            }
        }

        // "Digital Currency Address - ETH" first of all; OFAC lists the same 0x accounts under other EVM chains' tickers.
        if (type is not null && number is not null && type.StartsWith("Digital Currency Address - ", StringComparison.Ordinal)
            && Address.TryParse(number, out var address) && !address.IsZero)
        {
            addresses.Add(address);
        }
    }

    private static ParsedSanctionsList ParseEu(byte[] bytes, Hash32 sha)
    {
        var addresses = new SortedSet<Address>();
        string? generated = null, fileId = null;
        var entries = 0;
        using var reader = XmlReader.Create(new MemoryStream(bytes), Settings);
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            switch (reader.LocalName)
            {
                case "export":
                    generated = reader.GetAttribute("generationDate");
                    fileId = reader.GetAttribute("globalFileId");
                    break;
                case "sanctionEntity":
                    entries++;
                    break;
                case "identification":
                    AddAll(reader.GetAttribute("number"), addresses);
                    AddAll(reader.GetAttribute("latinNumber"), addresses);
                    break;
                case "remark":
                    AddAll(reader.ReadElementContentAsString(), addresses);
                    break;
            }
        }

        if (generated is null)
        {
            throw new SanctionsListFormatException("not an EU consolidated list: no export element with a generationDate");
        }

        var date = DateTimeOffset.TryParse(generated, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var g)
            ? g.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : generated;
        return new ParsedSanctionsList(SanctionsSource.EuConsolidated, fileId ?? generated, date, sha, [.. addresses], entries);
    }

    private static void AddAll(string? text, SortedSet<Address> addresses)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        foreach (Match m in EvmAddress().Matches(text))
        {
            if (Address.TryParse(m.Value, out var a) && !a.IsZero)
            {
                addresses.Add(a);
            }
        }
    }

    private static ParsedSanctionsList ParseIssuer(byte[] bytes, Hash32 sha)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SanctionsListFormatException("the issuer list is not UTF-8 text", ex);
        }

        var addresses = new SortedSet<Address>();
        string? version = null, published = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var comment = line[1..].Trim();
                version ??= Field(comment, "version:");
                published ??= Field(comment, "published:");
                continue;
            }

            // An address may be followed by a comma and a note (a CSV export): the note is not journaled.
            var first = line.Split(',', 2)[0].Trim();
            if (!Address.TryParse(first, out var address) || address.IsZero)
            {
                throw new SanctionsListFormatException(string.Create(CultureInfo.InvariantCulture, $"line {number}: '{Truncate(first)}' is not a 0x address"));
            }

            addresses.Add(address);
        }

        // Without a version line the file's own hash names it.
        return new ParsedSanctionsList(SanctionsSource.Issuer, version ?? "sha256:" + sha.ToString()[2..14], published ?? "", sha, [.. addresses], addresses.Count);
    }

    private static string? Field(string comment, string name) =>
        comment.StartsWith(name, StringComparison.OrdinalIgnoreCase) ? comment[name.Length..].Trim() : null;

    private static string Truncate(string s) => s.Length <= 48 ? s : s[..48] + "…";
}
