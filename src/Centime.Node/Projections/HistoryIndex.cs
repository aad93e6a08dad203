using System.Runtime.InteropServices;
using Centime.Ledger;

namespace Centime.Node.Projections;

/// <summary>
/// Account history: for each (coin, address), the positions in <see cref="LedgerState.Transfers"/> of the
/// transfers that touched it, oldest first. Built at start-up from the recovered state (no journal scan) and
/// extended after every committed block. Guarded by the sequencer's state lock like the state itself.
/// </summary>
public sealed class HistoryIndex
{
    private readonly Dictionary<AccountKey, List<int>> _byAccount = [];

    /// <summary>Indexes transfers [first, first+count) of <paramref name="state"/>.</summary>
    public void Add(LedgerState state, int first, int count)
    {
        var transfers = state.Transfers;
        for (var i = first; i < first + count; i++)
        {
            var t = transfers[i].Transfer;
            Append(new AccountKey(t.Coin, t.DebitAccount), i);
            Append(new AccountKey(t.Coin, t.CreditAccount), i);
        }
    }

    private void Append(AccountKey key, int index)
    {
        ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_byAccount, key, out _);
        list ??= new List<int>(4);
        list.Add(index);
    }

    /// <summary>Newest-first page of transfer positions strictly before <paramref name="before"/> (exclusive; null = from the newest).</summary>
    public IReadOnlyList<int> Page(AccountKey key, int? before, int limit)
    {
        if (!_byAccount.TryGetValue(key, out var list) || list.Count == 0)
        {
            return [];
        }

        var end = list.Count - 1;
        if (before is int b)
        {
            var pos = list.BinarySearch(b);
            end = (pos >= 0 ? pos : ~pos) - 1;
        }

        var page = new List<int>(Math.Min(limit, end + 1));
        for (var i = end; i >= 0 && page.Count < limit; i--)
        {
            page.Add(list[i]);
        }

        return page;
    }

    public int Count(AccountKey key) => _byAccount.TryGetValue(key, out var list) ? list.Count : 0;
}
