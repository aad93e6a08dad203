using System.Text.Json;
using Centime.Ledger;
using Microsoft.AspNetCore.Http;

namespace Centime.Node.Api;

/// <summary>
/// Parses POST /v1/transfers bodies straight from UTF-8 with <see cref="Utf8JsonReader"/> (no DOM, no
/// reflection: this is the HTTP hot path). Everything that can be checked without state is checked here, so
/// a bad request is refused whole with a problem and nothing reaches the ledger. Unknown fields are refused:
/// in a payment, a misspelt "ammount" must not be silently ignored. So are repeated fields: with "last one wins",
/// <c>"amount":"1","amount":"900000"</c> would move 900000 while a reviewer of the body saw 1.
/// </summary>
public static class TransferBatchParser
{
    private const int Bad = StatusCodes.Status400BadRequest;

    /// <summary>Parses a batch; <paramref name="coinNumber"/> maps a symbol to its number (null = unknown).</summary>
    public static Command[] Parse(ReadOnlySpan<byte> json, Func<string, uint?> coinNumber)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, "the body must be a JSON object");
            Command[]? commands = null;
            while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("transfers"u8))
                {
                    throw new ProblemException(Bad, ProblemCodes.UnknownField, "Unknown field", $"unknown field '{reader.GetString()}' in the batch (expected 'transfers')");
                }

                if (commands is not null)
                {
                    throw Duplicate("transfers", null);
                }

                commands = ParseTransfers(ref reader, coinNumber);
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw Malformed("trailing content after the batch object");
            }

            return commands ?? throw new ProblemException(Bad, ProblemCodes.MissingField, "Missing field", "the batch needs a 'transfers' array");
        }
        catch (JsonException ex)
        {
            throw Malformed(ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // GetString on invalid UTF-8 or an unpaired surrogate escape (\ud800): bad input, not a server error.
            throw Malformed(ex.Message);
        }
    }

    private static ProblemException Duplicate(string field, int? index) =>
        new(Bad, ProblemCodes.DuplicateField, "Duplicate field", $"'{field}' appears more than once", index);

    /// <summary>A bit per known transfer field (0 = unknown, refused by the switch anyway).</summary>
    private static int FieldBit(string name) => name switch
    {
        "id" => 1,
        "debit" => 2,
        "credit" => 3,
        "coin" => 4,
        "amount" => 5,
        "pendingId" => 6,
        "memo" => 7,
        "timeout" => 8,
        "code" => 9,
        "flags" => 10,
        _ => 0,
    };

    private static Command[] ParseTransfers(ref Utf8JsonReader reader, Func<string, uint?> coinNumber)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ProblemException(Bad, ProblemCodes.InvalidField, "Invalid field", "'transfers' must be an array");
        }

        var list = new List<Command>();
        string? lastSymbol = null;
        uint lastCoin = 0;
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            var index = list.Count;
            if (index >= LedgerState.MaxBatchSize)
            {
                throw new ProblemException(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BatchTooLarge, "Batch too large",
                    $"a batch holds at most {LedgerState.MaxBatchSize} transfers");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProblemException(Bad, ProblemCodes.InvalidField, "Invalid field", "each transfer must be an object", index);
            }

            var t = new Transfer();
            var seen = 0; // one bit per field below, to refuse repeats
            bool hasId = false, hasAmount = false;
            string? coinSymbol = null;
            while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                var bit = 1 << FieldBit(name);
                if ((seen & bit) != 0 && bit != 1)
                {
                    throw Duplicate(name, index);
                }

                seen |= bit;
                Read(ref reader);
                switch (name)
                {
                    case "id":
                        t = t with { Id = U128(ref reader, "id", index, ProblemCodes.InvalidField) };
                        hasId = true;
                        break;
                    case "debit":
                        t = t with { DebitAccount = Addr(ref reader, "debit", index) };
                        break;
                    case "credit":
                        t = t with { CreditAccount = Addr(ref reader, "credit", index) };
                        break;
                    case "coin":
                        coinSymbol = Str(ref reader, "coin", index);
                        break;
                    case "amount":
                        t = t with { Amount = U128(ref reader, "amount", index, ProblemCodes.AmountOutOfRange) };
                        hasAmount = true;
                        break;
                    case "pendingId":
                        t = t with { PendingId = U128(ref reader, "pendingId", index, ProblemCodes.InvalidField) };
                        break;
                    case "memo":
                        t = t with { Memo = U128(ref reader, "memo", index, ProblemCodes.InvalidField) };
                        break;
                    case "timeout":
                        t = t with { Timeout = (uint)Small(ref reader, "timeout", index, uint.MaxValue) };
                        break;
                    case "code":
                        t = t with { Code = (ushort)Small(ref reader, "code", index, ushort.MaxValue) };
                        break;
                    case "flags":
                        t = t with { Flags = Flags(ref reader, index) };
                        break;
                    default:
                        throw new ProblemException(Bad, ProblemCodes.UnknownField, "Unknown field", $"unknown field '{name}'", index);
                }
            }

            if (!hasId)
            {
                throw new ProblemException(Bad, ProblemCodes.MissingField, "Missing field", "'id' is required", index);
            }

            var twoPhase = (t.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0;
            if (coinSymbol is not null)
            {
                if (coinSymbol != lastSymbol)
                {
                    lastCoin = coinNumber(coinSymbol) ?? throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.CoinNotFound, "Unknown coin", $"no coin '{coinSymbol}'", index);
                    lastSymbol = coinSymbol;
                }

                t = t with { Coin = lastCoin };
            }
            else if (!twoPhase)
            {
                throw new ProblemException(Bad, ProblemCodes.MissingField, "Missing field", "'coin' is required", index);
            }

            if (!twoPhase)
            {
                if (!hasAmount)
                {
                    throw new ProblemException(Bad, ProblemCodes.MissingField, "Missing field", "'amount' is required", index);
                }

                if (t.DebitAccount.IsZero || t.CreditAccount.IsZero)
                {
                    throw new ProblemException(Bad, ProblemCodes.MissingField, "Missing field", "'debit' and 'credit' addresses are required", index);
                }
            }

            var code = StatelessCheck(t, twoPhase);
            if (code != ResultCode.Ok)
            {
                throw new ProblemException(code == ResultCode.AmountMustNotBeZero ? StatusCodes.Status422UnprocessableEntity : Bad, code.ToProblemCode(), "Invalid transfer", $"transfer {index}: {code.ToProblemCode()}", index);
            }

            list.Add(Command.Of(t));
        }

        if (list.Count == 0)
        {
            throw new ProblemException(Bad, ProblemCodes.BatchEmpty, "Empty batch", "'transfers' holds no transfer");
        }

        return [.. list];
    }

    /// <summary>The ledger's own stateless checks, done early so a bad request is refused as a whole.</summary>
    private static ResultCode StatelessCheck(in Transfer t, bool twoPhase)
    {
        if (t.Id == UInt128.Zero)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (t.Id == UInt128.MaxValue)
        {
            return ResultCode.IdMustNotBeMax;
        }

        var phase = t.Flags & (TransferFlags.Pending | TransferFlags.PostPending | TransferFlags.VoidPending);
        if (System.Numerics.BitOperations.PopCount((uint)phase) > 1)
        {
            return ResultCode.FlagsAreMutuallyExclusive;
        }

        if (twoPhase)
        {
            if (t.PendingId == UInt128.Zero)
            {
                return ResultCode.PendingIdMustNotBeZero;
            }

            return t.Timeout != 0 ? ResultCode.TimeoutReservedForPendingTransfer : ResultCode.Ok;
        }

        if (t.PendingId != UInt128.Zero)
        {
            return ResultCode.PendingIdMustBeZero;
        }

        if (t.Timeout != 0 && (t.Flags & TransferFlags.Pending) == 0)
        {
            return ResultCode.TimeoutReservedForPendingTransfer;
        }

        if (t.Amount == UInt128.Zero)
        {
            return ResultCode.AmountMustNotBeZero;
        }

        return t.DebitAccount == t.CreditAccount ? ResultCode.AccountsMustBeDifferent : ResultCode.Ok;
    }

    private static TransferFlags Flags(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid("flags", "an array of strings", index);
        }

        var flags = TransferFlags.None;
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid("flags", "an array of strings", index);
            }

            flags |= reader.GetString() switch
            {
                "linked" => TransferFlags.Linked,
                "pending" => TransferFlags.Pending,
                "post_pending" => TransferFlags.PostPending,
                "void_pending" => TransferFlags.VoidPending,
                var other => throw new ProblemException(Bad, ProblemCodes.InvalidField, "Invalid field",
                    $"unknown flag '{other}' (expected linked, pending, post_pending, void_pending)", index),
            };
        }

        return flags;
    }

    private static string Str(ref Utf8JsonReader reader, string field, int index) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Invalid(field, "a string", index);

    private static Address Addr(ref Utf8JsonReader reader, string field, int index)
    {
        var s = Str(ref reader, field, index);
        return Address.TryParse(s, out var a) && !a.IsZero
            ? a
            : throw new ProblemException(Bad, ProblemCodes.InvalidAddress, "Invalid address",
                $"'{field}' must be a non-zero 0x-prefixed 20-byte address with a valid EIP-55 checksum", index);
    }

    private static ulong Small(ref Utf8JsonReader reader, string field, int index, ulong max)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var v) && v <= max)
        {
            return v;
        }

        throw Invalid(field, $"an integer from 0 to {max}", index);
    }

    /// <summary>A 128-bit unsigned integer: a decimal or 0x-hex JSON string (a JSON number is refused).</summary>
    private static UInt128 U128(ref Utf8JsonReader reader, string field, int index, string overflowCode)
    {
        ReadOnlySpan<byte> text;
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.HasValueSequence || reader.ValueIsEscaped)
            {
                return ParseU128(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!), field, index, overflowCode);
            }

            text = reader.ValueSpan;
        }
        else
        {
            // The one rule of text fields (JsonStringFields): a JSON number is refused, never read — most clients
            // have already rounded it above 2^53 before it was sent.
            throw Invalid(field, reader.TokenType == JsonTokenType.Number
                ? "a JSON string (decimal digits or 0x-hex): a JSON number loses precision above 2^53 in most clients"
                : "a JSON string (decimal digits or 0x-hex)", index);
        }

        return ParseU128(text, field, index, overflowCode);
    }

    /// <summary>The one unsigned-integer grammar (<see cref="UnsignedText"/>) with this field's problem codes
    /// (<see cref="FieldGrammar.Unsigned(ReadOnlySpan{byte}, string, int?, string)"/>).</summary>
    internal static UInt128 ParseU128(ReadOnlySpan<byte> text, string field, int index, string overflowCode) =>
        FieldGrammar.Unsigned(text, field, index, overflowCode);

    private static ProblemException Invalid(string field, string expected, int index) =>
        new(Bad, ProblemCodes.InvalidField, "Invalid field", $"'{field}' must be {expected}", index);

    private static ProblemException Malformed(string detail) => new(Bad, ProblemCodes.MalformedJson, "Malformed JSON", detail);

    private static bool Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw Malformed("unexpected end of JSON");
        }

        return true;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw Malformed(what);
        }
    }
}
