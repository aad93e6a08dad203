using System.Runtime.CompilerServices;

namespace Centime.Ledger;

/// <summary>Per-coin restrictions a module places on plain transfers (docs/issuance.md, "Pause").</summary>
[Flags]
public enum CoinGuard : byte
{
    None = 0,
    /// <summary>No transfer of the coin moves money (client, holder-signed or module), and no hold is posted; voids and hold expiry still run.</summary>
    Paused = 1,
    /// <summary>Only a module (through <see cref="LedgerState.Execute"/>) may move money into or out of the coin's supply account: mint and burn go through the module's rules.</summary>
    SupplyManaged = 2,
}

public sealed partial class LedgerState
{
    // Indexed by coin number. Not part of the ledger's snapshot: the module that sets a guard owns it, keeps it in
    // its own snapshot section and sets it again in ReadSnapshot (so replay and snapshots agree).
    private CoinGuard[] _coinGuards = [];
    private bool _anyGuard;
    private bool _executingModule;

    // Owners of module-owned accounts (flag in the account, owner here). Like guards, not in the ledger's snapshot: the
    // owning module sets them again in its ReadSnapshot.
    private readonly Dictionary<AccountKey, LedgerModule> _moduleOwners = [];
    private LedgerModule? _executingOwner;

    /// <summary>Sets the guards of one coin. Call only from a module's Apply or ReadSnapshot (deterministic state).</summary>
    internal void SetCoinGuard(uint coin, CoinGuard guard)
    {
        if (GetCoin(coin) is null)
        {
            throw new ArgumentOutOfRangeException(nameof(coin), $"No coin {coin}.");
        }

        if (_coinGuards.Length <= coin)
        {
            Array.Resize(ref _coinGuards, (int)Math.Max(coin + 1, (uint)_coins.Count + 1));
        }

        _coinGuards[coin] = guard;
        _anyGuard = Array.Exists(_coinGuards, g => g != CoinGuard.None);
    }

    /// <summary>
    /// Freezes or unfreezes one account on behalf of a module (e.g. the issuance module's asset-protection role), with
    /// the same rules as the <see cref="SetAccountFrozen"/> command. Call only from a module's Apply.
    /// </summary>
    internal ResultCode SetFrozen(uint coin, Address account, bool frozen) => ApplySetFrozen(new SetAccountFrozen(coin, account, frozen));

    /// <summary>The guards of one coin.</summary>
    public CoinGuard GetCoinGuard(uint coin) => coin < _coinGuards.Length ? _coinGuards[coin] : CoinGuard.None;

    /// <summary>
    /// True when the coin is paused: no money of it moves. Only <see cref="CoinGuard.Paused"/> pauses a coin; a
    /// <see cref="CoinGuard.SupplyManaged"/> coin (every coin issuance sets up) moves freely between holders and modules,
    /// only its supply account is reserved to its module.
    /// </summary>
    public bool IsPaused(uint coin) => (GetCoinGuard(coin) & CoinGuard.Paused) != 0;

    /// <summary>
    /// Ok, or why a module must not move <paramref name="coin"/> to or from <paramref name="party"/> now:
    /// <see cref="ResultCode.Paused"/> (the coin, checked first, as a transfer does) or <see cref="ResultCode.AccountFrozen"/>
    /// (the party's account), or a screen's refusal (<see cref="IMovementScreen"/>, e.g. <see cref="ResultCode.SanctionedAddress"/>,
    /// asked before the frozen check as a transfer does). The question every module asks before it moves a holder's
    /// money, so a module refuses exactly what a transfer between the same accounts would refuse (docs/invariants.md).
    /// A zero address or an account that does not exist yet is not frozen. Inside a block a screen's refusal is
    /// reported to the screens (an alert); asked from outside (a read) it changes nothing.
    /// </summary>
    public ResultCode CheckMovable(uint coin, Address party)
    {
        if (IsPaused(coin))
        {
            return ResultCode.Paused;
        }

        if (Screening && !party.IsZero && ScreenParty(coin, party, _applyingHeight, _applyingNow) is var screened && screened != ResultCode.Ok)
        {
            return screened;
        }

        return !party.IsZero && TryGetAccount(coin, party, out var account) && account.IsFrozen ? ResultCode.AccountFrozen : ResultCode.Ok;
    }

    /// <summary>Ok, or why a guard refuses moving <paramref name="t"/>'s money. Only called when some coin is guarded.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ResultCode CheckGuard(uint coin, Address debit, Address credit)
    {
        var guard = GetCoinGuard(coin);
        if (guard == CoinGuard.None)
        {
            return ResultCode.Ok;
        }

        if ((guard & CoinGuard.Paused) != 0)
        {
            return ResultCode.Paused;
        }

        if ((guard & CoinGuard.SupplyManaged) != 0 && !_executingModule)
        {
            var supply = _coins[(int)coin - 1].SupplyAccount;
            if (debit == supply || credit == supply)
            {
                return ResultCode.SupplyManaged;
            }
        }

        return ResultCode.Ok;
    }
}
