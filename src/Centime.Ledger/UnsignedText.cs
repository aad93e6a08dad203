namespace Centime.Ledger;

/// <summary>What is wrong with an unsigned integer's text (<see cref="UnsignedText"/>).</summary>
public enum UnsignedTextError : byte
{
    /// <summary>Parsed.</summary>
    None = 0,

    /// <summary>Empty, or not decimal digits / 0x-hex digits (a sign other than '-', space, fraction, exponent, …).</summary>
    Malformed = 1,

    /// <summary>A '-' sign: the value is below zero.</summary>
    Negative = 2,

    /// <summary>The value does not fit in 128 bits.</summary>
    TooLarge = 3,
}

/// <summary>
/// The one grammar of unsigned 128-bit integers in request text, for every field kind carried as one (amounts, ids,
/// memos, pool and action ids), on every route (docs/api.md "Amounts, ids, memos"): decimal digits (leading zeros
/// allowed, at most 80 characters), or <c>0x</c>/<c>0X</c> followed by 1–32 hex digits. No sign, whitespace, fraction,
/// exponent or digit separators. Callers map the error to their field's problem code and check their own range
/// (e.g. <see cref="LedgerState.MaxSupply"/>); this class answers only what the text says.
/// </summary>
public static class UnsignedText
{
    private const int MaxDecimalLength = 80;
    private static readonly UInt128 MaxOverTen = UInt128.MaxValue / 10;
    private static readonly uint MaxModTen = (uint)(UInt128.MaxValue % 10);

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    /// <summary>Parses UTF-8 text (the request parsers' hot path: no allocation).</summary>
    public static UnsignedTextError TryParse(ReadOnlySpan<byte> text, out UInt128 value)
    {
        value = UInt128.Zero;
        if (text.Length > 2 && text[0] == (byte)'0' && (text[1] | 0x20) == (byte)'x')
        {
            var hex = text[2..];
            if (hex.Length > 32)
            {
                // Leading zeros beyond 32 digits are refused too: one spelling per width, as the ledger prints it.
                return UnsignedTextError.TooLarge;
            }

            UInt128 h = 0;
            foreach (var c in hex)
            {
                var d = c switch
                {
                    >= (byte)'0' and <= (byte)'9' => c - '0',
                    >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                    >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                    _ => -1,
                };
                if (d < 0)
                {
                    return UnsignedTextError.Malformed;
                }

                h = (h << 4) | (uint)d;
            }

            value = h;
            return UnsignedTextError.None;
        }

        if (text.IsEmpty)
        {
            return UnsignedTextError.Malformed;
        }

        if (text[0] == (byte)'-')
        {
            return text.Length > 1 && IsDigits(text[1..]) ? UnsignedTextError.Negative : UnsignedTextError.Malformed;
        }

        if (!IsDigits(text))
        {
            return UnsignedTextError.Malformed;
        }

        if (text.Length > MaxDecimalLength)
        {
            return UnsignedTextError.TooLarge;
        }

        return TryDecimal(text, out value) ? UnsignedTextError.None : UnsignedTextError.TooLarge;
    }

    /// <summary>
    /// The value of a run of decimal digits (already checked to be digits); false when it does not fit. Ids and amounts
    /// are parsed 16,000 times per batch, so up to 19 digits (always below 2^64) are accumulated in a <c>ulong</c>, and
    /// longer runs compare against a constant instead of dividing 128-bit numbers at every digit.
    /// </summary>
    private static bool TryDecimal(ReadOnlySpan<byte> digits, out UInt128 value)
    {
        if (digits.Length <= 19)
        {
            ulong small = 0;
            foreach (var c in digits)
            {
                small = (small * 10) + (uint)(c - '0');
            }

            value = small;
            return true;
        }

        UInt128 v = 0;
        foreach (var c in digits)
        {
            var digit = (uint)(c - '0');
            if (v > MaxOverTen || (v == MaxOverTen && digit > MaxModTen))
            {
                value = UInt128.Zero;
                return false;
            }

            v = (v * 10) + digit;
        }

        value = v;
        return true;
    }

    /// <summary>Parses text (a JSON string already decoded); anything outside ASCII is malformed.</summary>
    public static UnsignedTextError TryParse(ReadOnlySpan<char> text, out UInt128 value)
    {
        value = UInt128.Zero;
        if (text.Length > MaxDecimalLength + 1)
        {
            // Still tell a long run of digits (too large) from junk (malformed).
            return text.TrimStart('-').ContainsAnyExcept(Digits) ? UnsignedTextError.Malformed : text[0] == '-' ? UnsignedTextError.Negative : UnsignedTextError.TooLarge;
        }

        Span<byte> ascii = stackalloc byte[MaxDecimalLength + 1];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 127)
            {
                return UnsignedTextError.Malformed;
            }

            ascii[i] = (byte)text[i];
        }

        return TryParse(ascii[..text.Length], out value);
    }

    private static bool IsDigits(ReadOnlySpan<byte> text)
    {
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }
}
