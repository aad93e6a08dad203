using System.Globalization;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// The issuance module (docs/issuance.md): operators and roles, maker-checker approvals, fiat deposits, mints through
/// the 1:1 mint gate, redemptions with payout deadlines, pause, and each coin's reserve book. Every change is a
/// journaled <see cref="IssuanceCommand"/>, applied deterministically (ledger time only), so replay and snapshots
/// reproduce the state exactly. Money moves only through <see cref="LedgerState.Execute"/>.
/// <para>The read API (<see cref="Coin(uint)"/>, <see cref="Supply"/>, <see cref="EvaluateReserves"/>,
/// <see cref="CoverageOf"/>, <see cref="Redemptions"/>, <see cref="Audit"/>, …) must be used under the node's read
/// lock (<c>Sequencer.ReadLock()</c>), like the ledger state.</para>
/// </summary>
public sealed partial class IssuanceModule : LedgerModule
{
    /// <summary>The bootstrap administrator: the node's operator key (<c>&lt;data&gt;/operator.key</c>) authenticates as this id.</summary>
    public const string BootstrapAdmin = "admin";

    /// <summary>Requester of events the module raises itself (deadlines).</summary>
    public const string SystemRequester = "system";

    /// <summary>Transfer code of mints made by the module.</summary>
    public const ushort MintTransferCode = 0x4D49; // "MI"

    /// <summary>Transfer code of redemption burns made by the module.</summary>
    public const ushort BurnTransferCode = 0x4255; // "BU"

    private const ulong NanosPerSecond = 1_000_000_000UL;
    private const ulong TransferIdPrefix = 0x1550_C3E7_0000_0000UL;
    private const int MaxText = 200;
    /// <summary>Transfer code of lawful-order seizures.</summary>
    public const ushort SeizeTransferCode = 0x535A; // "SZ"

    /// <summary>Transfer code of lawful-order burns.</summary>
    public const ushort LawfulBurnTransferCode = 0x4C42; // "LB"

    private const uint SnapshotVersion = 6; // 3: issuer key periods at the end; 4: lawful orders at the end; 5: each coin's bank book after them; 6: holiday calendars after those

    private readonly SortedDictionary<string, Operator> _operators = new(StringComparer.Ordinal);
    private readonly Dictionary<Hash32, string> _operatorsByKey = [];
    private readonly SortedDictionary<uint, CoinIssuance> _coins = [];
    private readonly List<IssuanceAction> _actions = [];
    private readonly Dictionary<UInt128, int> _actionIndex = [];
    private readonly List<AuditEntry> _audit = [];
    private readonly List<IssuerKeyPeriod> _issuerKeys = [];
    private readonly Dictionary<UInt128, (uint Coin, int Index)> _redemptionIndex = [];
    private readonly List<LawfulOrderRecord> _orders = [];
    private readonly Dictionary<UInt128, int> _orderIndex = [];
    private readonly Dictionary<AccountKey, FreezeRecord> _freezes = [];
    private ulong _nextTransfer = 1;
    private bool _adminChangesNeedApproval;
    private bool _singleOperator;
    private Hash32 _bootstrapKeyHash;
    private ulong? _nextDeadline;

    static IssuanceModule() => IssuanceCommand.RegisterAll();

    /// <summary>A fresh module (registers the issuance command decoders).</summary>
    public IssuanceModule()
    {
    }

    /// <inheritdoc/>
    public override string Name => "issuance";

    /// <inheritdoc/>
    public override bool Handles(CommandKind kind) =>
        kind is (>= CommandKind.IssuanceAddOperator and <= CommandKind.IssuanceSetHolidayCalendar) or CommandKind.IssuanceHolderRedeem or CommandKind.IssuanceLawfulOrder;

    // ------------------------------------------------------------------ read API

    /// <summary>Administrative changes (operators, roles, coin and minter settings, key rotations of others, policy) need a
    /// second admin: always in multi-operator mode, as the policy says in single-operator mode.</summary>
    public bool AdminChangesNeedApproval => !Relaxed || _adminChangesNeedApproval;

    // Single-operator rules: the node's mode, or a block applied before governance rules existed (replay reproduces
    // what such a block did then).
    private bool Relaxed => _singleOperator || Ledger.Rules < LedgerRules.Governance;

    /// <summary>
    /// Single-operator mode (the node was started with <c>--single-operator</c>): one person runs the node, administrative
    /// changes need no second admin unless the policy asks, and approvals only need a different operator. Off by default:
    /// multi-operator mode, where privileged changes need a second admin independent of the requester.
    /// </summary>
    public bool SingleOperator => _singleOperator;

    /// <summary>SHA-256 of the bootstrap admin's key once it has been rotated (<see cref="Hash32.Zero"/>: the node's configured key still holds).</summary>
    public Hash32 BootstrapKeyHash => _bootstrapKeyHash;

    /// <summary>Operators by id (the bootstrap admin is implicit and not listed).</summary>
    public IReadOnlyCollection<Operator> Operators => _operators.Values;

    /// <summary>The coins the module manages, by coin number.</summary>
    public IReadOnlyCollection<CoinIssuance> ManagedCoins => _coins.Values;

    /// <summary>Issuance state of a coin, or null when the module has not touched it.</summary>
    public CoinIssuance? Coin(uint coin) => _coins.GetValueOrDefault(coin);

    /// <summary>Every accepted action in order.</summary>
    public IReadOnlyList<IssuanceAction> Actions => _actions;

    /// <summary>The audit trail in order.</summary>
    public IReadOnlyList<AuditEntry> Audit => _audit;

    /// <summary>An action by id, or null.</summary>
    public IssuanceAction? Action(UInt128 id) => _actionIndex.TryGetValue(id, out var i) ? _actions[i] : null;

    /// <summary>The operator whose key has this SHA-256, or null.</summary>
    public Operator? OperatorByKeyHash(Hash32 keyHash) =>
        _operatorsByKey.TryGetValue(keyHash, out var id) ? _operators[id] : null;

    /// <summary>The roles of an operator id (the bootstrap admin has <see cref="OperatorRoles.Admin"/>; unknown ids none).</summary>
    public OperatorRoles RolesOf(string operatorId) =>
        operatorId == BootstrapAdmin ? OperatorRoles.Admin : _operators.TryGetValue(operatorId, out var o) ? o.Roles : OperatorRoles.None;

    /// <summary>Circulating supply of a coin: what its supply account has issued (posted and held), in minor units.</summary>
    public UInt128 Supply(uint coin)
    {
        var c = Ledger.GetCoin(coin);
        if (c is null || !Ledger.TryGetAccount(coin, c.SupplyAccount, out var account))
        {
            return UInt128.Zero;
        }

        var issued = -account.Balance;
        return issued <= Int128.Zero ? account.DebitsPending : checked((UInt128)issued + account.DebitsPending);
    }

    /// <summary>Lawful orders of a coin (every coin when <paramref name="coin"/> is 0), in request order.</summary>
    public IEnumerable<LawfulOrderRecord> LawfulOrders(uint coin = 0)
    {
        foreach (var o in _orders)
        {
            if (coin == 0 || o.Order.Coin == coin)
            {
                yield return o;
            }
        }
    }

    /// <summary>A lawful order by its action id, or null.</summary>
    public LawfulOrderRecord? LawfulOrderById(UInt128 id) => _orderIndex.TryGetValue(id, out var i) ? _orders[i] : null;

    /// <summary>The effective freeze order that froze an account, or null (not frozen, or frozen before lawful orders existed).</summary>
    public FreezeRecord? FreezeOf(uint coin, Address account) => _freezes.GetValueOrDefault(new AccountKey(coin, account));

    /// <summary>
    /// What the accounts of a coin frozen by lawful order hold (posted balances): still owed to their holders, so still
    /// part of the supply that reserves back and of the proof of liabilities.
    /// </summary>
    public UInt128 FrozenBalance(uint coin)
    {
        var total = UInt128.Zero;
        foreach (var f in _freezes.Values)
        {
            if (f.Coin == coin && Ledger.TryGetAccount(coin, f.Account, out var account) && account.Balance > Int128.Zero)
            {
                total = checked(total + (UInt128)account.Balance);
            }
        }

        return total;
    }

    /// <summary>What effective burn orders took out of circulation in a coin (minor units).</summary>
    public UInt128 BurnedByOrder(uint coin)
    {
        var total = UInt128.Zero;
        foreach (var o in _orders)
        {
            if (o.Status == LawfulOrderStatus.Effective && o.Order.Coin == coin && o.Order.Order == LawfulOrderKind.Burn)
            {
                total = checked(total + o.Order.Amount);
            }
        }

        return total;
    }

    /// <summary>Redemptions of a coin (empty when none).</summary>
    public IReadOnlyList<Redemption> Redemptions(uint coin) => _coins.TryGetValue(coin, out var c) ? c.Redemptions : [];

    /// <summary>A redemption by id, or null.</summary>
    public Redemption? RedemptionById(UInt128 id) =>
        _redemptionIndex.TryGetValue(id, out var at) ? _coins[at.Coin].RedemptionList[at.Index] : null;

    /// <summary>The UTC date of the last applied block's ledger time: the as-of date the mint gate uses.</summary>
    public DateOnly LedgerDate => DateOf(Ledger.Timestamp);

    /// <summary>The reserve book of a coin evaluated under its regime at <paramref name="asOf"/> (default: the ledger date), against its supply; null when unmanaged.</summary>
    public ReserveEvaluation? EvaluateReserves(uint coin, DateOnly? asOf = null)
    {
        if (!_coins.TryGetValue(coin, out var c))
        {
            return null;
        }

        return ReserveEligibility.Evaluate(c.Book, c.Profile, asOf ?? LedgerDate, Supply(coin));
    }

    /// <summary>Supply, reserves and the coverage ratio of a coin (reserves 0 when the coin is unmanaged).</summary>
    public Coverage CoverageOf(uint coin, DateOnly? asOf = null)
    {
        var supply = Supply(coin);
        var evaluation = EvaluateReserves(coin, asOf);
        var total = evaluation?.Total ?? UInt128.Zero;
        var eligible = evaluation?.EligibleTotal ?? UInt128.Zero;
        UInt128? ratio = supply == UInt128.Zero ? null : ReserveMath.MultiplyDivide(eligible, 10_000, supply);
        return new Coverage(supply, total, eligible, ratio);
    }

    /// <summary>The profile of a regime.</summary>
    public static RegimeProfile ProfileOf(ReserveRegime regime) => regime switch
    {
        ReserveRegime.HongKong => RegimeProfile.HongKong,
        ReserveRegime.Mica => RegimeProfile.Mica,
        _ => RegimeProfile.Genius,
    };

    /// <summary>UTC date of a ledger time (Unix ns).</summary>
    public static DateOnly DateOf(ulong ledgerTime) =>
        DateOnly.FromDateTime(DateTime.UnixEpoch.AddTicks((long)(ledgerTime / 100)));

    /// <summary>
    /// The payout deadline of a redemption requested at <paramref name="now"/>: now + the window, or with a window of
    /// 0 the same time on the next business day (Saturday and Sunday skipped; public holidays are not modelled).
    /// </summary>
    public static ulong DeadlineOf(ulong now, ulong windowSeconds)
    {
        if (windowSeconds > 0)
        {
            return checked(now + (windowSeconds * NanosPerSecond));
        }

        const ulong day = 86_400UL * NanosPerSecond;
        var deadline = checked(now + day);
        while (DateOf(deadline).DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            deadline = checked(deadline + day);
        }

        return deadline;
    }

    /// <summary>The role an action needs from its requester.</summary>
    public static OperatorRoles RequiredRole(IssuanceCommand command) => command switch
    {
        AddOperator or SetOperatorRoles or ConfigureCoin or SetPolicy or RotateIssuerKey or SetHolidayCalendar => OperatorRoles.Admin,
        ConfigureMinter => OperatorRoles.MinterManager,
        Mint or Redeem => OperatorRoles.Minter,
        SetPaused => OperatorRoles.Pauser,
        SetFrozen or Seize or LawfulOrder => OperatorRoles.AssetProtection,
        RotateKey => OperatorRoles.Admin, // another's key; one's own needs no role (Authorize)
        RecordDeposit or MarkPayoutPaid or AddHolding or UpdateHolding or RemoveHolding or ImportBankStatement or ResolveReconciliation or ExportPayouts => OperatorRoles.ReserveManager,
        _ => OperatorRoles.None, // approve/reject: checked against the target
    };

    /// <summary>The roles any one of which qualifies a (different) operator to approve or reject an action.</summary>
    public static OperatorRoles ApproverRoles(IssuanceCommand command) => command switch
    {
        Mint => OperatorRoles.Minter | OperatorRoles.MinterManager,
        ConfigureMinter => OperatorRoles.MinterManager | OperatorRoles.Admin,
        SetPaused => OperatorRoles.Pauser | OperatorRoles.Admin,
        Seize => OperatorRoles.AssetProtection | OperatorRoles.Admin,
        LawfulOrder => OperatorRoles.AssetProtection, // a second asset_protection operator, never an admin standing in
        _ => OperatorRoles.Admin,
    };

    /// <summary>True when <paramref name="command"/> would wait for a second approval under the current settings.</summary>
    public bool NeedsApproval(IssuanceCommand command) => command switch
    {
        Mint m => m.Amount > (_coins.TryGetValue(m.Coin, out var c) ? c.MintApprovalAbove : UInt128.MaxValue),
        SetPaused p => _coins.TryGetValue(p.Coin, out var c) && c.PauseNeedsApproval,
        Seize or LawfulOrder => true,
        RotateKey k when k.IsOwnKey => false,
        AddOperator or SetOperatorRoles or ConfigureCoin or ConfigureMinter or SetPolicy or RotateKey or RotateIssuerKey or SetHolidayCalendar => AdminChangesNeedApproval && !IsGenesisSeat(command),
        _ => false,
    };

    /// <summary>
    /// In multi-operator mode a fresh node has one admin, who could never get a second approval: while no admin exists
    /// that the bootstrap admin does not control, it may seat admins (role <c>admin</c> only) alone. Such an admin is
    /// controlled by the bootstrap admin, so it approves nothing of the bootstrap admin's, until it rotates its own key.
    /// </summary>
    public bool IsGenesisSeat(IssuanceCommand command) =>
        !Relaxed && command is AddOperator { Requester: BootstrapAdmin, Roles: OperatorRoles.Admin } && !HasAdminIndependentOf(BootstrapAdmin);

    /// <summary>The operator and everyone who controls it, directly or through others (they know its key).</summary>
    public HashSet<string> ControlChain(string operatorId)
    {
        var chain = new HashSet<string>(StringComparer.Ordinal) { operatorId };
        var current = operatorId;
        while (_operators.TryGetValue(current, out var o) && o.ControlledBy.Length > 0 && chain.Add(o.ControlledBy))
        {
            current = o.ControlledBy;
        }

        return chain;
    }

    /// <summary>True when neither operator controls the other and no one controls both.</summary>
    public bool AreIndependent(string a, string b) => !ControlChain(a).Overlaps(ControlChain(b));

    private bool HasAdminIndependentOf(string operatorId)
    {
        foreach (var o in _operators.Values)
        {
            if ((o.Roles & OperatorRoles.Admin) != 0 && AreIndependent(o.Id, operatorId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Operators whose powers an action changes besides its requester's: an approver must be independent of each.</summary>
    private static string? AffectedOperator(IssuanceCommand command) => command switch
    {
        SetOperatorRoles c => c.OperatorId,
        ConfigureMinter c => c.Minter,
        RotateKey c => c.OperatorId,
        _ => null,
    };

    /// <summary>Checks an operator id's form: 1–32 of a–z, 0–9, '_', '-', '.', starting with a letter or digit.</summary>
    public static bool IsValidOperatorId(string? id)
    {
        if (id is null || id.Length is < 1 or > 32 || !char.IsAsciiLetterLower(id[0]) && !char.IsAsciiDigit(id[0]))
        {
            return false;
        }

        foreach (var ch in id)
        {
            if (!char.IsAsciiLetterLower(ch) && !char.IsAsciiDigit(ch) && ch is not ('_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    // ------------------------------------------------------------------ apply

    /// <inheritdoc/>
    protected internal override ResultCode Apply(CommandBody body, in ModuleContext context)
    {
        if (body is HolderRedeem holderRedeem)
        {
            return ApplyHolderRedeem(holderRedeem, context);
        }

        if (body is not IssuanceCommand command)
        {
            return ResultCode.UnknownCommand;
        }

        if (command.ActionId == UInt128.Zero)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (_actionIndex.ContainsKey(command.ActionId))
        {
            return ResultCode.ActionExists;
        }

        switch (command)
        {
            case Approve approve:
                return ApplyApprove(approve, context);
            case Reject reject:
                return ApplyReject(reject, context);
        }

        var authorized = Authorize(command);
        if (authorized != ResultCode.Ok)
        {
            return authorized;
        }

        if (NeedsApproval(command))
        {
            // Validate now so an approver never sees an action that could not run as asked; run it on approval.
            var valid = Execute(command, context, dryRun: true);
            if (valid != ResultCode.Ok)
            {
                return valid;
            }

            var summary = Describe(command);
            AddAction(new IssuanceAction(command.ActionId, command, ActionStatus.Pending, command.Requester, null, context.Now, context.Height, 0, summary, null));
            AddAudit(context, command.ActionId, "pending_approval", command, command.Requester, null, summary);
            if (command is LawfulOrder order)
            {
                _orderIndex.Add(order.ActionId, _orders.Count);
                _orders.Add(new LawfulOrderRecord(order, context.Height, context.Now, LawfulOrderStatus.Pending, null, 0, 0, UInt128.Zero));
            }

            return ResultCode.Ok;
        }

        var summaryBefore = (IsGenesisSeat(command) ? "genesis seat (no independent admin yet): " : "") + Describe(command);
        var code = Execute(command, context, dryRun: false);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        AddAction(new IssuanceAction(command.ActionId, command, ActionStatus.Executed, command.Requester, null, context.Now, context.Height, context.Now, summaryBefore, null));
        AddAudit(context, command.ActionId, "executed", command, command.Requester, null, summaryBefore);
        return ResultCode.Ok;
    }

    private ResultCode Authorize(IssuanceCommand command)
    {
        switch (command)
        {
            case SetFrozen or Seize when Ledger.Rules >= LedgerRules.LawfulOrders:
                // One operator's word no longer freezes or moves a holder's coins: a lawful order names its reference and
                // reason and waits for a second asset_protection operator. Older blocks replay as they were applied.
                return ResultCode.LawfulOrderRequired;
            case LawfulOrder when Ledger.Rules < LedgerRules.LawfulOrders:
                return ResultCode.UnknownCommand;
            case SetGovernance:
                // Only the node writes the mode it was started in; no operator id can be "system".
                return command.Requester == SystemRequester ? ResultCode.Ok : ResultCode.ForbiddenRole;
            case RotateKey k when k.IsOwnKey:
                return k.Requester == BootstrapAdmin || _operators.ContainsKey(k.Requester) ? ResultCode.Ok : ResultCode.OperatorNotFound;
            case RotateKey { OperatorId: BootstrapAdmin }:
                return ResultCode.ForbiddenRole; // only the bootstrap admin replaces its own key
            case Redeem when Ledger.Rules >= LedgerRules.HolderSignedRedemption:
                // No operator burns a holder's coins: the holder signs its own redemption (HolderRedeem), or a lawful
                // order (seize) is approved by a second person. Older blocks applied a minter's word; they replay so.
                return ResultCode.HolderSignatureRequired;
            case ConfigureMinter m when Ledger.Rules >= LedgerRules.Governance && (m.Minter == m.Requester || (!Relaxed && ControlChain(m.Minter).Contains(m.Requester))):
                if ((RolesOf(command.Requester) & OperatorRoles.MinterManager) == 0)
                {
                    return ResultCode.ForbiddenRole;
                }

                return ResultCode.OwnAllowance;
        }

        var required = RequiredRole(command);
        return (RolesOf(command.Requester) & required) != 0 ? ResultCode.Ok : ResultCode.ForbiddenRole;
    }

    private ResultCode ApplyApprove(Approve approve, in ModuleContext context)
    {
        var check = CheckDecision(approve.Requester, approve.Target, out var index);
        if (check != ResultCode.Ok)
        {
            return check;
        }

        var target = _actions[index];
        // The requester must still hold the role, and the action must still be valid now.
        var authorized = Authorize(target.Command);
        if (authorized != ResultCode.Ok)
        {
            return authorized;
        }

        var code = Execute(target.Command, context, dryRun: false);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        _actions[index] = target with { Status = ActionStatus.Executed, Decider = approve.Requester, DecidedAt = context.Now };
        if (target.Command is LawfulOrder order)
        {
            OrderTookEffect(order, approve.Requester, context);
        }

        AddAction(new IssuanceAction(approve.ActionId, approve, ActionStatus.Executed, approve.Requester, null, context.Now, context.Height, context.Now, "approve " + Id(target.Id), null));
        AddAudit(context, target.Id, "approved", target.Command, target.Requester, approve.Requester, target.Summary);
        return ResultCode.Ok;
    }

    private ResultCode ApplyReject(Reject reject, in ModuleContext context)
    {
        if (reject.Reason.Length > MaxText)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        var check = CheckDecision(reject.Requester, reject.Target, out var index);
        if (check != ResultCode.Ok)
        {
            return check;
        }

        var target = _actions[index];
        _actions[index] = target with { Status = ActionStatus.Rejected, Decider = reject.Requester, DecidedAt = context.Now, Note = reject.Reason };
        if (_orderIndex.TryGetValue(target.Id, out var orderAt))
        {
            _orders[orderAt] = _orders[orderAt] with { Status = LawfulOrderStatus.Rejected, Decider = reject.Requester };
        }

        AddAction(new IssuanceAction(reject.ActionId, reject, ActionStatus.Executed, reject.Requester, null, context.Now, context.Height, context.Now, "reject " + Id(target.Id), reject.Reason));
        AddAudit(context, target.Id, "rejected", target.Command, target.Requester, reject.Requester,
            target.Summary + (reject.Reason.Length > 0 ? " — rejected: " + reject.Reason : ""));
        return ResultCode.Ok;
    }

    private ResultCode CheckDecision(string decider, UInt128 targetId, out int index)
    {
        if (!_actionIndex.TryGetValue(targetId, out index))
        {
            return ResultCode.ApprovalNotFound;
        }

        var target = _actions[index];
        if (target.Status != ActionStatus.Pending)
        {
            return ResultCode.ApprovalNotPending;
        }

        if (string.Equals(decider, target.Requester, StringComparison.Ordinal))
        {
            return ResultCode.SelfApproval;
        }

        if ((RolesOf(decider) & ApproverRoles(target.Command)) == 0)
        {
            return ResultCode.ForbiddenRole;
        }

        // Multi-operator mode: a second key is a second person only if the first cannot use it. The approver must not
        // control, be controlled by, or share a controller with the requester, nor with the operator the action changes.
        if (!Relaxed && (!AreIndependent(decider, target.Requester) || (AffectedOperator(target.Command) is { } affected && !AreIndependent(decider, affected))))
        {
            return ResultCode.ApproverNotIndependent;
        }

        return ResultCode.Ok;
    }

    /// <summary>Checks and (unless <paramref name="dryRun"/>) applies one action. A failure changes nothing.</summary>
    private ResultCode Execute(IssuanceCommand command, in ModuleContext context, bool dryRun) => command switch
    {
        AddOperator c => ExecuteAddOperator(c, context, dryRun),
        SetOperatorRoles c => ExecuteSetRoles(c, dryRun),
        ConfigureCoin c => ExecuteConfigureCoin(c, dryRun),
        ConfigureMinter c => ExecuteConfigureMinter(c, dryRun),
        RecordDeposit c => ExecuteRecordDeposit(c, context, dryRun),
        Mint c => ExecuteMint(c, context, dryRun),
        Redeem c => ExecuteRedeem(c, context, dryRun),
        MarkPayoutPaid c => ExecuteMarkPaid(c, context, dryRun),
        SetPaused c => ExecuteSetPaused(c, dryRun),
        AddHolding c => ExecuteAddHolding(c, dryRun),
        UpdateHolding c => ExecuteUpdateHolding(c, dryRun),
        RemoveHolding c => ExecuteRemoveHolding(c, dryRun),
        SetPolicy c => ExecuteSetPolicy(c, dryRun),
        SetFrozen c => ExecuteSetFrozen(c, dryRun),
        SetGovernance c => ExecuteSetGovernance(c, dryRun),
        RotateKey c => ExecuteRotateKey(c, dryRun),
        Seize c => ExecuteSeize(c, context, dryRun),
        LawfulOrder c => ExecuteLawfulOrder(c, context, dryRun),
        RotateIssuerKey c => ExecuteRotateIssuerKey(c, context, dryRun),
        ImportBankStatement c => ExecuteImportBankStatement(c, context, dryRun),
        ResolveReconciliation c => ExecuteResolveReconciliation(c, context, dryRun),
        ExportPayouts c => ExecuteExportPayouts(c, context, dryRun),
        SetHolidayCalendar c => ExecuteSetHolidayCalendar(c, dryRun),
        _ => ResultCode.UnknownCommand,
    };

    private ResultCode ExecuteAddOperator(AddOperator c, in ModuleContext context, bool dryRun)
    {
        if (!IsValidOperatorId(c.OperatorId) || c.KeyHash.IsZero || c.Roles == OperatorRoles.None || (c.Roles & ~KnownRoles) != 0)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (c.OperatorId is BootstrapAdmin or SystemRequester || _operators.ContainsKey(c.OperatorId) || _operatorsByKey.ContainsKey(c.KeyHash) || c.KeyHash == _bootstrapKeyHash)
        {
            return ResultCode.OperatorExists;
        }

        if (!dryRun)
        {
            // The key was shown to the requester: the requester controls the new operator until it rotates its own key.
            _operators.Add(c.OperatorId, new Operator(c.OperatorId, c.KeyHash, c.Roles, context.Now, c.Requester, c.Requester));
            _operatorsByKey.Add(c.KeyHash, c.OperatorId);
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteSetRoles(SetOperatorRoles c, bool dryRun)
    {
        if ((c.Roles & ~KnownRoles) != 0)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!_operators.TryGetValue(c.OperatorId, out var existing))
        {
            return ResultCode.OperatorNotFound;
        }

        if (!dryRun)
        {
            _operators[c.OperatorId] = existing with { Roles = c.Roles };
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteConfigureCoin(ConfigureCoin c, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!Enum.IsDefined(c.Regime) || c.RedemptionWindowSeconds > 366UL * 86_400UL)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!dryRun)
        {
            var coin = Managed(c.Coin);
            coin.Regime = c.Regime;
            coin.RedemptionWindowSeconds = c.RedemptionWindowSeconds;
            coin.MintApprovalAbove = c.MintApprovalAbove;
            coin.PauseNeedsApproval = c.PauseNeedsApproval;
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteConfigureMinter(ConfigureMinter c, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!_operators.TryGetValue(c.Minter, out var minter) || (minter.Roles & OperatorRoles.Minter) == 0)
        {
            return ResultCode.OperatorNotFound;
        }

        if (c.Allowance > LedgerState.MaxSupply || c.RateLimit > LedgerState.MaxSupply
            || (c.RateLimit > UInt128.Zero && (c.RateWindowSeconds == 0 || c.RateWindowSeconds > 366UL * 86_400UL)))
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!dryRun)
        {
            Managed(c.Coin).MinterMap[c.Minter] = new MinterAllowance(c.Minter, c.Allowance, c.RateLimit, c.RateLimit > UInt128.Zero ? c.RateWindowSeconds : 0, 0, UInt128.Zero);
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteRecordDeposit(RecordDeposit c, in ModuleContext context, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!IsText(c.Bank) || !IsText(c.Reference) || c.Holding.Length > MaxText)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (c.Amount == UInt128.Zero)
        {
            return ResultCode.AmountMustNotBeZero;
        }

        if (c.Amount > LedgerState.MaxSupply)
        {
            return ResultCode.AmountOutOfRange;
        }

        var coin = _coins.GetValueOrDefault(c.Coin);
        if (coin is not null && coin.DepositIndex.ContainsKey(c.Reference))
        {
            return ResultCode.DepositExists;
        }

        BankDeposit? updated = null;
        if (c.Holding.Length > 0)
        {
            if (coin is null || !coin.Book.TryGet(c.Holding, out var holding))
            {
                return ResultCode.HoldingNotFound;
            }

            if (holding is not BankDeposit bank || bank.Amount > LedgerState.MaxSupply - c.Amount)
            {
                return ResultCode.HoldingInvalid;
            }

            updated = bank with { Amount = bank.Amount + c.Amount, ValuedOn = Later(bank.ValuedOn, DateOf(context.Now)) };
        }

        if (!dryRun)
        {
            coin = Managed(c.Coin);
            coin.DepositIndex.Add(c.Reference, coin.DepositList.Count);
            coin.DepositList.Add(new Deposit(c.Reference, c.Bank, c.Amount, c.ValueDate, c.Holding, context.Now, c.Requester, UInt128.Zero));
            if (updated is not null)
            {
                coin.Book.Replace(updated);
            }
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteMint(Mint c, in ModuleContext context, bool dryRun)
    {
        var ledgerCoin = Ledger.GetCoin(c.Coin);
        if (ledgerCoin is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (ledgerCoin.Sandbox && Ledger.Rules >= LedgerRules.NoIssuanceOfSandboxCoins)
        {
            return ResultCode.SandboxCoinNotIssued; // unbacked test money is never shown as minted against reserves
        }

        if (c.Amount == UInt128.Zero)
        {
            return ResultCode.AmountMustNotBeZero;
        }

        if (c.To.IsZero || c.To == ledgerCoin.SupplyAccount)
        {
            return ResultCode.CreditAccountMustNotBeZero;
        }

        if (!_coins.TryGetValue(c.Coin, out var coin) || !coin.DepositIndex.TryGetValue(c.DepositReference, out var depositIndex))
        {
            return ResultCode.DepositNotFound;
        }

        if (coin.Paused)
        {
            return ResultCode.Paused;
        }

        var deposit = coin.DepositList[depositIndex];
        if (c.Amount > deposit.Unminted)
        {
            return ResultCode.ExceedsDeposit;
        }

        if (!coin.MinterMap.TryGetValue(c.Requester, out var allowance) || c.Amount > allowance.Allowance)
        {
            return ResultCode.ExceedsMinterAllowance;
        }

        var windowStart = allowance.WindowStart;
        var used = allowance.WindowUsed;
        if (allowance.RateLimit > UInt128.Zero)
        {
            var window = allowance.RateWindowSeconds * NanosPerSecond;
            var start = context.Now - (context.Now % window);
            if (start != windowStart)
            {
                windowStart = start;
                used = UInt128.Zero;
            }

            if (c.Amount > allowance.RateLimit - used)
            {
                return ResultCode.MintRateLimited;
            }
        }

        var reserves = ReserveEligibility.Evaluate(coin.Book, coin.Profile, DateOf(context.Now));
        var gate = MintGate.Check(Supply(c.Coin), c.Amount, reserves.EligibleTotal);
        if (!gate.IsAllowed)
        {
            return gate.Code == MintDecision.SupplyOverflow ? ResultCode.SupplyOverflow : ResultCode.ReservesInsufficient;
        }

        // Screened when requested too (an approval would otherwise wait on a mint to a sanctioned address).
        if (Ledger.Rules >= LedgerRules.Screening && Ledger.CheckMovable(c.Coin, c.To) is var movable && movable != ResultCode.Ok)
        {
            return movable;
        }

        if (dryRun)
        {
            return ResultCode.Ok;
        }

        var code = Ledger.Execute(new Transfer
        {
            Id = NextTransferId(),
            DebitAccount = ledgerCoin.SupplyAccount,
            CreditAccount = c.To,
            Amount = c.Amount,
            Coin = c.Coin,
            Code = MintTransferCode,
            Memo = c.ActionId,
        }, context);
        if (code != ResultCode.Ok)
        {
            _nextTransfer--;
            return code;
        }

        coin.DepositList[depositIndex] = deposit with { Minted = deposit.Minted + c.Amount };
        coin.MinterMap[c.Requester] = allowance with
        {
            Allowance = allowance.Allowance - c.Amount,
            WindowStart = windowStart,
            WindowUsed = allowance.RateLimit > UInt128.Zero ? used + c.Amount : UInt128.Zero,
        };
        coin.Minted = checked(coin.Minted + c.Amount);
        return ResultCode.Ok;
    }

    private ResultCode ExecuteRedeem(Redeem c, in ModuleContext context, bool dryRun)
    {
        var ledgerCoin = Ledger.GetCoin(c.Coin);
        if (ledgerCoin is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (c.Amount == UInt128.Zero)
        {
            return ResultCode.AmountMustNotBeZero;
        }

        if (c.Amount > LedgerState.MaxSupply)
        {
            return ResultCode.AmountOutOfRange;
        }

        if (c.Holder.IsZero || c.Holder == ledgerCoin.SupplyAccount)
        {
            return ResultCode.DebitAccountMustNotBeZero;
        }

        if (!IsText(c.PayTo))
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        var coin = _coins.GetValueOrDefault(c.Coin);
        if (coin is { Paused: true })
        {
            return ResultCode.Paused;
        }

        // The one question every module asks (paused, sanctioned, frozen); before screening existed, only frozen.
        var screening = Ledger.Rules >= LedgerRules.Screening;
        if (screening && Ledger.CheckMovable(c.Coin, c.Holder) is var movable && movable != ResultCode.Ok)
        {
            return movable;
        }

        if (!Ledger.TryGetAccount(c.Coin, c.Holder, out var account))
        {
            return ResultCode.DebitAccountNotFound;
        }

        if (!screening && account.IsFrozen)
        {
            return ResultCode.AccountFrozen;
        }

        if (account.Available < (Int128)c.Amount)
        {
            return ResultCode.ExceedsBalance;
        }

        if (dryRun)
        {
            return ResultCode.Ok;
        }

        var burnId = NextTransferId();
        var code = Ledger.Execute(new Transfer
        {
            Id = burnId,
            DebitAccount = c.Holder,
            CreditAccount = ledgerCoin.SupplyAccount,
            Amount = c.Amount,
            Coin = c.Coin,
            Code = BurnTransferCode,
            Memo = c.ActionId,
        }, context);
        if (code != ResultCode.Ok)
        {
            _nextTransfer--;
            return code;
        }

        coin = Managed(c.Coin);
        var redemption = new Redemption(c.ActionId, c.Coin, c.Holder, c.Amount, c.PayTo, c.Requester, context.Now, RedemptionDeadline(c.Coin, context.Now), burnId,
            RedemptionStatus.Pending, 0, 0, "", "");
        _redemptionIndex.Add(c.ActionId, (c.Coin, coin.RedemptionList.Count));
        coin.RedemptionList.Add(redemption);
        coin.Redeemed = checked(coin.Redeemed + c.Amount);
        RecomputeNextDeadline();
        return ResultCode.Ok;
    }

    /// <summary>
    /// A holder's signed redemption request (the signature was checked at admission, so <see cref="HolderRedeem.Holder"/>
    /// is the signer): the operator redemption's rules and effects — paused coin, frozen or short holder, burn, payout
    /// deadline — plus the request's nonce (used once, in the holder's EIP-3009 nonce space) and deadline.
    /// </summary>
    private ResultCode ApplyHolderRedeem(HolderRedeem h, in ModuleContext context)
    {
        if (Ledger.GetCoin(h.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        var nonce = Ledger.CheckAuthorizationUnused(h.Coin, h.Holder, h.Nonce);
        if (nonce != ResultCode.Ok)
        {
            return nonce;
        }

        if (context.Now / NanosPerSecond > h.Deadline)
        {
            return ResultCode.AuthorizationExpired;
        }

        var id = HolderRedeem.IdOf(h.Coin, h.Holder, h.Nonce);
        if (_actionIndex.ContainsKey(id) || _redemptionIndex.ContainsKey(id))
        {
            return ResultCode.ActionExists;
        }

        var code = ExecuteRedeem(new Redeem(id, HolderRedeem.Requester, h.Coin, h.Holder, h.Amount, h.PayTo), context, dryRun: false);
        if (code == ResultCode.Ok)
        {
            Ledger.UseAuthorization(h.Coin, h.Holder, h.Nonce);
        }

        return code;
    }

    private ResultCode ExecuteMarkPaid(MarkPayoutPaid c, in ModuleContext context, bool dryRun)
    {
        if (!IsText(c.Reference) || c.Holding.Length > MaxText)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!_redemptionIndex.TryGetValue(c.Redemption, out var at))
        {
            return ResultCode.RedemptionNotFound;
        }

        var coin = _coins[at.Coin];
        var redemption = coin.RedemptionList[at.Index];
        if (redemption.Status == RedemptionStatus.Paid)
        {
            return ResultCode.RedemptionAlreadyPaid;
        }

        BankDeposit? updated = null;
        if (c.Holding.Length > 0)
        {
            if (!coin.Book.TryGet(c.Holding, out var holding))
            {
                return ResultCode.HoldingNotFound;
            }

            if (holding is not BankDeposit bank || bank.Amount < redemption.Amount)
            {
                return ResultCode.HoldingInvalid;
            }

            updated = bank with { Amount = bank.Amount - redemption.Amount, ValuedOn = Later(bank.ValuedOn, DateOf(context.Now)) };
        }

        if (!dryRun)
        {
            coin.RedemptionList[at.Index] = redemption with { Status = RedemptionStatus.Paid, PaidAt = context.Now, PaidReference = c.Reference, PaidBy = c.Requester };
            if (updated is not null)
            {
                coin.Book.Replace(updated);
            }

            RecomputeNextDeadline();
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteSetPaused(SetPaused c, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!dryRun)
        {
            var coin = Managed(c.Coin);
            coin.Paused = c.Paused;
            Ledger.SetCoinGuard(c.Coin, coin.Guard);
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteAddHolding(AddHolding c, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!HoldingCodec.TryValidate(c.Holding, out _) || c.Holding.Id.Length > MaxText)
        {
            return ResultCode.HoldingInvalid;
        }

        if (_coins.TryGetValue(c.Coin, out var existing) && existing.Book.TryGet(c.Holding.Id, out _))
        {
            return ResultCode.HoldingExists;
        }

        if (!dryRun)
        {
            Managed(c.Coin).Book.Add(c.Holding);
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteUpdateHolding(UpdateHolding c, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!_coins.TryGetValue(c.Coin, out var coin) || !coin.Book.TryGet(c.Holding.Id, out var old))
        {
            return ResultCode.HoldingNotFound;
        }

        if (old.GetType() != c.Holding.GetType() || !HoldingCodec.TryValidate(c.Holding, out _))
        {
            return ResultCode.HoldingInvalid;
        }

        if (!dryRun)
        {
            coin.Book.Replace(c.Holding);
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteRemoveHolding(RemoveHolding c, bool dryRun)
    {
        if (!_coins.TryGetValue(c.Coin, out var coin) || !coin.Book.TryGet(c.HoldingId, out _))
        {
            return Ledger.GetCoin(c.Coin) is null ? ResultCode.CoinNotFound : ResultCode.HoldingNotFound;
        }

        if (!dryRun)
        {
            coin.Book.Remove(c.HoldingId);
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteSetFrozen(SetFrozen c, bool dryRun)
    {
        var coin = Ledger.GetCoin(c.Coin);
        if (coin is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (c.Account.IsZero || c.Account == coin.SupplyAccount)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        return dryRun ? ResultCode.Ok : Ledger.SetFrozen(c.Coin, c.Account, c.Frozen);
    }

    private ResultCode ExecuteSetPolicy(SetPolicy c, bool dryRun)
    {
        if (!Relaxed && !c.AdminChangesNeedApproval)
        {
            return ResultCode.SingleOperatorModeOff;
        }

        if (!dryRun)
        {
            _adminChangesNeedApproval = c.AdminChangesNeedApproval;
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteSetGovernance(SetGovernance c, bool dryRun)
    {
        if (!dryRun)
        {
            _singleOperator = c.SingleOperator;
        }

        return ResultCode.Ok;
    }

    /// <summary>
    /// The issuer keys that signed reports, oldest first, each with the block and ledger time from which it signed; empty
    /// until the first rotation (the key the node created at its first start signs until then).
    /// </summary>
    public IReadOnlyList<IssuerKeyPeriod> IssuerKeys => _issuerKeys;

    /// <summary>The issuer key of record now, or null when no rotation ever ran (the node's first key is current).</summary>
    public Address? CurrentIssuerKey => _issuerKeys.Count == 0 ? null : _issuerKeys[^1].Address;

    private ResultCode ExecuteRotateIssuerKey(RotateIssuerKey c, in ModuleContext context, bool dryRun)
    {
        if (c.Previous.IsZero || c.Next.IsZero)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (CurrentIssuerKey is { } current && current != c.Previous)
        {
            return ResultCode.IssuerKeyNotCurrent;
        }

        if (c.Next == c.Previous || _issuerKeys.Exists(k => k.Address == c.Next))
        {
            return ResultCode.IssuerKeyReused;
        }

        if (!dryRun)
        {
            if (_issuerKeys.Count == 0)
            {
                _issuerKeys.Add(new IssuerKeyPeriod(c.Previous, 0, 0)); // the first key, signing since the node began
            }

            _issuerKeys.Add(new IssuerKeyPeriod(c.Next, context.Height, context.Now));
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteRotateKey(RotateKey c, bool dryRun)
    {
        if (c.NewKeyHash.IsZero || _operatorsByKey.ContainsKey(c.NewKeyHash) || c.NewKeyHash == _bootstrapKeyHash)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (c.OperatorId == BootstrapAdmin)
        {
            if (!dryRun)
            {
                _bootstrapKeyHash = c.NewKeyHash;
            }

            return ResultCode.Ok;
        }

        if (!_operators.TryGetValue(c.OperatorId, out var existing))
        {
            return ResultCode.OperatorNotFound;
        }

        if (!dryRun)
        {
            _operatorsByKey.Remove(existing.KeyHash);
            _operatorsByKey.Add(c.NewKeyHash, existing.Id);
            // Whoever received the new key controls the operator: nobody else after rotating one's own key.
            _operators[existing.Id] = existing with { KeyHash = c.NewKeyHash, ControlledBy = c.IsOwnKey ? "" : c.Requester };
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteSeize(Seize c, in ModuleContext context, bool dryRun)
    {
        var ledgerCoin = Ledger.GetCoin(c.Coin);
        if (ledgerCoin is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (c.Amount == UInt128.Zero || c.Amount > LedgerState.MaxSupply)
        {
            return ResultCode.AmountMustNotBeZero;
        }

        if (!IsText(c.Order))
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (c.Holder.IsZero || c.To.IsZero || c.Holder == c.To || c.Holder == ledgerCoin.SupplyAccount)
        {
            return ResultCode.SeizeTargetInvalid;
        }

        if (!Ledger.TryGetAccount(c.Coin, c.Holder, out var account))
        {
            return ResultCode.DebitAccountNotFound;
        }

        if (dryRun)
        {
            return ResultCode.Ok;
        }

        // A lawful order applies to frozen accounts too (that is what freezing is for): lift the freeze for this one
        // transfer only, inside the same apply, and put it back whatever the outcome.
        var frozen = account.IsFrozen;
        if (frozen)
        {
            Ledger.SetFrozen(c.Coin, c.Holder, false);
        }

        // A lawful order moves a sanctioned holder's coins too: only the receiving (designated) account is screened.
        var code = Ledger.ExecuteLawfulOrder(new Transfer
        {
            Id = NextTransferId(),
            DebitAccount = c.Holder,
            CreditAccount = c.To,
            Amount = c.Amount,
            Coin = c.Coin,
            Code = SeizeTransferCode,
            Memo = c.ActionId,
        }, context);
        if (frozen)
        {
            Ledger.SetFrozen(c.Coin, c.Holder, true);
        }

        if (code != ResultCode.Ok)
        {
            _nextTransfer--;
        }

        return code;
    }

    /// <summary>
    /// Checks and (on approval) applies a lawful order. Seize and burn debit the account even when it is frozen (that is
    /// what a freeze is for): the freeze is lifted for that one transfer inside this apply and put back whatever the outcome.
    /// A burn credits the coin's supply account, so supply falls by the amount while reserves stay as booked.
    /// </summary>
    private ResultCode ExecuteLawfulOrder(LawfulOrder c, in ModuleContext context, bool dryRun)
    {
        var ledgerCoin = Ledger.GetCoin(c.Coin);
        if (ledgerCoin is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!IsText(c.Reference) || !LawfulOrderNames.IsDefined(c.Order) || !LawfulOrderNames.IsDefined(c.Reason)
            || c.Account.IsZero || c.Account == ledgerCoin.SupplyAccount)
        {
            return ResultCode.LawfulOrderInvalid;
        }

        var moves = c.Order is LawfulOrderKind.Seize or LawfulOrderKind.Burn;
        if (moves != (c.Amount > UInt128.Zero) || (c.Order == LawfulOrderKind.Seize) == c.To.IsZero)
        {
            return ResultCode.LawfulOrderInvalid; // an amount exactly on seize and burn, a recipient exactly on seize
        }

        Ledger.TryGetAccount(c.Coin, c.Account, out var account);
        switch (c.Order)
        {
            case LawfulOrderKind.Freeze:
                if (account.IsFrozen)
                {
                    return ResultCode.AccountAlreadyFrozen;
                }

                return dryRun ? ResultCode.Ok : Ledger.SetFrozen(c.Coin, c.Account, true);
            case LawfulOrderKind.Unfreeze:
                if (!account.IsFrozen)
                {
                    return ResultCode.AccountNotFrozen;
                }

                return dryRun ? ResultCode.Ok : Ledger.SetFrozen(c.Coin, c.Account, false);
        }

        if (c.Amount > LedgerState.MaxSupply)
        {
            return ResultCode.AmountOutOfRange;
        }

        var to = c.Order == LawfulOrderKind.Burn ? ledgerCoin.SupplyAccount : c.To;
        if (c.Order == LawfulOrderKind.Seize && (to == c.Account || to == ledgerCoin.SupplyAccount))
        {
            return ResultCode.SeizeTargetInvalid;
        }

        if (!Ledger.TryGetAccount(c.Coin, c.Account, out account))
        {
            return ResultCode.DebitAccountNotFound;
        }

        if (account.Available < (Int128)c.Amount)
        {
            return ResultCode.ExceedsBalance;
        }

        if (dryRun)
        {
            return ResultCode.Ok;
        }

        var frozen = account.IsFrozen;
        if (frozen)
        {
            Ledger.SetFrozen(c.Coin, c.Account, false);
        }

        // A lawful order reaches a sanctioned holder's coins too: only the receiving account is screened (docs/compliance.md).
        var code = Ledger.ExecuteLawfulOrder(new Transfer
        {
            Id = NextTransferId(),
            DebitAccount = c.Account,
            CreditAccount = to,
            Amount = c.Amount,
            Coin = c.Coin,
            Code = c.Order == LawfulOrderKind.Burn ? LawfulBurnTransferCode : SeizeTransferCode,
            Memo = c.ActionId,
        }, context);
        if (frozen)
        {
            Ledger.SetFrozen(c.Coin, c.Account, true);
        }

        if (code != ResultCode.Ok)
        {
            _nextTransfer--;
        }

        return code;
    }

    private void OrderTookEffect(LawfulOrder order, string approver, in ModuleContext context)
    {
        var at = _orderIndex[order.ActionId];
        var transfer = order.Order is LawfulOrderKind.Seize or LawfulOrderKind.Burn ? new UInt128(TransferIdPrefix, _nextTransfer - 1) : UInt128.Zero;
        _orders[at] = _orders[at] with { Status = LawfulOrderStatus.Effective, Decider = approver, EffectiveHeight = context.Height, EffectiveAt = context.Now, TransferId = transfer };
        TrackFreeze(_orders[at]);
    }

    /// <summary>Keeps why each account is frozen: the last effective freeze order, until an unfreeze order lifts it.</summary>
    private void TrackFreeze(LawfulOrderRecord record)
    {
        var o = record.Order;
        var key = new AccountKey(o.Coin, o.Account);
        if (o.Order == LawfulOrderKind.Freeze)
        {
            _freezes[key] = new FreezeRecord(o.Coin, o.Account, o.ActionId, o.Reference, o.Reason, record.EffectiveHeight, record.EffectiveAt);
        }
        else if (o.Order == LawfulOrderKind.Unfreeze)
        {
            _freezes.Remove(key);
        }
    }

    private string DescribeOrder(LawfulOrder c)
    {
        var what = c.Order switch
        {
            LawfulOrderKind.Seize => string.Create(CultureInfo.InvariantCulture, $"seize {Amount(c.Coin, c.Amount)} from {c.Account} to {c.To}"),
            LawfulOrderKind.Burn => string.Create(CultureInfo.InvariantCulture, $"burn {Amount(c.Coin, c.Amount)} of {c.Account}"),
            _ => LawfulOrderNames.Name(c.Order) + " " + c.Account + " in " + Symbol(c.Coin),
        };
        return what + " under lawful order " + c.Reference + " (reason: " + LawfulOrderNames.Name(c.Reason) + ")";
    }

    // ------------------------------------------------------------------ deadlines

    /// <inheritdoc/>
    public override ulong? NextDeadline => _nextDeadline;

    /// <inheritdoc/>
    protected internal override void OnBlockStart(ulong height, ulong timestamp)
    {
        if (_nextDeadline is not ulong due || due > timestamp)
        {
            return;
        }

        // Deterministic order: coins by number, redemptions in request order.
        foreach (var coin in _coins.Values)
        {
            for (var i = 0; i < coin.RedemptionList.Count; i++)
            {
                var r = coin.RedemptionList[i];
                if (r.Status == RedemptionStatus.Pending && r.OverdueAt == 0 && r.Deadline <= timestamp)
                {
                    coin.RedemptionList[i] = r with { OverdueAt = timestamp };
                    _audit.Add(new AuditEntry((ulong)_audit.Count + 1, timestamp, height, r.Id, "payout_overdue", "redeem", r.Coin, SystemRequester, null,
                        string.Create(CultureInfo.InvariantCulture, $"payout of {Amount(r.Coin, r.Amount)} to {r.PayTo} for {r.Holder} not marked paid by its deadline")));
                }
            }
        }

        RecomputeNextDeadline();
    }

    private void RecomputeNextDeadline()
    {
        ulong? next = null;
        foreach (var coin in _coins.Values)
        {
            foreach (var r in coin.RedemptionList)
            {
                if (r.Status == RedemptionStatus.Pending && r.OverdueAt == 0 && (next is null || r.Deadline < next))
                {
                    next = r.Deadline;
                }
            }
        }

        _nextDeadline = next;
    }

    // ------------------------------------------------------------------ helpers

    private CoinIssuance Managed(uint number)
    {
        if (!_coins.TryGetValue(number, out var coin))
        {
            coin = new CoinIssuance(Ledger.GetCoin(number)!);
            _coins.Add(number, coin);
            Ledger.SetCoinGuard(number, coin.Guard);
        }

        return coin;
    }

    // The compliance role exists from the screening rules on; older blocks refused it as unknown and replay so.
    private OperatorRoles KnownRoles => Ledger.Rules >= LedgerRules.Screening ? OperatorRoleNames.All : OperatorRoleNames.All & ~OperatorRoles.Compliance;

    private UInt128 NextTransferId() => new(TransferIdPrefix, _nextTransfer++);

    private static bool IsText(string s) => !string.IsNullOrWhiteSpace(s) && s.Length <= MaxText;

    private static DateOnly Later(DateOnly a, DateOnly b) => a > b ? a : b;

    private static string Id(UInt128 id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Records another module's operator action in the one audit trail (e.g. a sanctions list load by the compliance
    /// module), as executed by <paramref name="requester"/> at this command's block. Call only from a module's Apply.
    /// </summary>
    internal void AuditModuleAction(in ModuleContext context, string name, uint coin, string requester, string detail) =>
        _audit.Add(new AuditEntry((ulong)_audit.Count + 1, context.Now, context.Height, UInt128.Zero, "executed", name, coin, requester, null, detail));

    private void AddAction(IssuanceAction action)
    {
        _actionIndex.Add(action.Id, _actions.Count);
        _actions.Add(action);
    }

    private void AddAudit(in ModuleContext context, UInt128 action, string what, IssuanceCommand command, string requester, string? approver, string detail) =>
        _audit.Add(new AuditEntry((ulong)_audit.Count + 1, context.Now, context.Height, action, what, command.ActionName, CoinOf(command), requester, approver, detail));

    private uint CoinOf(IssuanceCommand command) => command switch
    {
        MarkPayoutPaid p => _redemptionIndex.TryGetValue(p.Redemption, out var at) ? at.Coin : 0,
        _ => command.CoinNumber,
    };

    private string Symbol(uint coin) => Ledger.GetCoin(coin)?.Symbol ?? "#" + coin.ToString(CultureInfo.InvariantCulture);

    /// <summary>An amount for the audit trail and action summaries: whole coins with the symbol ("300.000000 NUSD"), as the CLI takes them.</summary>
    private string Amount(uint coin, UInt128 minorUnits) => Ledger.GetCoin(coin) is { } c
        ? c.FormatWhole(minorUnits) + " " + c.Symbol
        : minorUnits.ToString(CultureInfo.InvariantCulture) + " minor units of " + Symbol(coin);

    /// <summary>A one-line description of an action for the audit trail.</summary>
    public string Describe(IssuanceCommand command)
    {
        var inv = CultureInfo.InvariantCulture;
        return command switch
        {
            AddOperator c => string.Create(inv, $"add operator {c.OperatorId} with roles {string.Join(',', OperatorRoleNames.ToNames(c.Roles))}"),
            SetOperatorRoles c => string.Create(inv, $"set roles of {c.OperatorId} to {(c.Roles == OperatorRoles.None ? "none" : string.Join(',', OperatorRoleNames.ToNames(c.Roles)))}"),
            ConfigureCoin c => string.Create(inv, $"configure {Symbol(c.Coin)}: regime {ProfileOf(c.Regime).Name}, redemption window {(c.RedemptionWindowSeconds == 0 ? "1 business day" : c.RedemptionWindowSeconds + " s")}, mint approval above {(c.MintApprovalAbove == UInt128.MaxValue ? "never" : Amount(c.Coin, c.MintApprovalAbove))}, pause approval {(c.PauseNeedsApproval ? "yes" : "no")}"),
            ConfigureMinter c => string.Create(inv, $"minter {c.Minter} in {Symbol(c.Coin)}: allowance {Amount(c.Coin, c.Allowance)}{(c.RateLimit > UInt128.Zero ? $", at most {Amount(c.Coin, c.RateLimit)} per {c.RateWindowSeconds} s" : "")}"),
            RecordDeposit c => string.Create(inv, $"deposit {c.Reference} of {Amount(c.Coin, c.Amount)} at {c.Bank}, value date {c.ValueDate:yyyy-MM-dd}{(c.Holding.Length > 0 ? " into holding " + c.Holding : "")}"),
            Mint c => string.Create(inv, $"mint {Amount(c.Coin, c.Amount)} to {c.To} against deposit {c.DepositReference}"),
            Redeem c => string.Create(inv, $"redeem {Amount(c.Coin, c.Amount)} of {c.Holder}, pay to {c.PayTo}"),
            MarkPayoutPaid c => string.Create(inv, $"payout of redemption {Id(c.Redemption)} paid, reference {c.Reference}{(c.Holding.Length > 0 ? " from holding " + c.Holding : "")}"),
            SetPaused c => (c.Paused ? "pause " : "unpause ") + Symbol(c.Coin),
            AddHolding c => string.Create(inv, $"add holding {c.Holding.Id} ({c.Holding.Category}) worth {Amount(c.Coin, c.Holding.Value)} to {Symbol(c.Coin)} reserves"),
            UpdateHolding c => string.Create(inv, $"update holding {c.Holding.Id} of {Symbol(c.Coin)} reserves: now worth {Amount(c.Coin, c.Holding.Value)}, valued on {c.Holding.ValuedOn:yyyy-MM-dd}"),
            RemoveHolding c => "remove holding " + c.HoldingId + " from " + Symbol(c.Coin) + " reserves",
            SetFrozen c => (c.Frozen ? "freeze " : "unfreeze ") + c.Account + " in " + Symbol(c.Coin),
            SetPolicy c => "admin changes need approval: " + (c.AdminChangesNeedApproval ? "yes" : "no"),
            SetGovernance c => c.SingleOperator ? "node started in single-operator mode: administrative changes need no second admin" : "node started in multi-operator mode: privileged changes need a second, independent admin",
            RotateKey c => c.IsOwnKey ? "rotate own key of " + c.OperatorId : "rotate key of " + c.OperatorId + " (the new key is shown to " + c.Requester + ")",
            Seize c => string.Create(inv, $"seize {Amount(c.Coin, c.Amount)} from {c.Holder} to {c.To} under lawful order {c.Order}"),
            LawfulOrder c => DescribeOrder(c),
            RotateIssuerKey c => "rotate the issuer key that signs disclosure reports from " + c.Previous + " to " + c.Next,
            ImportBankStatement c => DescribeImport(c),
            SetHolidayCalendar c => DescribeCalendar(c),
            ResolveReconciliation c => string.Create(inv, $"resolve reconciliation item {c.Item} of {Symbol(c.Coin)}: {c.Resolution}{(c.Target.Length > 0 ? " " + c.Target : "")}{(c.Note.Length > 0 ? " — " + c.Note : "")}"),
            ExportPayouts c => string.Create(inv, $"export {c.Redemptions.Count} payout(s) of {Symbol(c.Coin)} as pain.001 from holding {c.Holding}, execution date {c.ExecutionDate:yyyy-MM-dd}"),
            Approve c => "approve " + Id(c.Target),
            Reject c => "reject " + Id(c.Target),
            _ => command.ActionName,
        };
    }

    // ------------------------------------------------------------------ snapshot

    /// <inheritdoc/>
    public override void WriteSnapshot(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var w = new BodyWriter();
        w.UInt32(SnapshotVersion);
        w.UInt64(_nextTransfer);
        IssuanceCommand.Flag(w, _adminChangesNeedApproval);
        IssuanceCommand.Flag(w, _singleOperator);
        w.Hash(_bootstrapKeyHash);
        w.UInt32((uint)_operators.Count);
        foreach (var o in _operators.Values)
        {
            w.String(o.Id);
            w.Hash(o.KeyHash);
            w.UInt32((uint)o.Roles);
            w.UInt64(o.AddedAt);
            w.String(o.CreatedBy);
            w.String(o.ControlledBy);
        }

        w.UInt32((uint)_coins.Count);
        foreach (var (number, c) in _coins)
        {
            w.UInt32(number);
            w.Byte((byte)c.Regime);
            w.UInt64(c.RedemptionWindowSeconds);
            w.UInt128(c.MintApprovalAbove);
            IssuanceCommand.Flag(w, c.PauseNeedsApproval);
            IssuanceCommand.Flag(w, c.Paused);
            w.UInt128(c.Minted);
            w.UInt128(c.Redeemed);
            w.UInt32((uint)c.Book.Holdings.Count);
            foreach (var h in c.Book.Holdings)
            {
                HoldingCodec.Write(w, h);
            }

            w.UInt32((uint)c.DepositList.Count);
            foreach (var d in c.DepositList)
            {
                w.String(d.Reference);
                w.String(d.Bank);
                w.UInt128(d.Amount);
                HoldingCodec.WriteDate(w, d.ValueDate);
                w.String(d.Holding);
                w.UInt64(d.RecordedAt);
                w.String(d.RecordedBy);
                w.UInt128(d.Minted);
            }

            w.UInt32((uint)c.MinterMap.Count);
            foreach (var m in c.MinterMap.Values)
            {
                w.String(m.Minter);
                w.UInt128(m.Allowance);
                w.UInt128(m.RateLimit);
                w.UInt64(m.RateWindowSeconds);
                w.UInt64(m.WindowStart);
                w.UInt128(m.WindowUsed);
            }

            w.UInt32((uint)c.RedemptionList.Count);
            foreach (var r in c.RedemptionList)
            {
                w.UInt128(r.Id);
                w.Address(r.Holder);
                w.UInt128(r.Amount);
                w.String(r.PayTo);
                w.String(r.RequestedBy);
                w.UInt64(r.RequestedAt);
                w.UInt64(r.Deadline);
                w.UInt128(r.BurnTransferId);
                w.Byte((byte)r.Status);
                w.UInt64(r.OverdueAt);
                w.UInt64(r.PaidAt);
                w.String(r.PaidReference);
                w.String(r.PaidBy);
            }
        }

        w.UInt32((uint)_actions.Count);
        var buffer = new byte[64 * 1024];
        foreach (var a in _actions)
        {
            var command = global::Centime.Ledger.Command.Of(a.Command);
            var length = command.EncodedLength;
            if (buffer.Length < length)
            {
                buffer = new byte[length];
            }

            command.WriteTo(buffer);
            w.Bytes(buffer.AsSpan(0, length));
            w.Byte((byte)a.Status);
            w.String(a.Requester);
            w.String(a.Decider ?? "");
            w.UInt64(a.RequestedAt);
            w.UInt64(a.RequestedHeight);
            w.UInt64(a.DecidedAt);
            w.String(a.Summary);
            w.String(a.Note ?? "");
        }

        w.UInt32((uint)_audit.Count);
        foreach (var e in _audit)
        {
            w.UInt64(e.Time);
            w.UInt64(e.Height);
            w.UInt128(e.Action);
            w.String(e.Event);
            w.String(e.Name);
            w.UInt32(e.Coin);
            w.String(e.Requester);
            w.String(e.Approver ?? "");
            w.String(e.Detail);
        }

        w.UInt32((uint)_issuerKeys.Count);
        foreach (var k in _issuerKeys)
        {
            w.Address(k.Address);
            w.UInt64(k.SinceHeight);
            w.UInt64(k.SinceTime);
        }

        w.UInt32((uint)_orders.Count);
        foreach (var o in _orders)
        {
            var command = global::Centime.Ledger.Command.Of(o.Order);
            var encoded = new byte[command.EncodedLength];
            command.WriteTo(encoded);
            w.Bytes(encoded);
            w.UInt64(o.RequestedHeight);
            w.UInt64(o.RequestedAt);
            w.Byte((byte)o.Status);
            w.String(o.Decider ?? "");
            w.UInt64(o.EffectiveHeight);
            w.UInt64(o.EffectiveAt);
            w.UInt128(o.TransferId);
        }

        WriteBankBooks(w);
        WriteCalendars(w);
        var bytes = w.ToArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    /// <inheritdoc/>
    protected internal override void ReadSnapshot(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var length = reader.ReadInt32();
        var r = new BodyReader(reader.ReadBytes(length));
        var version = r.UInt32();
        if (version is not (1 or 2 or 3 or 4 or 5 or SnapshotVersion))
        {
            throw new InvalidDataException("Unknown issuance snapshot version.");
        }

        _nextTransfer = r.UInt64();
        _adminChangesNeedApproval = IssuanceCommand.Flag(r);
        // Version 1 predates governance modes: one admin did everything, which is what single-operator mode means.
        _singleOperator = version == 1 || IssuanceCommand.Flag(r);
        _bootstrapKeyHash = version == 1 ? Hash32.Zero : r.Hash();
        var operators = r.UInt32();
        for (var i = 0u; i < operators; i++)
        {
            var o = version == 1
                ? new Operator(r.String(), r.Hash(), IssuanceCommand.ReadRoles(r), r.UInt64(), BootstrapAdmin, BootstrapAdmin)
                : new Operator(r.String(), r.Hash(), IssuanceCommand.ReadRoles(r), r.UInt64(), r.String(), r.String());
            _operators.Add(o.Id, o);
            _operatorsByKey.Add(o.KeyHash, o.Id);
        }

        var coins = r.UInt32();
        for (var i = 0u; i < coins; i++)
        {
            var number = r.UInt32();
            var c = new CoinIssuance(Ledger.GetCoin(number) ?? throw new InvalidDataException($"Issuance snapshot names coin {number}, which the ledger does not have."))
            {
                Regime = (ReserveRegime)r.Byte(),
                RedemptionWindowSeconds = r.UInt64(),
                MintApprovalAbove = r.UInt128(),
                PauseNeedsApproval = IssuanceCommand.Flag(r),
                Paused = IssuanceCommand.Flag(r),
                Minted = r.UInt128(),
                Redeemed = r.UInt128(),
            };
            _coins.Add(number, c);
            var holdings = r.UInt32();
            for (var j = 0u; j < holdings; j++)
            {
                c.Book.Add(HoldingCodec.Read(r));
            }

            var deposits = r.UInt32();
            for (var j = 0u; j < deposits; j++)
            {
                var d = new Deposit(r.String(), r.String(), r.UInt128(), HoldingCodec.ReadDate(r), r.String(), r.UInt64(), r.String(), r.UInt128());
                c.DepositIndex.Add(d.Reference, c.DepositList.Count);
                c.DepositList.Add(d);
            }

            var minters = r.UInt32();
            for (var j = 0u; j < minters; j++)
            {
                var m = new MinterAllowance(r.String(), r.UInt128(), r.UInt128(), r.UInt64(), r.UInt64(), r.UInt128());
                c.MinterMap.Add(m.Minter, m);
            }

            var redemptions = r.UInt32();
            for (var j = 0u; j < redemptions; j++)
            {
                var x = new Redemption(r.UInt128(), number, r.Address(), r.UInt128(), r.String(), r.String(), r.UInt64(), r.UInt64(), r.UInt128(),
                    (RedemptionStatus)r.Byte(), r.UInt64(), r.UInt64(), r.String(), r.String());
                _redemptionIndex.Add(x.Id, (number, c.RedemptionList.Count));
                c.RedemptionList.Add(x);
            }

            Ledger.SetCoinGuard(number, c.Guard);
        }

        var actions = r.UInt32();
        for (var i = 0u; i < actions; i++)
        {
            var encoded = r.Bytes();
            var command = global::Centime.Ledger.Command.Read(encoded, out var consumed);
            if (consumed != encoded.Length || command.Body is not IssuanceCommand body)
            {
                throw new InvalidDataException("Issuance snapshot holds a command that is not an issuance command.");
            }

            var status = (ActionStatus)r.Byte();
            var requester = r.String();
            var decider = r.String();
            AddAction(new IssuanceAction(body.ActionId, body, status, requester, decider.Length == 0 ? null : decider, r.UInt64(), r.UInt64(), r.UInt64(), r.String(), NullIfEmpty(r.String())));
        }

        var audit = r.UInt32();
        for (var i = 0u; i < audit; i++)
        {
            _audit.Add(new AuditEntry((ulong)_audit.Count + 1, r.UInt64(), r.UInt64(), r.UInt128(), r.String(), r.String(), r.UInt32(), r.String(), NullIfEmpty(r.String()), r.String()));
        }

        if (version >= 3)
        {
            var keys = r.UInt32();
            for (var i = 0u; i < keys; i++)
            {
                _issuerKeys.Add(new IssuerKeyPeriod(r.Address(), r.UInt64(), r.UInt64()));
            }
        }

        if (version >= 4)
        {
            var orders = r.UInt32();
            for (var i = 0u; i < orders; i++)
            {
                var encoded = r.Bytes();
                var command = global::Centime.Ledger.Command.Read(encoded, out var consumed);
                if (consumed != encoded.Length || command.Body is not LawfulOrder order)
                {
                    throw new InvalidDataException("Issuance snapshot holds a lawful order that does not decode.");
                }

                var record = new LawfulOrderRecord(order, r.UInt64(), r.UInt64(), (LawfulOrderStatus)r.Byte(), NullIfEmpty(r.String()), r.UInt64(), r.UInt64(), r.UInt128());
                _orderIndex.Add(order.ActionId, _orders.Count);
                _orders.Add(record);
                if (record.Status == LawfulOrderStatus.Effective)
                {
                    TrackFreeze(record); // replayed in order: the freeze map is what the effective orders left
                }
            }
        }

        if (version >= 5)
        {
            ReadBankBooks(r);
        }

        if (version >= 6)
        {
            ReadCalendars(r);
        }

        r.EnsureEnd();
        RecomputeNextDeadline();
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}

/// <summary>An issuer key and the block (and ledger time, Unix ns) from which it signs disclosure reports (0: from the start).</summary>
public sealed record IssuerKeyPeriod(Address Address, ulong SinceHeight, ulong SinceTime);
