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

    private enum Field
    {
        Unknown = 0,
        Id,
        Debit,
        Credit,
        Coin,
        Amount,
        PendingId,
        Memo,
        Timeout,
        Code,
        Flags,
    }

    /// <summary>The field a property name names, compared on its UTF-8 bytes (no string per property: a batch has
    /// 40,000 of them). <see cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/> unescapes, so
    /// <c>"\u0069d"</c> is still <c>id</c>.</summary>
    private static Field FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? Field.Id
        : reader.ValueTextEquals("coin"u8) ? Field.Coin
        : reader.ValueTextEquals("debit"u8) ? Field.Debit
        : reader.ValueTextEquals("credit"u8) ? Field.Credit
        : reader.ValueTextEquals("amount"u8) ? Field.Amount
        : reader.ValueTextEquals("pendingId"u8) ? Field.PendingId
        : reader.ValueTextEquals("memo"u8) ? Field.Memo
        : reader.ValueTextEquals("timeout"u8) ? Field.Timeout
        : reader.ValueTextEquals("code"u8) ? Field.Code
        : reader.ValueTextEquals("flags"u8) ? Field.Flags
        : Field.Unknown;

    private static readonly string[] FieldNames = ["", "id", "debit", "credit", "coin", "amount", "pendingId", "memo", "timeout", "code", "flags"];

    private static Command[] ParseTransfers(ref Utf8JsonReader reader, Func<string, uint?> coinNumber)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ProblemException(Bad, ProblemCodes.InvalidField, "Invalid field", "'transfers' must be an array");
        }

        var list = new List<Command>();
        byte[]? lastSymbol = null;
        uint lastCoin = 0;
        Dictionary<Address, ulong>? checksums = null;
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

            UInt128 id = 0, amount = 0, pendingId = 0, memo = 0;
            Address debit = default, credit = default;
            uint timeout = 0;
            ushort code = 0;
            var flags = TransferFlags.None;
            var seen = 0; // one bit per field, to refuse repeats
            bool hasId = false, hasAmount = false, hasCoin = false;
            while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = FieldOf(ref reader);
                if (field == Field.Unknown)
                {
                    throw new ProblemException(Bad, ProblemCodes.UnknownField, "Unknown field", $"unknown field '{reader.GetString()}'", index);
                }

                var bit = 1 << (int)field;
                if ((seen & bit) != 0)
                {
                    throw Duplicate(FieldNames[(int)field], index);
                }

                seen |= bit;
                Read(ref reader);
                switch (field)
                {
                    case Field.Id:
                        id = U128(ref reader, "id", index, ProblemCodes.InvalidField);
                        hasId = true;
                        break;
                    case Field.Debit:
                        debit = Addr(ref reader, "debit", index, ref checksums);
                        break;
                    case Field.Credit:
                        credit = Addr(ref reader, "credit", index, ref checksums);
                        break;
                    case Field.Coin:
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            throw Invalid("coin", "a string", index);
                        }

                        // Batches are usually of one coin: compare bytes with the last symbol before allocating one.
                        if (lastSymbol is null || !reader.ValueTextEquals(lastSymbol))
                        {
                            var symbol = reader.GetString()!;
                            lastCoin = coinNumber(symbol) ?? throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.CoinNotFound, "Unknown coin", $"no coin '{symbol}'", index);
                            lastSymbol = System.Text.Encoding.UTF8.GetBytes(symbol);
                        }

                        hasCoin = true;
                        break;
                    case Field.Amount:
                        amount = U128(ref reader, "amount", index, ProblemCodes.AmountOutOfRange);
                        hasAmount = true;
                        break;
                    case Field.PendingId:
                        pendingId = U128(ref reader, "pendingId", index, ProblemCodes.InvalidField);
                        break;
                    case Field.Memo:
                        memo = U128(ref reader, "memo", index, ProblemCodes.InvalidField);
                        break;
                    case Field.Timeout:
                        timeout = (uint)Small(ref reader, "timeout", index, uint.MaxValue);
                        break;
                    case Field.Code:
                        code = (ushort)Small(ref reader, "code", index, ushort.MaxValue);
                        break;
                    case Field.Flags:
                        flags = Flags(ref reader, index);
                        break;
                }
            }

            var t = new Transfer
            {
                Id = id,
                DebitAccount = debit,
                CreditAccount = credit,
                Amount = amount,
                PendingId = pendingId,
                Memo = memo,
                Coin = hasCoin ? lastCoin : 0,
                Timeout = timeout,
                Code = code,
                Flags = flags,
            };

            if (!hasId)
            {
                throw new ProblemException(Bad, ProblemCodes.MissingField, "Missing field", "'id' is required", index);
            }

            var twoPhase = (t.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0;
            if (!hasCoin && !twoPhase)
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

            var check = StatelessCheck(t, twoPhase);
            if (check != ResultCode.Ok)
            {
                throw new ProblemException(check == ResultCode.AmountMustNotBeZero ? StatusCodes.Status422UnprocessableEntity : Bad, check.ToProblemCode(), "Invalid transfer", $"transfer {index}: {check.ToProblemCode()}", index);
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

    /// <summary>
    /// An address; a mixed-case one must carry its EIP-55 checksum. The checksum costs a Keccak-256, and a batch names
    /// the same few addresses thousands of times, so each address's checksum is computed once per batch
    /// (<paramref name="checksums"/>) and compared as a bit mask of upper-case letters.
    /// </summary>
    private static Address Addr(ref Utf8JsonReader reader, string field, int index, ref Dictionary<Address, ulong>? checksums)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Invalid(field, "a string", index);
        }

        var text = reader.ValueSpan;
        if (reader.HasValueSequence || reader.ValueIsEscaped)
        {
            return Address.TryParse(reader.GetString(), out var slow) && !slow.IsZero ? slow : throw InvalidAddress(field, index);
        }

        if (text.Length != 42 || text[0] != (byte)'0' || (text[1] != (byte)'x' && text[1] != (byte)'X')
            || !Address.TryParseDigits(text[2..], out var address, out var upperLetters, out var mixedCase) || address.IsZero)
        {
            throw InvalidAddress(field, index);
        }

        if (mixedCase)
        {
            checksums ??= [];
            ref var expected = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(checksums, address, out var known);
            if (!known)
            {
                expected = address.ChecksumUpperLetters();
            }

            if (expected != upperLetters)
            {
                throw InvalidAddress(field, index);
            }
        }

        return address;
    }

    private static ProblemException InvalidAddress(string field, int index) =>
        new(Bad, ProblemCodes.InvalidAddress, "Invalid address", $"'{field}' must be a non-zero 0x-prefixed 20-byte address with a valid EIP-55 checksum", index);

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
