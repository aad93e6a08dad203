using Centime.Ledger;

namespace Centime.Contracts;

/// <summary>
/// Programmable payments (docs/contracts.md): escrow, bond, split, refund, milestones and stream contracts as data,
/// run inside the node's one deterministic state machine. A contract is created and funded by one journaled
/// <see cref="CreateContract"/>: the payer's coins move into the contract's keyless account
/// (<see cref="AccountOf"/>), and every later movement — release, refund, slash, split share, withdrawal — is a
/// ledger transfer out of it whose memo is the contract id. Events come from designated parties
/// (<see cref="ContractEvent"/>, signatures checked before the sequencer); deadlines run on ledger time in
/// <see cref="OnBlockStart"/>, in (due, id) order, so a node that was down fires each passed deadline once, in order.
/// <para>Read API under the node's read lock, like the ledger state.</para>
/// </summary>
public sealed class ContractModule : LedgerModule
{
    /// <summary>Most recipients of a split, and most milestones.</summary>
    public const int MaxParts = 64;

    /// <summary>Longest deadline: 100 years.</summary>
    public const ulong MaxDeadlineSeconds = 100UL * 366 * 86_400;

    /// <summary>Longest free text (reference, reason).</summary>
    public const int MaxText = 200;

    /// <summary>Transfer code of the funding transfer into the contract account.</summary>
    public const ushort FundCode = 0x4346; // "CF"

    /// <summary>Transfer code of payments to the payee or a split recipient (and of refunds).</summary>
    public const ushort PayCode = 0x4350; // "CP"

    /// <summary>Transfer code of money going back to the payer.</summary>
    public const ushort ReturnCode = 0x4352; // "CR"

    /// <summary>Most executions of a standing order.</summary>
    public const uint MaxExecutions = 10_000;

    /// <summary>How far ahead of ledger time an oracle's observation time may be (clock skew between oracle and node).</summary>
    public const ulong MaxFactSkewSeconds = 300;

    /// <summary>Seconds a deadline waits when its transfers cannot run (paused coin, frozen account).</summary>
    public const ulong RetrySeconds = 60;

    internal const ulong NanosPerSecond = 1_000_000_000UL;

    /// <summary>High 64 bits of the ids of transfers the module makes: clients should not use ids in this range.</summary>
    public const ulong TransferIdPrefix = 0xC047_2AC7_0000_0000UL;

    // 2: oracle fact nonces after the refunds. 3: ERP key grants and their nonces after the facts. Older snapshots still load.
    private const uint SnapshotVersion = 3;

    private readonly SortedDictionary<UInt128, Contract> _contracts = [];
    private readonly SortedSet<(ulong Due, UInt128 Id)> _deadlines = [];
    private readonly SortedDictionary<UInt128, UInt128> _refunded = [];
    private readonly HashSet<(Address Oracle, Hash32 Nonce)> _factNonces = [];
    // ERP keys by key, then by the party that granted it, with the grant's last valid second (ledger time).
    private readonly Dictionary<Address, Dictionary<Address, ulong>> _erpGrants = [];
    private readonly HashSet<(Address Party, Hash32 Nonce)> _erpNonces = [];
    // Open contracts waiting on a fact key, in id order. Derived from the contracts (rebuilt after a snapshot load).
    private readonly Dictionary<string, SortedSet<UInt128>> _awaiting = new(StringComparer.Ordinal);
    private ulong _nextTransfer = 1;

    static ContractModule() => ContractEvent.RegisterAll();

    /// <summary>A fresh module (registers the contract command decoders).</summary>
    public ContractModule()
    {
    }

    /// <inheritdoc/>
    public override string Name => "contracts";

    /// <inheritdoc/>
    public override bool Handles(CommandKind kind) => kind is CommandKind.ContractCreate or CommandKind.ContractEvent or CommandKind.OracleFact or CommandKind.ContractErpKey;

    // ------------------------------------------------------------------ read API

    /// <summary>Every contract by id.</summary>
    public IReadOnlyCollection<Contract> Contracts => _contracts.Values;

    /// <summary>A contract by id, or null.</summary>
    public Contract? Get(UInt128 id) => _contracts.GetValueOrDefault(id);

    /// <summary>Ids of the open contracts waiting on a fact key, in id order.</summary>
    public IReadOnlyList<UInt128> AwaitingFact(string key) => _awaiting.TryGetValue(key, out var ids) ? [.. ids] : [];

    /// <summary>True when <paramref name="party"/> granted <paramref name="erp"/> and the grant is valid at <paramref name="nowSeconds"/> (ledger time).</summary>
    public bool IsErpKeyOf(Address party, Address erp, ulong nowSeconds) =>
        _erpGrants.TryGetValue(erp, out var parties) && parties.TryGetValue(party, out var until) && until >= nowSeconds;

    /// <summary>The ERP keys <paramref name="party"/> granted (expired ones included, until revoked), with their last valid second.</summary>
    public IReadOnlyList<(Address Erp, ulong ValidUntil)> ErpKeysOf(Address party)
    {
        var keys = new List<(Address Erp, ulong ValidUntil)>();
        foreach (var (erp, parties) in _erpGrants)
        {
            if (parties.TryGetValue(party, out var until))
            {
                keys.Add((erp, until));
            }
        }

        keys.Sort(static (a, b) => string.CompareOrdinal(a.Erp.ToString(), b.Erp.ToString()));
        return keys;
    }

    /// <summary>Minor units refunded so far against a payment.</summary>
    public UInt128 RefundedOf(UInt128 payment) => _refunded.GetValueOrDefault(payment);

    /// <summary>The keyless account a contract's coins wait in: keccak256("centime:contract/&lt;id&gt;")[12..].</summary>
    public static Address AccountOf(UInt128 id) => Address.Derive("contract/" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Split rule: share i = ⌊amount × bps_i / 10,000⌋, and what the floors leave (fewer units than recipients) goes
    /// to the first recipient, so the shares always add up to the amount.
    /// </summary>
    public static UInt128[] SplitShares(UInt128 amount, IReadOnlyList<SplitShare> recipients)
    {
        var shares = new UInt128[recipients.Count];
        var sum = UInt128.Zero;
        var whole = amount / 10_000;
        var rest = amount % 10_000;
        for (var i = 0; i < shares.Length; i++)
        {
            // amount × bps / 10,000 without overflow: amount = whole × 10,000 + rest.
            shares[i] = (whole * recipients[i].BasisPoints) + (rest * recipients[i].BasisPoints / 10_000);
            sum += shares[i];
        }

        if (shares.Length > 0)
        {
            shares[0] += amount - sum;
        }

        return shares;
    }

    /// <summary>Checks terms on their own (no ledger state): the rules the node also applies to the JSON document.</summary>
    public static ResultCode Validate(ContractTerms t)
    {
        if (t.Kind is < ContractKind.Escrow or > ContractKind.StandingOrder || t.Reference.Length > MaxText || t.DeadlineSeconds > MaxDeadlineSeconds)
        {
            return ResultCode.ContractTermsInvalid;
        }

        // An oracle and its fact go together, on the kinds that can wait on one; executions only on standing orders.
        var waitsOnFact = !t.Oracle.IsZero;
        if (waitsOnFact != (t.FactKey.Length > 0) || waitsOnFact != (t.FactValue.Length > 0)
            || (waitsOnFact && t.Kind is not (ContractKind.Escrow or ContractKind.StandingOrder))
            || t.FactKey.Length > MaxText || t.FactValue.Length > MaxText
            || (t.Kind == ContractKind.StandingOrder) != (t.MaxExecutions != 0))
        {
            return ResultCode.ContractTermsInvalid;
        }

        if (t.Amount == UInt128.Zero || t.Amount > LedgerState.MaxSupply)
        {
            return ResultCode.ContractTermsInvalid;
        }

        if (t.Payer.IsZero || (t.Kind != ContractKind.Split && t.Payee.IsZero))
        {
            return ResultCode.UnknownParty;
        }

        switch (t.Kind)
        {
            case ContractKind.Escrow:
                return t.Confirmer.IsZero ? ResultCode.UnknownParty : t.DeadlineSeconds == 0 ? ResultCode.ContractTermsInvalid : ResultCode.Ok;
            case ContractKind.Bond:
                if (t.Confirmer.IsZero)
                {
                    return ResultCode.UnknownParty;
                }

                if (t.Cap == UInt128.Zero || t.Cap > t.Amount)
                {
                    return ResultCode.AmountsDoNotAddUp;
                }

                return t.DeadlineSeconds == 0 ? ResultCode.ContractTermsInvalid : ResultCode.Ok;
            case ContractKind.Split:
                {
                    if (t.Recipients.Count is 0 or > MaxParts)
                    {
                        return ResultCode.ContractTermsInvalid;
                    }

                    var bps = 0;
                    foreach (var r in t.Recipients)
                    {
                        if (r.Address.IsZero)
                        {
                            return ResultCode.UnknownParty;
                        }

                        bps += r.BasisPoints;
                    }

                    return bps == 10_000 ? ResultCode.Ok : ResultCode.SplitNot100Percent;
                }

            case ContractKind.Refund:
                return t.RefundOf == UInt128.Zero ? ResultCode.ContractTermsInvalid : ResultCode.Ok;
            case ContractKind.Milestones:
                {
                    if (t.Confirmer.IsZero)
                    {
                        return ResultCode.UnknownParty;
                    }

                    if (t.Milestones.Count is 0 or > MaxParts)
                    {
                        return ResultCode.ContractTermsInvalid;
                    }

                    var sum = UInt128.Zero;
                    foreach (var m in t.Milestones)
                    {
                        if (m.Amount == UInt128.Zero || m.Name.Length > MaxText || m.Amount > LedgerState.MaxSupply)
                        {
                            return ResultCode.ContractTermsInvalid;
                        }

                        sum += m.Amount; // sum ≤ Amount ≤ 2^127 − 1 before, term ≤ 2^127 − 1: fits in 128 bits
                        if (sum > t.Amount)
                        {
                            return ResultCode.AmountsDoNotAddUp;
                        }
                    }

                    return sum == t.Amount ? ResultCode.Ok : ResultCode.AmountsDoNotAddUp;
                }

            case ContractKind.Stream:
                if (t.RatePerSecond == UInt128.Zero || t.RatePerSecond > t.Amount || Contract.StreamSeconds(t) > MaxDeadlineSeconds)
                {
                    return ResultCode.ContractTermsInvalid;
                }

                return ResultCode.Ok;
            case ContractKind.Subscription:
                return t.PeriodSeconds is 0 or > MaxDeadlineSeconds ? ResultCode.ContractTermsInvalid : ResultCode.Ok;
            case ContractKind.StandingOrder:
                if (t.Confirmer.IsZero && t.Oracle.IsZero)
                {
                    return ResultCode.UnknownParty; // nobody could ever trigger it
                }

                // amount ≤ 2^127 − 1 and executions ≤ 10,000: the product fits in 128 bits.
                return t.MaxExecutions > MaxExecutions || t.DeadlineSeconds == 0 || t.Funded > LedgerState.MaxSupply
                    ? ResultCode.ContractTermsInvalid
                    : ResultCode.Ok;
            default:
                return ResultCode.ContractTermsInvalid;
        }
    }

    /// <summary>The party designated for an action on a contract (dispute: payer or payee; checked by the caller).</summary>
    public static bool IsDesignated(ContractTerms t, ContractAction action, Address signer) => action switch
    {
        ContractAction.Confirm or ContractAction.Slash or ContractAction.Milestone => signer == t.Confirmer,
        ContractAction.Dispute => signer == t.Payer || signer == t.Payee,
        ContractAction.Decide => !t.Arbiter.IsZero && signer == t.Arbiter,
        ContractAction.Withdraw or ContractAction.Charge => signer == t.Payee,
        ContractAction.Trigger => !t.Confirmer.IsZero && signer == t.Confirmer,
        ContractAction.Cancel => signer == t.Payer,
        _ => false,
    };

    /// <summary>True when the action exists for the kind.</summary>
    public static bool Accepts(ContractKind kind, ContractAction action) => (kind, action) switch
    {
        (ContractKind.Escrow, ContractAction.Confirm or ContractAction.Dispute or ContractAction.Decide) => true,
        (ContractKind.Bond, ContractAction.Slash) => true,
        (ContractKind.Milestones, ContractAction.Milestone) => true,
        (ContractKind.Stream, ContractAction.Withdraw or ContractAction.Cancel) => true,
        (ContractKind.Subscription, ContractAction.Charge or ContractAction.Cancel) => true,
        (ContractKind.StandingOrder, ContractAction.Trigger or ContractAction.Cancel) => true,
        _ => false,
    };

    // ------------------------------------------------------------------ apply

    /// <inheritdoc/>
    protected internal override ResultCode Apply(CommandBody body, in ModuleContext context) => body switch
    {
        CreateContract c => ApplyCreate(c, context),
        ContractEvent e => ApplyEvent(e, context),
        OracleFact f => ApplyFact(f, context),
        ErpKeyGrant g => ApplyErpKey(g, context),
        _ => ResultCode.UnknownCommand,
    };

    /// <summary>A party grants (or, with validity 0, revokes) an ERP key; the party's signature was checked at admission.</summary>
    private ResultCode ApplyErpKey(ErpKeyGrant g, in ModuleContext context)
    {
        if (g.Party.IsZero || g.Erp.IsZero || g.Erp == g.Party || (g.ValidUntil != 0 && g.ValidUntil < context.Now / NanosPerSecond))
        {
            return ResultCode.ErpKeyInvalid;
        }

        if (!_erpNonces.Add((g.Party, g.Nonce)))
        {
            return ResultCode.ContractNonceUsed;
        }

        if (g.ValidUntil == 0)
        {
            if (_erpGrants.TryGetValue(g.Erp, out var parties) && parties.Remove(g.Party) && parties.Count == 0)
            {
                _erpGrants.Remove(g.Erp);
            }
        }
        else
        {
            if (!_erpGrants.TryGetValue(g.Erp, out var parties))
            {
                _erpGrants[g.Erp] = parties = [];
            }

            parties[g.Party] = g.ValidUntil;
        }

        return ResultCode.Ok;
    }

    /// <summary>
    /// Whether the creator of a contract may fund it from the payer. The payer's own signature ("payer") and the
    /// sandbox operator key ("admin") were checked at the HTTP edge; an ERP key must be one the payer granted and still
    /// valid. Since <see cref="LedgerRules.ErpKeys"/> an operator-derived webhook secret ("webhook") funds nothing.
    /// </summary>
    private bool MayFund(string requester, Address payer, ulong now)
    {
        if (Ledger.Rules < LedgerRules.ErpKeys)
        {
            return true;
        }

        if (requester == "webhook")
        {
            return false;
        }

        return !requester.StartsWith(ErpKeyGrant.RequesterPrefix, StringComparison.Ordinal)
            || (Address.TryParse(requester[ErpKeyGrant.RequesterPrefix.Length..], out var erp) && IsErpKeyOf(payer, erp, now / NanosPerSecond));
    }

    /// <summary>True when <paramref name="signer"/> is an ERP key, still valid, of a party the contract designates for the action.</summary>
    private bool ActsForDesignated(ContractTerms t, ContractAction action, Address signer, ulong now)
    {
        if (!_erpGrants.TryGetValue(signer, out var parties))
        {
            return false;
        }

        foreach (var (party, until) in parties)
        {
            if (until >= now / NanosPerSecond && IsDesignated(t, action, party))
            {
                return true;
            }
        }

        return false;
    }

    private ResultCode ApplyCreate(CreateContract c, in ModuleContext context)
    {
        if (c.Id == UInt128.Zero || c.Id == UInt128.MaxValue)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (_contracts.ContainsKey(c.Id))
        {
            return ResultCode.ContractExists;
        }

        var t = c.Terms;
        var valid = Validate(t);
        if (valid != ResultCode.Ok)
        {
            return valid;
        }

        if (!MayFund(c.Requester, t.Payer, context.Now))
        {
            return ResultCode.ErpKeyNotAuthorized;
        }

        if (Ledger.GetCoin(t.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        var account = AccountOf(c.Id);
        var supply = Ledger.GetCoin(t.Coin)!.SupplyAccount;
        if (t.Payer == t.Payee || IsReserved(t.Payer, account, supply, t.Coin) || IsReserved(t.Payee, account, supply, t.Coin) || IsReserved(t.Oracle, account, supply, t.Coin))
        {
            return ResultCode.ContractTermsInvalid;
        }

        foreach (var r in t.Recipients)
        {
            if (r.Address == t.Payer || IsReserved(r.Address, account, supply, t.Coin))
            {
                return ResultCode.ContractTermsInvalid;
            }
        }

        var contract = new Contract(c.Id, t, c.Requester, context.Now, context.Height);
        if (t.Kind == ContractKind.Refund)
        {
            if (!Ledger.TryGetTransfer(t.RefundOf, out var original)
                || (original.Transfer.Flags & (TransferFlags.Pending | TransferFlags.PostPending | TransferFlags.VoidPending)) != 0
                || original.Transfer.Coin != t.Coin || original.Transfer.DebitAccount != t.Payee || original.Transfer.CreditAccount != t.Payer)
            {
                return ResultCode.OriginalPaymentNotFound;
            }

            var refunded = _refunded.GetValueOrDefault(t.RefundOf);
            if (t.Amount > original.Transfer.Amount - refunded)
            {
                return ResultCode.ExceedsRefundable;
            }

            var guard = Guard(t.Coin, t.Payer, t.Payee);
            if (guard != ResultCode.Ok)
            {
                return guard;
            }

            // One transfer, straight from the merchant to the customer: atomic by itself.
            var code = Move(contract, t.Payer, t.Payee, t.Amount, PayCode, "refund", "", context);
            if (code != ResultCode.Ok)
            {
                return code;
            }

            contract.Released = t.Amount;
            Close(contract, context.Now);
            _refunded[t.RefundOf] = refunded + t.Amount;
            _contracts.Add(c.Id, contract);
            return ResultCode.Ok;
        }

        if (t.Kind == ContractKind.Subscription)
        {
            // Nothing is locked: each charge is one transfer straight from the payer, within the period's limit.
            var ok = Guard(t.Coin, t.Payer, t.Payee);
            if (ok != ResultCode.Ok)
            {
                return ok;
            }

            _contracts.Add(c.Id, contract);
            if (contract.Deadline > 0)
            {
                _deadlines.Add((contract.Deadline, c.Id));
            }

            return ResultCode.Ok;
        }

        // Every later movement leaves the contract account, which then holds exactly what it pays: with the coin not
        // paused and no party frozen (checked now and again before each movement) they cannot fail half-way.
        var check = Guard(t.Coin, t.Payer, t.Payee, account);
        if (check == ResultCode.Ok && t.Kind == ContractKind.Split)
        {
            foreach (var r in t.Recipients)
            {
                check = Guard(t.Coin, r.Address);
                if (check != ResultCode.Ok)
                {
                    break;
                }
            }
        }

        if (check != ResultCode.Ok)
        {
            return check;
        }

        var funded = Move(contract, t.Payer, account, t.Funded, FundCode, "fund", "", context);
        if (funded != ResultCode.Ok)
        {
            return funded;
        }

        _contracts.Add(c.Id, contract);
        if (t.Kind == ContractKind.Split)
        {
            var shares = SplitShares(t.Amount, t.Recipients);
            for (var i = 0; i < shares.Length; i++)
            {
                Pay(contract, t.Recipients[i].Address, shares[i], "split", "", context); // checked above; see Pay
            }

            Close(contract, context.Now);
            return ResultCode.Ok;
        }

        var due = contract.Deadline;
        if (due > 0)
        {
            _deadlines.Add((due, c.Id));
        }

        if (t.FactKey.Length > 0)
        {
            Await(t.FactKey, c.Id);
        }

        return ResultCode.Ok;
    }

    private void Await(string key, UInt128 id)
    {
        if (!_awaiting.TryGetValue(key, out var ids))
        {
            _awaiting[key] = ids = [];
        }

        ids.Add(id);
    }

    private ResultCode ApplyFact(OracleFact f, in ModuleContext context)
    {
        var nowSeconds = context.Now / NanosPerSecond;
        if (f.Key.Length is 0 or > MaxText || f.Value.Length is 0 or > MaxText || f.ObservedAt == 0 || f.ObservedAt > nowSeconds + MaxFactSkewSeconds)
        {
            return ResultCode.FactInvalid;
        }

        if (_factNonces.Contains((f.Oracle, f.Nonce)))
        {
            return ResultCode.ContractNonceUsed;
        }

        if (!_awaiting.TryGetValue(f.Key, out var waiting))
        {
            return ResultCode.FactNotAwaited;
        }

        // Contracts that name this oracle and existed when the fact was observed: an attestation signed before a
        // contract was made (and kept back) cannot fire it.
        List<Contract>? fired = null;
        var otherOracle = false;
        foreach (var id in waiting)
        {
            var contract = _contracts[id];
            if (contract.Terms.Oracle != f.Oracle)
            {
                otherOracle = true;
            }
            else if (contract.Status == ContractStatus.Open && contract.CreatedAt / NanosPerSecond <= f.ObservedAt)
            {
                (fired ??= []).Add(contract);
            }
        }

        if (fired is null)
        {
            return otherOracle ? ResultCode.NotDesignatedParty : ResultCode.FactNotAwaited;
        }

        _factNonces.Add((f.Oracle, f.Nonce));
        foreach (var contract in fired)
        {
            var t = contract.Terms;
            if (!string.Equals(f.Value, t.FactValue, StringComparison.Ordinal)
                || Guard(t.Coin, t.Payer, t.Payee, AccountOf(contract.Id)) != ResultCode.Ok)
            {
                continue; // another value (e.g. "false"), or a paused coin / frozen party: it keeps waiting
            }

            _ = t.Kind == ContractKind.StandingOrder ? Execute(contract, "fact", f.Key, context) : Confirm(contract, context);
        }

        return ResultCode.Ok;
    }

    private ResultCode ApplyEvent(ContractEvent e, in ModuleContext context)
    {
        if (!_contracts.TryGetValue(e.Contract, out var contract))
        {
            return ResultCode.ContractNotFound;
        }

        var t = contract.Terms;
        if (contract.Status == ContractStatus.Closed)
        {
            return ResultCode.ContractClosed;
        }

        if (!Accepts(t.Kind, e.Action))
        {
            return ResultCode.ContractActionInvalid;
        }

        if (!IsDesignated(t, e.Action, e.Signer) && !ActsForDesignated(t, e.Action, e.Signer, context.Now))
        {
            return ResultCode.NotDesignatedParty;
        }

        if (contract.Nonces.Contains(e.Nonce))
        {
            return ResultCode.ContractNonceUsed;
        }

        if (e.Reason.Length > MaxText)
        {
            return ResultCode.ContractTermsInvalid;
        }

        var guard = Guard(t.Coin, t.Payer, t.Payee, AccountOf(contract.Id));
        if (guard != ResultCode.Ok)
        {
            return guard;
        }

        var code = e.Action switch
        {
            ContractAction.Confirm => Confirm(contract, context),
            ContractAction.Dispute => Dispute(contract),
            ContractAction.Decide => Decide(contract, e.Amount, context),
            ContractAction.Slash => Slash(contract, e.Amount, e.Reason, context),
            ContractAction.Milestone => ConfirmMilestone(contract, e.Amount, context),
            ContractAction.Withdraw => Withdraw(contract, context),
            ContractAction.Cancel when t.Kind == ContractKind.Subscription => EndSubscription(contract, context.Now),
            ContractAction.Cancel when t.Kind == ContractKind.StandingOrder => CancelOrder(contract, context),
            ContractAction.Trigger => Execute(contract, "execution", "", context),
            ContractAction.Cancel => Cancel(contract, context),
            ContractAction.Charge => Charge(contract, e.Amount, context),
            _ => ResultCode.ContractActionInvalid,
        };
        if (code == ResultCode.Ok)
        {
            contract.Nonces.Add(e.Nonce);
        }

        return code;
    }

    private ResultCode Confirm(Contract contract, in ModuleContext context)
    {
        var code = Pay(contract, contract.Terms.Payee, contract.Remaining, "release", "", context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        Close(contract, context.Now);
        return ResultCode.Ok;
    }

    private ResultCode Dispute(Contract contract)
    {
        if (contract.Terms.Arbiter.IsZero || contract.Status != ContractStatus.Open)
        {
            return ResultCode.ContractActionInvalid;
        }

        contract.Status = ContractStatus.Disputed;
        _deadlines.Remove((contract.Deadline, contract.Id)); // the arbiter decides; no refund at the deadline
        return ResultCode.Ok;
    }

    private ResultCode Decide(Contract contract, UInt128 toPayee, in ModuleContext context)
    {
        if (contract.Status != ContractStatus.Disputed)
        {
            return ResultCode.ContractActionInvalid;
        }

        var remaining = contract.Remaining;
        if (toPayee > remaining)
        {
            return ResultCode.AmountsDoNotAddUp;
        }

        var code = Pay(contract, contract.Terms.Payee, toPayee, "decide", "", context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        GiveBack(contract, remaining - toPayee, "decide", context); // cannot fail once the first leg went through (see Pay)
        Close(contract, context.Now);
        return ResultCode.Ok;
    }

    private ResultCode Slash(Contract contract, UInt128 amount, string reason, in ModuleContext context)
    {
        if (amount == UInt128.Zero || string.IsNullOrWhiteSpace(reason))
        {
            return ResultCode.ContractTermsInvalid;
        }

        if (amount > contract.Terms.Cap - contract.Slashed)
        {
            return ResultCode.ExceedsSlashCap;
        }

        var code = Pay(contract, contract.Terms.Payee, amount, "slash", reason, context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        contract.Slashed += amount;
        if (contract.Remaining == UInt128.Zero)
        {
            Close(contract, context.Now);
        }

        return ResultCode.Ok;
    }

    private ResultCode ConfirmMilestone(Contract contract, UInt128 index, in ModuleContext context)
    {
        var milestones = contract.Terms.Milestones;
        if (index >= (UInt128)milestones.Count || (contract.MilestonesDone & (1UL << (int)index)) != 0)
        {
            return ResultCode.MilestoneInvalid;
        }

        var i = (int)index;
        var code = Pay(contract, contract.Terms.Payee, milestones[i].Amount, "milestone", milestones[i].Name, context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        contract.MilestonesDone |= 1UL << i;
        if (contract.Remaining == UInt128.Zero)
        {
            Close(contract, context.Now);
        }

        return ResultCode.Ok;
    }

    private ResultCode Withdraw(Contract contract, in ModuleContext context)
    {
        var due = contract.AccruedAt(context.Now) - contract.Released;
        if (due == UInt128.Zero)
        {
            return ResultCode.ContractActionInvalid; // nothing accrued since the last withdrawal
        }

        var code = Pay(contract, contract.Terms.Payee, due, "withdraw", "", context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        if (contract.Remaining == UInt128.Zero)
        {
            Close(contract, context.Now);
        }

        return ResultCode.Ok;
    }

    private ResultCode Cancel(Contract contract, in ModuleContext context)
    {
        var due = contract.AccruedAt(context.Now) - contract.Released;
        var code = Pay(contract, contract.Terms.Payee, due, "cancel", "", context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        GiveBack(contract, contract.Remaining, "cancel", context); // cannot fail once the first leg went through (see Pay)
        Close(contract, context.Now);
        return ResultCode.Ok;
    }

    private ResultCode Charge(Contract contract, UInt128 amount, in ModuleContext context)
    {
        var t = contract.Terms;
        if (amount == UInt128.Zero)
        {
            return ResultCode.ContractTermsInvalid;
        }

        var period = (context.Now - contract.CreatedAt) / (t.PeriodSeconds * NanosPerSecond);
        var used = period == contract.Period ? contract.ChargedInPeriod : UInt128.Zero;
        if (amount > t.Amount - used)
        {
            return ResultCode.ExceedsPeriodLimit;
        }

        // A direct pull from the payer: one transfer, atomic; fails cleanly (exceeds_balance) when the payer is short.
        var code = Move(contract, t.Payer, t.Payee, amount, PayCode, "charge", "", context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        contract.Released += amount;
        contract.Period = period;
        contract.ChargedInPeriod = used + amount;
        return ResultCode.Ok;
    }

    // Standing order: one execution of the amount; closes after the last one (the contract account is then empty).
    private ResultCode Execute(Contract contract, string step, string reason, in ModuleContext context)
    {
        var code = Pay(contract, contract.Terms.Payee, contract.Terms.Amount, step, reason, context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        if (contract.Remaining == UInt128.Zero)
        {
            Close(contract, context.Now);
        }

        return ResultCode.Ok;
    }

    private ResultCode CancelOrder(Contract contract, in ModuleContext context)
    {
        var code = GiveBack(contract, contract.Remaining, "cancel", context);
        if (code != ResultCode.Ok)
        {
            return code;
        }

        Close(contract, context.Now);
        return ResultCode.Ok;
    }

    private ResultCode EndSubscription(Contract contract, ulong now)
    {
        Close(contract, now);
        return ResultCode.Ok;
    }

    // ------------------------------------------------------------------ deadlines

    /// <inheritdoc/>
    public override ulong? NextDeadline => _deadlines.Count > 0 ? _deadlines.Min.Due : null;

    /// <inheritdoc/>
    protected internal override void OnBlockStart(ulong height, ulong timestamp)
    {
        var context = new ModuleContext(timestamp, height, 0);
        while (_deadlines.Count > 0 && _deadlines.Min.Due <= timestamp)
        {
            var (due, id) = _deadlines.Min;
            _deadlines.Remove((due, id));
            var contract = _contracts[id];
            if (contract.Status != ContractStatus.Open)
            {
                continue; // a retried deadline of a contract that an event has closed (or put in dispute) since
            }

            var t = contract.Terms;
            if (Guard(t.Coin, t.Payer, t.Payee, AccountOf(id)) != ResultCode.Ok)
            {
                // Paused coin or frozen party: try again later (ledger time), never lose the deadline.
                _deadlines.Add((timestamp + (RetrySeconds * NanosPerSecond), id));
                continue;
            }

            var moved = t.Kind switch
            {
                ContractKind.Subscription => ResultCode.Ok, // its term is over: nothing is held, nothing moves
                ContractKind.Stream => Pay(contract, t.Payee, contract.Remaining, "stream_end", "", context),
                _ => GiveBack(contract, contract.Remaining, t.Kind is ContractKind.Bond or ContractKind.StandingOrder ? "return" : "refund", context),
            };
            if (moved != ResultCode.Ok)
            {
                _deadlines.Add((timestamp + (RetrySeconds * NanosPerSecond), id));
                continue;
            }

            Close(contract, timestamp);
        }
    }

    // ------------------------------------------------------------------ money

    // The ledger's own question (paused coin first, then a frozen party), asked of every party the step touches. A coin
    // issuance manages (SupplyManaged) is not paused: only its supply account is the issuance module's.
    private ResultCode Guard(uint coin, Address a, Address b = default, Address c = default)
    {
        if (Ledger.Rules < LedgerRules.ModulesOnIssuedCoins && Ledger.GetCoinGuard(coin) != CoinGuard.None)
        {
            return ResultCode.Paused; // blocks sealed before: any guard, SupplyManaged included, answered paused
        }

        var code = Ledger.CheckMovable(coin, a);
        if (code == ResultCode.Ok)
        {
            code = Ledger.CheckMovable(coin, b);
        }

        return code == ResultCode.Ok ? Ledger.CheckMovable(coin, c) : code;
    }

    // Never throws: a throw inside apply would stop the sequencer, and stop it again on every replay. The contract
    // account holds what it pays, parties are checked at creation and the guard passed, so a failure here is not
    // expected; if one happens the money stays in the contract account and the caller reports the code.
    private ResultCode Pay(Contract contract, Address to, UInt128 amount, string step, string reason, in ModuleContext context)
    {
        if (amount == UInt128.Zero)
        {
            return ResultCode.Ok;
        }

        var code = Move(contract, AccountOf(contract.Id), to, amount, PayCode, step, reason, context);
        if (code == ResultCode.Ok)
        {
            contract.Released += amount;
        }

        return code;
    }

    private ResultCode GiveBack(Contract contract, UInt128 amount, string step, in ModuleContext context)
    {
        if (amount == UInt128.Zero)
        {
            return ResultCode.Ok;
        }

        var code = Move(contract, AccountOf(contract.Id), contract.Terms.Payer, amount, ReturnCode, step, "", context);
        if (code == ResultCode.Ok)
        {
            contract.Returned += amount;
        }

        return code;
    }

    private ResultCode Move(Contract contract, Address from, Address to, UInt128 amount, ushort code, string step, string reason, in ModuleContext context)
    {
        var counter = _nextTransfer;
        var id = FirstFreeTransferId(TransferIdPrefix, ref counter);

        var result = Ledger.Execute(new Transfer
        {
            Id = id,
            DebitAccount = from,
            CreditAccount = to,
            Amount = amount,
            Coin = contract.Terms.Coin,
            Code = code,
            Memo = contract.Id,
        }, context);
        if (result != ResultCode.Ok)
        {
            return result;
        }

        _nextTransfer = counter + 1;
        contract.StepList.Add(new ContractStep(id, step, to, amount, context.Now, reason));
        return ResultCode.Ok;
    }

    // The contract's own account, or the coin's supply account (which would turn a contract into a mint or burn).
    // Or an account another module owns (an exchange pool): its books must equal the account, so nothing pays into it here.
    private bool IsReserved(Address party, Address account, Address supply, uint coin) =>
        party == account || party == supply || (!party.IsZero && Ledger.TryGetAccount(coin, party, out var a) && (a.Flags & AccountFlags.ModuleOwned) != 0);

    private void Close(Contract contract, ulong now)
    {
        if (contract.Deadline > 0)
        {
            _deadlines.Remove((contract.Deadline, contract.Id));
        }

        var key = contract.Terms.FactKey;
        if (key.Length > 0 && _awaiting.TryGetValue(key, out var ids) && ids.Remove(contract.Id) && ids.Count == 0)
        {
            _awaiting.Remove(key);
        }

        contract.Status = ContractStatus.Closed;
        contract.ClosedAt = now;
    }

    // ------------------------------------------------------------------ snapshot

    /// <inheritdoc/>
    public override void WriteSnapshot(BinaryWriter writer)
    {
        writer.Write(SnapshotVersion);
        writer.Write(_nextTransfer);
        writer.Write(_contracts.Count);
        foreach (var c in _contracts.Values)
        {
            WriteUInt128(writer, c.Id);
            writer.Write(c.Requester);
            writer.Write(c.CreatedAt);
            writer.Write(c.CreatedHeight);
            var terms = new BodyWriter();
            c.Terms.Write(terms);
            var bytes = terms.ToArray();
            writer.Write(bytes.Length);
            writer.Write(bytes);
            writer.Write((byte)c.Status);
            WriteUInt128(writer, c.Released);
            WriteUInt128(writer, c.Returned);
            WriteUInt128(writer, c.Slashed);
            writer.Write(c.MilestonesDone);
            writer.Write(c.Period);
            WriteUInt128(writer, c.ChargedInPeriod);
            writer.Write(c.ClosedAt);
            writer.Write(c.StepList.Count);
            foreach (var s in c.StepList)
            {
                WriteUInt128(writer, s.Transfer);
                writer.Write(s.Step);
                writer.Write(s.To.ToBytes());
                WriteUInt128(writer, s.Amount);
                writer.Write(s.At);
                writer.Write(s.Reason);
            }

            // Sorted so equal states write equal bytes.
            var nonces = c.Nonces.Select(static n => n.ToString()).Order(StringComparer.Ordinal).ToList();
            writer.Write(nonces.Count);
            var raw = new byte[32];
            foreach (var n in nonces)
            {
                Hash32.Parse(n).WriteTo(raw);
                writer.Write(raw);
            }
        }

        writer.Write(_deadlines.Count);
        foreach (var (due, id) in _deadlines)
        {
            writer.Write(due);
            WriteUInt128(writer, id);
        }

        writer.Write(_refunded.Count);
        foreach (var (payment, amount) in _refunded)
        {
            WriteUInt128(writer, payment);
            WriteUInt128(writer, amount);
        }

        // Sorted so equal states write equal bytes.
        var facts = new List<(Address Oracle, Hash32 Nonce)>(_factNonces);
        facts.Sort(static (a, b) => string.CompareOrdinal(a.Oracle.ToString() + a.Nonce.ToString(), b.Oracle.ToString() + b.Nonce.ToString()));
        writer.Write(facts.Count);
        var nonce = new byte[32];
        foreach (var (oracle, n) in facts)
        {
            writer.Write(oracle.ToBytes());
            n.WriteTo(nonce);
            writer.Write(nonce);
        }

        var grants = new List<(Address Erp, Address Party, ulong Until)>();
        foreach (var (erp, parties) in _erpGrants)
        {
            foreach (var (party, until) in parties)
            {
                grants.Add((erp, party, until));
            }
        }

        grants.Sort(static (a, b) => string.CompareOrdinal(a.Erp.ToString() + a.Party.ToString(), b.Erp.ToString() + b.Party.ToString()));
        writer.Write(grants.Count);
        foreach (var (erp, party, until) in grants)
        {
            writer.Write(erp.ToBytes());
            writer.Write(party.ToBytes());
            writer.Write(until);
        }

        var erpNonces = new List<(Address Party, Hash32 Nonce)>(_erpNonces);
        erpNonces.Sort(static (a, b) => string.CompareOrdinal(a.Party.ToString() + a.Nonce.ToString(), b.Party.ToString() + b.Nonce.ToString()));
        writer.Write(erpNonces.Count);
        foreach (var (party, n) in erpNonces)
        {
            writer.Write(party.ToBytes());
            n.WriteTo(nonce);
            writer.Write(nonce);
        }
    }

    /// <inheritdoc/>
    protected internal override void ReadSnapshot(BinaryReader reader)
    {
        var version = reader.ReadUInt32();
        if (version is not (1 or 2 or SnapshotVersion))
        {
            throw new InvalidDataException("Unknown contracts snapshot version.");
        }

        _nextTransfer = reader.ReadUInt64();
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var id = ReadUInt128(reader);
            var requester = reader.ReadString();
            var createdAt = reader.ReadUInt64();
            var height = reader.ReadUInt64();
            var terms = new BodyReader(reader.ReadBytes(reader.ReadInt32()));
            var contract = new Contract(id, ContractTerms.Read(terms), requester, createdAt, height);
            terms.EnsureEnd();
            contract.Status = (ContractStatus)reader.ReadByte();
            contract.Released = ReadUInt128(reader);
            contract.Returned = ReadUInt128(reader);
            contract.Slashed = ReadUInt128(reader);
            contract.MilestonesDone = reader.ReadUInt64();
            contract.Period = reader.ReadUInt64();
            contract.ChargedInPeriod = ReadUInt128(reader);
            contract.ClosedAt = reader.ReadUInt64();
            var steps = reader.ReadInt32();
            for (var s = 0; s < steps; s++)
            {
                contract.StepList.Add(new ContractStep(ReadUInt128(reader), reader.ReadString(), Address.FromBytes(reader.ReadBytes(Address.Size)),
                    ReadUInt128(reader), reader.ReadUInt64(), reader.ReadString()));
            }

            var nonces = reader.ReadInt32();
            for (var n = 0; n < nonces; n++)
            {
                contract.Nonces.Add(Hash32.FromBytes(reader.ReadBytes(32)));
            }

            _contracts.Add(id, contract);
        }

        var deadlines = reader.ReadInt32();
        for (var i = 0; i < deadlines; i++)
        {
            _deadlines.Add((reader.ReadUInt64(), ReadUInt128(reader)));
        }

        var refunds = reader.ReadInt32();
        for (var i = 0; i < refunds; i++)
        {
            _refunded.Add(ReadUInt128(reader), ReadUInt128(reader));
        }

        if (version >= 2)
        {
            var facts = reader.ReadInt32();
            for (var i = 0; i < facts; i++)
            {
                _factNonces.Add((Address.FromBytes(reader.ReadBytes(Address.Size)), Hash32.FromBytes(reader.ReadBytes(32))));
            }
        }

        if (version >= 3)
        {
            var grants = reader.ReadInt32();
            for (var i = 0; i < grants; i++)
            {
                var erp = Address.FromBytes(reader.ReadBytes(Address.Size));
                var party = Address.FromBytes(reader.ReadBytes(Address.Size));
                if (!_erpGrants.TryGetValue(erp, out var parties))
                {
                    _erpGrants[erp] = parties = [];
                }

                parties[party] = reader.ReadUInt64();
            }

            var erpNonces = reader.ReadInt32();
            for (var i = 0; i < erpNonces; i++)
            {
                _erpNonces.Add((Address.FromBytes(reader.ReadBytes(Address.Size)), Hash32.FromBytes(reader.ReadBytes(32))));
            }
        }

        foreach (var c in _contracts.Values)
        {
            if (c.Status != ContractStatus.Closed && c.Terms.FactKey.Length > 0)
            {
                Await(c.Terms.FactKey, c.Id);
            }
        }
    }

    private static void WriteUInt128(BinaryWriter writer, UInt128 value)
    {
        // unchecked: taking the low 64 bits on purpose.
        writer.Write(unchecked((ulong)value));
        writer.Write((ulong)(value >> 64));
    }

    private static UInt128 ReadUInt128(BinaryReader reader)
    {
        var low = reader.ReadUInt64();
        return new UInt128(reader.ReadUInt64(), low);
    }
}
