namespace Centime.Ledger;

/// <summary>Where in the chain a module's command is being applied.</summary>
/// <param name="Now">Ledger time of this command (Unix nanoseconds).</param>
/// <param name="Height">Block height.</param>
/// <param name="Position">Index of the command in its block.</param>
public readonly record struct ModuleContext(ulong Now, ulong Height, int Position);

/// <summary>
/// A module's slice of the one state machine (issuance, programmable payments, exchange, …). The rules of
/// the core apply: <see cref="Apply"/> must be deterministic (no clock, no randomness, no I/O), and state a
/// module owns must round-trip through <see cref="WriteSnapshot"/>/<see cref="ReadSnapshot"/> byte for byte.
/// Money only moves through <see cref="LedgerState.Execute"/>, so the core's invariants (balances sum to
/// zero, no overdraft, frozen accounts) hold for every module.
/// </summary>
public abstract class LedgerModule
{
    /// <summary>Stable name; the module's snapshot section is stored under it.</summary>
    public abstract string Name { get; }

    /// <summary>The ledger this module is attached to.</summary>
    public LedgerState Ledger { get; internal set; } = null!;

    /// <summary>
    /// Marks (creating it if needed) an account as owned by this module, from <see cref="Apply"/> or
    /// <see cref="ReadSnapshot"/> only: afterwards only this module moves money in or out of it. Protected, and acting
    /// on the state that registered the module, so modules outside the core's friends (x402's channels) keep their
    /// escrow without the state's mutators being reachable from their assembly.
    /// </summary>
    protected void SetModuleOwned(uint coin, Address address) => Ledger.SetModuleOwned(coin, address, this);

    /// <summary>Moves money as this module (<see cref="LedgerState.ExecuteAsOwner"/>): the only way in or out of the
    /// accounts it owns. From <see cref="Apply"/> or <see cref="OnBlockStart"/> only.</summary>
    protected ResultCode ExecuteAsOwner(in Transfer transfer, in ModuleContext context) => Ledger.ExecuteAsOwner(transfer, context, this);

    /// <summary>True for the command kinds this module applies.</summary>
    public abstract bool Handles(CommandKind kind);

    /// <summary>Applies one command; returns its result code. A failure must leave the module's state unchanged.</summary>
    protected internal abstract ResultCode Apply(CommandBody body, in ModuleContext context);

    /// <summary>Called first for every block, before anything of it is applied (holds expire after this): the state is
    /// still exactly that of the previous block (<see cref="LedgerState.Height"/>, <see cref="LedgerState.Timestamp"/>),
    /// so a module can record figures as of that block, e.g. at the end of a reporting period. Read only.</summary>
    protected internal virtual void OnBeforeBlock(ulong height, ulong timestamp)
    {
    }

    /// <summary>Called at the start of every block, before its commands, after expired holds are released:
    /// the place to act on deadlines that passed (in ledger time, in a deterministic order).</summary>
    protected internal virtual void OnBlockStart(ulong height, ulong timestamp)
    {
    }

    /// <summary>The earliest ledger time at which this module needs a block to run, or null; the sequencer
    /// seals an empty block then if nothing else arrives.</summary>
    public virtual ulong? NextDeadline => null;

    /// <summary>Writes the module's whole state, deterministically.</summary>
    public abstract void WriteSnapshot(BinaryWriter writer);

    /// <summary>Reads what <see cref="WriteSnapshot"/> wrote into this (fresh) module.</summary>
    protected internal abstract void ReadSnapshot(BinaryReader reader);

    /// <summary>
    /// The first transfer id (<paramref name="prefix"/>, n) with n ≥ <paramref name="counter"/> that no transfer has, n left
    /// in <paramref name="counter"/>. Modules number their transfers under their own high word; a client may have taken
    /// an id there, and skipping it (deterministically) beats failing a release.
    /// </summary>
    protected UInt128 FirstFreeTransferId(ulong prefix, ref ulong counter)
    {
        var id = new UInt128(prefix, counter);
        while (Ledger.TryGetTransfer(id, out _))
        {
            id = new UInt128(prefix, ++counter);
        }

        return id;
    }
}
