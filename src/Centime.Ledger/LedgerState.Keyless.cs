namespace Centime.Ledger;

public sealed partial class LedgerState
{
    // Addresses nobody holds a key to, derived from the coins (docs/architecture.md, "Address derivation"): each coin's
    // verifying contract and supply account. An account at one of them is flagged Keyless (except a coin's own supply
    // account, which is how mint and burn work); the set is rebuilt from the coins, never stored.
    private readonly HashSet<Address> _keylessAddresses = [];

    /// <summary>True when nobody holds a key to <paramref name="address"/>: it is a coin's verifying contract or supply
    /// account. From <see cref="LedgerRules.HolderProtections"/> on no transfer credits such an address (other than a
    /// coin's own supply account, by a burn).</summary>
    public bool IsKeyless(Address address) => _keylessAddresses.Count != 0 && _keylessAddresses.Contains(address);

    /// <summary>The accounts (any coin) at addresses nobody holds a key to, with what they hold: coins that reached them
    /// under rules before <see cref="LedgerRules.HolderProtections"/> stay there, visible, until a lawful order moves them.</summary>
    public IReadOnlyList<Account> KeylessAccounts()
    {
        var found = new List<Account>();
        foreach (var address in _keylessAddresses)
        {
            foreach (var coin in _coins)
            {
                if (TryGetAccount(coin.Number, address, out var account) && (account.Flags & AccountFlags.Keyless) != 0)
                {
                    found.Add(account);
                }
            }
        }

        found.Sort(static (a, b) => a.Key.Coin != b.Key.Coin ? a.Key.Coin.CompareTo(b.Key.Coin) : a.Key.Address.CompareTo(b.Key.Address));
        return found;
    }

    private void AddKeylessAddresses(Coin coin)
    {
        _keylessAddresses.Add(coin.VerifyingContract);
        _keylessAddresses.Add(coin.SupplyAccount);

        // Both addresses are predictable before the coin exists, so accounts may already be there: flag them too.
        foreach (var other in _coins)
        {
            FlagKeyless(new AccountKey(other.Number, coin.VerifyingContract));
            FlagKeyless(new AccountKey(other.Number, coin.SupplyAccount));
        }
    }

    private void FlagKeyless(AccountKey key)
    {
        if (_accountIndex.TryGetValue(key, out var index) && (_accounts[index].Flags & AccountFlags.Supply) == 0)
        {
            _accounts[index].Flags |= AccountFlags.Keyless;
        }
    }

    /// <summary>After reading a snapshot (which does not store the flag): rebuild the set and flag its accounts.</summary>
    private void RestoreKeyless()
    {
        foreach (var coin in _coins)
        {
            _keylessAddresses.Add(coin.VerifyingContract);
            _keylessAddresses.Add(coin.SupplyAccount);
        }

        // Look the addresses up in every coin, or scan the accounts once when that is fewer lookups.
        if ((long)_keylessAddresses.Count * _coins.Count <= _accountCount)
        {
            foreach (var address in _keylessAddresses)
            {
                foreach (var coin in _coins)
                {
                    FlagKeyless(new AccountKey(coin.Number, address));
                }
            }
        }
        else
        {
            for (var i = 0; i < _accountCount; i++)
            {
                if (_keylessAddresses.Contains(_accounts[i].Key.Address) && (_accounts[i].Flags & AccountFlags.Supply) == 0)
                {
                    _accounts[i].Flags |= AccountFlags.Keyless;
                }
            }
        }
    }
}
