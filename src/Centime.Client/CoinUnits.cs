using Centime.Ledger;
using System.Globalization;
using System.Numerics;

namespace Centime.Client;

/// <summary>
/// Exact conversion between human amounts ("12.50") and minor units (12500000 at 6 decimals). Never uses
/// floating point; refuses more fractional digits than the coin has instead of rounding.
/// </summary>
public static class CoinUnits
{
    /// <summary>Parses a non-negative decimal amount in whole coins into minor units.</summary>
    public static bool TryParse(string text, int decimals, out UInt128 minorUnits, out string? error)
    {
        minorUnits = 0;
        error = null;
        text = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (text.Length == 0 || text.StartsWith('-') || text.StartsWith('+'))
        {
            error = "the amount must be a non-negative decimal number, e.g. 12.50";
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length > 2 || parts[0].Length == 0 && (parts.Length == 1 || parts[1].Length == 0)
            || !parts.All(p => p.All(char.IsAsciiDigit)))
        {
            error = $"'{text}' is not a decimal number";
            return false;
        }

        var fraction = parts.Length == 2 ? parts[1] : "";
        if (fraction.Length > decimals)
        {
            error = $"'{text}' has {fraction.Length} decimal places; this coin has {decimals}";
            return false;
        }

        var digits = (parts[0].Length == 0 ? "0" : parts[0]) + fraction.PadRight(decimals, '0');
        var value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > (BigInteger)UInt128.MaxValue)
        {
            error = "the amount does not fit in 128 bits of minor units";
            return false;
        }

        minorUnits = (UInt128)value;
        return true;
    }

    /// <summary>Formats a signed minor-unit amount (decimal string) as whole coins with all decimals.</summary>
    public static string Format(string minorUnits, int decimals)
    {
        var value = BigInteger.Parse(minorUnits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return (value.Sign < 0 ? "-" : "") + Coin.FormatWhole((UInt128)BigInteger.Abs(value), decimals);
    }
}
