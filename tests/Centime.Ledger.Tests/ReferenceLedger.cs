using System.Numerics;

namespace Centime.Ledger.Tests;

/// <summary>
/// A deliberately simple re-implementation of the ledger rules, used as the oracle in property tests.
/// It shares no code with <see cref="LedgerState"/> beyond the public value types: balances are
/// <see cref="BigInteger"/> (overflow is "result would exceed 2^128 − 1", not a subtraction trick), holds expire
/// by scanning every transfer, and a linked chain is rolled back by restoring a deep copy taken before it,
/// instead of an undo log.
/// </summary>
internal sealed class ReferenceLedger
{
    private static readonly BigInteger MaxAmount = (BigInteger)UInt128.MaxValue;
    private static readonly BigInteger MaxTime = ulong.MaxValue;

    private State _s = new();

    internal sealed class Acc
    {
        public BigInteger Dp;
        public BigInteger Cp;
        public BigInteger Dpend;
        public BigInteger Cpend;
        public bool Frozen;
        public bool Supply;

        public Acc Clone() => (Acc)MemberwiseClone();
    }

    internal sealed record Stored(Transfer Transfer, HoldState Hold, ulong ExpiresAt);

    private sealed class State
    {
        public List<string> Coins = [];
        public Dictionary<AccountKey, Acc> Accounts = [];
        public List<AccountKey> AccountOrder = [];
        public Dictionary<UInt128, Stored> Transfers = [];
        public List<UInt128> TransferOrder = [];
        public Dictionary<UInt128, ResultCode> Failed = [];

        public State Clone() => new()
        {
            Coins = [.. Coins],
            Accounts = Accounts.ToDictionary(kv => kv.Key, kv => kv.Value.Clone()),
            AccountOrder = [.. AccountOrder],
            Transfers = new Dictionary<UInt128, Stored>(Transfers),
            TransferOrder = [.. TransferOrder],
            Failed = new Dictionary<UInt128, ResultCode>(Failed),
        };
    }

    public IReadOnlyList<string> Coins => _s.Coins;

    public IReadOnlyDictionary<AccountKey, Acc> Accounts => _s.Accounts;

    public IReadOnlyList<AccountKey> AccountOrder => _s.AccountOrder;

    public IReadOnlyDictionary<UInt128, Stored> Transfers => _s.Transfers;

    public IReadOnlyList<UInt128> TransferOrder => _s.TransferOrder;

    public IReadOnlyDictionary<UInt128, ResultCode> Failed => _s.Failed;

    public static Address SupplyOf(string symbol) => Address.Derive("supply:" + symbol);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Address Contract, Address Supply)> SystemAddresses = new();

    /// <summary>Nobody holds a key to a coin's verifying contract or to another coin's supply account (rules
    /// <see cref="LedgerRules.HolderProtections"/>): nothing may credit them.</summary>
    private bool IsKeyless(uint coin, Address address)
    {
        for (var i = 0; i < _s.Coins.Count; i++)
        {
            var (contract, supply) = SystemAddresses.GetOrAdd(_s.Coins[i], static s => (Address.Derive("coin:" + s), SupplyOf(s)));
            if (address == contract || (address == supply && coin != (uint)(i + 1)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Releases every pending hold whose expiry is at or before <paramref name="now"/> (start of a block).</summary>
    public void Expire(ulong now)
    {
        foreach (var id in _s.TransferOrder)
        {
            var st = _s.Transfers[id];
            if (st.Hold == HoldState.Pending && st.ExpiresAt != 0 && st.ExpiresAt <= now)
            {
                var t = st.Transfer;
                _s.Accounts[new AccountKey(t.Coin, t.DebitAccount)].Dpend -= t.Amount;
                _s.Accounts[new AccountKey(t.Coin, t.CreditAccount)].Cpend -= t.Amount;
                _s.Transfers[id] = st with { Hold = HoldState.Expired };
            }
        }
    }

    /// <summary>Applies one block after <see cref="Expire"/> has run for its timestamp.</summary>
    public ResultCode[] ApplyCommands(ulong timestamp, IReadOnlyList<Command> commands)
    {
        var n = commands.Count;
        var results = new ResultCode[n];
        var i = 0;
        while (i < n)
        {
            var c = commands[i];
            if (c.Kind != CommandKind.Transfer)
            {
                results[i] = ApplyBody(c.Body);
                i++;
                continue;
            }

            if ((c.Transfer.Flags & TransferFlags.Linked) == 0)
            {
                results[i] = ApplyTransfer(c.Transfer, timestamp + (ulong)i);
                i++;
                continue;
            }

            // A chain: from i through the first transfer without the linked flag, but never past a request end,
            // the block end, or a non-transfer command. If its last event still says linked, it is open.
            var last = i;
            while (IsLinked(commands[last]) && !commands[last].EndsRequest && last + 1 < n && commands[last + 1].Kind == CommandKind.Transfer)
            {
                last++;
            }

            var open = IsLinked(commands[last]);
            var applyUntil = open ? last - 1 : last;
            var before = _s.Clone();
            var failedAt = -1;
            var failedCode = ResultCode.Ok;
            for (var k = i; k <= applyUntil; k++)
            {
                var code = ApplyTransfer(commands[k].Transfer, timestamp + (ulong)k);
                results[k] = code;
                if (!code.IsSuccess())
                {
                    failedAt = k;
                    failedCode = code;
                    break;
                }
            }

            if (failedAt >= 0 || open)
            {
                // The failing event's own failure is remembered (ApplyTransfer recorded it in _s.Failed); all else
                // in the chain is undone.
                var failedNow = _s.Failed;
                _s = before;
                if (failedAt >= 0 && failedNow.TryGetValue(commands[failedAt].Transfer.Id, out var recorded))
                {
                    _s.Failed.TryAdd(commands[failedAt].Transfer.Id, recorded);
                }

                for (var k = i; k <= last; k++)
                {
                    results[k] = k == failedAt ? failedCode : ResultCode.LinkedEventFailed;
                }

                if (open)
                {
                    results[last] = ResultCode.LinkedEventChainOpen;
                }
            }

            i = last + 1;
        }

        return results;
    }

    /// <summary>
    /// The linked chain each command belongs to, as (first, last) indexes, or (-1, -1) when it is not in a chain.
    /// A chain starts at a linked transfer and runs to the first transfer without the flag, but never past a
    /// request end, the end of the block, or a non-transfer command.
    /// </summary>
    public static (int First, int Last)[] Chains(IReadOnlyList<Command> commands)
    {
        var chains = new (int, int)[commands.Count];
        var i = 0;
        while (i < commands.Count)
        {
            if (commands[i].Kind != CommandKind.Transfer || !IsLinked(commands[i]))
            {
                chains[i] = (-1, -1);
                i++;
                continue;
            }

            var last = i;
            while (IsLinked(commands[last]) && !commands[last].EndsRequest && last + 1 < commands.Count && commands[last + 1].Kind == CommandKind.Transfer)
            {
                last++;
            }

            for (var k = i; k <= last; k++)
            {
                chains[k] = (i, last);
            }

            i = last + 1;
        }

        return chains;
    }

    public static bool IsLinked(Command c) => (c.Transfer.Flags & TransferFlags.Linked) != 0;

    private ResultCode ApplyBody(CommandBody? body)
    {
        switch (body)
        {
            case CreateCoin cc:
                if (!Coin.IsValidSymbol(cc.Symbol))
                {
                    return ResultCode.CoinSymbolInvalid;
                }

                if (cc.Decimals > 18)
                {
                    return ResultCode.CoinDecimalsInvalid;
                }

                if (!Coin.IsValidCurrency(cc.Currency))
                {
                    return ResultCode.CoinCurrencyInvalid;
                }

                if (string.IsNullOrWhiteSpace(cc.Name) || cc.Name.Length > 64 || string.IsNullOrWhiteSpace(cc.Version) || cc.Version.Length > 16)
                {
                    return ResultCode.CoinNameInvalid;
                }

                if (_s.Coins.Contains(cc.Symbol))
                {
                    return ResultCode.CoinExists;
                }

                _s.Coins.Add(cc.Symbol);
                var supply = new AccountKey((uint)_s.Coins.Count, SupplyOf(cc.Symbol));
                _s.Accounts[supply] = new Acc { Supply = true };
                _s.AccountOrder.Add(supply);
                return ResultCode.Ok;

            case SetAccountFrozen f:
                if (f.Coin == 0 || f.Coin > _s.Coins.Count)
                {
                    return ResultCode.CoinNotFound;
                }

                if (f.Account.IsZero)
                {
                    return ResultCode.DebitAccountMustNotBeZero;
                }

                var key = new AccountKey(f.Coin, f.Account);
                GetOrCreate(key).Frozen = f.Frozen;
                return ResultCode.Ok;

            default:
                return ResultCode.UnknownCommand;
        }
    }

    private Acc GetOrCreate(AccountKey key)
    {
        if (!_s.Accounts.TryGetValue(key, out var acc))
        {
            acc = new Acc();
            _s.Accounts[key] = acc;
            _s.AccountOrder.Add(key);
        }

        return acc;
    }

    private ResultCode ApplyTransfer(Transfer t, ulong now)
    {
        if (t.Id == 0)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (t.Id == UInt128.MaxValue)
        {
            return ResultCode.IdMustNotBeMax;
        }

        var flags = (int)t.Flags;
        if ((flags & ~0xF) != 0)
        {
            return Fail(t.Id, ResultCode.ReservedFlag);
        }

        var phases = ((flags & 2) != 0 ? 1 : 0) + ((flags & 4) != 0 ? 1 : 0) + ((flags & 8) != 0 ? 1 : 0);
        if (phases > 1)
        {
            return Fail(t.Id, ResultCode.FlagsAreMutuallyExclusive);
        }

        if (_s.Transfers.TryGetValue(t.Id, out var existing))
        {
            return Compare(t, existing.Transfer);
        }

        if (_s.Failed.TryGetValue(t.Id, out var failed))
        {
            return failed;
        }

        var code = (t.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0 ? PostOrVoid(t, now) : Single(t, now);
        return code == ResultCode.Ok ? code : Fail(t.Id, code);
    }

    private ResultCode Fail(UInt128 id, ResultCode code)
    {
        if (!_s.Transfers.ContainsKey(id))
        {
            _s.Failed.TryAdd(id, code);
        }

        return code;
    }

    private static ResultCode Compare(Transfer t, Transfer s)
    {
        var twoPhase = (s.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0;
        if (t.Flags != s.Flags)
        {
            return ResultCode.ExistsWithDifferentFlags;
        }

        if (t.PendingId != s.PendingId)
        {
            return ResultCode.ExistsWithDifferentPendingId;
        }

        if (t.Timeout != s.Timeout)
        {
            return ResultCode.ExistsWithDifferentTimeout;
        }

        if (t.DebitAccount != s.DebitAccount && !(twoPhase && t.DebitAccount.IsZero))
        {
            return ResultCode.ExistsWithDifferentDebitAccount;
        }

        if (t.CreditAccount != s.CreditAccount && !(twoPhase && t.CreditAccount.IsZero))
        {
            return ResultCode.ExistsWithDifferentCreditAccount;
        }

        if (t.Coin != s.Coin && !(twoPhase && t.Coin == 0))
        {
            return ResultCode.ExistsWithDifferentCoin;
        }

        if (t.Amount != s.Amount && !(twoPhase && t.Amount == 0))
        {
            return ResultCode.ExistsWithDifferentAmount;
        }

        if (t.Memo != s.Memo)
        {
            return ResultCode.ExistsWithDifferentMemo;
        }

        return t.Code != s.Code ? ResultCode.ExistsWithDifferentCode : ResultCode.Exists;
    }

    private ResultCode Single(Transfer t, ulong now)
    {
        var pending = (t.Flags & TransferFlags.Pending) != 0;
        if (t.PendingId != 0)
        {
            return ResultCode.PendingIdMustBeZero;
        }

        if (t.Timeout != 0 && !pending)
        {
            return ResultCode.TimeoutReservedForPendingTransfer;
        }

        if (t.Amount == 0)
        {
            return ResultCode.AmountMustNotBeZero;
        }

        if (t.DebitAccount.IsZero)
        {
            return ResultCode.DebitAccountMustNotBeZero;
        }

        if (t.CreditAccount.IsZero)
        {
            return ResultCode.CreditAccountMustNotBeZero;
        }

        if (t.DebitAccount == t.CreditAccount)
        {
            return ResultCode.AccountsMustBeDifferent;
        }

        if (t.Coin == 0 || t.Coin > _s.Coins.Count)
        {
            return ResultCode.CoinNotFound;
        }

        if (!_s.Accounts.TryGetValue(new AccountKey(t.Coin, t.DebitAccount), out var d))
        {
            return ResultCode.DebitAccountNotFound;
        }

        _s.Accounts.TryGetValue(new AccountKey(t.Coin, t.CreditAccount), out var c);
        if (d.Frozen || c is { Frozen: true })
        {
            return ResultCode.AccountFrozen;
        }

        if (IsKeyless(t.Coin, t.CreditAccount))
        {
            return ResultCode.CreditAccountIsSystemAddress;
        }

        var amount = (BigInteger)t.Amount;
        var expiresAt = pending && t.Timeout != 0 ? now + ((BigInteger)t.Timeout * 1_000_000_000) : 0;
        if (expiresAt > MaxTime)
        {
            return ResultCode.OverflowsTimeout;
        }

        // A supply account may issue at most 2^127 − 1 in total (posted plus held), so every balance fits Int128.
        if (d.Dp + d.Dpend + amount > (d.Supply ? (BigInteger)Int128.MaxValue : MaxAmount))
        {
            return pending ? ResultCode.OverflowsDebitsPending : ResultCode.OverflowsDebits;
        }

        if (!d.Supply && d.Dp + d.Dpend + amount > d.Cp)
        {
            return ResultCode.ExceedsBalance;
        }

        if (c is not null && c.Cp + c.Cpend + amount > MaxAmount)
        {
            return pending ? ResultCode.OverflowsCreditsPending : ResultCode.OverflowsCredits;
        }

        c ??= GetOrCreate(new AccountKey(t.Coin, t.CreditAccount));
        if (pending)
        {
            d.Dpend += amount;
            c.Cpend += amount;
        }
        else
        {
            d.Dp += amount;
            c.Cp += amount;
        }

        Store(t with { Timestamp = now }, pending ? HoldState.Pending : HoldState.None, (ulong)expiresAt);
        return ResultCode.Ok;
    }

    private ResultCode PostOrVoid(Transfer t, ulong now)
    {
        var post = (t.Flags & TransferFlags.PostPending) != 0;
        if (t.PendingId == 0)
        {
            return ResultCode.PendingIdMustNotBeZero;
        }

        if (t.PendingId == t.Id)
        {
            return ResultCode.PendingIdMustBeDifferent;
        }

        if (t.Timeout != 0)
        {
            return ResultCode.TimeoutReservedForPendingTransfer;
        }

        if (!_s.Transfers.TryGetValue(t.PendingId, out var hold))
        {
            return ResultCode.PendingTransferNotFound;
        }

        var h = hold.Transfer;
        if ((h.Flags & TransferFlags.Pending) == 0)
        {
            return ResultCode.PendingTransferNotPending;
        }

        switch (hold.Hold)
        {
            case HoldState.Posted:
                return ResultCode.PendingTransferAlreadyPosted;
            case HoldState.Voided:
                return ResultCode.PendingTransferAlreadyVoided;
            case HoldState.Expired:
                return ResultCode.PendingTransferExpired;
        }

        if (hold.ExpiresAt != 0 && now >= hold.ExpiresAt)
        {
            return ResultCode.PendingTransferExpired;
        }

        if (!t.DebitAccount.IsZero && t.DebitAccount != h.DebitAccount)
        {
            return ResultCode.PendingTransferHasDifferentDebitAccount;
        }

        if (!t.CreditAccount.IsZero && t.CreditAccount != h.CreditAccount)
        {
            return ResultCode.PendingTransferHasDifferentCreditAccount;
        }

        if (t.Coin != 0 && t.Coin != h.Coin)
        {
            return ResultCode.PendingTransferHasDifferentCoin;
        }

        var amount = t.Amount == 0 ? h.Amount : t.Amount;
        if (post && amount > h.Amount)
        {
            return ResultCode.ExceedsPendingTransferAmount;
        }

        if (!post && amount != h.Amount)
        {
            return ResultCode.PendingTransferHasDifferentAmount;
        }

        var d = _s.Accounts[new AccountKey(h.Coin, h.DebitAccount)];
        var c = _s.Accounts[new AccountKey(h.Coin, h.CreditAccount)];
        if (post && (d.Frozen || c.Frozen))
        {
            return ResultCode.AccountFrozen;
        }

        if (post && IsKeyless(h.Coin, h.CreditAccount))
        {
            return ResultCode.CreditAccountIsSystemAddress;
        }

        if (post && c.Cp + amount > MaxAmount)
        {
            return ResultCode.OverflowsCredits;
        }

        d.Dpend -= h.Amount;
        c.Cpend -= h.Amount;
        if (post)
        {
            d.Dp += amount;
            c.Cp += amount;
        }

        _s.Transfers[t.PendingId] = hold with { Hold = post ? HoldState.Posted : HoldState.Voided };
        Store(t with { DebitAccount = h.DebitAccount, CreditAccount = h.CreditAccount, Coin = h.Coin, Amount = amount, Timestamp = now }, HoldState.None, 0);
        return ResultCode.Ok;
    }

    private void Store(Transfer t, HoldState hold, ulong expiresAt)
    {
        _s.Transfers.Add(t.Id, new Stored(t, hold, expiresAt));
        _s.TransferOrder.Add(t.Id);
    }
}
