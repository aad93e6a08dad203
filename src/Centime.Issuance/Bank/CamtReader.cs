using System.Globalization;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using Centime.Ledger;

namespace Centime.Issuance.Bank;

/// <summary>A bank file that cannot be imported. <see cref="Code"/> is a stable problem code (docs/errors.md).</summary>
public sealed class BankFileException(string code, string message) : Exception(message)
{
    /// <summary>Not XML, not camt.053/054, an element missing or malformed.</summary>
    public const string Invalid = "bank_file_invalid";
    /// <summary>An amount with more decimals than its currency has, or one the coin cannot hold exactly.</summary>
    public const string AmountInvalid = "bank_amount_invalid";
    /// <summary>The account or an amount is in another currency than the coin's.</summary>
    public const string CurrencyMismatch = "bank_currency_mismatch";

    /// <summary>The stable code.</summary>
    public string Code { get; } = code;
}

/// <summary>
/// Reads ISO 20022 camt.053 (BkToCstmrStmt) and camt.054 (BkToCstmrDbtCdtNtfctn) files, any message version
/// (elements are matched by local name under the message's own namespace): one Stmt or Ntfctn per file, its account
/// (IBAN or Othr/Id), the closing booked balance (CLBD), and every Ntry with Amt/@Ccy, CdtDbtInd, RvslInd, Sts,
/// BookgDt, ValDt, NtryRef, AcctSvcrRef, the first TxDtls' EndToEndId and RmtInf. DTDs and external entities are
/// refused. Amounts become the coin's minor units through <see cref="IsoAmount"/>.
/// </summary>
public static class CamtReader
{
    /// <summary>Largest file accepted (a reserve account's daily statement is far smaller).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Parses a file for a coin in <paramref name="currency"/> with <paramref name="coinDecimals"/> places.</summary>
    /// <exception cref="BankFileException">The file cannot be imported; nothing was read from it.</exception>
    public static BankStatement Parse(byte[] file, string currency, int coinDecimals)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Length > MaxFileBytes)
        {
            throw Invalid($"the file is {file.Length} bytes; at most {MaxFileBytes} are accepted");
        }

        XDocument document;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxFileBytes, IgnoreComments = true };
            using var stream = new MemoryStream(file, writable: false);
            using var reader = XmlReader.Create(stream, settings);
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw Invalid("not well-formed XML: " + e.Message);
        }

        var root = document.Root!;
        var ns = root.Name.Namespace;
        var kind = ns.NamespaceName switch
        {
            var n when n.StartsWith("urn:iso:std:iso:20022:tech:xsd:camt.053.", StringComparison.Ordinal) => BankMessageKind.Statement,
            var n when n.StartsWith("urn:iso:std:iso:20022:tech:xsd:camt.054.", StringComparison.Ordinal) => BankMessageKind.Notification,
            _ => throw Invalid($"the document's namespace '{ns.NamespaceName}' is neither camt.053 nor camt.054"),
        };
        var message = root.Element(ns + (kind == BankMessageKind.Statement ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn"))
            ?? throw Invalid($"Document has no {(kind == BankMessageKind.Statement ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn")}");
        var messageId = Text(message.Element(ns + "GrpHdr")?.Element(ns + "MsgId"), "GrpHdr/MsgId");
        var statements = message.Elements(ns + (kind == BankMessageKind.Statement ? "Stmt" : "Ntfctn")).ToList();
        if (statements.Count != 1)
        {
            throw Invalid($"the file holds {statements.Count} {(kind == BankMessageKind.Statement ? "Stmt" : "Ntfctn")} elements; import exactly one per file");
        }

        var s = statements[0];
        var statementId = Text(s.Element(ns + "Id"), "Id");
        var created = s.Element(ns + "CreDtTm")?.Value.Trim() ?? "";
        var account = s.Element(ns + "Acct") ?? throw Invalid("Acct is missing");
        var accountId = account.Element(ns + "Id");
        var iban = accountId?.Element(ns + "IBAN")?.Value;
        var other = accountId?.Element(ns + "Othr")?.Element(ns + "Id")?.Value;
        var accountRef = NormaliseAccount(iban ?? other ?? throw Invalid("Acct/Id has neither IBAN nor Othr/Id"));
        var accountCurrency = account.Element(ns + "Ccy")?.Value.Trim();
        if (accountCurrency is not null && accountCurrency != currency)
        {
            throw new BankFileException(BankFileException.CurrencyMismatch, $"account {accountRef} is in {accountCurrency}; the coin is in {currency}");
        }

        UInt128 closing = UInt128.Zero;
        var closingDebit = false;
        DateOnly? closingDate = null;
        foreach (var balance in s.Elements(ns + "Bal"))
        {
            var code = balance.Element(ns + "Tp")?.Element(ns + "CdOrPrtry")?.Element(ns + "Cd")?.Value.Trim();
            if (code != "CLBD")
            {
                continue;
            }

            if (closingDate is not null)
            {
                throw Invalid("the statement has two CLBD balances");
            }

            closing = Amount(balance.Element(ns + "Amt"), currency, coinDecimals, "Bal/Amt");
            closingDebit = Direction(balance.Element(ns + "CdtDbtInd"), "Bal/CdtDbtInd") == EntryDirection.Debit;
            closingDate = Date(balance.Element(ns + "Dt"), "Bal/Dt");
        }

        var entries = new List<BankEntry>();
        foreach (var n in s.Elements(ns + "Ntry"))
        {
            if (entries.Count == BankStatement.MaxEntries)
            {
                throw Invalid($"more than {BankStatement.MaxEntries} entries; split the file");
            }

            var where = "Ntry " + (entries.Count + 1).ToString(CultureInfo.InvariantCulture);
            var amount = Amount(n.Element(ns + "Amt"), currency, coinDecimals, where + "/Amt");
            if (amount == UInt128.Zero)
            {
                throw new BankFileException(BankFileException.AmountInvalid, where + "/Amt is zero");
            }

            var direction = Direction(n.Element(ns + "CdtDbtInd"), where + "/CdtDbtInd");
            var reversal = string.Equals(n.Element(ns + "RvslInd")?.Value.Trim(), "true", StringComparison.Ordinal);
            // Sts is a code (camt.053.001.02-.07: <Sts>BOOK</Sts>) or a choice (.08 on: <Sts><Cd>BOOK</Cd></Sts>).
            var statusElement = n.Element(ns + "Sts");
            var status = (statusElement?.Element(ns + "Cd")?.Value ?? statusElement?.Value ?? "").Trim();
            var booking = OptionalDate(n.Element(ns + "BookgDt"), where + "/BookgDt");
            var value = OptionalDate(n.Element(ns + "ValDt"), where + "/ValDt");
            if (booking is null && value is null)
            {
                throw Invalid(where + " has neither BookgDt nor ValDt");
            }

            var tx = n.Element(ns + "NtryDtls")?.Element(ns + "TxDtls");
            var endToEnd = tx?.Element(ns + "Refs")?.Element(ns + "EndToEndId")?.Value.Trim() ?? "";
            if (endToEnd == "NOTPROVIDED")
            {
                endToEnd = "";
            }

            var remittance = new List<string>();
            foreach (var rmt in (tx?.Elements(ns + "RmtInf") ?? []).Concat(n.Elements(ns + "RmtInf")))
            {
                remittance.AddRange(rmt.Elements(ns + "Ustrd").Select(u => Clip(u.Value.Trim())).Where(u => u.Length > 0));
                remittance.AddRange(rmt.Elements(ns + "Strd").Select(st => st.Element(ns + "CdtrRefInf")?.Element(ns + "Ref")?.Value.Trim() ?? "").Where(u => u.Length > 0).Select(Clip));
            }

            if (remittance.Count > 64)
            {
                remittance.RemoveRange(64, remittance.Count - 64);
            }

            entries.Add(new BankEntry(
                Clip(n.Element(ns + "NtryRef")?.Value.Trim() ?? ""),
                Clip(n.Element(ns + "AcctSvcrRef")?.Value.Trim() ?? ""),
                amount,
                direction,
                status == "BOOK",
                reversal,
                booking ?? value!.Value,
                value ?? booking!.Value,
                Clip(endToEnd),
                remittance));
        }

        if (kind == BankMessageKind.Statement && closingDate is null)
        {
            throw Invalid("the statement has no closing booked balance (Bal with Tp/CdOrPrtry/Cd CLBD)");
        }

        return new BankStatement(kind, Hash32.FromBytes(SHA256.HashData(file)), messageId, statementId, accountRef, currency, Clip(created), closing, closingDebit, closingDate, entries);
    }

    /// <summary>An account reference as compared: spaces removed, upper case ("DE89 3704 …" = "de8937…").</summary>
    public static string NormaliseAccount(string account) =>
        string.Concat(account.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();

    private static UInt128 Amount(XElement? amount, string currency, int coinDecimals, string where)
    {
        if (amount is null)
        {
            throw Invalid(where + " is missing");
        }

        var ccy = amount.Attribute("Ccy")?.Value;
        if (ccy != currency)
        {
            throw new BankFileException(BankFileException.CurrencyMismatch, $"{where} is in '{ccy}'; the coin is in {currency}");
        }

        return IsoAmount.TryParse(amount.Value, currency, coinDecimals, out var value, out var error)
            ? value
            : throw new BankFileException(BankFileException.AmountInvalid, where + ": " + error);
    }

    private static EntryDirection Direction(XElement? indicator, string where) => indicator?.Value.Trim() switch
    {
        "CRDT" => EntryDirection.Credit,
        "DBIT" => EntryDirection.Debit,
        _ => throw Invalid(where + " must be CRDT or DBIT"),
    };

    private static DateOnly Date(XElement? choice, string where) =>
        OptionalDate(choice, where) ?? throw Invalid(where + " is missing");

    // A DateAndDateTimeChoice: <Dt>2026-12-01</Dt> or <DtTm>2026-12-01T10:00:00+01:00</DtTm> (the date as written).
    private static DateOnly? OptionalDate(XElement? choice, string where)
    {
        if (choice is null)
        {
            return null;
        }

        var text = (choice.Elements().FirstOrDefault()?.Value ?? choice.Value).Trim();
        return text.Length >= 10 && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw Invalid($"{where} '{text}' is not an ISO date");
    }

    private static string Text(XElement? element, string where)
    {
        var text = element?.Value.Trim();
        return string.IsNullOrEmpty(text) ? throw Invalid(where + " is missing") : Clip(text);
    }

    private static string Clip(string s) => s.Length <= 140 ? s : s[..140];

    private static BankFileException Invalid(string message) => new(BankFileException.Invalid, message);
}
