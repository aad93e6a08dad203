namespace Centime.Ledger.Tests;

/// <summary>
/// A <see cref="LedgerState"/> plus the bookkeeping a test needs to feed it blocks: the next height, a ledger
/// clock that only moves forward, and shorthands for the usual commands.
/// </summary>
internal sealed class TestLedger
{
    /// <summary>Genesis ledger time used by tests: 2023-11-14T22:13:20Z in Unix nanoseconds.</summary>
    public const ulong Genesis = 1_700_000_000_000_000_000UL;

    public const ulong Second = 1_000_000_000UL;

    private ulong _nextId = 1_000;

    public TestLedger(LedgerState? state = null)
    {
        State = state ?? new LedgerState();
    }

    public LedgerState State { get; }

    /// <summary>Ledger time the next <see cref="Apply(Command[])"/> will use unless told otherwise.</summary>
    public ulong Now => Math.Max(State.NextTimestamp, Genesis);

    /// <summary>Applies one block at <see cref="Now"/>.</summary>
    public CommandResult[] Apply(params Command[] commands) => ApplyAt(Now, commands);

    /// <summary>Applies one block at an explicit ledger time (must not be before <see cref="LedgerState.NextTimestamp"/>).</summary>
    public CommandResult[] ApplyAt(ulong timestamp, params Command[] commands)
    {
        var results = new CommandResult[commands.Length];
        State.ApplyBlock(State.Height + 1, timestamp, commands, results);
        return results;
    }

    /// <summary>Applies one block at <see cref="Now"/> under an older <see cref="LedgerRules"/> version, as replay of an
    /// old journal does; returns the codes.</summary>
    public ResultCode[] CodesUnder(ushort rules, params Command[] commands)
    {
        var results = new CommandResult[commands.Length];
        State.ApplyBlock(State.Height + 1, Now, commands, results, rules);
        return [.. results.Select(r => r.Code)];
    }

    /// <summary>Applies one block and returns only the codes.</summary>
    public ResultCode[] Codes(params Command[] commands) => [.. Apply(commands).Select(r => r.Code)];

    /// <summary>Applies one block of transfers and returns only the codes.</summary>
    public ResultCode[] Codes(params Transfer[] transfers) => Codes([.. transfers.Select(t => Command.Of(t))]);

    /// <summary>Applies a single transfer and returns its code.</summary>
    public ResultCode Submit(Transfer transfer) => Codes(Command.Of(transfer))[0];

    /// <summary>Moves the clock: the next block will be at least <paramref name="timestamp"/>.</summary>
    public void AdvanceTo(ulong timestamp) => ApplyAt(Math.Max(timestamp, Now));

    /// <summary>A fresh transfer id, unique within this ledger.</summary>
    public UInt128 NewId() => _nextId++;

    /// <summary>Creates a coin and returns it.</summary>
    public Coin CreateCoin(string symbol, string currency = "USD")
    {
        var code = Codes(Command.Of(new CreateCoin(symbol, 6, currency, symbol + " coin", "1")))[0];
        if (code != ResultCode.Ok)
        {
            throw new InvalidOperationException($"CreateCoin {symbol}: {code}");
        }

        return State.Coins[^1];
    }

    /// <summary>A plain (posted) transfer.</summary>
    public Transfer Pay(Coin coin, Address from, Address to, UInt128 amount, TransferFlags flags = TransferFlags.None, UInt128? id = null) => new()
    {
        Id = id ?? NewId(),
        DebitAccount = from,
        CreditAccount = to,
        Amount = amount,
        Coin = coin.Number,
        Code = 1,
        Flags = flags,
    };

    /// <summary>Issues <paramref name="amount"/> from the supply account.</summary>
    public Transfer Mint(Coin coin, Address to, UInt128 amount, TransferFlags flags = TransferFlags.None) => Pay(coin, coin.SupplyAccount, to, amount, flags);

    /// <summary>A hold (pending transfer).</summary>
    public Transfer Hold(Coin coin, Address from, Address to, UInt128 amount, uint timeoutSeconds = 0, TransferFlags flags = TransferFlags.None) =>
        Pay(coin, from, to, amount, flags | TransferFlags.Pending) with { Timeout = timeoutSeconds };

    /// <summary>Posts a hold; amount 0 means the full held amount. Other fields are inherited (zero).</summary>
    public Transfer Post(UInt128 pendingId, UInt128 amount = default, TransferFlags flags = TransferFlags.None) => new()
    {
        Id = NewId(),
        PendingId = pendingId,
        Amount = amount,
        Code = 1,
        Flags = flags | TransferFlags.PostPending,
    };

    /// <summary>Voids a hold. Other fields are inherited (zero).</summary>
    public Transfer Void(UInt128 pendingId, TransferFlags flags = TransferFlags.None) => new()
    {
        Id = NewId(),
        PendingId = pendingId,
        Code = 1,
        Flags = flags | TransferFlags.VoidPending,
    };

    public static Command Freeze(Coin coin, Address account, bool frozen = true) => Command.Of(new SetAccountFrozen(coin.Number, account, frozen));

    public Account Account(Coin coin, Address address) =>
        State.TryGetAccount(coin.Number, address, out var account) ? account : default;

    /// <summary>Posted balance (credits − debits); 0 for an account that does not exist.</summary>
    public Int128 Balance(Coin coin, Address address) => Account(coin, address).Balance;

    public Int128 Available(Coin coin, Address address) => Account(coin, address).Available;

    /// <summary>Every account's balances, for "nothing changed" assertions.</summary>
    public Dictionary<AccountKey, (UInt128 Dp, UInt128 Cp, UInt128 Dpend, UInt128 Cpend, AccountFlags Flags)> Balances()
    {
        var map = new Dictionary<AccountKey, (UInt128, UInt128, UInt128, UInt128, AccountFlags)>();
        foreach (var a in State.Accounts)
        {
            map[a.Key] = (a.DebitsPosted, a.CreditsPosted, a.DebitsPending, a.CreditsPending, a.Flags);
        }

        return map;
    }

    public static Address Holder(string name) => Address.Derive("test-holder:" + name);
}
