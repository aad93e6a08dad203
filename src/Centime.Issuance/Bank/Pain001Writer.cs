using System.Globalization;
using System.Text;
using System.Xml;
using Centime.Ledger;

namespace Centime.Issuance.Bank;

/// <summary>One credit transfer of a payout batch.</summary>
/// <param name="EndToEndId">Carried back by the bank on the debit entry (camt.053/054 Refs/EndToEndId): the redemption's id, 32 hex digits.</param>
/// <param name="Amount">In the coin's minor units.</param>
/// <param name="CreditorName">Cdtr/Nm.</param>
/// <param name="CreditorAccount">The holder's payout account: an IBAN, or any other account id.</param>
/// <param name="Remittance">RmtInf/Ustrd.</param>
public sealed record PainPayment(string EndToEndId, UInt128 Amount, string CreditorName, string CreditorAccount, string Remittance);

/// <summary>
/// Writes ISO 20022 pain.001.001.09 CustomerCreditTransferInitiation files (one PmtInf, SEPA-style SLEV charges) that
/// a reserve bank executes to pay redemptions. Pure: the same batch always gives the same bytes, so a batch can be
/// written again from the journal and its SHA-256 compared.
/// </summary>
public static class Pain001Writer
{
    /// <summary>The message's namespace.</summary>
    public const string Namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

    /// <summary>The file's bytes (UTF-8 XML).</summary>
    /// <exception cref="ArgumentException">An amount cannot be paid in the currency's minor units, or the batch is empty.</exception>
    public static byte[] Write(string messageId, DateTime createdUtc, DateOnly executionDate, string debtorName, string debtorAccount, string currency, int coinDecimals, IReadOnlyList<PainPayment> payments)
    {
        ArgumentNullException.ThrowIfNull(payments);
        if (payments.Count == 0)
        {
            throw new ArgumentException("A payment initiation needs at least one payment.", nameof(payments));
        }

        var amounts = payments.Select(p => IsoAmount.Format(p.Amount, currency, coinDecimals) ?? throw new ArgumentException($"{p.Amount} minor units cannot be paid in {currency}.", nameof(payments))).ToList();
        var total = UInt128.Zero;
        foreach (var p in payments)
        {
            total = checked(total + p.Amount);
        }

        var controlSum = IsoAmount.Format(total, currency, coinDecimals)!;
        var count = payments.Count.ToString(CultureInfo.InvariantCulture);
        var created = createdUtc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = "  " };
        using var stream = new MemoryStream();
        using (var x = XmlWriter.Create(stream, settings))
        {
            x.WriteStartDocument();
            x.WriteStartElement("Document", Namespace);
            x.WriteStartElement("CstmrCdtTrfInitn");
            x.WriteStartElement("GrpHdr");
            x.WriteElementString("MsgId", messageId);
            x.WriteElementString("CreDtTm", created);
            x.WriteElementString("NbOfTxs", count);
            x.WriteElementString("CtrlSum", controlSum);
            x.WriteStartElement("InitgPty");
            x.WriteElementString("Nm", debtorName);
            x.WriteEndElement();
            x.WriteEndElement(); // GrpHdr

            x.WriteStartElement("PmtInf");
            x.WriteElementString("PmtInfId", messageId);
            x.WriteElementString("PmtMtd", "TRF");
            x.WriteElementString("NbOfTxs", count);
            x.WriteElementString("CtrlSum", controlSum);
            x.WriteStartElement("ReqdExctnDt");
            x.WriteElementString("Dt", executionDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            x.WriteEndElement();
            x.WriteStartElement("Dbtr");
            x.WriteElementString("Nm", debtorName);
            x.WriteEndElement();
            x.WriteStartElement("DbtrAcct");
            WriteAccount(x, debtorAccount);
            x.WriteElementString("Ccy", currency);
            x.WriteEndElement();
            x.WriteStartElement("DbtrAgt");
            x.WriteStartElement("FinInstnId");
            x.WriteStartElement("Othr");
            x.WriteElementString("Id", "NOTPROVIDED");
            x.WriteEndElement();
            x.WriteEndElement();
            x.WriteEndElement(); // DbtrAgt
            x.WriteElementString("ChrgBr", "SLEV");
            for (var i = 0; i < payments.Count; i++)
            {
                var p = payments[i];
                x.WriteStartElement("CdtTrfTxInf");
                x.WriteStartElement("PmtId");
                x.WriteElementString("InstrId", p.EndToEndId);
                x.WriteElementString("EndToEndId", p.EndToEndId);
                x.WriteEndElement();
                x.WriteStartElement("Amt");
                x.WriteStartElement("InstdAmt");
                x.WriteAttributeString("Ccy", currency);
                x.WriteString(amounts[i]);
                x.WriteEndElement();
                x.WriteEndElement();
                x.WriteStartElement("Cdtr");
                x.WriteElementString("Nm", p.CreditorName);
                x.WriteEndElement();
                x.WriteStartElement("CdtrAcct");
                WriteAccount(x, p.CreditorAccount);
                x.WriteEndElement();
                x.WriteStartElement("RmtInf");
                x.WriteElementString("Ustrd", p.Remittance);
                x.WriteEndElement();
                x.WriteEndElement(); // CdtTrfTxInf
            }

            x.WriteEndElement(); // PmtInf
            x.WriteEndElement(); // CstmrCdtTrfInitn
            x.WriteEndElement(); // Document
        }

        return stream.ToArray();
    }

    /// <summary>True for an IBAN with a valid ISO 13616 mod-97 check (spaces ignored).</summary>
    public static bool IsIban(string account)
    {
        var s = CamtReader.NormaliseAccount(account);
        if (s.Length is < 15 or > 34 || !char.IsAsciiLetterUpper(s[0]) || !char.IsAsciiLetterUpper(s[1]) || !char.IsAsciiDigit(s[2]) || !char.IsAsciiDigit(s[3])
            || !s.All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        var remainder = 0;
        foreach (var c in s[4..] + s[..4])
        {
            var v = char.IsAsciiDigit(c) ? c - '0' : c - 'A' + 10;
            remainder = v >= 10 ? ((remainder * 100) + v) % 97 : ((remainder * 10) + v) % 97;
        }

        return remainder == 1;
    }

    private static void WriteAccount(XmlWriter x, string account)
    {
        x.WriteStartElement("Id");
        if (IsIban(account))
        {
            x.WriteElementString("IBAN", CamtReader.NormaliseAccount(account));
        }
        else
        {
            x.WriteStartElement("Othr");
            x.WriteElementString("Id", account.Length <= 34 ? account : account[..34]);
            x.WriteEndElement();
        }

        x.WriteEndElement();
    }

    /// <summary>A redemption id as the 32 hex digits a payment carries as its EndToEndId (max 35 characters).</summary>
    public static string EndToEndIdOf(UInt128 redemption) => redemption.ToString("x32", CultureInfo.InvariantCulture);
}
