using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// What an operator may do (docs/issuance.md, "Roles"). Persisted in commands and snapshots: values never change.
/// </summary>
[Flags]
public enum OperatorRoles : ushort
{
    None = 0,
    /// <summary>Adds operators, changes roles, configures coins and the approval policy.</summary>
    Admin = 1,
    /// <summary>Configures minters: allowance and rate limit.</summary>
    MinterManager = 2,
    /// <summary>Mints against recorded deposits within an allowance; submits redemptions on behalf of holders.</summary>
    Minter = 4,
    /// <summary>Pauses and unpauses a coin.</summary>
    Pauser = 8,
    /// <summary>Freezes and unfreezes holder accounts.</summary>
    AssetProtection = 16,
    /// <summary>Records fiat deposits, maintains the reserve book, marks payouts paid.</summary>
    ReserveManager = 32,
    /// <summary>Reads the audit trail, operators and pending approvals; changes nothing.</summary>
    Auditor = 64,
    /// <summary>Compliance officer: loads sanctions lists, keeps the KYC holder registry and tier limits, reads alerts (docs/compliance.md).</summary>
    Compliance = 128,
}

/// <summary>Role names on the wire (snake_case) and back.</summary>
public static class OperatorRoleNames
{
    private static readonly (OperatorRoles Role, string Name)[] Names =
    [
        (OperatorRoles.Admin, "admin"),
        (OperatorRoles.MinterManager, "minter_manager"),
        (OperatorRoles.Minter, "minter"),
        (OperatorRoles.Pauser, "pauser"),
        (OperatorRoles.AssetProtection, "asset_protection"),
        (OperatorRoles.ReserveManager, "reserve_manager"),
        (OperatorRoles.Auditor, "auditor"),
        (OperatorRoles.Compliance, "compliance"),
    ];

    /// <summary>All roles.</summary>
    public const OperatorRoles All = (OperatorRoles)255;

    /// <summary>The names of the roles set in <paramref name="roles"/>, in a fixed order.</summary>
    public static List<string> ToNames(OperatorRoles roles)
    {
        var list = new List<string>();
        foreach (var (role, name) in Names)
        {
            if ((roles & role) != 0)
            {
                list.Add(name);
            }
        }

        return list;
    }

    /// <summary>Parses one role name.</summary>
    public static bool TryParse(string? name, out OperatorRoles role)
    {
        foreach (var (r, n) in Names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                role = r;
                return true;
            }
        }

        role = OperatorRoles.None;
        return false;
    }
}

/// <summary>
/// An issuance command. Every one carries a client-chosen <see cref="ActionId"/> (unique; it names the action in the
/// audit trail and in approvals) and the operator id of its <see cref="Requester"/>, authenticated by the node before
/// the command is journaled (the journal records who asked).
/// </summary>
public abstract record IssuanceCommand(UInt128 ActionId, string Requester) : CommandBody
{
    /// <summary>Short snake_case name used in the audit trail.</summary>
    public abstract string ActionName { get; }

    /// <summary>The coin the action concerns, or 0.</summary>
    public virtual uint CoinNumber => 0;

    protected sealed override void Write(BodyWriter writer)
    {
        writer.UInt128(ActionId);
        writer.String(Requester);
        WriteFields(writer);
    }

    /// <summary>Writes the fields after the action id and requester.</summary>
    protected abstract void WriteFields(BodyWriter writer);

    /// <summary>The snake_case name of an issuance command kind (e.g. <c>issuance_mint</c>), or null for other kinds.</summary>
    public static string? KindName(CommandKind kind) => kind switch
    {
        CommandKind.IssuanceAddOperator => "issuance_add_operator",
        CommandKind.IssuanceSetOperatorRoles => "issuance_set_operator_roles",
        CommandKind.IssuanceConfigureCoin => "issuance_configure_coin",
        CommandKind.IssuanceConfigureMinter => "issuance_configure_minter",
        CommandKind.IssuanceRecordDeposit => "issuance_record_deposit",
        CommandKind.IssuanceMint => "issuance_mint",
        CommandKind.IssuanceApprove => "issuance_approve",
        CommandKind.IssuanceReject => "issuance_reject",
        CommandKind.IssuanceRedeem => "issuance_redeem",
        CommandKind.IssuanceHolderRedeem => "issuance_holder_redeem",
        CommandKind.IssuanceMarkPayoutPaid => "issuance_mark_payout_paid",
        CommandKind.IssuanceSetPaused => "issuance_set_paused",
        CommandKind.IssuanceAddHolding => "issuance_add_holding",
        CommandKind.IssuanceUpdateHolding => "issuance_update_holding",
        CommandKind.IssuanceRemoveHolding => "issuance_remove_holding",
        CommandKind.IssuanceSetPolicy => "issuance_set_policy",
        CommandKind.IssuanceSetFrozen => "issuance_set_frozen",
        CommandKind.IssuanceSetGovernance => "issuance_set_governance",
        CommandKind.IssuanceRotateKey => "issuance_rotate_key",
        CommandKind.IssuanceRotateIssuerKey => "issuance_rotate_issuer_key",
        CommandKind.IssuanceSeize => "issuance_seize",
        CommandKind.IssuanceLawfulOrder => "issuance_lawful_order",
        CommandKind.IssuanceImportBankStatement => "issuance_import_bank_statement",
        CommandKind.IssuanceResolveReconciliation => "issuance_resolve_reconciliation",
        CommandKind.IssuanceExportPayouts => "issuance_export_payouts",
        CommandKind.IssuanceSetHolidayCalendar => "issuance_set_holiday_calendar",
        _ => null,
    };

    /// <summary>Registers every issuance decoder (idempotent).</summary>
    public static void RegisterAll()
    {
        CommandBody.Register(CommandKind.IssuanceAddOperator, AddOperator.Read);
        CommandBody.Register(CommandKind.IssuanceSetOperatorRoles, SetOperatorRoles.Read);
        CommandBody.Register(CommandKind.IssuanceConfigureCoin, ConfigureCoin.Read);
        CommandBody.Register(CommandKind.IssuanceConfigureMinter, ConfigureMinter.Read);
        CommandBody.Register(CommandKind.IssuanceRecordDeposit, RecordDeposit.Read);
        CommandBody.Register(CommandKind.IssuanceMint, Mint.Read);
        CommandBody.Register(CommandKind.IssuanceApprove, Approve.Read);
        CommandBody.Register(CommandKind.IssuanceReject, Reject.Read);
        CommandBody.Register(CommandKind.IssuanceRedeem, Redeem.Read);
        CommandBody.Register(CommandKind.IssuanceHolderRedeem, HolderRedeem.Read);
        CommandBody.Register(CommandKind.IssuanceMarkPayoutPaid, MarkPayoutPaid.Read);
        CommandBody.Register(CommandKind.IssuanceSetPaused, SetPaused.Read);
        CommandBody.Register(CommandKind.IssuanceAddHolding, AddHolding.Read);
        CommandBody.Register(CommandKind.IssuanceUpdateHolding, UpdateHolding.Read);
        CommandBody.Register(CommandKind.IssuanceRemoveHolding, RemoveHolding.Read);
        CommandBody.Register(CommandKind.IssuanceSetPolicy, SetPolicy.Read);
        CommandBody.Register(CommandKind.IssuanceSetFrozen, SetFrozen.Read);
        CommandBody.Register(CommandKind.IssuanceSetGovernance, SetGovernance.Read);
        CommandBody.Register(CommandKind.IssuanceRotateKey, RotateKey.Read);
        CommandBody.Register(CommandKind.IssuanceRotateIssuerKey, RotateIssuerKey.Read);
        CommandBody.Register(CommandKind.IssuanceSeize, Seize.Read);
        CommandBody.Register(CommandKind.IssuanceLawfulOrder, LawfulOrder.Read);
        CommandBody.Register(CommandKind.IssuanceImportBankStatement, ImportBankStatement.Read);
        CommandBody.Register(CommandKind.IssuanceResolveReconciliation, ResolveReconciliation.Read);
        CommandBody.Register(CommandKind.IssuanceExportPayouts, ExportPayouts.Read);
        CommandBody.Register(CommandKind.IssuanceSetHolidayCalendar, SetHolidayCalendar.Read);
    }

    internal static bool Flag(BodyReader r) => r.Byte() switch
    {
        0 => false,
        1 => true,
        _ => throw new FormatException("A flag byte is 0 or 1."),
    };

    internal static OperatorRoles ReadRoles(BodyReader r)
    {
        var value = r.UInt32();
        return value <= ushort.MaxValue ? (OperatorRoles)(ushort)value : throw new FormatException("Roles out of range.");
    }

    internal static void Flag(BodyWriter w, bool value) => w.Byte(value ? (byte)1 : (byte)0);
}

/// <summary>Adds an operator with the SHA-256 of their API key (the key itself is never journaled).</summary>
public sealed record AddOperator(UInt128 ActionId, string Requester, string OperatorId, Hash32 KeyHash, OperatorRoles Roles) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceAddOperator;
    public override string ActionName => "add_operator";

    protected override void WriteFields(BodyWriter writer)
    {
        writer.String(OperatorId);
        writer.Hash(KeyHash);
        writer.UInt32((uint)Roles);
    }

    internal static AddOperator Read(BodyReader r) => new(r.UInt128(), r.String(), r.String(), r.Hash(), ReadRoles(r));
}

/// <summary>Replaces an operator's roles (none = disabled).</summary>
public sealed record SetOperatorRoles(UInt128 ActionId, string Requester, string OperatorId, OperatorRoles Roles) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSetOperatorRoles;
    public override string ActionName => "set_operator_roles";

    protected override void WriteFields(BodyWriter writer)
    {
        writer.String(OperatorId);
        writer.UInt32((uint)Roles);
    }

    internal static SetOperatorRoles Read(BodyReader r) => new(r.UInt128(), r.String(), r.String(), ReadRoles(r));
}

/// <summary>
/// A coin's issuance settings: reserve regime, redemption window (0 = one business day), the mint amount above
/// which a second approval is needed (<see cref="UInt128.MaxValue"/> = never), and whether pausing needs one.
/// </summary>
public sealed record ConfigureCoin(UInt128 ActionId, string Requester, uint Coin, ReserveRegime Regime, ulong RedemptionWindowSeconds, UInt128 MintApprovalAbove, bool PauseNeedsApproval)
    : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceConfigureCoin;
    public override string ActionName => "configure_coin";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Byte((byte)Regime);
        writer.UInt64(RedemptionWindowSeconds);
        writer.UInt128(MintApprovalAbove);
        Flag(writer, PauseNeedsApproval);
    }

    internal static ConfigureCoin Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), (ReserveRegime)r.Byte(), r.UInt64(), r.UInt128(), Flag(r));
}

/// <summary>Sets a minter's remaining allowance in a coin and an optional rate limit (0 = none) per ledger-time window.</summary>
public sealed record ConfigureMinter(UInt128 ActionId, string Requester, uint Coin, string Minter, UInt128 Allowance, UInt128 RateLimit, ulong RateWindowSeconds)
    : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceConfigureMinter;
    public override string ActionName => "configure_minter";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.String(Minter);
        writer.UInt128(Allowance);
        writer.UInt128(RateLimit);
        writer.UInt64(RateWindowSeconds);
    }

    internal static ConfigureMinter Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.String(), r.UInt128(), r.UInt128(), r.UInt64());
}

/// <summary>
/// A fiat deposit received at a bank (unique reference per coin). With <see cref="Holding"/> (a bank holding of the
/// coin's reserve book) the deposit also raises that holding's balance, valued on the ledger date.
/// </summary>
public sealed record RecordDeposit(UInt128 ActionId, string Requester, uint Coin, string Bank, string Reference, UInt128 Amount, DateOnly ValueDate, string Holding)
    : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceRecordDeposit;
    public override string ActionName => "record_deposit";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.String(Bank);
        writer.String(Reference);
        writer.UInt128(Amount);
        HoldingCodec.WriteDate(writer, ValueDate);
        writer.String(Holding);
    }

    internal static RecordDeposit Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.String(), r.String(), r.UInt128(), HoldingCodec.ReadDate(r), r.String());
}

/// <summary>Mints <see cref="Amount"/> to <see cref="To"/> against a recorded deposit's unminted remainder.</summary>
public sealed record Mint(UInt128 ActionId, string Requester, uint Coin, string DepositReference, Address To, UInt128 Amount) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceMint;
    public override string ActionName => "mint";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.String(DepositReference);
        writer.Address(To);
        writer.UInt128(Amount);
    }

    internal static Mint Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.String(), r.Address(), r.UInt128());
}

/// <summary>Approves a pending action, which then executes in this same command. <see cref="IssuanceCommand.Requester"/> is the approver.</summary>
public sealed record Approve(UInt128 ActionId, string Requester, UInt128 Target) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceApprove;
    public override string ActionName => "approve";

    protected override void WriteFields(BodyWriter writer) => writer.UInt128(Target);

    internal static Approve Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt128());
}

/// <summary>Rejects a pending action; it never executes.</summary>
public sealed record Reject(UInt128 ActionId, string Requester, UInt128 Target, string Reason) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceReject;
    public override string ActionName => "reject";

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt128(Target);
        writer.String(Reason);
    }

    internal static Reject Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt128(), r.String());
}

/// <summary>Burns a holder's coins (submitted by an operator on the holder's behalf) and creates a payout instruction to <see cref="PayTo"/> with a deadline.</summary>
public sealed record Redeem(UInt128 ActionId, string Requester, uint Coin, Address Holder, UInt128 Amount, string PayTo) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceRedeem;
    public override string ActionName => "redeem";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Holder);
        writer.UInt128(Amount);
        writer.String(PayTo);
    }

    internal static Redeem Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.Address(), r.UInt128(), r.String());
}

/// <summary>Marks a redemption's payout as paid (bank reference). With <see cref="Holding"/> the bank holding it was paid from is reduced.</summary>
public sealed record MarkPayoutPaid(UInt128 ActionId, string Requester, UInt128 Redemption, string Reference, string Holding) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceMarkPayoutPaid;
    public override string ActionName => "mark_payout_paid";

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt128(Redemption);
        writer.String(Reference);
        writer.String(Holding);
    }

    internal static MarkPayoutPaid Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt128(), r.String(), r.String());
}

/// <summary>Pauses or unpauses a coin (docs/issuance.md, "Pause").</summary>
public sealed record SetPaused(UInt128 ActionId, string Requester, uint Coin, bool Paused) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSetPaused;
    public override string ActionName => Paused ? "pause" : "unpause";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        Flag(writer, Paused);
    }

    internal static SetPaused Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), Flag(r));
}

/// <summary>Adds a holding to a coin's reserve book.</summary>
public sealed record AddHolding(UInt128 ActionId, string Requester, uint Coin, ReserveHolding Holding) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceAddHolding;
    public override string ActionName => "add_holding";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        HoldingCodec.Write(writer, Holding);
    }

    internal static AddHolding Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), HoldingCodec.Read(r));
}

/// <summary>Replaces a holding (same id and kind): a valuation update or a correction.</summary>
public sealed record UpdateHolding(UInt128 ActionId, string Requester, uint Coin, ReserveHolding Holding) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceUpdateHolding;
    public override string ActionName => "update_holding";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        HoldingCodec.Write(writer, Holding);
    }

    internal static UpdateHolding Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), HoldingCodec.Read(r));
}

/// <summary>Removes a holding (sold, matured, withdrawn).</summary>
public sealed record RemoveHolding(UInt128 ActionId, string Requester, uint Coin, string HoldingId) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceRemoveHolding;
    public override string ActionName => "remove_holding";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.String(HoldingId);
    }

    internal static RemoveHolding Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.String());
}

/// <summary>The node-wide approval policy: whether administrative changes (operators, roles, coin and minter settings, this policy) need a second admin.</summary>
public sealed record SetPolicy(UInt128 ActionId, string Requester, bool AdminChangesNeedApproval) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSetPolicy;
    public override string ActionName => "set_policy";

    protected override void WriteFields(BodyWriter writer) => Flag(writer, AdminChangesNeedApproval);

    internal static SetPolicy Read(BodyReader r) => new(r.UInt128(), r.String(), Flag(r));
}

/// <summary>Freezes or unfreezes a holder's account in one coin (asset protection): a frozen account can neither send nor receive.</summary>
public sealed record SetFrozen(UInt128 ActionId, string Requester, uint Coin, Address Account, bool Frozen) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSetFrozen;
    public override string ActionName => Frozen ? "freeze" : "unfreeze";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Account);
        Flag(writer, Frozen);
    }

    internal static SetFrozen Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.Address(), Flag(r));
}

/// <summary>
/// The governance mode, written by the node (requester <c>system</c>) when it starts in a mode other than the state's:
/// multi-operator (the default: privileged changes need a second, independent admin) or single-operator (one person
/// runs the node; shown as such on the transparency page).
/// </summary>
public sealed record SetGovernance(UInt128 ActionId, string Requester, bool SingleOperator) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSetGovernance;
    public override string ActionName => "set_governance";

    protected override void WriteFields(BodyWriter writer) => Flag(writer, SingleOperator);

    internal static SetGovernance Read(BodyReader r) => new(r.UInt128(), r.String(), Flag(r));
}

/// <summary>
/// Replaces an operator's API key by the one whose SHA-256 is <see cref="NewKeyHash"/>; the old key is refused from then
/// on. <see cref="OperatorId"/> <c>admin</c> is the bootstrap admin (only it may rotate its own key). Whoever receives
/// the new key controls the operator: nobody else after a rotation of one's own key, the requesting admin otherwise.
/// </summary>
public sealed record RotateKey(UInt128 ActionId, string Requester, string OperatorId, Hash32 NewKeyHash) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceRotateKey;
    public override string ActionName => "rotate_key";

    /// <summary>An operator replacing their own key.</summary>
    public bool IsOwnKey => string.Equals(Requester, OperatorId, StringComparison.Ordinal);

    protected override void WriteFields(BodyWriter writer)
    {
        writer.String(OperatorId);
        writer.Hash(NewKeyHash);
    }

    internal static RotateKey Read(BodyReader r) => new(r.UInt128(), r.String(), r.String(), r.Hash());
}

/// <summary>
/// Replaces the issuer key that signs disclosure reports (docs/transparency.md, "Issuer key"): from the block that
/// executes it, <see cref="Next"/> signs; <see cref="Previous"/> remains the signer of record for the reports it signed
/// before. An admin asks; under the default policy a second, independent admin approves. Only addresses are journaled:
/// the node generated the new private key and keeps it in its data directory.
/// </summary>
public sealed record RotateIssuerKey(UInt128 ActionId, string Requester, Address Previous, Address Next) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceRotateIssuerKey;
    public override string ActionName => "rotate_issuer_key";

    protected override void WriteFields(BodyWriter writer)
    {
        writer.Address(Previous);
        writer.Address(Next);
    }

    internal static RotateIssuerKey Read(BodyReader r) => new(r.UInt128(), r.String(), r.Address(), r.Address());
}

/// <summary>
/// A lawful order (court order, regulator's instruction) to move <see cref="Amount"/> out of <see cref="Holder"/>'s account
/// to <see cref="To"/>, even when the account is frozen. Requested by <c>asset_protection</c>; it always waits for a second,
/// independent operator's approval and runs in the approval's command; both are in the audit trail with
/// <see cref="Order"/>, the order's reference.
/// </summary>
public sealed record Seize(UInt128 ActionId, string Requester, uint Coin, Address Holder, Address To, UInt128 Amount, string Order) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSeize;
    public override string ActionName => "seize";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Address(Holder);
        writer.Address(To);
        writer.UInt128(Amount);
        writer.String(Order);
    }

    internal static Seize Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.Address(), r.Address(), r.UInt128(), r.String());
}

/// <summary>Binary form of reserve holdings in commands and snapshots (little-endian, via <see cref="BodyWriter"/>).</summary>
public static class HoldingCodec
{
    /// <summary>Writes a date as its day number.</summary>
    public static void WriteDate(BodyWriter w, DateOnly date) => w.UInt32((uint)date.DayNumber);

    /// <summary>Reads a date written by <see cref="WriteDate"/>.</summary>
    public static DateOnly ReadDate(BodyReader r)
    {
        var n = r.UInt32();
        return n <= (uint)DateOnly.MaxValue.DayNumber ? DateOnly.FromDayNumber((int)n) : throw new FormatException("Day number out of range.");
    }

    private static void WriteOptionalDate(BodyWriter w, DateOnly? date) => w.UInt32(date is { } d ? (uint)d.DayNumber + 1 : 0);

    private static DateOnly? ReadOptionalDate(BodyReader r)
    {
        var n = r.UInt32();
        return n == 0 ? null : n - 1 <= (uint)DateOnly.MaxValue.DayNumber ? DateOnly.FromDayNumber((int)(n - 1)) : throw new FormatException("Day number out of range.");
    }

    /// <summary>Writes one holding.</summary>
    public static void Write(BodyWriter w, ReserveHolding h)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(h);
        w.Byte((byte)h.Category);
        w.String(h.Id);
        w.String(h.Currency);
        WriteDate(w, h.ValuedOn);
        w.String(h.Custodian ?? "");
        IssuanceCommand.Flag(w, h.Segregated);
        IssuanceCommand.Flag(w, h.Rehypothecated);
        switch (h)
        {
            case BankDeposit b:
                w.String(b.Bank);
                w.String(b.AccountReference);
                w.UInt128(b.Amount);
                w.Byte((byte)b.Kind);
                IssuanceCommand.Flag(w, b.InsuredInstitution);
                WriteOptionalDate(w, b.PlacedOn);
                WriteOptionalDate(w, b.Maturity);
                break;
            case TreasuryBill t:
                w.String(t.Identifier.Value ?? "");
                w.String(t.IssuingGovernment);
                WriteDate(w, t.IssueDate);
                WriteDate(w, t.MaturityDate);
                w.UInt128(t.FaceValue);
                w.UInt64(t.Price.Numerator);
                w.UInt64(t.Price.Denominator);
                break;
            case OvernightRepo o:
                w.String(o.Counterparty);
                w.UInt128(o.Principal);
                w.String(o.CollateralDescription);
                w.Byte((byte)o.Collateral);
                w.UInt128(o.CollateralValue);
                WriteDate(w, o.TradeDate);
                WriteDate(w, o.MaturityDate);
                break;
            case GovernmentMoneyMarketFund f:
                w.String(f.Name);
                w.UInt128(f.Units);
                w.Byte(f.UnitDecimals);
                w.UInt128(f.NavPerUnit);
                IssuanceCommand.Flag(w, f.HoldsOnlyEligibleAssets);
                break;
            default:
                throw new ArgumentException("Unknown holding type.", nameof(h));
        }
    }

    /// <summary>Reads one holding; throws <see cref="FormatException"/> on anything that is not a canonical encoding.</summary>
    public static ReserveHolding Read(BodyReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var category = (ReserveCategory)r.Byte();
        var id = r.String();
        var currency = r.String();
        var valuedOn = ReadDate(r);
        var custodian = r.String();
        var segregated = IssuanceCommand.Flag(r);
        var rehypothecated = IssuanceCommand.Flag(r);
        ReserveHolding holding = category switch
        {
            ReserveCategory.BankDeposit => new BankDeposit
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Bank = r.String(),
                AccountReference = r.String(),
                Amount = r.UInt128(),
                Kind = (DepositKind)r.Byte(),
                InsuredInstitution = IssuanceCommand.Flag(r),
                PlacedOn = ReadOptionalDate(r),
                Maturity = ReadOptionalDate(r),
            },
            ReserveCategory.TreasuryBill => new TreasuryBill
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Identifier = SecurityIdentifier.TryParse(r.String(), out var identifier) ? identifier : throw new FormatException("Bad CUSIP/ISIN in a holding."),
                IssuingGovernment = r.String(),
                IssueDate = ReadDate(r),
                MaturityDate = ReadDate(r),
                FaceValue = r.UInt128(),
                Price = ReadPrice(r),
            },
            ReserveCategory.OvernightRepo => new OvernightRepo
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Counterparty = r.String(),
                Principal = r.UInt128(),
                CollateralDescription = r.String(),
                Collateral = (CollateralKind)r.Byte(),
                CollateralValue = r.UInt128(),
                TradeDate = ReadDate(r),
                MaturityDate = ReadDate(r),
            },
            ReserveCategory.MoneyMarketFund => new GovernmentMoneyMarketFund
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Name = r.String(),
                Units = r.UInt128(),
                UnitDecimals = r.Byte(),
                NavPerUnit = r.UInt128(),
                HoldsOnlyEligibleAssets = IssuanceCommand.Flag(r),
            },
            _ => throw new FormatException("Unknown holding category."),
        };
        return holding with { Custodian = custodian.Length == 0 ? null : custodian, Segregated = segregated, Rehypothecated = rehypothecated };
    }

    private static Price ReadPrice(BodyReader r)
    {
        var numerator = r.UInt64();
        var denominator = r.UInt64();
        return denominator == 0 ? throw new FormatException("A price's denominator is never 0.") : Price.Of(numerator, denominator);
    }

    /// <summary>Checks a holding as the reserve book would; false with the reason when it is invalid.</summary>
    public static bool TryValidate(ReserveHolding holding, out string? error)
    {
        ArgumentNullException.ThrowIfNull(holding);
        try
        {
            holding.Validate();
            error = null;
            return true;
        }
        catch (ArgumentException ex)
        {
            error = ex.Message;
            return false;
        }
    }
}
