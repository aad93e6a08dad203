using System.Diagnostics.CodeAnalysis;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// The reserve assets backing one coin: bank cash, government bills, overnight repos, government money-market fund
/// shares. Amounts are in the book's minor units (<see cref="Currency"/> with <see cref="Decimals"/> places — use
/// the coin's, so the eligible total compares directly with the supply). Holdings are immutable records; a valuation
/// update swaps in a new record. Not thread-safe: one writer, or external locking.
/// </summary>
public sealed class ReserveBook
{
    private readonly List<ReserveHolding> _holdings = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    /// <summary>An empty book.</summary>
    /// <param name="currency">ISO 4217 code of the coin's currency.</param>
    /// <param name="decimals">Decimal places of the minor unit (the coin's decimals, 0–18).</param>
    public ReserveBook(string currency, byte decimals)
    {
        if (!Coin.IsValidCurrency(currency))
        {
            throw new ArgumentException($"'{currency}' is not an ISO 4217 currency code.", nameof(currency));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, (byte)18);
        Currency = currency;
        Decimals = decimals;
    }

    /// <summary>The currency the book's amounts are in (the coin's).</summary>
    public string Currency { get; }

    /// <summary>Decimal places of the book's minor unit.</summary>
    public byte Decimals { get; }

    /// <summary>Holdings in the order they were added.</summary>
    public IReadOnlyList<ReserveHolding> Holdings => _holdings;

    /// <summary>Adds a holding.</summary>
    /// <exception cref="ArgumentException">The id is taken, or the holding is invalid.</exception>
    public void Add(ReserveHolding holding)
    {
        ArgumentNullException.ThrowIfNull(holding);
        holding.Validate();
        if (_index.ContainsKey(holding.Id))
        {
            throw new ArgumentException($"The book already has a holding '{holding.Id}'.", nameof(holding));
        }

        _index.Add(holding.Id, _holdings.Count);
        _holdings.Add(holding);
    }

    /// <summary>Replaces the holding with the same id and kind (e.g. after a revaluation or a partial sale).</summary>
    /// <exception cref="KeyNotFoundException">No holding has this id.</exception>
    /// <exception cref="ArgumentException">The kind differs, or the holding is invalid.</exception>
    public void Replace(ReserveHolding holding)
    {
        ArgumentNullException.ThrowIfNull(holding);
        var index = IndexOf(holding.Id);
        if (_holdings[index].GetType() != holding.GetType())
        {
            throw new ArgumentException($"Holding '{holding.Id}' is a {_holdings[index].GetType().Name}, not a {holding.GetType().Name}.", nameof(holding));
        }

        holding.Validate();
        _holdings[index] = holding;
    }

    /// <summary>Removes a holding (sold, matured, withdrawn); false when there was none.</summary>
    public bool Remove(string id)
    {
        if (!_index.Remove(id, out var index))
        {
            return false;
        }

        _holdings.RemoveAt(index);
        for (var i = index; i < _holdings.Count; i++)
        {
            _index[_holdings[i].Id] = i;
        }

        return true;
    }

    /// <summary>Finds a holding by id.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out ReserveHolding? holding)
    {
        if (_index.TryGetValue(id, out var index))
        {
            holding = _holdings[index];
            return true;
        }

        holding = null;
        return false;
    }

    /// <summary>Valuation update: a bank balance as confirmed on <paramref name="valuedOn"/>.</summary>
    public void UpdateBalance(string id, UInt128 amount, DateOnly valuedOn) =>
        Replace(Get<BankDeposit>(id) with { Amount = amount, ValuedOn = valuedOn });

    /// <summary>Valuation update: a bill's market price on <paramref name="valuedOn"/>.</summary>
    public void UpdatePrice(string id, Price price, DateOnly valuedOn) =>
        Replace(Get<TreasuryBill>(id) with { Price = price, ValuedOn = valuedOn });

    /// <summary>Valuation update: a repo's collateral marked to market on <paramref name="valuedOn"/>.</summary>
    public void UpdateCollateralValue(string id, UInt128 collateralValue, DateOnly valuedOn) =>
        Replace(Get<OvernightRepo>(id) with { CollateralValue = collateralValue, ValuedOn = valuedOn });

    /// <summary>Valuation update: a fund's NAV per unit on <paramref name="valuedOn"/>.</summary>
    public void UpdateNav(string id, UInt128 navPerUnit, DateOnly valuedOn) =>
        Replace(Get<GovernmentMoneyMarketFund>(id) with { NavPerUnit = navPerUnit, ValuedOn = valuedOn });

    private T Get<T>(string id)
        where T : ReserveHolding =>
        _holdings[IndexOf(id)] as T ?? throw new ArgumentException($"Holding '{id}' is a {_holdings[IndexOf(id)].GetType().Name}, not a {typeof(T).Name}.", nameof(id));

    private int IndexOf(string id) =>
        _index.TryGetValue(id, out var index) ? index : throw new KeyNotFoundException($"The book has no holding '{id}'.");
}
