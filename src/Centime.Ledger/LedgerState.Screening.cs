namespace Centime.Ledger;

/// <summary>Which sides of a <see cref="Movement"/> are system accounts (a supply account, a module-owned escrow, pool or
/// channel, a keyless address) rather than a holder: per-holder rules such as KYC limits do not apply to them.</summary>
[Flags]
public enum MovementSides : byte
{
    None = 0,
    DebitIsSystem = 1,
    CreditIsSystem = 2,
}

/// <summary>
/// One movement of value the ledger is about to make (or made): a transfer or a hold, whoever asked for it (a client, a
/// holder's signature, a module). <see cref="CreditBalance"/> is the credit account's balance before it, counting the
/// holds it is about to receive (credits posted + credits pending − debits posted), so a balance cap can be checked.
/// </summary>
public readonly record struct Movement(UInt128 Id, uint Coin, Address Debit, Address Credit, UInt128 Amount, UInt128 Memo, ushort Code,
    ulong Now, MovementSides Sides, Int128 CreditBalance);

/// <summary>
/// A rule every movement of value is screened against (sanctions, KYC limits, travel rule; docs/compliance.md). A
/// <see cref="LedgerModule"/> that implements it is consulted by the ledger itself — in every transfer, every module
/// <see cref="LedgerState.Execute"/>, every authorization, every post of a hold — and by
/// <see cref="LedgerState.CheckMovable"/>, so no path that moves value can skip it. Blocks applied under rules older
/// than <see cref="LedgerRules.Screening"/> are not screened (they replay as they were applied).
/// The screen is part of the state machine: every answer depends only on its own journaled state and its arguments.
/// </summary>
public interface IMovementScreen
{
    /// <summary>Ok, or why <paramref name="party"/> may neither send nor receive <paramref name="coin"/> (e.g. a sanctioned
    /// address). Pure: also asked outside blocks (a facilitator's verify).</summary>
    ResultCode ScreenParty(uint coin, Address party);

    /// <summary>Ok, or why this movement may not happen (e.g. a holder's limit). Asked after every check of the ledger
    /// itself passed, just before anything changes. Pure. Not asked for the post of a hold (its movement was screened
    /// when the hold was made); its parties are.</summary>
    ResultCode ScreenMovement(in Movement movement);

    /// <summary>The movement screened by <see cref="ScreenMovement"/> happened.</summary>
    void Moved(in Movement movement);

    /// <summary>A movement reported by <see cref="Moved"/> was undone with its linked chain (same block).</summary>
    void Unmoved(in Movement movement);

    /// <summary>Inside a block, the ledger refused <paramref name="party"/> with the code <see cref="ScreenParty"/> gave
    /// (the place to record an alert). Deterministic: called in command order, on replay too.</summary>
    void Refused(uint coin, Address party, ResultCode code, ulong height, ulong now);
}

public sealed partial class LedgerState
{
    // The attached modules that screen movements, in module order (empty: nothing to ask).
    private IMovementScreen[] _screens = [];

    // Set while a block's commands are applied: refusals are recorded (alerts) only then, never for a read.
    private ulong _applyingHeight;
    private ulong _applyingNow;

    // Set while a lawful order (seize, burn) moves a holder's coins: the debited holder is not screened (seizing a
    // sanctioned address's coins is what the order is for) and no limit applies; the receiving account still is.
    private bool _lawfulOrder;

    /// <summary>
    /// Like <see cref="Execute"/>, for a lawful order approved by a second operator (seize, burn): the debited holder
    /// is not screened and no per-holder limit applies (the receiving account is screened). Call only from a module's
    /// Apply, for a command that is itself a lawful order.
    /// </summary>
    internal ResultCode ExecuteLawfulOrder(in Transfer transfer, in ModuleContext context)
    {
        _lawfulOrder = true;
        try
        {
            return Execute(transfer, context);
        }
        finally
        {
            _lawfulOrder = false;
        }
    }

    private void AttachScreens() => _screens = [.. _modules.OfType<IMovementScreen>()];

    /// <summary>True when movements are screened under the rules of the block being applied.</summary>
    private bool Screening => _screens.Length != 0 && Rules >= LedgerRules.Screening;

    /// <summary>Ok, or the first screen's refusal of <paramref name="party"/>; inside a block the refusal is reported.</summary>
    private ResultCode ScreenParty(uint coin, Address party, ulong height, ulong now)
    {
        foreach (var screen in _screens)
        {
            var code = screen.ScreenParty(coin, party);
            if (code != ResultCode.Ok)
            {
                if (height != 0)
                {
                    foreach (var s in _screens)
                    {
                        s.Refused(coin, party, code, height, now);
                    }
                }

                return code;
            }
        }

        return ResultCode.Ok;
    }

    private ResultCode ScreenParties(uint coin, Address debit, Address credit, ulong height, ulong now)
    {
        var code = _lawfulOrder ? ResultCode.Ok : ScreenParty(coin, debit, height, now);
        return code != ResultCode.Ok ? code : ScreenParty(coin, credit, height, now);
    }

    private ResultCode ScreenMovement(in Movement movement)
    {
        foreach (var screen in _screens)
        {
            var code = screen.ScreenMovement(movement);
            if (code != ResultCode.Ok)
            {
                return code;
            }
        }

        return ResultCode.Ok;
    }

    private void Moved(in Movement movement)
    {
        foreach (var screen in _screens)
        {
            screen.Moved(movement);
        }
    }

    private static MovementSides SidesOf(AccountFlags debit, AccountFlags credit)
    {
        const AccountFlags System = AccountFlags.Supply | AccountFlags.ModuleOwned | AccountFlags.Keyless;
        var sides = (debit & System) != 0 ? MovementSides.DebitIsSystem : MovementSides.None;
        return (credit & System) != 0 ? sides | MovementSides.CreditIsSystem : sides;
    }

    private static Int128 BalanceWithIncoming(in Account a) =>
        (Int128)(a.CreditsPosted + a.CreditsPending) - (Int128)a.DebitsPosted;

    /// <summary>Tells the screens a stored transfer rolled back with its chain (only transfers that made a movement:
    /// not posts or voids of holds).</summary>
    private void UnmoveRolledBack(int transferIndex)
    {
        ref readonly var r = ref _transfers[transferIndex];
        if (!Screening || (r.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0)
        {
            return;
        }

        ref readonly var debit = ref _accounts[r.Debit];
        ref readonly var credit = ref _accounts[r.Credit];
        var extra = r.Extra == 0 ? default : _extras[r.Extra - 1];
        var movement = new Movement(r.Id, debit.Key.Coin, debit.Key.Address, credit.Key.Address, r.Amount, extra.Memo, r.Code, r.Timestamp,
            SidesOf(debit.Flags, credit.Flags), default);
        foreach (var screen in _screens)
        {
            screen.Unmoved(movement);
        }
    }
}
