using Centime.Ledger;

namespace Centime.Contracts;

/// <summary>Where a contract stands. Persisted in snapshots: values never change.</summary>
public enum ContractStatus : byte
{
    /// <summary>Funded; waiting for events or its deadline.</summary>
    Open = 1,
    /// <summary>Escrow in dispute: the deadline refund is stopped until the arbiter decides.</summary>
    Disputed = 2,
    /// <summary>Everything paid out; nothing more can happen.</summary>
    Closed = 3,
}

/// <summary>One money movement of a contract: a ledger transfer whose memo is the contract id.</summary>
/// <param name="Transfer">The ledger transfer id.</param>
/// <param name="Step">fund, release, refund, decide, slash, return, split, milestone, withdraw, cancel.</param>
/// <param name="To">Credit address.</param>
/// <param name="Amount">Minor units.</param>
/// <param name="At">Ledger time (Unix ns).</param>
/// <param name="Reason">Slash reason, milestone name, or empty.</param>
public sealed record ContractStep(UInt128 Transfer, string Step, Address To, UInt128 Amount, ulong At, string Reason);

/// <summary>A contract and what has happened to it. Read under the node's read lock.</summary>
public sealed class Contract
{
    internal Contract(UInt128 id, ContractTerms terms, string requester, ulong createdAt, ulong height)
    {
        Id = id;
        Terms = terms;
        Requester = requester;
        CreatedAt = createdAt;
        CreatedHeight = height;
    }

    public UInt128 Id { get; }
    public ContractTerms Terms { get; }
    /// <summary>Operator who submitted it.</summary>
    public string Requester { get; }
    /// <summary>Ledger time of creation (Unix ns).</summary>
    public ulong CreatedAt { get; }
    public ulong CreatedHeight { get; }
    public ContractStatus Status { get; internal set; } = ContractStatus.Open;
    /// <summary>Paid to the payee (or recipients) so far.</summary>
    public UInt128 Released { get; internal set; }
    /// <summary>Paid back to the payer so far.</summary>
    public UInt128 Returned { get; internal set; }
    /// <summary>Bond: slashed so far (also counted in <see cref="Released"/>).</summary>
    public UInt128 Slashed { get; internal set; }
    /// <summary>Milestones: bit i set when milestone i was confirmed.</summary>
    public ulong MilestonesDone { get; internal set; }
    /// <summary>Subscription: the period of the last charge (0 = the first period) and what was charged in it.</summary>
    public ulong Period { get; internal set; }
    public UInt128 ChargedInPeriod { get; internal set; }
    /// <summary>Ledger time it closed, or 0.</summary>
    public ulong ClosedAt { get; internal set; }
    internal List<ContractStep> StepList { get; } = [];
    internal HashSet<Hash32> Nonces { get; } = [];

    /// <summary>Every movement in order.</summary>
    public IReadOnlyList<ContractStep> Steps => StepList;

    /// <summary>What the contract account still holds for this contract.</summary>
    public UInt128 Remaining => Terms.Kind is ContractKind.Refund or ContractKind.Subscription ? UInt128.Zero : Terms.Funded - Released - Returned;

    /// <summary>Standing order: executions so far (each pays exactly the amount).</summary>
    public ulong Executions => Terms.Kind == ContractKind.StandingOrder ? (ulong)(Released / Terms.Amount) : 0;

    /// <summary>Ledger time of the deadline (refund, return, stream end), or 0 for none.</summary>
    public ulong Deadline => Terms.Kind switch
    {
        ContractKind.Stream => CreatedAt + (StreamSeconds(Terms) * ContractModule.NanosPerSecond),
        ContractKind.Escrow or ContractKind.Bond or ContractKind.Milestones or ContractKind.Subscription or ContractKind.StandingOrder when Terms.DeadlineSeconds > 0 => CreatedAt + (Terms.DeadlineSeconds * ContractModule.NanosPerSecond),
        _ => 0,
    };

    /// <summary>Stream: whole seconds until the deposit has fully accrued (the last second may accrue less).</summary>
    public static ulong StreamSeconds(ContractTerms terms) =>
        terms.RatePerSecond == UInt128.Zero ? 0 : (ulong)((terms.Amount + terms.RatePerSecond - 1) / terms.RatePerSecond);

    /// <summary>Stream: minor units accrued by ledger time <paramref name="now"/> (whole seconds since creation × rate, capped at the deposit).</summary>
    public UInt128 AccruedAt(ulong now)
    {
        if (Terms.Kind != ContractKind.Stream || now <= CreatedAt)
        {
            return UInt128.Zero;
        }

        var seconds = (now - CreatedAt) / ContractModule.NanosPerSecond;
        if (seconds >= StreamSeconds(Terms))
        {
            return Terms.Amount;
        }

        // seconds < amount / rate, so rate × seconds < amount: no overflow.
        return Terms.RatePerSecond * seconds;
    }
}
