using System.Runtime.InteropServices;
using Centime.Ledger;

namespace Centime.Node.Projections;

/// <summary>
/// Account history: for each (coin, address), the positions in <see cref="LedgerState.Transfers"/> of the
/// transfers that touched it, oldest first. Built at start-up from the recovered state (no journal scan) and
/// extended after every committed block.
/// <para>It has its own lock: it is written on the durability thread (inside the state's read section, which
/// does not exclude readers) while request threads read it. A plain dictionary read during a rehash loses keys,
/// so acknowledged transfers went missing from history (HistoryProjectionTests). Writers hold the lock for one
/// block's appends, readers for one page.</para>
/// </summary>
public sealed class HistoryIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<AccountKey, List<int>> _byAccount = [];

    /// <summary>Indexes transfers [first, first+count) of <paramref name="state"/> (the caller holds a read
    /// section on the state, or owns it).</summary>
    public void Add(LedgerState state, int first, int count)
    {
        var transfers = state.Transfers;
        lock (_lock)
        {
            for (var i = first; i < first + count; i++)
            {
                var t = transfers[i].Transfer;
                Append(new AccountKey(t.Coin, t.DebitAccount), i);
                Append(new AccountKey(t.Coin, t.CreditAccount), i);
            }
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
        lock (_lock)
        {
            return PageLocked(key, before, limit);
        }
    }

    private List<int> PageLocked(AccountKey key, int? before, int limit)
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

    public int Count(AccountKey key)
    {
        lock (_lock)
        {
            return _byAccount.TryGetValue(key, out var list) ? list.Count : 0;
        }
    }
}
