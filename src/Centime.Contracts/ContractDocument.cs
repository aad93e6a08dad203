using System.Globalization;
using System.Text.Json;
using Centime.Ledger;

namespace Centime.Contracts;

/// <summary>A contract document the node refuses: HTTP status, stable problem code (docs/errors.md) and detail.</summary>
public sealed class ContractDocumentException(int status, string code, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>A parsed contract document: its id (0 when the document gives none) and resolved terms.</summary>
public sealed record ParsedContract(UInt128 Id, ContractTerms Terms, IReadOnlyDictionary<string, Address> Parties);

/// <summary>
/// Reads the JSON contract document (schema: <see cref="Schema"/>, docs/contracts.md): party names resolved to
/// addresses, the coin symbol to its number, amounts as decimal strings of minor units. Then the same checks as the
/// module (<see cref="ContractModule.Validate"/>), so a bad document is refused before the sequencer with its code.
/// </summary>
public static class ContractDocument
{
    private static readonly string[] Common = ["id", "kind", "coin", "amount", "parties", "payer", "reference"];

    private static readonly Dictionary<ContractKind, string[]> KindFields = new()
    {
        [ContractKind.Escrow] = ["payee", "confirmer", "arbiter", "deadlineSeconds", "oracle", "factKey", "factValue"],
        [ContractKind.Bond] = ["payee", "slasher", "cap", "deadlineSeconds"],
        [ContractKind.Split] = ["recipients"],
        [ContractKind.Refund] = ["payee", "refundOf"],
        [ContractKind.Milestones] = ["payee", "confirmer", "milestones", "deadlineSeconds"],
        [ContractKind.Stream] = ["payee", "ratePerSecond"],
        [ContractKind.Subscription] = ["payee", "periodSeconds", "deadlineSeconds"],
        [ContractKind.StandingOrder] = ["payee", "trigger", "oracle", "factKey", "factValue", "maxExecutions", "deadlineSeconds"],
    };

    /// <summary>Parses and validates a document; throws <see cref="ContractDocumentException"/>.</summary>
    public static ParsedContract Parse(JsonElement doc, Func<string, uint?> coinOf)
    {
        if (doc.ValueKind != JsonValueKind.Object)
        {
            throw Bad(400, "malformed_json", "the contract is a JSON object");
        }

        if (!ContractNames.TryParseKind(String(doc, "kind", required: true), out var kind))
        {
            throw Bad(400, "invalid_field", "'kind': one of escrow, bond, split, refund, milestones, stream, subscription, standing_order");
        }

        var allowed = KindFields[kind];
        foreach (var property in doc.EnumerateObject())
        {
            if (Array.IndexOf(Common, property.Name) < 0 && Array.IndexOf(allowed, property.Name) < 0)
            {
                throw Bad(400, "unknown_field", $"'{property.Name}' is not a term of a {ContractNames.Of(kind)} contract; it takes {string.Join(", ", Common.Concat(allowed))}");
            }
        }

        var id = UInt128.Zero;
        if (String(doc, "id", required: false) is { } idText)
        {
            id = Id(idText, "id");
        }

        var symbol = String(doc, "coin", required: true)!;
        var coin = coinOf(symbol) ?? throw Bad(404, "coin_not_found", $"no coin '{symbol}'");
        var amount = Amount(String(doc, "amount", required: true), "amount");

        if (!doc.TryGetProperty("parties", out var partiesElement) || partiesElement.ValueKind != JsonValueKind.Object)
        {
            throw Bad(400, "missing_field", "'parties' is required: an object of party name → address");
        }

        var parties = new Dictionary<string, Address>(StringComparer.Ordinal);
        foreach (var p in partiesElement.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String || !Address.TryParse(p.Value.GetString(), out var address) || address.IsZero)
            {
                throw Bad(400, "invalid_address", $"'parties.{p.Name}' is not a 0x-prefixed 20-byte address with a valid EIP-55 checksum");
            }

            parties[p.Name] = address;
        }

        Address Party(string field, bool required)
        {
            var name = String(doc, field, required);
            if (name is null)
            {
                return Address.Zero;
            }

            return parties.TryGetValue(name, out var a) ? a : throw Bad(422, "unknown_party", $"'{field}' names '{name}', which 'parties' does not declare");
        }

        var terms = new ContractTerms
        {
            Kind = kind,
            Coin = coin,
            Amount = amount,
            Payer = Party("payer", required: true),
            Payee = kind == ContractKind.Split ? Address.Zero : Party("payee", required: true),
            Reference = String(doc, "reference", required: false) ?? "",
        };
        switch (kind)
        {
            case ContractKind.Escrow:
                var confirmer = Party("confirmer", required: false);
                terms = terms with
                {
                    Confirmer = confirmer.IsZero ? terms.Payer : confirmer,
                    Arbiter = Party("arbiter", required: false),
                    DeadlineSeconds = Seconds(doc, "deadlineSeconds", required: true),
                };
                terms = WithFact(terms, doc, Party("oracle", required: false));
                break;
            case ContractKind.Bond:
                terms = terms with
                {
                    Confirmer = Party("slasher", required: true),
                    Cap = String(doc, "cap", required: false) is { } cap ? Amount(cap, "cap") : amount,
                    DeadlineSeconds = Seconds(doc, "deadlineSeconds", required: true),
                };
                break;
            case ContractKind.Split:
                terms = terms with { Recipients = Recipients(doc, parties) };
                break;
            case ContractKind.Refund:
                terms = terms with { RefundOf = Id(String(doc, "refundOf", required: true)!, "refundOf") };
                break;
            case ContractKind.Milestones:
                var who = Party("confirmer", required: false);
                terms = terms with
                {
                    Confirmer = who.IsZero ? terms.Payer : who,
                    Milestones = Milestones(doc),
                    DeadlineSeconds = Seconds(doc, "deadlineSeconds", required: false),
                };
                break;
            case ContractKind.Stream:
                terms = terms with { RatePerSecond = Amount(String(doc, "ratePerSecond", required: true), "ratePerSecond") };
                break;
            case ContractKind.Subscription:
                terms = terms with
                {
                    PeriodSeconds = Seconds(doc, "periodSeconds", required: true),
                    DeadlineSeconds = Seconds(doc, "deadlineSeconds", required: false),
                };
                break;
            case ContractKind.StandingOrder:
                terms = terms with
                {
                    Confirmer = Party("trigger", required: false),
                    MaxExecutions = Executions(doc),
                    DeadlineSeconds = Seconds(doc, "deadlineSeconds", required: true),
                };
                terms = WithFact(terms, doc, Party("oracle", required: false));
                if (terms.Confirmer.IsZero && terms.Oracle.IsZero)
                {
                    throw Bad(422, "unknown_party", "a standing order names a 'trigger' party, an 'oracle' with a 'factKey', or both");
                }

                break;
        }

        var code = ContractModule.Validate(terms);
        if (code != ResultCode.Ok)
        {
            throw Bad(422, code.ToProblemCode(), Explain(code, terms));
        }

        return new ParsedContract(id, terms, parties);
    }

    /// <summary>Why terms failed <see cref="ContractModule.Validate"/>, in words.</summary>
    public static string Explain(ResultCode code, ContractTerms t) => code switch
    {
        ResultCode.SplitNot100Percent => $"the recipients' basis points sum to {t.Recipients.Sum(static r => r.BasisPoints)}, not 10000",
        ResultCode.AmountsDoNotAddUp when t.Kind == ContractKind.Milestones =>
            $"the milestones add up to {t.Milestones.Aggregate(UInt128.Zero, static (s, m) => s + m.Amount)}, the amount is {t.Amount}",
        ResultCode.AmountsDoNotAddUp => $"the cap {t.Cap} is above the amount {t.Amount}",
        ResultCode.UnknownParty => "a required party (payer, payee, confirmer, slasher, recipient, trigger or oracle) is missing",
        _ => t.Kind switch
        {
            ContractKind.Escrow or ContractKind.Bond => "a positive amount and deadlineSeconds (at most 100 years) are required",
            ContractKind.Stream => "ratePerSecond must be positive and at most the amount, and the stream at most 100 years long",
            ContractKind.Milestones => "1–64 milestones, each with a positive amount and a name of at most 200 characters",
            ContractKind.Split => "1–64 recipients",
            ContractKind.Subscription => "periodSeconds from 1 to 100 years",
            ContractKind.StandingOrder => "deadlineSeconds is required, and amount × maxExecutions at most 2^127 − 1",
            _ => "a term is out of range (amount positive, reference at most 200 characters)",
        },
    };

    // oracle, factKey and factValue (default "true") come together.
    private static ContractTerms WithFact(ContractTerms terms, JsonElement doc, Address oracle)
    {
        var key = String(doc, "factKey", required: false);
        var value = String(doc, "factValue", required: false);
        if (oracle.IsZero)
        {
            return key is null && value is null ? terms : throw Bad(400, "missing_field", "'factKey' and 'factValue' need an 'oracle' party");
        }

        if (key is null || key.Length is 0 or > ContractModule.MaxText || value is { Length: 0 or > ContractModule.MaxText })
        {
            throw Bad(400, key is null ? "missing_field" : "invalid_field", "an 'oracle' needs a 'factKey' (1–200 characters, e.g. \"delivered:order-42\"); 'factValue' is 1–200 characters (default \"true\")");
        }

        return terms with { Oracle = oracle, FactKey = key, FactValue = value ?? "true" };
    }

    private static uint Executions(JsonElement doc)
    {
        if (!doc.TryGetProperty("maxExecutions", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 1;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetUInt32(out var n) && n is > 0 and <= ContractModule.MaxExecutions
            ? n
            : throw Bad(400, "invalid_field", $"'maxExecutions' is a whole number from 1 to {ContractModule.MaxExecutions}");
    }

    private static SplitShare[] Recipients(JsonElement doc, Dictionary<string, Address> parties)
    {
        if (!doc.TryGetProperty("recipients", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw Bad(400, "missing_field", "'recipients' is required: [{\"party\": name, \"bps\": basis points}]");
        }

        var shares = new List<SplitShare>();
        foreach (var r in list.EnumerateArray())
        {
            var name = r.ValueKind == JsonValueKind.Object && r.TryGetProperty("party", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw Bad(400, "invalid_field", "'recipients[]': {\"party\": name, \"bps\": 0–10000}");
            if (!parties.TryGetValue(name, out var address))
            {
                throw Bad(422, "unknown_party", $"'recipients' names '{name}', which 'parties' does not declare");
            }

            if (!r.TryGetProperty("bps", out var bps) || bps.ValueKind != JsonValueKind.Number || !bps.TryGetUInt16(out var points) || points > 10_000)
            {
                throw Bad(400, "invalid_field", $"'recipients[].bps' of '{name}' is an integer 0–10000");
            }

            shares.Add(new SplitShare(address, points));
        }

        return [.. shares];
    }

    private static MilestoneTerm[] Milestones(JsonElement doc)
    {
        if (!doc.TryGetProperty("milestones", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw Bad(400, "missing_field", "'milestones' is required: [{\"name\": text, \"amount\": minor units}]");
        }

        var milestones = new List<MilestoneTerm>();
        foreach (var m in list.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
            {
                throw Bad(400, "invalid_field", "'milestones[]': {\"name\": text, \"amount\": minor units}");
            }

            milestones.Add(new MilestoneTerm(String(m, "name", required: true)!, Amount(String(m, "amount", required: true), "milestones[].amount")));
        }

        return [.. milestones];
    }

    private static string? String(JsonElement e, string field, bool required)
    {
        if (!e.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw Bad(400, "missing_field", $"'{field}' is required") : null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad(400, "invalid_field", $"'{field}' is a string");
    }

    private static ulong Seconds(JsonElement e, string field, bool required)
    {
        if (!e.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw Bad(400, "missing_field", $"'{field}' is required (seconds of ledger time after creation)") : 0UL;
        }

        // A string ("3600") is refused with a code like any wrong type, never read as a number (TryGetUInt64 on a string
        // throws: that was a 500).
        return value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var s) && s is > 0 and <= ContractModule.MaxDeadlineSeconds
            ? s
            : throw Bad(400, "invalid_field", $"'{field}' is a whole number of seconds, 1 to {ContractModule.MaxDeadlineSeconds}");
    }

    /// <summary>Parses a decimal string of minor units (no sign, no leading zeros, 1 … 2^127 − 1).</summary>
    /// <summary>An amount of minor units in the API's one unsigned grammar (<see cref="UnsignedText"/>: decimal or
    /// 0x-hex), 1 … <see cref="LedgerState.MaxSupply"/>; the same codes as every other route.</summary>
    public static UInt128 Amount(string? text, string field)
    {
        if (text is null)
        {
            throw Bad(400, "missing_field", $"'{field}' is required");
        }

        var amount = UnsignedText.TryParse(text.AsSpan(), out var v) switch
        {
            UnsignedTextError.None => v,
            UnsignedTextError.Negative or UnsignedTextError.TooLarge => throw Bad(400, "amount_out_of_range", $"'{field}' must be 0 … 2^127 − 1 minor units"),
            _ => throw Bad(400, "invalid_field", $"'{field}' must be a non-negative integer (decimal digits, or 0x-hex) of minor units, e.g. \"1000000\""),
        };
        if (amount > LedgerState.MaxSupply)
        {
            throw Bad(400, "amount_out_of_range", $"'{field}' is above 2^127 − 1 minor units");
        }

        return amount > UInt128.Zero ? amount : throw Bad(400, "invalid_field", $"'{field}' must not be zero");
    }

    /// <summary>A 128-bit id in the one unsigned grammar (decimal or 0x-hex), not 0 (and not 2^128 − 1, reserved).</summary>
    public static UInt128 Id(string text, string field) =>
        UnsignedText.TryParse(text.AsSpan(), out var id) == UnsignedTextError.None && id != UInt128.Zero && id != UInt128.MaxValue
            ? id
            : throw Bad(400, "invalid_field", $"'{field}' must be a 128-bit id (decimal digits, or 0x-hex), not 0");

    private static ContractDocumentException Bad(int status, string code, string detail) => new(status, code, detail);

    /// <summary>The JSON Schema (draft 2020-12) of a contract document; served at GET /v1/contracts/schema.</summary>
    public const string Schema = """
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "urn:centime:contract:v1",
  "title": "Centime contract",
  "description": "A programmable payment (docs/contracts.md). Amounts are decimal strings of minor units; roles name entries of 'parties'; deadlines are seconds of ledger time after creation.",
  "type": "object",
  "required": ["kind", "coin", "amount", "parties", "payer"],
  "properties": {
    "id": { "$ref": "#/$defs/id", "description": "Contract id (decimal 128-bit); the node picks one when absent. Memo of every transfer the contract makes." },
    "kind": { "enum": ["escrow", "bond", "split", "refund", "milestones", "stream", "subscription", "standing_order"] },
    "coin": { "type": "string", "description": "Coin symbol, e.g. NUSD" },
    "amount": { "$ref": "#/$defs/amount", "description": "What the payer puts in (stream: the whole deposit; subscription: the most the payee may pull per period; standing order: paid per execution, the payer puts in amount × maxExecutions)" },
    "parties": { "type": "object", "minProperties": 1, "additionalProperties": { "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$" } },
    "payer": { "type": "string", "description": "Party name; funds the contract" },
    "payee": { "type": "string", "description": "Party name; receives (all kinds but split)" },
    "reference": { "type": "string", "maxLength": 200 },
    "confirmer": { "type": "string", "description": "escrow, milestones: party who confirms (default: the payer)" },
    "arbiter": { "type": "string", "description": "escrow: party who decides a dispute (none: no disputes)" },
    "slasher": { "type": "string", "description": "bond: party who may slash" },
    "cap": { "$ref": "#/$defs/amount", "description": "bond: most that may be slashed in total (default: the amount)" },
    "deadlineSeconds": { "type": "integer", "minimum": 1, "maximum": 3162240000, "description": "escrow: refund to the payer; milestones: refund of the unreleased rest (optional); bond: return to the payer; subscription: its end (optional); standing order: the unexecuted rest returns to the payer" },
    "periodSeconds": { "type": "integer", "minimum": 1, "maximum": 3162240000, "description": "subscription: length of a period (periods start at creation)" },
    "recipients": { "type": "array", "minItems": 1, "maxItems": 64, "items": { "type": "object", "required": ["party", "bps"], "additionalProperties": false,
      "properties": { "party": { "type": "string" }, "bps": { "type": "integer", "minimum": 0, "maximum": 10000 } } },
      "description": "split: basis points summing to 10000; remainder units to the first recipient" },
    "refundOf": { "$ref": "#/$defs/id", "description": "refund: id of the original payment from the payee to the payer" },
    "milestones": { "type": "array", "minItems": 1, "maxItems": 64, "items": { "type": "object", "required": ["name", "amount"], "additionalProperties": false,
      "properties": { "name": { "type": "string", "maxLength": 200 }, "amount": { "$ref": "#/$defs/amount" } } },
      "description": "milestones: amounts summing to the amount" },
    "ratePerSecond": { "$ref": "#/$defs/amount", "description": "stream: minor units accrued per second of ledger time" },
    "trigger": { "type": "string", "description": "standing order: party whose signed 'trigger' event orders one execution" },
    "oracle": { "type": "string", "description": "escrow, standing order: party whose signed attestation of factKey = factValue releases the escrow or orders one execution" },
    "factKey": { "type": "string", "minLength": 1, "maxLength": 200, "description": "with 'oracle': the fact waited on, e.g. stock_available:SKU-123" },
    "factValue": { "type": "string", "minLength": 1, "maxLength": 200, "default": "true", "description": "with 'oracle': the value that fires the contract" },
    "maxExecutions": { "type": "integer", "minimum": 1, "maximum": 10000, "default": 1, "description": "standing order: most executions" }
  },
  "additionalProperties": false,
  "allOf": [
    { "if": { "properties": { "kind": { "const": "escrow" } } }, "then": { "required": ["payee", "deadlineSeconds"] } },
    { "if": { "properties": { "kind": { "const": "bond" } } }, "then": { "required": ["payee", "slasher", "deadlineSeconds"] } },
    { "if": { "properties": { "kind": { "const": "split" } } }, "then": { "required": ["recipients"] } },
    { "if": { "properties": { "kind": { "const": "refund" } } }, "then": { "required": ["payee", "refundOf"] } },
    { "if": { "properties": { "kind": { "const": "milestones" } } }, "then": { "required": ["payee", "milestones"] } },
    { "if": { "properties": { "kind": { "const": "stream" } } }, "then": { "required": ["payee", "ratePerSecond"] } },
    { "if": { "properties": { "kind": { "const": "subscription" } } }, "then": { "required": ["payee", "periodSeconds"] } },
    { "if": { "properties": { "kind": { "const": "standing_order" } } }, "then": { "required": ["payee", "deadlineSeconds"], "anyOf": [ { "required": ["trigger"] }, { "required": ["oracle"] } ] } },
    { "if": { "required": ["oracle"] }, "then": { "required": ["factKey"] } }
  ],
  "$defs": {
    "amount": { "type": "string", "pattern": "^[1-9][0-9]{0,38}$" },
    "id": { "type": "string", "pattern": "^[1-9][0-9]{0,38}$" }
  }
}
""";
}
