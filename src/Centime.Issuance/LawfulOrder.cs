using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>What a lawful order does to a holder's account. Persisted in commands: values never change.</summary>
public enum LawfulOrderKind : byte
{
    /// <summary>The account can neither send nor receive from the approving block on (its coins stay owed and backed).</summary>
    Freeze = 1,
    /// <summary>The freeze is lifted from the approving block on.</summary>
    Unfreeze = 2,
    /// <summary>An amount moves from the account (frozen or not) to the account the order designates.</summary>
    Seize = 3,
    /// <summary>An amount is taken out of the account and out of circulation (supply falls by it; reserves are untouched).</summary>
    Burn = 4,
}

/// <summary>Why an order was made: shown to the holder. Persisted in commands: values never change.</summary>
public enum LawfulOrderReason : byte
{
    /// <summary>Sanctions: the holder is, or acts for, a sanctioned person (blocked property).</summary>
    Sanctions = 1,
    /// <summary>A court's order.</summary>
    CourtOrder = 2,
    /// <summary>A law-enforcement request or warrant.</summary>
    LawEnforcement = 3,
    /// <summary>A direction of the issuer's regulator.</summary>
    RegulatoryDirection = 4,
    /// <summary>Fraud or theft: the coins are proceeds of a fraud being recovered.</summary>
    Fraud = 5,
    /// <summary>Suspicious activity under investigation by the issuer's AML function.</summary>
    AmlInvestigation = 6,
    /// <summary>The order that froze the account was lifted or expired (an unfreeze's usual reason).</summary>
    OrderLifted = 7,
}

/// <summary>Wire names (snake_case) of lawful order kinds and reasons, and back.</summary>
public static class LawfulOrderNames
{
    private static readonly string[] Kinds = ["", "freeze", "unfreeze", "seize", "burn"];

    private static readonly string[] Reasons = ["", "sanctions", "court_order", "law_enforcement", "regulatory_direction", "fraud", "aml_investigation", "order_lifted"];

    /// <summary>The reason codes a lawful order may carry, in their persisted order.</summary>
    public static IReadOnlyList<string> ReasonCodes => Reasons[1..];

    /// <summary>The wire name of a kind (e.g. <c>freeze</c>).</summary>
    public static string Name(LawfulOrderKind kind) => (int)kind < Kinds.Length ? Kinds[(int)kind] : "unknown";

    /// <summary>The wire name of a reason (e.g. <c>court_order</c>).</summary>
    public static string Name(LawfulOrderReason reason) => (int)reason < Reasons.Length ? Reasons[(int)reason] : "unknown";

    /// <summary>Parses a kind's wire name.</summary>
    public static bool TryParseKind(string? name, out LawfulOrderKind kind)
    {
        var i = Array.IndexOf(Kinds, name);
        kind = i > 0 ? (LawfulOrderKind)i : 0;
        return i > 0;
    }

    /// <summary>Parses a reason's wire name.</summary>
    public static bool TryParseReason(string? name, out LawfulOrderReason reason)
    {
        var i = Array.IndexOf(Reasons, name);
        reason = i > 0 ? (LawfulOrderReason)i : 0;
        return i > 0;
    }

    /// <summary>True for a kind this version knows.</summary>
    public static bool IsDefined(LawfulOrderKind kind) => kind is >= LawfulOrderKind.Freeze and <= LawfulOrderKind.Burn;

    /// <summary>True for a reason this version knows.</summary>
    public static bool IsDefined(LawfulOrderReason reason) => reason is >= LawfulOrderReason.Sanctions and <= LawfulOrderReason.OrderLifted;
}

/// <summary>
/// A lawful order (docs/compliance.md, "Lawful orders"): freeze, unfreeze, seize (to <see cref="To"/>, the account the
/// order designates) or burn <see cref="Amount"/> of <see cref="Account"/>'s coins, naming the order by
/// <see cref="Reference"/> and its <see cref="Reason"/>. An <c>asset_protection</c> operator requests it; it always waits
/// for a different <c>asset_protection</c> operator's approval (independent of the requester in multi-operator mode),
/// and takes effect in the approving block. Fields that do not apply to the kind are zero.
/// </summary>
public sealed record LawfulOrder(
    UInt128 ActionId,
    string Requester,
    uint Coin,
    LawfulOrderKind Order,
    Address Account,
    Address To,
    UInt128 Amount,
    string Reference,
    LawfulOrderReason Reason) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceLawfulOrder;
    public override string ActionName => LawfulOrderNames.Name(Order);
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.Byte((byte)Order);
        writer.Address(Account);
        writer.Address(To);
        writer.UInt128(Amount);
        writer.String(Reference);
        writer.Byte((byte)Reason);
    }

    internal static LawfulOrder Read(BodyReader r) =>
        new(r.UInt128(), r.String(), r.UInt32(), (LawfulOrderKind)r.Byte(), r.Address(), r.Address(), r.UInt128(), r.String(), (LawfulOrderReason)r.Byte());
}

/// <summary>Where a lawful order stands.</summary>
public enum LawfulOrderStatus : byte
{
    /// <summary>Requested; waiting for a second asset_protection operator.</summary>
    Pending = 1,
    /// <summary>Approved and applied in <see cref="LawfulOrderRecord.EffectiveHeight"/>.</summary>
    Effective = 2,
    /// <summary>Rejected by a second operator: it never took effect.</summary>
    Rejected = 3,
}

/// <summary>A lawful order and its outcome: who asked, who decided, and the block it took effect in.</summary>
/// <param name="Order">The order as requested.</param>
/// <param name="RequestedHeight">Block of the request.</param>
/// <param name="RequestedAt">Ledger time of the request (Unix ns).</param>
/// <param name="Status">Pending, effective or rejected.</param>
/// <param name="Decider">The second operator who approved or rejected it.</param>
/// <param name="EffectiveHeight">The approving block (0 unless effective).</param>
/// <param name="EffectiveAt">Ledger time of the approving block (0 unless effective).</param>
/// <param name="TransferId">The ledger transfer a seizure or burn made (0 otherwise).</param>
public sealed record LawfulOrderRecord(
    LawfulOrder Order,
    ulong RequestedHeight,
    ulong RequestedAt,
    LawfulOrderStatus Status,
    string? Decider,
    ulong EffectiveHeight,
    ulong EffectiveAt,
    UInt128 TransferId);

/// <summary>Why an account is frozen: the effective freeze order that froze it.</summary>
public sealed record FreezeRecord(uint Coin, Address Account, UInt128 OrderAction, string Reference, LawfulOrderReason Reason, ulong SinceHeight, ulong SinceTime);
