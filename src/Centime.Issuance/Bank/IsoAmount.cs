using System.Globalization;
using System.Numerics;
using Centime.Ledger;

namespace Centime.Issuance.Bank;

/// <summary>
/// Exact money on bank files: an ISO 20022 amount text ("1250.75", currency "USD") becomes an integer number of a coin's
/// minor units and back. A bank amount may carry at most its currency's ISO 4217 minor-unit digits (USD 2, JPY 0,
/// BHD 3); more is refused, never rounded — a statement that says 10.005 USD is wrong, and the reserve book must not
/// guess which cent it meant.
/// </summary>
public static class IsoAmount
{
    /// <summary>ISO 4217 minor-unit digits of a currency (the standard's table; codes not listed use 2).</summary>
    public static int MinorDigits(string currency) => currency switch
    {
        "BIF" or "CLP" or "DJF" or "GNF" or "ISK" or "JPY" or "KMF" or "KRW" or "PYG" or "RWF" or "UGX" or "UYI" or "VND" or "VUV" or "XAF" or "XOF" or "XPF" => 0,
        "BHD" or "IQD" or "JOD" or "KWD" or "LYD" or "OMR" or "TND" => 3,
        "CLF" or "UYW" => 4,
        _ => 2,
    };

    /// <summary>
    /// Parses a non-negative ISO 20022 decimal amount (digits, optionally a point and digits; at most 18 digits in all,
    /// as the schema's totalDigits says) in <paramref name="currency"/> into minor units of a coin with
    /// <paramref name="coinDecimals"/> places. False with a reason for a malformed text, more fraction digits than the
    /// currency allows, a value the coin's decimals cannot hold exactly, or one above the ledger's maximum.
    /// </summary>
    public static bool TryParse(string? text, string currency, int coinDecimals, out UInt128 minorUnits, out string error)
    {
        minorUnits = UInt128.Zero;
        var s = text?.Trim() ?? "";
        var point = s.IndexOf('.', StringComparison.Ordinal);
        var whole = point < 0 ? s : s[..point];
        var fraction = point < 0 ? "" : s[(point + 1)..];
        if (whole.Length == 0 || (point >= 0 && fraction.Length == 0) || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit) || whole.Length + fraction.Length > 18)
        {
            error = $"'{text}' is not an ISO 20022 amount (digits with an optional decimal point, at most 18 digits)";
            return false;
        }

        var allowed = MinorDigits(currency);
        if (fraction.Length > allowed)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"'{s}' has {fraction.Length} decimal places; {currency} has {allowed}");
            return false;
        }

        if (fraction.Length > coinDecimals && fraction[coinDecimals..].Any(c => c != '0'))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"'{s}' {currency} cannot be held exactly in a coin with {coinDecimals} decimals");
            return false;
        }

        var digits = fraction.Length > coinDecimals ? fraction[..coinDecimals] : fraction.PadRight(coinDecimals, '0');
        var value = BigInteger.Parse(whole + digits, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > (BigInteger)LedgerState.MaxSupply)
        {
            error = $"'{s}' {currency} is above the most the ledger can hold";
            return false;
        }

        minorUnits = (UInt128)value;
        error = "";
        return true;
    }

    /// <summary>
    /// Minor units of a coin with <paramref name="coinDecimals"/> places as an ISO 20022 amount in
    /// <paramref name="currency"/>, with exactly the currency's minor-unit digits; null when the amount has finer
    /// digits than the currency can pay (a bank cannot transfer a fraction of a cent).
    /// </summary>
    public static string? Format(UInt128 minorUnits, string currency, int coinDecimals)
    {
        var allowed = MinorDigits(currency);
        var text = Coin.FormatWhole(minorUnits, coinDecimals);
        var point = text.IndexOf('.', StringComparison.Ordinal);
        var whole = point < 0 ? text : text[..point];
        var fraction = point < 0 ? "" : text[(point + 1)..];
        if (fraction.Length > allowed)
        {
            if (fraction[allowed..].Any(c => c != '0'))
            {
                return null;
            }

            fraction = fraction[..allowed];
        }

        fraction = fraction.PadRight(allowed, '0');
        return allowed == 0 ? whole : whole + "." + fraction;
    }
}
