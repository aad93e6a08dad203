using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Centime.Ledger;

/// <summary>
/// The ledger state machine. Deterministic: <see cref="ApplyBlock"/> uses only its arguments (height, ledger
/// time, commands) and the current state; no clock, no randomness, no I/O. Single writer: not thread-safe
/// for concurrent apply; readers must synchronise with the writer (the node's sequencer does).
/// </summary>
public sealed partial class LedgerState
{
    /// <summary>Most commands one block may hold (TigerBeetle's per-request maximum).</summary>
    public const int MaxBatchSize = 8189;

    private const int MaxCoins = 65_535;

    /// <summary>
    /// Most a supply account may have issued at once (its debits, posted plus pending): 2^127 − 1 minor units.
    /// Above it a balance would not fit <see cref="Account.Balance"/>'s <see cref="Int128"/>; mints beyond it fail
    /// with <see cref="ResultCode.OverflowsDebits"/> (or <see cref="ResultCode.OverflowsDebitsPending"/> for a hold).
    /// </summary>
    public static UInt128 MaxSupply => (UInt128)Int128.MaxValue;

    private readonly List<Coin> _coins = [];
    private readonly Dictionary<string, Coin> _coinsBySymbol = new(StringComparer.Ordinal);

    private readonly ChunkedArray<Account> _accounts = new();
    private readonly KeyIndex<AccountKey, AccountKeys> _accountIndex;
    private int _accountCount;

    private readonly ChunkedArray<TransferRecord> _transfers = new();
    private readonly KeyIndex<UInt128, TransferIds> _transferIndex;
    private int _transferCount;

    // Pending ids, memos and timeouts of the transfers that have any (TransferRecord.Extra), in the same order.
    private readonly ChunkedArray<TransferExtra> _extras = new();
    private int _extraCount;

    // Height of the stored transfers: one entry per block that stored any, with the position of its first.
    private readonly List<HeightRun> _heightRuns = [];

    private readonly record struct HeightRun(int Start, ulong Height);

    /// <summary>Ids whose event failed, with the original code: a retry with the same id returns it again.</summary>
    private readonly Dictionary<UInt128, ResultCode> _failed = [];

    /// <summary>Holds with a timeout, ordered by (expiry, id). Entries go stale when a hold is posted or voided;
    /// they are skipped when popped.</summary>
    private readonly PriorityQueue<int, (ulong ExpiresAt, UInt128 Id)> _expiries = new();

    private readonly List<Undo> _undo = [];

    private readonly LedgerModule[] _modules;

    /// <summary>A fresh state (genesis) with the given modules attached.</summary>
    public LedgerState(IEnumerable<LedgerModule>? modules = null)
    {
        var key = IndexHashKey.Random(); // per state, so per node and per restart: see IndexHashKey
        _accountIndex = new KeyIndex<AccountKey, AccountKeys>(new AccountKeys(_accounts, key));
        _transferIndex = new KeyIndex<UInt128, TransferIds>(new TransferIds(_transfers, key));
        _modules = modules?.ToArray() ?? [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var module in _modules)
        {
            if (!names.Add(module.Name) || module.Ledger is not null)
            {
                throw new ArgumentException($"Module '{module.Name}' is duplicated or already attached.", nameof(modules));
            }

            module.Ledger = this;
        }

        AttachScreens();
    }

    /// <summary>The attached modules.</summary>
    public IReadOnlyList<LedgerModule> Modules => _modules;

    /// <summary>The attached module of type <typeparamref name="T"/>, or null.</summary>
    public T? Module<T>()
        where T : LedgerModule => _modules.OfType<T>().FirstOrDefault();

    /// <summary>The <see cref="LedgerRules"/> version of the block being (or last) applied; modules branch on it when a
    /// rule changed, so old blocks replay as they were applied.</summary>
    public ushort Rules { get; private set; } = LedgerRules.Current;

    /// <summary>Height of the last applied block (0 = genesis, nothing applied).</summary>
    public ulong Height { get; private set; }

    /// <summary>Ledger time of the last applied block (Unix nanoseconds).</summary>
    public ulong Timestamp { get; private set; }

    /// <summary>Next timestamp a block may use: strictly after every timestamp already assigned.</summary>
    public ulong NextTimestamp { get; private set; } = 1;

    public int CoinCount => _coins.Count;

    public int AccountCount => _accountCount;

    public int TransferCount => _transferCount;

    public IReadOnlyList<Coin> Coins => _coins;

    /// <summary>Earliest hold expiry still queued (may be stale), or null.</summary>
    public ulong? EarliestExpiry
    {
        get
        {
            ulong? earliest = _expiries.TryPeek(out _, out var p) ? p.ExpiresAt : null;
            foreach (var module in _modules)
            {
                if (module.NextDeadline is ulong d && (earliest is null || d < earliest))
                {
                    earliest = d;
                }
            }

            return earliest;
        }
    }

    public bool TryGetCoin(string symbol, out Coin coin) => _coinsBySymbol.TryGetValue(symbol, out coin!);

    public Coin? GetCoin(uint number) => number >= 1 && number <= _coins.Count ? _coins[(int)number - 1] : null;

    public bool TryGetAccount(uint coin, Address address, out Account account)
    {
        if (_accountIndex.TryGetValue(new AccountKey(coin, address), out var index))
        {
            account = _accounts[index];
            return true;
        }

        account = default;
        return false;
    }

    public bool TryGetTransfer(UInt128 id, out StoredTransfer transfer)
    {
        if (_transferIndex.TryGetValue(id, out var index))
        {
            transfer = StoredAt(index);
            return true;
        }

        transfer = default;
        return false;
    }

    /// <summary>Accounts in creation order (deterministic).</summary>
    public StoreView<Account> Accounts => new(_accounts, _accountCount);

    /// <summary>Transfers in application order (deterministic).</summary>
    public TransferView Transfers => new(this, _transferCount);

    /// <summary>The stored transfer at <paramref name="index"/>, rebuilt from its compact record.</summary>
    internal StoredTransfer StoredAt(int index) =>
        new(TransferAt(index), _transfers[index].Hold, HeightAt(index), _transfers[index].Position);

    private Transfer TransferAt(int index)
    {
        ref readonly var r = ref _transfers[index];
        ref readonly var debit = ref _accounts[r.Debit];
        var extra = r.Extra == 0 ? default : _extras[r.Extra - 1];
        return new Transfer
        {
            Id = r.Id,
            DebitAccount = debit.Key.Address,
            CreditAccount = _accounts[r.Credit].Key.Address,
            Amount = r.Amount,
            PendingId = extra.PendingId,
            Memo = extra.Memo,
            Coin = debit.Key.Coin,
            Timeout = extra.Timeout,
            Code = r.Code,
            Flags = r.Flags,
            Timestamp = r.Timestamp,
        };
    }

    private ulong HeightAt(int index)
    {
        // The last run starting at or before index (runs are in transfer order).
        int lo = 0, hi = _heightRuns.Count - 1;
        while (lo < hi)
        {
            var mid = hi - ((hi - lo) / 2);
            if (_heightRuns[mid].Start <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _heightRuns[lo].Height;
    }

    /// <summary>Ledger time at which a pending hold expires; 0 = never (as <see cref="StoredTransfer.ExpiresAt"/>).</summary>
    private ulong ExpiresAt(in TransferRecord r)
    {
        var timeout = r.Extra == 0 ? 0 : _extras[r.Extra - 1].Timeout;
        return timeout == 0 ? 0 : r.Timestamp + ((ulong)timeout * 1_000_000_000UL);
    }

    public IReadOnlyDictionary<UInt128, ResultCode> FailedIds => _failed;

    /// <summary>
    /// Applies one block. <paramref name="height"/> must be <see cref="Height"/> + 1 and
    /// <paramref name="timestamp"/> at least <see cref="NextTimestamp"/>; command i gets ledger time
    /// timestamp + i. First releases every hold that expired at or before <paramref name="timestamp"/>.
    /// <paramref name="rules"/> is the <see cref="LedgerRules"/> version to apply it under: the current one for a new
    /// block, the header's on replay.
    /// </summary>
    internal void ApplyBlock(ulong height, ulong timestamp, ReadOnlySpan<Command> commands, Span<CommandResult> results, ushort rules = LedgerRules.Current)
    {
        if (rules > LedgerRules.Current)
        {
            throw new ArgumentOutOfRangeException(nameof(rules), $"Ledger rules {rules} are newer than this build's {LedgerRules.Current}.");
        }

        if (height != Height + 1)
        {
            throw new ArgumentException($"Block height {height} does not follow {Height}.", nameof(height));
        }

        if (timestamp < NextTimestamp)
        {
            throw new ArgumentException($"Block time {timestamp} is before {NextTimestamp}.", nameof(timestamp));
        }

        if (commands.Length > MaxBatchSize || results.Length < commands.Length)
        {
            throw new ArgumentException("Batch too large or results too small.", nameof(commands));
        }

        // Checked before any mutation: event times and NextTimestamp must not overflow, or the block would be
        // half applied when the checked addition throws.
        if (timestamp > ulong.MaxValue - (ulong)Math.Max(commands.Length, 1))
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), $"Block time {timestamp} leaves no room for {commands.Length} event times.");
        }

        foreach (var module in _modules)
        {
            module.OnBeforeBlock(height, timestamp);
        }

        Rules = rules;
        _applyingHeight = height;
        _applyingNow = timestamp;
        try
        {
            ApplyCommands(height, timestamp, commands, results);
        }
        finally
        {
            _applyingHeight = 0;
        }

        Height = height;
        Timestamp = timestamp;
        NextTimestamp = timestamp + (ulong)Math.Max(commands.Length, 1);
    }

    private void ApplyCommands(ulong height, ulong timestamp, ReadOnlySpan<Command> commands, Span<CommandResult> results)
    {
        ExpireHolds(timestamp);
        foreach (var module in _modules)
        {
            module.OnBlockStart(height, timestamp);
        }

        // Index slots are loaded PrefetchDistance commands ahead, so their cache misses overlap with the work on
        // the commands before them instead of stalling one by one. (Prefetching a whole batch up front issues
        // thousands of loads at once: most are dropped or evicted again before use.)
        for (var i = 0; i < Math.Min(PrefetchDistance, commands.Length); i++)
        {
            PrefetchSlots(commands[i]);
        }

        var chainStart = -1;
        for (var i = 0; i < commands.Length; i++)
        {
            ref readonly var command = ref commands[i];
            if (i + PrefetchDistance < commands.Length)
            {
                PrefetchSlots(commands[i + PrefetchDistance]);
            }

            var eventTime = timestamp + (ulong)i;
            _applyingNow = eventTime;
            if (command.Kind != CommandKind.Transfer)
            {
                // No chain is open here: the transfer before a non-transfer command ends its scope (see EndsScope).
                results[i] = new CommandResult(ApplyBody(command.Body!, eventTime, height, i), eventTime);
                continue;
            }

            var linked = (command.Transfer.Flags & TransferFlags.Linked) != 0;
            if (chainStart < 0 && linked)
            {
                chainStart = i;
                _undo.Clear();
            }

            if (linked && EndsScope(commands, i))
            {
                // The last event of its request, of the block, or before a non-transfer command still says
                // "linked": the chain was never closed. As in TigerBeetle this takes precedence over everything
                // else: the event is not applied (so its id is not burnt) and the whole chain is rolled back.
                RollBack();
                for (var j = chainStart; j < i; j++)
                {
                    results[j] = new CommandResult(ResultCode.LinkedEventFailed, timestamp + (ulong)j);
                }

                results[i] = new CommandResult(ResultCode.LinkedEventChainOpen, eventTime);
                chainStart = -1;
                continue;
            }

            var code = ApplyTransfer(command.Transfer, eventTime, height, i, chainStart >= 0);
            results[i] = new CommandResult(code, eventTime);
            if (chainStart < 0)
            {
                continue;
            }

            if (!code.IsSuccess())
            {
                // Roll back the chain so far; the rest of the chain is skipped with linked_event_failed, except
                // that a chain left open reports linked_event_chain_open on its last event.
                var end = i;
                while ((commands[end].Transfer.Flags & TransferFlags.Linked) != 0 && !EndsScope(commands, end))
                {
                    end++;
                }

                RollBack();
                for (var j = chainStart; j <= end; j++)
                {
                    if (j != i)
                    {
                        var open = j == end && (commands[j].Transfer.Flags & TransferFlags.Linked) != 0;
                        results[j] = new CommandResult(open ? ResultCode.LinkedEventChainOpen : ResultCode.LinkedEventFailed, timestamp + (ulong)j);
                    }
                }

                i = end;
                chainStart = -1;
            }
            else if (!linked)
            {
                // The chain closed and every event in it succeeded: keep it.
                _undo.Clear();
                chainStart = -1;
            }
        }
    }

    private const int PrefetchDistance = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchSlots(in Command c)
    {
        if (c.Kind == CommandKind.Transfer)
        {
            _transferIndex.Prefetch(c.Transfer.Id);
            _accountIndex.Prefetch(new AccountKey(c.Transfer.Coin, c.Transfer.DebitAccount));
            _accountIndex.Prefetch(new AccountKey(c.Transfer.Coin, c.Transfer.CreditAccount));
        }
    }

    /// <summary>True when transfer <paramref name="i"/> is the last one a linked chain can reach: it ends its
    /// request, it is the last command of the block, or a non-transfer command follows.</summary>
    private static bool EndsScope(ReadOnlySpan<Command> commands, int i) =>
        commands[i].EndsRequest || i == commands.Length - 1 || commands[i + 1].Kind != CommandKind.Transfer;

    private ResultCode ApplyBody(CommandBody body, ulong now, ulong height, int position) => body switch
    {
        CreateCoin c => ApplyCreateCoin(c),
        SetAccountFrozen f => ApplySetFrozen(f),
        TransferWithAuthorization a => ApplyTransferWithAuthorization(a, now, height, position),
        CancelAuthorization c => ApplyCancelAuthorization(c),
        Permit p => ApplyPermit(p, now),
        TransferFrom t => ApplyTransferFrom(t, now, height, position),
        _ => ApplyModule(body, new ModuleContext(now, height, position)),
    };

    private ResultCode ApplyModule(CommandBody body, in ModuleContext context)
    {
        foreach (var module in _modules)
        {
            if (module.Handles(body.Kind))
            {
                return module.Apply(body, context);
            }
        }

        return ResultCode.UnknownCommand;
    }

    /// <summary>
    /// Applies a transfer on behalf of a module (a mint, an escrow hold, a release). Same rules as a client
    /// transfer, except that a failure is not remembered by id: the module decides what a failure means.
    /// Modules derive ids deterministically (e.g. from their own ids) so they never collide with clients'.
    /// </summary>
    internal ResultCode Execute(in Transfer transfer, in ModuleContext context)
    {
        if (transfer.Id == UInt128.Zero || transfer.Id == UInt128.MaxValue)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (HasMoreThanOne(transfer.Flags) || ((ushort)transfer.Flags & ~(ushort)0xE) != 0)
        {
            return ResultCode.FlagsAreMutuallyExclusive;
        }

        if (_transferIndex.TryGetValue(transfer.Id, out var existing))
        {
            return CompareExisting(transfer, TransferAt(existing));
        }

        _executingModule = true;
        try
        {
            return (transfer.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0
                ? ApplyPostOrVoid(transfer, context.Now, context.Height, context.Position, inChain: false, ref Unsafe.NullRef<int>())
                : ApplySingle(transfer, context.Now, context.Height, context.Position, inChain: false, ref Unsafe.NullRef<int>());
        }
        finally
        {
            _executingModule = false;
        }
    }

    /// <summary>
    /// Marks (creating it if needed) an account as owned by a module: afterwards only modules move money in or out.
    /// Call only from a module's Apply (deterministic state).
    /// </summary>
    internal void SetModuleOwned(uint coin, Address address, LedgerModule owner)
    {
        if (GetCoin(coin) is null)
        {
            throw new ArgumentOutOfRangeException(nameof(coin), $"No coin {coin}.");
        }

        var key = new AccountKey(coin, address);
        if (!_accountIndex.TryGetValue(key, out var index))
        {
            index = CreateAccount(key, record: false);
        }

        _accounts[index].Flags |= AccountFlags.ModuleOwned;
        _moduleOwners[key] = owner;
    }

    /// <summary>
    /// Like <see cref="Execute"/>, on behalf of <paramref name="owner"/>: the only way to move
    /// money into or out of the accounts it owns (<see cref="SetModuleOwned"/>).
    /// </summary>
    internal ResultCode ExecuteAsOwner(in Transfer transfer, in ModuleContext context, LedgerModule owner)
    {
        _executingOwner = owner;
        try
        {
            return Execute(transfer, context);
        }
        finally
        {
            _executingOwner = null;
        }
    }

    // Module-owned accounts are rare: a dictionary looked up only when a flagged account takes part.
    private bool IsOwnerExecuting(in Account debit, in Account credit) =>
        _executingOwner is { } owner
        && ((debit.Flags & AccountFlags.ModuleOwned) == 0 || (_moduleOwners.TryGetValue(debit.Key, out var d) && d == owner))
        && ((credit.Flags & AccountFlags.ModuleOwned) == 0 || (_moduleOwners.TryGetValue(credit.Key, out var c) && c == owner));

    /// <summary>Creates a coin on behalf of a module (e.g. the exchange's LP share coins); same rules as the command.
    /// Call only from a module's Apply.</summary>
    internal ResultCode CreateCoinForModule(CreateCoin coin) => ApplyCreateCoin(coin);

    private ResultCode ApplyCreateCoin(CreateCoin c)
    {
        if (!Coin.IsValidSymbol(c.Symbol))
        {
            return ResultCode.CoinSymbolInvalid;
        }

        if (c.Decimals > 18)
        {
            return ResultCode.CoinDecimalsInvalid;
        }

        if (!Coin.IsValidCurrency(c.Currency))
        {
            return ResultCode.CoinCurrencyInvalid;
        }

        if (string.IsNullOrWhiteSpace(c.Name) || c.Name.Length > 64 || string.IsNullOrWhiteSpace(c.Version) || c.Version.Length > 16)
        {
            return ResultCode.CoinNameInvalid;
        }

        if (_coinsBySymbol.ContainsKey(c.Symbol))
        {
            return ResultCode.CoinExists;
        }

        if (_coins.Count >= MaxCoins)
        {
            return ResultCode.TooManyCoins;
        }

        var coin = new Coin
        {
            Number = (uint)(_coins.Count + 1),
            Symbol = c.Symbol,
            Decimals = c.Decimals,
            Currency = c.Currency,
            Name = c.Name,
            Version = c.Version,
            Sandbox = c.Sandbox,
        };
        _coins.Add(coin);
        _coinsBySymbol.Add(coin.Symbol, coin);
        var index = CreateAccount(new AccountKey(coin.Number, coin.SupplyAccount), record: false);
        _accounts[index].Flags = AccountFlags.Supply;
        AddKeylessAddresses(coin);
        return ResultCode.Ok;
    }

    private ResultCode ApplySetFrozen(SetAccountFrozen f)
    {
        if (GetCoin(f.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (f.Account.IsZero)
        {
            return ResultCode.DebitAccountMustNotBeZero;
        }

        var key = new AccountKey(f.Coin, f.Account);
        if (!_accountIndex.TryGetValue(key, out var index))
        {
            index = CreateAccount(key, record: false);
        }

        ref var account = ref _accounts[index];
        account.Flags = f.Frozen ? account.Flags | AccountFlags.Frozen : account.Flags & ~AccountFlags.Frozen;
        return ResultCode.Ok;
    }

    private int CreateAccount(AccountKey key, bool record)
    {
        _accounts.EnsureCapacity(_accountCount + 1);

        var index = _accountCount++;
        _accounts[index] = new Account { Key = key, Flags = IsKeyless(key.Address) ? AccountFlags.Keyless : AccountFlags.None };
        _accountIndex.Add(key, index);
        if (record)
        {
            _undo.Add(new Undo(UndoKind.AccountCreated, index, default));
        }

        return index;
    }

    private void ExpireHolds(ulong now)
    {
        while (_expiries.TryPeek(out var index, out var due) && due.ExpiresAt <= now)
        {
            _expiries.Dequeue();
            ref var stored = ref _transfers[index];
            if (index >= _transferCount || stored.Hold != HoldState.Pending || stored.Id != due.Id || ExpiresAt(stored) != due.ExpiresAt)
            {
                continue; // stale: posted, voided, or rolled back
            }

            var amount = stored.Amount;
            _accounts[stored.Debit].DebitsPending -= amount;
            _accounts[stored.Credit].CreditsPending -= amount;
            stored.Hold = HoldState.Expired;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasMoreThanOne(TransferFlags f)
    {
        // PopCount, not the x & (x - 1) trick: the build is checked, and 0 - 1 would throw for every
        // plain transfer (no phase flag).
        var phase = (uint)(f & (TransferFlags.Pending | TransferFlags.PostPending | TransferFlags.VoidPending));
        return System.Numerics.BitOperations.PopCount(phase) > 1;
    }

    private ResultCode ApplyTransfer(in Transfer input, ulong now, ulong height, int position, bool inChain)
    {
        if (input.Id == UInt128.Zero)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (input.Id == UInt128.MaxValue)
        {
            return ResultCode.IdMustNotBeMax;
        }

        if (((ushort)input.Flags & ~(ushort)0xF) != 0)
        {
            return Record(input.Id, ResultCode.ReservedFlag);
        }

        if (HasMoreThanOne(input.Flags))
        {
            return Record(input.Id, ResultCode.FlagsAreMutuallyExclusive);
        }

        // One hash lookup finds an existing id or reserves its slot (the id index is the biggest, least
        // cache-friendly structure on the hot path, so it is probed once per transfer, not twice).
        ref var slot = ref _transferIndex.GetValueRefOrAddDefault(input.Id, out var exists);
        if (exists)
        {
            return CompareExisting(input, TransferAt(slot));
        }

        if (_failed.Count > 0 && _failed.TryGetValue(input.Id, out var failedCode))
        {
            _transferIndex.RemoveReserved(input.Id);
            return failedCode;
        }

        var code = (input.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0
            ? ApplyPostOrVoid(input, now, height, position, inChain, ref slot)
            : ApplySingle(input, now, height, position, inChain, ref slot);
        if (code == ResultCode.Ok)
        {
            return code;
        }

        // The reserved slot was not filled: drop it before anything else touches the index.
        _transferIndex.RemoveReserved(input.Id);
        return Record(input.Id, code);
    }

    private ResultCode Record(UInt128 id, ResultCode code)
    {
        // Failures are remembered so that a retry with the same id returns the same outcome (a transient
        // failure never flips to success later under the same id). Linked chain rollbacks do not record
        // the other events' ids: they never failed themselves.
        // An id that is applied keeps that outcome (a retry with a reserved flag fails validation before
        // the exists check): it must never be listed as failed too.
        if (!_transferIndex.ContainsKey(id))
        {
            _failed.TryAdd(id, code);
        }

        return code;
    }

    private static ResultCode CompareExisting(in Transfer input, in Transfer stored)
    {
        var isTwoPhase = (stored.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0;
        if (input.Flags != stored.Flags)
        {
            return ResultCode.ExistsWithDifferentFlags;
        }

        if (input.PendingId != stored.PendingId)
        {
            return ResultCode.ExistsWithDifferentPendingId;
        }

        if (input.Timeout != stored.Timeout)
        {
            return ResultCode.ExistsWithDifferentTimeout;
        }

        // On posts and voids, zero fields were inherited from the hold: zero matches what was stored.
        if (input.DebitAccount != stored.DebitAccount && !(isTwoPhase && input.DebitAccount.IsZero))
        {
            return ResultCode.ExistsWithDifferentDebitAccount;
        }

        if (input.CreditAccount != stored.CreditAccount && !(isTwoPhase && input.CreditAccount.IsZero))
        {
            return ResultCode.ExistsWithDifferentCreditAccount;
        }

        if (input.Coin != stored.Coin && !(isTwoPhase && input.Coin == 0))
        {
            return ResultCode.ExistsWithDifferentCoin;
        }

        if (input.Amount != stored.Amount && !(isTwoPhase && input.Amount == UInt128.Zero))
        {
            return ResultCode.ExistsWithDifferentAmount;
        }

        if (input.Memo != stored.Memo)
        {
            return ResultCode.ExistsWithDifferentMemo;
        }

        return input.Code != stored.Code ? ResultCode.ExistsWithDifferentCode : ResultCode.Exists;
    }

    private ResultCode ApplySingle(in Transfer t, ulong now, ulong height, int position, bool inChain, ref int indexSlot)
    {
        if (t.PendingId != UInt128.Zero)
        {
            return ResultCode.PendingIdMustBeZero;
        }

        var pending = (t.Flags & TransferFlags.Pending) != 0;
        if (t.Timeout != 0 && !pending)
        {
            return ResultCode.TimeoutReservedForPendingTransfer;
        }

        if (t.Amount == UInt128.Zero)
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

        if (t.Coin == 0 || t.Coin > (uint)_coins.Count)
        {
            return ResultCode.CoinNotFound;
        }

        if (_anyGuard && CheckGuard(t.Coin, t.DebitAccount, t.CreditAccount) is var guarded && guarded != ResultCode.Ok)
        {
            return guarded;
        }

        // Screened before the frozen check: a sanctioned party is refused as sanctioned even once it is also frozen.
        var screening = Screening;
        if (screening && ScreenParties(t.Coin, t.DebitAccount, t.CreditAccount, height, now) is var screened && screened != ResultCode.Ok)
        {
            return screened;
        }

        if (!_accountIndex.TryGetValue(new AccountKey(t.Coin, t.DebitAccount), out var debitIndex))
        {
            return ResultCode.DebitAccountNotFound;
        }

        var creditKey = new AccountKey(t.Coin, t.CreditAccount);
        var hasCredit = _accountIndex.TryGetValue(creditKey, out var creditIndex);
        ref var debit = ref _accounts[debitIndex];
        var creditFlags = hasCredit ? _accounts[creditIndex].Flags : IsKeyless(t.CreditAccount) ? AccountFlags.Keyless : AccountFlags.None;
        var flags = debit.Flags | creditFlags;
        if ((flags & (AccountFlags.Frozen | AccountFlags.ModuleOwned | AccountFlags.Keyless)) != 0)
        {
            if ((flags & AccountFlags.Frozen) != 0)
            {
                return ResultCode.AccountFrozen;
            }

            if ((creditFlags & AccountFlags.Keyless) != 0 && Rules >= LedgerRules.HolderProtections)
            {
                return ResultCode.CreditAccountIsSystemAddress;
            }

            if ((flags & AccountFlags.ModuleOwned) != 0 && !IsOwnerExecuting(debit, hasCredit ? _accounts[creditIndex] : default))
            {
                return ResultCode.ModuleOwnedAccount;
            }
        }

        if (pending && t.Timeout != 0 && (ulong)t.Timeout * 1_000_000_000UL > ulong.MaxValue - now)
        {
            return ResultCode.OverflowsTimeout;
        }

        // Overflow checks before any mutation, so a failure changes nothing.
        var debitLimit = (debit.Flags & AccountFlags.Supply) != 0 ? MaxSupply : UInt128.MaxValue;
        var debitSide = pending ? debit.DebitsPending : debit.DebitsPosted;
        if (debitLimit - debitSide < t.Amount || debitLimit - debit.DebitsPending - debit.DebitsPosted < t.Amount)
        {
            return pending ? ResultCode.OverflowsDebitsPending : ResultCode.OverflowsDebits;
        }

        if ((debit.Flags & AccountFlags.Supply) == 0)
        {
            // Must not overdraft: debits_posted + debits_pending + amount ≤ credits_posted (no overflow: checked above).
            if (debit.DebitsPosted + debit.DebitsPending + t.Amount > debit.CreditsPosted)
            {
                return ResultCode.ExceedsBalance;
            }
        }

        if (hasCredit)
        {
            ref readonly var credit = ref _accounts[creditIndex];
            var creditSide = pending ? credit.CreditsPending : credit.CreditsPosted;
            if (UInt128.MaxValue - creditSide < t.Amount || UInt128.MaxValue - credit.CreditsPending - credit.CreditsPosted < t.Amount)
            {
                return pending ? ResultCode.OverflowsCreditsPending : ResultCode.OverflowsCredits;
            }
        }

        var movement = default(Movement);
        screening &= !_lawfulOrder;
        if (screening)
        {
            movement = new Movement(t.Id, t.Coin, t.DebitAccount, t.CreditAccount, t.Amount, t.Memo, t.Code, now, SidesOf(debit.Flags, creditFlags),
                hasCredit ? BalanceWithIncoming(_accounts[creditIndex]) : Int128.Zero);
            if (ScreenMovement(movement) is var refused && refused != ResultCode.Ok)
            {
                return refused;
            }
        }

        if (!hasCredit)
        {
            creditIndex = CreateAccount(creditKey, record: inChain);
        }

        // CreateAccount may have grown the array: take fresh references.
        ref var d = ref _accounts[debitIndex];
        ref var c = ref _accounts[creditIndex];
        if (inChain)
        {
            _undo.Add(new Undo(UndoKind.AccountRestore, debitIndex, d));
            _undo.Add(new Undo(UndoKind.AccountRestore, creditIndex, c));
        }

        if (pending)
        {
            d.DebitsPending += t.Amount;
            c.CreditsPending += t.Amount;
        }
        else
        {
            d.DebitsPosted += t.Amount;
            c.CreditsPosted += t.Amount;
        }

        var index = AddTransfer(t, t.Amount, now, pending ? HoldState.Pending : HoldState.None, height, position, debitIndex, creditIndex, inChain, ref indexSlot);
        if (pending && t.Timeout != 0)
        {
            _expiries.Enqueue(index, (now + ((ulong)t.Timeout * 1_000_000_000UL), t.Id));
        }

        if (screening)
        {
            Moved(movement);
        }

        return ResultCode.Ok;
    }

    private ResultCode ApplyPostOrVoid(in Transfer t, ulong now, ulong height, int position, bool inChain, ref int indexSlot)
    {
        var post = (t.Flags & TransferFlags.PostPending) != 0;
        if (t.PendingId == UInt128.Zero)
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

        if (!_transferIndex.TryGetValue(t.PendingId, out var holdIndex))
        {
            return ResultCode.PendingTransferNotFound;
        }

        ref var hold = ref _transfers[holdIndex];
        var h = TransferAt(holdIndex);
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

        var expiresAt = ExpiresAt(hold);
        if (expiresAt != 0 && now >= expiresAt)
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

        if (post && _anyGuard && CheckGuard(h.Coin, h.DebitAccount, h.CreditAccount) is var guarded && guarded != ResultCode.Ok)
        {
            return guarded;
        }

        // A hold's payee may have been listed since the hold was made: its post moves value, so it is screened again.
        // A void only lifts the payer's own reservation and is never refused by a screen.
        if (post && Screening && ScreenParties(h.Coin, h.DebitAccount, h.CreditAccount, height, now) is var screened && screened != ResultCode.Ok)
        {
            return screened;
        }

        var amount = t.Amount == UInt128.Zero ? h.Amount : t.Amount;
        if (amount > h.Amount)
        {
            return post ? ResultCode.ExceedsPendingTransferAmount : ResultCode.PendingTransferHasDifferentAmount;
        }

        if (!post && amount != h.Amount)
        {
            return ResultCode.PendingTransferHasDifferentAmount;
        }

        var debitIndex = hold.Debit;
        var creditIndex = hold.Credit;
        ref var d = ref _accounts[debitIndex];
        ref var c = ref _accounts[creditIndex];
        if (post && (d.IsFrozen || c.IsFrozen))
        {
            return ResultCode.AccountFrozen;
        }

        if (post && (c.Flags & AccountFlags.Keyless) != 0 && Rules >= LedgerRules.HolderProtections)
        {
            return ResultCode.CreditAccountIsSystemAddress; // a hold created under older rules
        }

        if (post && (UInt128.MaxValue - c.CreditsPosted < amount))
        {
            return ResultCode.OverflowsCredits;
        }

        if (inChain)
        {
            _undo.Add(new Undo(UndoKind.AccountRestore, debitIndex, d));
            _undo.Add(new Undo(UndoKind.AccountRestore, creditIndex, c));
            _undo.Add(new Undo(UndoKind.HoldRestore, holdIndex, default));
        }

        d.DebitsPending -= h.Amount;
        c.CreditsPending -= h.Amount;
        if (post)
        {
            // Partial post: the rest of the hold returns to the debit account (it was only reserved).
            d.DebitsPosted += amount;
            c.CreditsPosted += amount;
        }

        hold.Hold = post ? HoldState.Posted : HoldState.Voided;

        // Stored resolved: the hold's accounts and coin, the amount actually posted or voided.
        AddTransfer(t, amount, now, HoldState.None, height, position, debitIndex, creditIndex, inChain, ref indexSlot);
        return ResultCode.Ok;
    }

    /// <summary>Stores a transfer. <paramref name="indexSlot"/> is the id's reserved slot in the index, or a
    /// null reference to insert the id now.</summary>
    private int AddTransfer(in Transfer t, UInt128 amount, ulong now, HoldState hold, ulong height, int position, int debit, int credit, bool inChain, ref int indexSlot)
    {
        _transfers.EnsureCapacity(_transferCount + 1);

        var index = _transferCount++;
        var extra = 0;
        if ((t.PendingId | t.Memo) != UInt128.Zero || t.Timeout != 0)
        {
            _extras.EnsureCapacity(_extraCount + 1);
            _extras[_extraCount++] = new TransferExtra
            {
                PendingIdLow = (ulong)(t.PendingId & ulong.MaxValue),
                PendingIdHigh = (ulong)(t.PendingId >> 64),
                MemoLow = (ulong)(t.Memo & ulong.MaxValue),
                MemoHigh = (ulong)(t.Memo >> 64),
                Timeout = t.Timeout,
            };
            extra = _extraCount;
        }

        _transfers[index] = new TransferRecord
        {
            IdLow = (ulong)(t.Id & ulong.MaxValue),
            IdHigh = (ulong)(t.Id >> 64),
            AmountLow = (ulong)(amount & ulong.MaxValue),
            AmountHigh = (ulong)(amount >> 64),
            Timestamp = now,
            Debit = debit,
            Credit = credit,
            Position = position,
            Extra = extra,
            Code = t.Code,
            Flags = t.Flags,
            Hold = hold,
        };
        if (_heightRuns.Count == 0 || _heightRuns[^1].Height != height)
        {
            _heightRuns.Add(new HeightRun(index, height));
        }

        if (Unsafe.IsNullRef(ref indexSlot))
        {
            _transferIndex.Add(t.Id, index);
        }
        else
        {
            indexSlot = index;
        }
        if (inChain)
        {
            _undo.Add(new Undo(UndoKind.TransferAdded, index, default));
        }

        return index;
    }

    private void RollBack()
    {
        for (var i = _undo.Count - 1; i >= 0; i--)
        {
            var u = _undo[i];
            switch (u.Kind)
            {
                case UndoKind.AccountRestore:
                    _accounts[u.Index] = u.Account;
                    break;
                case UndoKind.AccountCreated:
                    // Accounts are created last-in-first-out within a chain, so the created one is the last.
                    _accountIndex.Remove(_accounts[u.Index].Key);
                    _accounts[u.Index] = default;
                    _accountCount--;
                    break;
                case UndoKind.TransferAdded:
                    UnmoveRolledBack(u.Index);

                    // Transfers (and their extras and height runs) are added last-in-first-out within a chain.
                    _transferIndex.Remove(_transfers[u.Index].Id);
                    if (_transfers[u.Index].Extra != 0)
                    {
                        _extras[--_extraCount] = default;
                    }

                    if (_heightRuns[^1].Start == u.Index)
                    {
                        _heightRuns.RemoveAt(_heightRuns.Count - 1);
                    }

                    _transfers[u.Index] = default;
                    _transferCount--;
                    break;
                case UndoKind.HoldRestore:
                    _transfers[u.Index].Hold = HoldState.Pending;
                    break;
            }
        }

        _undo.Clear();
    }

    private enum UndoKind : byte
    {
        AccountRestore,
        AccountCreated,
        TransferAdded,
        HoldRestore,
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Undo(UndoKind Kind, int Index, Account Account);
}
