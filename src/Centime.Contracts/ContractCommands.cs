using Centime.Ledger;

namespace Centime.Contracts;

/// <summary>Kinds of contract (docs/contracts.md). Persisted in commands and snapshots: values never change.</summary>
public enum ContractKind : byte
{
    /// <summary>Released to the payee on the confirmer's event; refunded to the payer at the deadline; a dispute goes to the arbiter.</summary>
    Escrow = 1,
    /// <summary>Locked; slashed to the payee by the slasher (with a reason, up to a cap); returned to the payer at expiry.</summary>
    Bond = 2,
    /// <summary>Paid at once to recipients by basis points; remainder units to the first recipient.</summary>
    Split = 3,
    /// <summary>Paid at once back against an earlier payment, never more than it in total.</summary>
    Refund = 4,
    /// <summary>Released per confirmed milestone; the unreleased rest refunded at the deadline.</summary>
    Milestones = 5,
    /// <summary>Accrues per second of ledger time; the payee withdraws, the payer cancels and keeps the unaccrued rest.</summary>
    Stream = 6,
    /// <summary>The payee pulls from the payer up to the amount per period; the payer cancels; ends at the deadline.</summary>
    Subscription = 7,
    /// <summary>Pays <c>amount</c> to the payee per trigger (a designated party's event or an oracle fact), up to a count; the rest returns to the payer at the deadline.</summary>
    StandingOrder = 8,
}

/// <summary>Actions of contract events. Persisted: values never change.</summary>
public enum ContractAction : byte
{
    /// <summary>Escrow: the confirmer releases the whole amount to the payee.</summary>
    Confirm = 1,
    /// <summary>Escrow: the payer or the payee stops the deadline refund; the arbiter decides.</summary>
    Dispute = 2,
    /// <summary>Escrow: the arbiter gives <c>amount</c> to the payee and the rest to the payer.</summary>
    Decide = 3,
    /// <summary>Bond: the slasher takes <c>amount</c> for the payee, with a reason.</summary>
    Slash = 4,
    /// <summary>Milestones: the confirmer confirms milestone number <c>amount</c> (from 0).</summary>
    Milestone = 5,
    /// <summary>Stream: the payee takes what has accrued.</summary>
    Withdraw = 6,
    /// <summary>Stream: the payer stops it; the payee gets what accrued, the payer the rest. Subscription: the payer ends it.</summary>
    Cancel = 7,
    /// <summary>Subscription: the payee pulls <c>amount</c> from the payer, within this period's limit.</summary>
    Charge = 8,
    /// <summary>Standing order: the trigger party orders one execution (<c>amount</c> to the payee).</summary>
    Trigger = 9,
}

/// <summary>Wire names of kinds and actions.</summary>
public static class ContractNames
{
    /// <summary>snake_case name of a kind.</summary>
    public static string Of(ContractKind kind) => kind switch
    {
        ContractKind.Escrow => "escrow",
        ContractKind.Bond => "bond",
        ContractKind.Split => "split",
        ContractKind.Refund => "refund",
        ContractKind.Milestones => "milestones",
        ContractKind.Stream => "stream",
        ContractKind.Subscription => "subscription",
        ContractKind.StandingOrder => "standing_order",
        _ => "unknown",
    };

    /// <summary>snake_case name of an action.</summary>
    public static string Of(ContractAction action) => action switch
    {
        ContractAction.Confirm => "confirm",
        ContractAction.Dispute => "dispute",
        ContractAction.Decide => "decide",
        ContractAction.Slash => "slash",
        ContractAction.Milestone => "milestone",
        ContractAction.Withdraw => "withdraw",
        ContractAction.Cancel => "cancel",
        ContractAction.Charge => "charge",
        ContractAction.Trigger => "trigger",
        _ => "unknown",
    };

    /// <summary>Parses a kind name.</summary>
    public static bool TryParseKind(string? name, out ContractKind kind)
    {
        for (var k = ContractKind.Escrow; k <= ContractKind.StandingOrder; k++)
        {
            if (string.Equals(Of(k), name, StringComparison.Ordinal))
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>Parses an action name.</summary>
    public static bool TryParseAction(string? name, out ContractAction action)
    {
        for (var a = ContractAction.Confirm; a <= ContractAction.Trigger; a++)
        {
            if (string.Equals(Of(a), name, StringComparison.Ordinal))
            {
                action = a;
                return true;
            }
        }

        action = default;
        return false;
    }

    /// <summary>The snake_case name of a contract command kind, or null.</summary>
    public static string? KindName(CommandKind kind) => kind switch
    {
        CommandKind.ContractCreate => "contract_create",
        CommandKind.ContractEvent => "contract_event",
        CommandKind.OracleFact => "oracle_fact",
        _ => null,
    };
}

/// <summary>One recipient of a split: an address and its share in basis points (1/10,000).</summary>
public readonly record struct SplitShare(Address Address, ushort BasisPoints);

/// <summary>One milestone: a name and the amount it releases.</summary>
public readonly record struct MilestoneTerm(string Name, UInt128 Amount);

/// <summary>
/// The resolved terms of a contract: what the node made of the JSON document (party names replaced by addresses,
/// the coin symbol by its number). Fields a kind does not use are zero or empty.
/// </summary>
public sealed record ContractTerms
{
    public ContractKind Kind { get; init; }
    public uint Coin { get; init; }
    /// <summary>Funds the contract.</summary>
    public Address Payer { get; init; }
    /// <summary>Receives releases (escrow, milestones, stream), slashes (bond) or the refund (refund). Zero for splits.</summary>
    public Address Payee { get; init; }
    /// <summary>Minor units the payer puts in (the stream's total deposit).</summary>
    public UInt128 Amount { get; init; }
    /// <summary>Escrow and milestones: who confirms; bond: who may slash.</summary>
    public Address Confirmer { get; init; }
    /// <summary>Escrow: who decides a dispute (zero: disputes are not possible).</summary>
    public Address Arbiter { get; init; }
    /// <summary>Seconds of ledger time after creation: escrow and milestones refund, bond return. 0 = none (not for bonds).</summary>
    public ulong DeadlineSeconds { get; init; }
    /// <summary>Bond: most that may be slashed in total.</summary>
    public UInt128 Cap { get; init; }
    /// <summary>Stream: minor units accrued per second.</summary>
    public UInt128 RatePerSecond { get; init; }
    /// <summary>Refund: id of the original payment.</summary>
    public UInt128 RefundOf { get; init; }
    /// <summary>Subscription: seconds per period (periods start at creation); the amount is the limit per period.</summary>
    public ulong PeriodSeconds { get; init; }
    /// <summary>Split: recipients in order (the first takes the rounding remainder).</summary>
    public IReadOnlyList<SplitShare> Recipients { get; init; } = [];
    /// <summary>Milestones in order.</summary>
    public IReadOnlyList<MilestoneTerm> Milestones { get; init; } = [];
    /// <summary>Free text (order number, purpose); up to 200 characters.</summary>
    public string Reference { get; init; } = "";
    /// <summary>Escrow, standing order: the oracle whose attestation of <see cref="FactKey"/> = <see cref="FactValue"/> releases (escrow) or executes (standing order). Zero: none.</summary>
    public Address Oracle { get; init; }
    /// <summary>The fact the contract waits on, e.g. <c>delivered:order-42</c>; empty without an oracle.</summary>
    public string FactKey { get; init; } = "";
    /// <summary>The value that fires the contract (the document's default is <c>true</c>).</summary>
    public string FactValue { get; init; } = "";
    /// <summary>Standing order: most executions; the payer funds <see cref="Amount"/> × this. 0 for other kinds.</summary>
    public uint MaxExecutions { get; init; }

    /// <summary>What the payer puts into the contract account: the amount, or amount × executions for a standing order.</summary>
    public UInt128 Funded => Kind == ContractKind.StandingOrder ? Amount * MaxExecutions : Amount;

    /// <summary>True when the encoding carries the optional trailing fields (added with standing orders and oracles).</summary>
    private bool HasExtension => !Oracle.IsZero || FactKey.Length > 0 || FactValue.Length > 0 || MaxExecutions != 0;

    /// <summary>Same terms, field by field (the lists by content): an identical retry of a create.</summary>
    public bool SameAs(ContractTerms other)
    {
        var a = new BodyWriter();
        Write(a);
        var b = new BodyWriter();
        other.Write(b);
        return a.ToArray().AsSpan().SequenceEqual(b.ToArray());
    }

    internal void Write(BodyWriter w)
    {
        w.Byte((byte)Kind);
        w.UInt32(Coin);
        w.Address(Payer);
        w.Address(Payee);
        w.UInt128(Amount);
        w.Address(Confirmer);
        w.Address(Arbiter);
        w.UInt64(DeadlineSeconds);
        w.UInt128(Cap);
        w.UInt128(RatePerSecond);
        w.UInt128(RefundOf);
        w.UInt64(PeriodSeconds);
        w.UInt32((uint)Recipients.Count);
        foreach (var r in Recipients)
        {
            w.Address(r.Address);
            w.UInt32(r.BasisPoints);
        }

        w.UInt32((uint)Milestones.Count);
        foreach (var m in Milestones)
        {
            w.String(m.Name);
            w.UInt128(m.Amount);
        }

        w.String(Reference);

        // Optional trailer: journals written before standing orders and oracles decode unchanged, and terms
        // without these fields encode exactly as they did then (one encoding per terms).
        if (HasExtension)
        {
            w.Address(Oracle);
            w.String(FactKey);
            w.String(FactValue);
            w.UInt32(MaxExecutions);
        }
    }

    internal static ContractTerms Read(BodyReader r)
    {
        var kind = (ContractKind)r.Byte();
        var coin = r.UInt32();
        var payer = r.Address();
        var payee = r.Address();
        var amount = r.UInt128();
        var confirmer = r.Address();
        var arbiter = r.Address();
        var deadline = r.UInt64();
        var cap = r.UInt128();
        var rate = r.UInt128();
        var refundOf = r.UInt128();
        var period = r.UInt64();
        var recipientCount = r.UInt32();
        if (recipientCount > ContractModule.MaxParts)
        {
            throw new FormatException("Too many recipients.");
        }

        var recipients = new SplitShare[recipientCount];
        for (var i = 0; i < recipients.Length; i++)
        {
            var address = r.Address();
            var bps = r.UInt32();
            recipients[i] = new SplitShare(address, checked((ushort)bps));
        }

        var milestoneCount = r.UInt32();
        if (milestoneCount > ContractModule.MaxParts)
        {
            throw new FormatException("Too many milestones.");
        }

        var milestones = new MilestoneTerm[milestoneCount];
        for (var i = 0; i < milestones.Length; i++)
        {
            var name = r.String();
            milestones[i] = new MilestoneTerm(name, r.UInt128());
        }

        var terms = new ContractTerms
        {
            Kind = kind,
            Coin = coin,
            Payer = payer,
            Payee = payee,
            Amount = amount,
            Confirmer = confirmer,
            Arbiter = arbiter,
            DeadlineSeconds = deadline,
            Cap = cap,
            RatePerSecond = rate,
            RefundOf = refundOf,
            PeriodSeconds = period,
            Recipients = recipients,
            Milestones = milestones,
            Reference = r.String(),
        };
        if (r.AtEnd)
        {
            return terms;
        }

        terms = terms with { Oracle = r.Address(), FactKey = r.String(), FactValue = r.String(), MaxExecutions = r.UInt32() };
        return terms.HasExtension ? terms : throw new FormatException("An empty contract terms trailer is not canonical.");
    }
}

/// <summary>
/// Creates and funds a contract (kind 48). Submitted by an operator (<see cref="Requester"/>) on the payer's behalf;
/// the payer's coins move into the contract's keyless account in the same command.
/// </summary>
public sealed record CreateContract(UInt128 Id, string Requester, ContractTerms Terms) : CommandBody
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ContractCreate;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt128(Id);
        writer.String(Requester);
        Terms.Write(writer);
    }

    internal static CreateContract Read(BodyReader r) => new(r.UInt128(), r.String(), ContractTerms.Read(r));
}

/// <summary>
/// An event on a contract (kind 49) by <see cref="Signer"/>, whose EIP-712 signature the node verified before
/// journaling (<see cref="ContractEventSignature"/>). <see cref="Amount"/>: the payee's share (decide), the slash,
/// the milestone number; otherwise 0. The nonce is single-use per contract.
/// </summary>
public sealed record ContractEvent(UInt128 Contract, ContractAction Action, UInt128 Amount, Hash32 Nonce, Address Signer, string Reason) : CommandBody
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ContractEvent;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt128(Contract);
        writer.Byte((byte)Action);
        writer.UInt128(Amount);
        writer.Hash(Nonce);
        writer.Address(Signer);
        writer.String(Reason);
    }

    internal static ContractEvent Read(BodyReader r) => new(r.UInt128(), (ContractAction)r.Byte(), r.UInt128(), r.Hash(), r.Address(), r.String());

    /// <summary>Registers the decoders of the contract command kinds (idempotent).</summary>
    public static void RegisterAll()
    {
        Register(CommandKind.ContractCreate, CreateContract.Read);
        Register(CommandKind.ContractEvent, Read);
        Register(CommandKind.OracleFact, OracleFact.Read);
        Register(CommandKind.ContractErpKey, ErpKeyGrant.Read);
    }
}

/// <summary>
/// An oracle's attestation (kind 50): <see cref="Key"/> had <see cref="Value"/> at <see cref="ObservedAt"/> (Unix
/// seconds). The node recovered <see cref="Oracle"/> from its EIP-712 signature (<see cref="OracleFactSignature"/>)
/// before journaling; the module fires the open contracts that name this oracle and key. The nonce is single-use per oracle.
/// </summary>
public sealed record OracleFact(Address Oracle, string Key, string Value, ulong ObservedAt, Hash32 Nonce) : CommandBody
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.OracleFact;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.Address(Oracle);
        writer.String(Key);
        writer.String(Value);
        writer.UInt64(ObservedAt);
        writer.Hash(Nonce);
    }

    internal static OracleFact Read(BodyReader r) => new(r.Address(), r.String(), r.String(), r.UInt64(), r.Hash());
}

/// <summary>
/// A party's standing grant of an ERP system's key (kind 51): until <see cref="ValidUntil"/> (Unix seconds of ledger
/// time; 0 revokes) the key <see cref="Erp"/> may fund contracts paid by <see cref="Party"/> (it signs the document's
/// <c>ContractFunding</c>, as the payer would) and send contract events as <see cref="Party"/>. The node recovered
/// <see cref="Party"/> from the party's own EIP-712 signature of
/// <c>ErpKey(address party,address erp,uint256 validUntil,bytes32 nonce)</c> ("Centime Contracts" domain with the chain
/// id) before journaling: no operator credential can grant one. The nonce is single-use per party.
/// </summary>
public sealed record ErpKeyGrant(Address Party, Address Erp, ulong ValidUntil, Hash32 Nonce) : CommandBody
{
    /// <summary>The requester a contract funded by an ERP key is journaled with: <c>erp:</c> and the key's address.</summary>
    public const string RequesterPrefix = "erp:";

    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ContractErpKey;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.Address(Party);
        writer.Address(Erp);
        writer.UInt64(ValidUntil);
        writer.Hash(Nonce);
    }

    internal static ErpKeyGrant Read(BodyReader r) => new(r.Address(), r.Address(), r.UInt64(), r.Hash());
}
