using System.Runtime.InteropServices;

namespace Centime.Ledger;

/// <summary>Account flags.</summary>
[Flags]
public enum AccountFlags : ushort
{
    None = 0,
    /// <summary>Neither debits nor credits are allowed (posts included; voids and expiries still release holds).</summary>
    Frozen = 1,
    /// <summary>May go negative: only the issuer supply account of each coin.</summary>
    Supply = 2,
    /// <summary>Owned by a module (an exchange pool): only the module moves money in or out (<see cref="LedgerState.Execute"/>),
    /// so its own books (a pool's stored balances) always equal the account.</summary>
    ModuleOwned = 4,
    /// <summary>At an address nobody holds a key to (a coin's verifying contract, another coin's supply account): from
    /// <see cref="LedgerRules.HolderProtections"/> on, nothing credits it. Derived from the address (set whenever such
    /// an account exists), so snapshots do not store it.</summary>
    Keyless = 8,
}

/// <summary>Key of an account: (coin number, address).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)] // 24 bytes, not 32 (see Address)
public readonly record struct AccountKey(uint Coin, Address Address);

/// <summary>
/// Balances of one account, TigerBeetle style. Balance = credits_posted − debits_posted; available =
/// balance − debits_pending. Holder accounts must not overdraft: debits_posted + debits_pending ≤ credits_posted.
/// </summary>
/// <remarks>Pack = 8: the UInt128 balances need no 16-byte alignment here, which makes an account 96 bytes instead of
/// 112; the ledger keeps one per (coin, address), so this is most of the memory of an account.</remarks>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct Account
{
    public UInt128 DebitsPosted;
    public UInt128 CreditsPosted;
    public UInt128 DebitsPending;
    public UInt128 CreditsPending;
    public AccountKey Key;
    public AccountFlags Flags;

    /// <summary>Posted balance, signed (negative only for the supply account).</summary>
    /// <remarks>Subtracts before converting: either side alone may exceed <see cref="Int128.MaxValue"/> (funds
    /// cycling through an account), while the difference always fits because the ledger caps a supply account's
    /// debits at <see cref="LedgerState.MaxSupply"/> and no holder can hold more than was issued.</remarks>
    public readonly Int128 Balance => CreditsPosted >= DebitsPosted
        ? (Int128)(CreditsPosted - DebitsPosted)
        : -(Int128)(DebitsPosted - CreditsPosted);

    /// <summary>What the holder can spend now: posted balance minus outgoing holds.</summary>
    public readonly Int128 Available => Balance - (Int128)DebitsPending;

    public readonly bool IsFrozen => (Flags & AccountFlags.Frozen) != 0;
}

/// <summary>Lifecycle of a pending transfer (hold).</summary>
public enum HoldState : byte
{
    /// <summary>Not a hold (a posted transfer, or a post/void event itself).</summary>
    None = 0,
    Pending = 1,
    Posted = 2,
    Voided = 3,
    Expired = 4,
}

/// <summary>A transfer as stored: the resolved fields plus, for holds, where in its lifecycle it is.</summary>
public readonly record struct StoredTransfer(Transfer Transfer, HoldState Hold, ulong Height, int Index)
{
    /// <summary>Ledger time at which a pending hold expires; 0 = never.</summary>
    public ulong ExpiresAt => Transfer.Timeout == 0 ? 0 : Transfer.Timestamp + ((ulong)Transfer.Timeout * 1_000_000_000UL);
}

/// <summary>Outcome of one command: its code and the ledger time it was assigned.</summary>
public readonly record struct CommandResult(ResultCode Code, ulong Timestamp);
