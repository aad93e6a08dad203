namespace Centime.Ledger.Tests;

/// <summary>
/// Seeded random workloads for the property tests: mints, payments, burns, holds with timeouts, full and
/// partial posts, voids, linked chains (some failing mid-chain, some left open), freezes, retries of earlier
/// ids with the same or changed fields, malformed transfers and coin creation, over 2–3 coins. Commands are
/// chosen with a look at the reference model so that most of them are meaningful (existing holds, funded
/// holders), while some are deliberately wrong.
/// </summary>
internal sealed class Workload
{
    public const string SeedVariable = "CENTIME_SEED";

    private static readonly string[] Symbols = ["NUSD", "JHKD", "EURC"];
    private static readonly string[] Currencies = ["USD", "HKD", "EUR"];

    private readonly Random _rng;
    private readonly Address[] _holders;
    private readonly List<Transfer> _submitted = [];
    private readonly List<UInt128> _holds = [];
    private UInt128 _nextId;

    public Workload(int seed)
    {
        _rng = new Random(seed);
        _holders = [.. Enumerable.Range(0, 6).Select(i => Address.Derive("workload-holder:" + i))];
        _nextId = (UInt128)(ulong)_rng.NextInt64(1, long.MaxValue / 2);
        Huge = _rng.Next(6) == 0;
        Late = _rng.Next(10) == 0;
    }

    /// <summary>This run also uses amounts near 2^128 − 1 and the supply cap, to reach the overflow codes.</summary>
    public bool Huge { get; }

    /// <summary>This run starts about 1,000 s before the end of ledger time (2^64 − 1 ns) and uses very long
    /// timeouts, to reach <see cref="ResultCode.OverflowsTimeout"/>.</summary>
    public bool Late { get; }

    /// <summary>Ledger time of the first block.</summary>
    public ulong GenesisTime => Late
        ? ulong.MaxValue - 1_000_000_000_000UL - (ulong)_rng.NextInt64(0, 1_000_000_000)
        : TestLedger.Genesis + (ulong)_rng.NextInt64(0, 1_000_000_000_000);

    public Random Random => _rng;

    /// <summary>Commands for the first block: the coins.</summary>
    public Command[] Genesis()
    {
        var count = _rng.Next(2, 4);
        return [.. Enumerable.Range(0, count).Select(i => Command.Of(new CreateCoin(Symbols[i], 6, Currencies[i], Symbols[i] + " coin", "1")))];
    }

    /// <summary>
    /// The next block's time: usually just after the previous block, sometimes seconds later, and sometimes
    /// exactly at (or a nanosecond around) the expiry of a hold that is still pending.
    /// </summary>
    public ulong NextTime(ulong next, ReferenceLedger model)
    {
        switch (_rng.Next(10))
        {
            case < 3:
                return next;
            case < 5:
                return next + (ulong)_rng.Next(1, 1000);
            case < 8:
                return next + (ulong)_rng.NextInt64(100_000_000, 2_000_000_000);
            case 8:
                return next + (ulong)_rng.NextInt64(2_000_000_000, 6_000_000_000);
            default:
                var expiries = model.Transfers.Values.Where(s => s.Hold == HoldState.Pending && s.ExpiresAt >= next).Select(s => s.ExpiresAt).ToList();
                if (expiries.Count == 0)
                {
                    return next;
                }

                var e = expiries[_rng.Next(expiries.Count)];
                var target = e - 2 + (ulong)_rng.Next(0, 4); // expiry − 2 … expiry + 1
                return Math.Max(next, target);
        }
    }

    /// <summary>One block of commands, to be applied at ledger time <paramref name="timestamp"/>.</summary>
    public Command[] Block(ReferenceLedger model, ulong timestamp)
    {
        var count = _rng.Next(10) == 0 ? 0 : _rng.Next(1, 22);
        var commands = new Command[count];
        for (var i = 0; i < count; i++)
        {
            var command = NextCommand(model, timestamp + (ulong)i);
            if (_rng.Next(10) == 0)
            {
                command = command.With(CommandFlags.RequestEnd);
            }

            commands[i] = command;
        }

        return commands;
    }

    private Command NextCommand(ReferenceLedger model, ulong eventTime)
    {
        var roll = _rng.Next(100);
        if (roll < 3)
        {
            return Command.Of(new SetAccountFrozen(PickCoin(model), PickHolder(), _rng.Next(3) == 0));
        }

        if (roll < 4)
        {
            return Command.Of(_rng.Next(3) switch
            {
                0 => new CreateCoin(Symbols[_rng.Next(Symbols.Length)], 6, "USD", "dup", "1"),
                1 => new CreateCoin("bad symbol", 6, "USD", "x", "1"),
                _ => new CreateCoin("ZZ" + _rng.Next(100), 19, "USD", "x", "1"),
            });
        }

        var t = NextTransfer(model, roll, eventTime);
        if (_rng.Next(5) == 0)
        {
            t = t with { Flags = t.Flags | TransferFlags.Linked };
        }

        _submitted.Add(t);
        if ((t.Flags & TransferFlags.Pending) != 0)
        {
            _holds.Add(t.Id);
        }

        return Command.Of(t);
    }

    private Transfer NextTransfer(ReferenceLedger model, int roll, ulong eventTime)
    {
        var coin = PickCoin(model);
        var supply = coin >= 1 && coin <= model.Coins.Count ? ReferenceLedger.SupplyOf(model.Coins[(int)coin - 1]) : Address.Derive("no-such-coin");
        switch (roll)
        {
            case < 24:
                return New(coin, supply, PickHolder(), Amount(1000));
            case < 50:
                {
                    var from = PickHolder();
                    var to = _rng.Next(30) == 0 ? from : PickHolder(except: from);
                    return New(coin, from, to, SpendAmount(model, coin, from));
                }

            case < 55:
                {
                    var from = PickHolder();
                    return New(coin, from, supply, SpendAmount(model, coin, from));
                }

            case < 70:
                {
                    var from = _rng.Next(4) == 0 ? supply : PickHolder();
                    var to = PickHolder(except: from);
                    var timeout = _rng.Next(10) < 3 ? 0u : Late && _rng.Next(4) == 0 ? uint.MaxValue - (uint)_rng.Next(2) : (uint)_rng.Next(1, 4);
                    return New(coin, from, to, SpendAmount(model, coin, from)) with { Flags = TransferFlags.Pending, Timeout = timeout };
                }

            case < 82:
                return PostOrVoid(model, post: true, eventTime);
            case < 88:
                return PostOrVoid(model, post: false, eventTime);
            case < 95 when _submitted.Count > 0:
                return Retry();
            default:
                return Malformed(coin, supply);
        }
    }

    private Transfer New(uint coin, Address from, Address to, UInt128 amount) => new()
    {
        Id = _nextId++,
        DebitAccount = from,
        CreditAccount = to,
        Amount = amount,
        Coin = coin,
        Code = (ushort)_rng.Next(1, 4),
        Memo = _rng.Next(4) == 0 ? (UInt128)(ulong)_rng.NextInt64() : 0,
    };

    private Transfer PostOrVoid(ReferenceLedger model, bool post, ulong eventTime)
    {
        var flags = post ? TransferFlags.PostPending : TransferFlags.VoidPending;
        // Mostly holds that exist (any state), sometimes any hold id ever submitted, rarely an unknown id.
        // Often a hold whose expiry is within a nanosecond of this event's time (so the post lands exactly
        // before, at, or after it); else mostly holds that exist (any state); sometimes any hold id ever
        // submitted; rarely an unknown id.
        var due = _holds.Where(id => model.Transfers.TryGetValue(id, out var s) && s.ExpiresAt != 0 && s.ExpiresAt + 1 >= eventTime && s.ExpiresAt <= eventTime + 1).ToList();
        var live = due.Count > 0 && _rng.Next(2) == 0 ? due
            : _rng.Next(4) != 0 ? _holds.Where(model.Transfers.ContainsKey).ToList() : _holds;
        var pendingId = live.Count > 0 && _rng.Next(12) != 0 ? live[_rng.Next(live.Count)] : _nextId + 5;
        var t = new Transfer { Id = _nextId++, PendingId = pendingId, Flags = flags, Code = 1 };
        if (!model.Transfers.TryGetValue(pendingId, out var hold))
        {
            return t with { Amount = (ulong)_rng.Next(0, 10) };
        }

        var h = hold.Transfer;
        t = _rng.Next(5) switch
        {
            // Post the full amount with 0, or name it; partial; too much.
            0 or 1 => t,
            2 => t with { Amount = h.Amount },
            3 => t with { Amount = post && h.Amount > 1 ? (UInt128)(ulong)_rng.NextInt64(1, (long)UInt128.Min(h.Amount, long.MaxValue)) : h.Amount },
            _ => t with { Amount = Bump(h.Amount) },
        };
        if (_rng.Next(3) == 0)
        {
            // Repeat the hold's fields instead of inheriting them, sometimes wrongly.
            t = t with { DebitAccount = h.DebitAccount, CreditAccount = h.CreditAccount, Coin = h.Coin };
            t = _rng.Next(6) switch
            {
                0 => t with { DebitAccount = PickHolder() },
                1 => t with { CreditAccount = PickHolder() },
                2 => t with { Coin = h.Coin + 1 },
                _ => t,
            };
        }

        return t;
    }

    private Transfer Retry()
    {
        var t = _submitted[_rng.Next(_submitted.Count)];
        return _rng.Next(16) switch
        {
            0 => t with { Amount = Bump(t.Amount) },
            1 => t with { Memo = Bump(t.Memo) },
            2 => t with { Code = (ushort)(t.Code + 1) },
            3 => t with { CreditAccount = PickHolder() },
            4 => t with { Flags = t.Flags ^ TransferFlags.Linked },
            9 => t with { Flags = t.Flags | (TransferFlags)0x100 },
            10 => t with { Flags = t.Flags | TransferFlags.PostPending | TransferFlags.VoidPending },
            5 => t with { DebitAccount = PickHolder() },
            6 => t with { Coin = unchecked(t.Coin + 1) },
            7 => t with { PendingId = Bump(t.PendingId) },
            8 => t with { Timeout = unchecked(t.Timeout + 1) },
            _ => t,
        };
    }

    /// <summary>A different amount: one more, or one less at the very top of the range.</summary>
    private static UInt128 Bump(UInt128 v) => v == UInt128.MaxValue ? v - 1 : v + 1;

    private Transfer Malformed(uint coin, Address supply)
    {
        var t = New(coin, supply, PickHolder(), Amount(100));
        return _rng.Next(13) switch
        {
            11 => new Transfer { Id = t.Id, Flags = TransferFlags.PostPending, Code = 1 },
            12 => new Transfer { Id = t.Id, PendingId = t.Id, Flags = TransferFlags.VoidPending, Code = 1 },
            0 => t with { Id = 0 },
            1 => t with { Id = UInt128.MaxValue },
            2 => t with { Amount = 0 },
            3 => t with { DebitAccount = Address.Zero },
            4 => t with { CreditAccount = Address.Zero },
            5 => t with { CreditAccount = t.DebitAccount },
            6 => t with { Coin = (uint)_rng.Next(4, 9) },
            7 => t with { Flags = (TransferFlags)(1 << _rng.Next(4, 16)) },
            8 => t with { Flags = TransferFlags.Pending | TransferFlags.VoidPending },
            9 => t with { Timeout = 5 },
            _ => t with { PendingId = 7 },
        };
    }

    private uint PickCoin(ReferenceLedger model) =>
        _rng.Next(40) == 0 ? (uint)_rng.Next(0, 2) * 9 : (uint)_rng.Next(1, Math.Max(model.Coins.Count, 1) + 1);

    private Address PickHolder(Address? except = null)
    {
        while (true)
        {
            var a = _holders[_rng.Next(_holders.Length)];
            if (a != except)
            {
                return a;
            }
        }
    }

    private UInt128 Amount(int max)
    {
        if (Huge && _rng.Next(4) == 0)
        {
            // Around the supply cap (2^127 − 1), half of it, and the top of the UInt128 range.
            var top = _rng.Next(3) switch
            {
                0 => LedgerState.MaxSupply,
                1 => LedgerState.MaxSupply / 2,
                _ => UInt128.MaxValue,
            };
            return top - (ulong)_rng.Next(0, 3);
        }

        return (ulong)_rng.Next(1, max + 1);
    }

    /// <summary>Usually something the account can afford (or exactly its available), sometimes more.</summary>
    private UInt128 SpendAmount(ReferenceLedger model, uint coin, Address from)
    {
        if (!model.Accounts.TryGetValue(new AccountKey(coin, from), out var acc) || _rng.Next(5) == 0)
        {
            return Amount(500);
        }

        var available = acc.Cp - acc.Dp - acc.Dpend;
        if (acc.Supply || available <= 0)
        {
            return Amount(500);
        }

        return _rng.Next(4) == 0 ? (UInt128)available : (UInt128)(1 + (_rng.NextInt64() % (long)System.Numerics.BigInteger.Min(available, long.MaxValue)));
    }
}
