using System.Globalization;
using Centime.Ledger;

namespace Centime.Node.Api;

/// <summary>
/// One grammar per field kind of a request, returning the value or a problem with a code from
/// <see cref="ProblemCodes"/> (docs/errors.md): amounts, ids, addresses, dates, cursors and deadlines read the same
/// on every route. Unsigned integers follow <see cref="UnsignedText"/> (decimal or 0x-hex, docs/api.md); amounts are
/// then bounded by <see cref="LedgerState.MaxSupply"/>.
/// </summary>
internal static class FieldGrammar
{
    /// <summary>An unsigned 128-bit integer; <paramref name="rangeCode"/> is the code for negative or too large values
    /// (<see cref="ProblemCodes.AmountOutOfRange"/> for amounts, <see cref="ProblemCodes.InvalidField"/> for ids).</summary>
    public static UInt128 Unsigned(ReadOnlySpan<byte> text, string field, int? index, string rangeCode) =>
        UnsignedText.TryParse(text, out var value) switch
        {
            UnsignedTextError.None => value,
            UnsignedTextError.Negative => throw new ProblemException(400, rangeCode, "Out of range", $"'{field}' must not be negative", index),
            UnsignedTextError.TooLarge => throw new ProblemException(400, rangeCode, "Out of range", $"'{field}' does not fit in 128 bits (max {UInt128.MaxValue})", index),
            _ => throw Invalid(field, "a non-negative integer (decimal digits, or 0x-hex)", index),
        };

    /// <summary>Like <see cref="Unsigned(ReadOnlySpan{byte}, string, int?, string)"/> for a decoded JSON string.</summary>
    public static UInt128 Unsigned(string? text, string field, int? index, string rangeCode) =>
        UnsignedText.TryParse(Required(text, field, index).AsSpan(), out var value) switch
        {
            UnsignedTextError.None => value,
            UnsignedTextError.Negative => throw new ProblemException(400, rangeCode, "Out of range", $"'{field}' must not be negative", index),
            UnsignedTextError.TooLarge => throw new ProblemException(400, rangeCode, "Out of range", $"'{field}' does not fit in 128 bits (max {UInt128.MaxValue})", index),
            _ => throw Invalid(field, "a non-negative integer (decimal digits, or 0x-hex)", index),
        };

    /// <summary>An amount of minor units: at most <see cref="LedgerState.MaxSupply"/>, and not zero unless
    /// <paramref name="allowZero"/>.</summary>
    public static UInt128 Amount(string? text, string field, bool allowZero = false, int? index = null)
    {
        var amount = Unsigned(text, field, index, ProblemCodes.AmountOutOfRange);
        if (amount > LedgerState.MaxSupply)
        {
            throw new ProblemException(400, ProblemCodes.AmountOutOfRange, "Amount out of range", $"'{field}' is above 2^127 − 1 minor units", index);
        }

        return amount > UInt128.Zero || allowZero ? amount : throw Invalid(field, "a positive amount of minor units (not zero)", index);
    }

    /// <summary>A 128-bit id (transfer, contract, swap, action): not zero.</summary>
    public static UInt128 Id(string? text, string field, int? index = null)
    {
        var id = Unsigned(text, field, index, ProblemCodes.InvalidField);
        return id != UInt128.Zero ? id : throw Invalid(field, "a 128-bit id, not 0", index);
    }

    /// <summary>A 0x-prefixed 20-byte address with a valid EIP-55 checksum (or all one case).</summary>
    public static Address Address(string? text, string field, int? index = null) => Centime.Ledger.Address.TryParse(Required(text, field, index), out var a)
        ? a
        : throw new ProblemException(400, ProblemCodes.InvalidAddress, "Invalid address", $"'{field}': '{Shorten(text!)}' is not a 0x-prefixed 20-byte address with a valid EIP-55 checksum", index);

    /// <summary>A calendar date, <c>yyyy-MM-dd</c>.</summary>
    public static DateOnly Date(string? text, string field) =>
        DateOnly.TryParseExact(Required(text, field, null), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : throw Invalid(field, "a date, yyyy-MM-dd", null);

    /// <summary>A page cursor: a value a list answered as <c>next</c> (<see cref="Paging"/>), read back as the key it
    /// stands for; anything else is <see cref="ProblemCodes.InvalidCursor"/>.</summary>
    public static string Cursor(string text) => Paging.Decode(text) ?? throw Paging.BadCursor();

    /// <summary>A deadline or duration in whole seconds, given as a JSON number or a decimal string: 1 … <paramref name="max"/>.</summary>
    public static ulong Seconds(string? text, string field, ulong max)
    {
        var s = Unsigned(text, field, null, ProblemCodes.InvalidField);
        return s > UInt128.Zero && s <= max ? (ulong)s : throw Invalid(field, $"a whole number of seconds, 1 to {max}", null);
    }

    public static string Required(string? text, string field, int? index) =>
        text ?? throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", $"'{field}' is required", index);

    public static ProblemException Invalid(string field, string expected, int? index) =>
        new(400, ProblemCodes.InvalidField, "Invalid field", $"'{field}' must be {expected}", index);

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
