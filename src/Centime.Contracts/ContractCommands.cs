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
        _ => "unknown",
    };

    /// <summary>Parses a kind name.</summary>
    public static bool TryParseKind(string? name, out ContractKind kind)
    {
        for (var k = ContractKind.Escrow; k <= ContractKind.Subscription; k++)
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
        for (var a = ContractAction.Confirm; a <= ContractAction.Charge; a++)
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

        return new ContractTerms
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

    /// <summary>Registers the decoders of both contract kinds (idempotent).</summary>
    public static void RegisterAll()
    {
        Register(CommandKind.ContractCreate, CreateContract.Read);
        Register(CommandKind.ContractEvent, Read);
    }
}
