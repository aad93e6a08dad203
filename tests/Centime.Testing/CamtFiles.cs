using System.Security;
using System.Text;

namespace Centime.Testing;

/// <summary>One entry of a test bank file (amounts as the bank writes them, e.g. "100.00").</summary>
public sealed record CamtEntry(string Amount, bool Credit, string ServicerReference, string? Remittance = null, string? EndToEndId = null, string? StructuredReference = null,
    string Status = "BOOK", string Date = "2026-12-01", string Currency = "USD", string? EntryReference = null);

/// <summary>
/// Writes ISO 20022 camt.053.001.08 statements and camt.054.001.08 notifications as banks send them (GrpHdr, Stmt or
/// Ntfctn with Acct/Id/IBAN, Bal CLBD, Ntry with Amt/@Ccy, CdtDbtInd, Sts/Cd, BookgDt, ValDt, AcctSvcrRef, NtryDtls/TxDtls
/// with Refs/EndToEndId and RmtInf) for the reconciliation tests.
/// </summary>
public static class CamtFiles
{
    public static byte[] Statement(string id, string iban, string closing, string closingDate, params CamtEntry[] entries) =>
        Write("camt.053.001.08", "BkToCstmrStmt", "Stmt", id, iban, (closing, closingDate), entries);

    public static byte[] Notification(string id, string iban, params CamtEntry[] entries) =>
        Write("camt.054.001.08", "BkToCstmrDbtCdtNtfctn", "Ntfctn", id, iban, null, entries);

    private static byte[] Write(string schema, string message, string element, string id, string iban, (string Amount, string Date)? closing, CamtEntry[] entries)
    {
        var x = new StringBuilder();
        x.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.Append($"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{schema}\">\n <{message}>\n");
        x.Append($"  <GrpHdr><MsgId>MSG-{E(id)}</MsgId><CreDtTm>2026-12-01T18:00:00</CreDtTm></GrpHdr>\n");
        x.Append($"  <{element}>\n   <Id>{E(id)}</Id>\n   <CreDtTm>2026-12-01T18:00:00</CreDtTm>\n");
        // An IBAN, or any other account id (Othr/Id) such as "NUSD-RESERVE-1".
        var accountId = iban.Contains('-', StringComparison.Ordinal) ? $"<Othr><Id>{E(iban)}</Id></Othr>" : $"<IBAN>{E(iban)}</IBAN>";
        x.Append($"   <Acct><Id>{accountId}</Id><Ccy>USD</Ccy></Acct>\n");
        if (closing is { } c)
        {
            x.Append($"   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{c.Date}</Dt></Dt></Bal>\n");
            var debit = c.Amount.StartsWith('-');
            x.Append($"   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"USD\">{c.Amount.TrimStart('-')}</Amt><CdtDbtInd>{(debit ? "DBIT" : "CRDT")}</CdtDbtInd><Dt><Dt>{c.Date}</Dt></Dt></Bal>\n");
        }

        foreach (var e in entries)
        {
            x.Append("   <Ntry>\n");
            if (e.EntryReference is not null)
            {
                x.Append($"    <NtryRef>{E(e.EntryReference)}</NtryRef>\n");
            }

            x.Append($"    <Amt Ccy=\"{e.Currency}\">{e.Amount}</Amt><CdtDbtInd>{(e.Credit ? "CRDT" : "DBIT")}</CdtDbtInd>\n");
            x.Append($"    <Sts><Cd>{e.Status}</Cd></Sts><BookgDt><Dt>{e.Date}</Dt></BookgDt><ValDt><Dt>{e.Date}</Dt></ValDt>\n");
            x.Append($"    <AcctSvcrRef>{E(e.ServicerReference)}</AcctSvcrRef>\n");
            x.Append("    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n");
            x.Append("    <NtryDtls><TxDtls>\n");
            x.Append($"     <Refs><EndToEndId>{E(e.EndToEndId ?? "NOTPROVIDED")}</EndToEndId></Refs>\n");
            x.Append($"     <Amt Ccy=\"{e.Currency}\">{e.Amount}</Amt>\n");
            if (e.Remittance is not null || e.StructuredReference is not null)
            {
                x.Append("     <RmtInf>");
                if (e.Remittance is not null)
                {
                    x.Append($"<Ustrd>{E(e.Remittance)}</Ustrd>");
                }

                if (e.StructuredReference is not null)
                {
                    x.Append($"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{E(e.StructuredReference)}</Ref></CdtrRefInf></Strd>");
                }

                x.Append("</RmtInf>\n");
            }

            x.Append("    </TxDtls></NtryDtls>\n   </Ntry>\n");
        }

        x.Append($"  </{element}>\n </{message}>\n</Document>\n");
        return Encoding.UTF8.GetBytes(x.ToString());
    }

    private static string E(string s) => SecurityElement.Escape(s);
}
