namespace Centime.Ledger;

/// <summary>
/// A coin issued on this ledger. <see cref="Number"/> is its compact id in transfers (assigned in creation
/// order from 1). The EIP-712 domain is (<see cref="Name"/>, <see cref="Version"/>, node chain id,
/// <see cref="VerifyingContract"/>).
/// </summary>
public sealed record Coin
{
    /// <summary>Compact coin number used in transfers; 1-based, creation order.</summary>
    public required uint Number { get; init; }
    /// <summary>Ticker, 2–12 characters of A–Z and 0–9, starting with a letter (e.g. NUSD).</summary>
    public required string Symbol { get; init; }
    /// <summary>Decimal places of the minor unit (0–18; 6 by default, like USDC).</summary>
    public required byte Decimals { get; init; }
    /// <summary>ISO 4217 code of the fiat currency tracked (e.g. USD, HKD).</summary>
    public required string Currency { get; init; }
    /// <summary>EIP-712 domain name (e.g. "Net Dollar").</summary>
    public required string Name { get; init; }
    /// <summary>EIP-712 domain version.</summary>
    public required string Version { get; init; }
    /// <summary>
    /// A sandbox coin: unbacked test money, created on a node started in sandbox mode, which the operator key may mint
    /// and move with plain transfers there (docs/issuance.md, "Sandbox"). Never changes after creation.
    /// </summary>
    public bool Sandbox { get; init; }

    /// <summary>The coin's deterministic contract-like address, used as EIP-712 verifyingContract.</summary>
    public Address VerifyingContract => Address.Derive("coin:" + Symbol);

    /// <summary>The issuer supply account: the only account allowed to go negative; minus its balance is the circulating supply.</summary>
    public Address SupplyAccount => SupplyAccountOf(Symbol);

    /// <summary>The supply account address for a symbol.</summary>
    public static Address SupplyAccountOf(string symbol) => Address.Derive("supply:" + symbol);

    /// <summary>Checks a symbol's form.</summary>
    public static bool IsValidSymbol(string? symbol)
    {
        if (symbol is null || symbol.Length is < 2 or > 12 || symbol[0] is < 'A' or > 'Z')
        {
            return false;
        }

        foreach (var c in symbol)
        {
            if (c is not (>= 'A' and <= 'Z') and not (>= '0' and <= '9'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Minor units as whole coins with all <paramref name="decimals"/> places ("300.000000" for 300000000 at 6), exactly:
    /// how the CLI and the node's human summaries show amounts (the API's fields stay integers in minor units).
    /// </summary>
    public static string FormatWhole(UInt128 minorUnits, int decimals)
    {
        var digits = minorUnits.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        return decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
    }

    /// <summary>This coin's minor units as whole coins ("300.000000").</summary>
    public string FormatWhole(UInt128 minorUnits) => FormatWhole(minorUnits, Decimals);

    /// <summary>Checks an ISO 4217-shaped currency code (three capital letters).</summary>
    public static bool IsValidCurrency(string? currency) =>
        currency is { Length: 3 } && currency[0] is >= 'A' and <= 'Z' && currency[1] is >= 'A' and <= 'Z' && currency[2] is >= 'A' and <= 'Z';
}
