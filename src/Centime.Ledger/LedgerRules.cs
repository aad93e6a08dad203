namespace Centime.Ledger;

/// <summary>
/// Versions of the ledger's rules. Each block header records the version it was applied under
/// (<see cref="BlockHeader.Rules"/>), and replay applies every block under its own version: a journal written before a
/// rule changed still replays to the results it recorded (recovery refuses a journal whose replay diverges), while
/// every new block gets the current rules. Add a value at the end when a change refuses (or allows) something an
/// older block may contain, and branch on <see cref="LedgerState.Rules"/>; never change what an old value means.
/// </summary>
public static class LedgerRules
{
    /// <summary>The rules of every block sealed before versions existed (the header's reserved bytes were zero).</summary>
    public const ushort Original = 0;

    /// <summary>
    /// Holder protections (issue 12 item 10): a frozen owner or spender can neither grant an allowance by permit nor
    /// spend one by transferFrom; no transfer credits an address nobody holds a key to (a coin's verifying contract,
    /// another coin's supply account).
    /// </summary>
    public const ushort HolderProtections = 1;

    /// <summary>
    /// Governance (issue 12 item 7): unless the node runs in single-operator mode, privileged issuance changes need a
    /// second admin independent of the requester (no shared control chain), approvals need an independent operator, and
    /// no minter manager sets its own allowance. Blocks before it applied the old policy (one admin could do all).
    /// </summary>
    public const ushort Governance = 2;

    /// <summary>
    /// Every module works on coins issuance manages (issue 12 item 1): a <see cref="CoinGuard.SupplyManaged"/> coin is
    /// not paused, so contracts on an issued coin run (blocks before this answered <c>paused</c>).
    /// </summary>
    public const ushort ModulesOnIssuedCoins = 3;

    /// <summary>
    /// Only the holder's signature redeems (issue 12): an operator's redemption on a holder's behalf (a minter's
    /// <c>Redeem</c>) is refused with <c>holder_signature_required</c>; the holder signs an EIP-712 <c>Redemption</c>
    /// instead. Blocks before it burned a holder's coins on a minter's word (audited) and still replay that way.
    /// </summary>
    public const ushort HolderSignedRedemption = 4;

    /// <summary>
    /// No operator-derived credential funds a contract (issue 12): a contract created by an ERP system
    /// (<c>requester "webhook"</c>, an HMAC secret the node derived from its operator key) is refused with
    /// <c>erp_key_not_authorized</c>; an ERP creates contracts only with a key its payer registered by its own
    /// signature (<c>requester "erp:&lt;address&gt;"</c>). Blocks before it replay the webhook contracts they hold.
    /// </summary>
    public const ushort ErpKeys = 5;

    /// <summary>
    /// Issuance mints no sandbox coin (issue 12): a sandbox coin is unbacked test money, so a mint through issuance
    /// (which would show it as reserve-backed) is refused with <c>sandbox_coin_not_issued</c>. Blocks before it
    /// replay the mints they hold.
    /// </summary>
    public const ushort NoIssuanceOfSandboxCoins = 6;

    /// <summary>
    /// Compliance screening (issue 15): every movement of value — transfers, authorizations, module transfers, posts of
    /// holds — and <see cref="LedgerState.CheckMovable"/> ask the attached <see cref="IMovementScreen"/> modules
    /// (sanctioned addresses: <c>sanctioned_address</c>; KYC limits). Blocks before it were not screened and replay so.
    /// </summary>
    public const ushort Screening = 7;

    /// <summary>
    /// Lawful orders (issue 15): freezing, unfreezing and seizing a holder's coins by one operator's word
    /// (<c>SetFrozen</c>, <c>Seize</c>) is refused with <c>lawful_order_required</c>; a <c>LawfulOrder</c> (freeze,
    /// unfreeze, seize, burn) carrying an order reference and a reason code, requested by one asset_protection operator
    /// and approved by a different one, does it from the approving block. Blocks before it replay as they were.
    /// </summary>
    public const ushort LawfulOrders = 8;

    /// <summary>
    /// Redemption payout deadlines in business days per regime (issue 15): Hong Kong 1, GENIUS under the OCC proposal 2,
    /// MiCA 1, on the coin's holiday calendar (weekends and loaded public holidays skipped, in the calendar's UTC offset),
    /// unless the coin sets an explicit window. Blocks before it keep one calendar day with weekends skipped.
    /// </summary>
    public const ushort BusinessDayDeadlines = 9;

    /// <summary>The version new blocks are applied and sealed under.</summary>
    public const ushort Current = BusinessDayDeadlines;
}
