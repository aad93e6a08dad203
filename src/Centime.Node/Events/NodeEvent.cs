using System.Globalization;
using System.Text.Json.Serialization;
using Centime.Client;

namespace Centime.Node.Events;

/// <summary>
/// Where an event stands in the durable ledger: block <see cref="Height"/>, <see cref="Index"/>-th event of that
/// block. Written <c>&lt;height&gt;-&lt;index&gt;</c>; it is the event's id, the same on every node and after every
/// restart or replay, because it is derived from the committed block alone.
/// </summary>
public readonly record struct EventPosition(ulong Height, int Index) : IComparable<EventPosition>
{
    public static bool operator <(EventPosition a, EventPosition b) => a.CompareTo(b) < 0;

    public static bool operator >(EventPosition a, EventPosition b) => a.CompareTo(b) > 0;

    public static bool operator <=(EventPosition a, EventPosition b) => a.CompareTo(b) <= 0;

    public static bool operator >=(EventPosition a, EventPosition b) => a.CompareTo(b) >= 0;

    /// <summary>The position just after this one in the same block.</summary>
    public EventPosition Next => new(Height, Index + 1);

    public int CompareTo(EventPosition other) => Height != other.Height ? Height.CompareTo(other.Height) : Index.CompareTo(other.Index);

    public override string ToString() => Height.ToString(CultureInfo.InvariantCulture) + "-" + Index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <c>&lt;height&gt;-&lt;index&gt;</c>.</summary>
    public static bool TryParse(string? text, out EventPosition position)
    {
        position = default;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (dash <= 0
            || !ulong.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            || !int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || height == 0)
        {
            return false;
        }

        position = new EventPosition(height, index);
        return true;
    }
}

/// <summary>Event types on the wire.</summary>
public static class EventTypes
{
    /// <summary>A ledger transfer (a payment, mint, hold, post…) not made by a contract.</summary>
    public const string Transfer = "transfer";
    /// <summary>A contract was created (and funded).</summary>
    public const string ContractCreated = "contract.created";
    /// <summary>A designated party's event on a contract was applied.</summary>
    public const string ContractEvent = "contract.event";
    /// <summary>A contract moved money (fund, release, refund, slash, execution, …): one transfer.</summary>
    public const string ContractStep = "contract.step";
    /// <summary>An oracle's attestation was accepted.</summary>
    public const string OracleFact = "oracle.fact";

    public static readonly IReadOnlyList<string> All = [Transfer, ContractCreated, ContractEvent, ContractStep, OracleFact];
}

/// <summary>
/// One notification, as delivered by webhook and on the event stream (docs/events.md). Only facts fixed at commit
/// time are in it (never a hold's current state or a contract's status), so every delivery of an event carries
/// the same bytes.
/// </summary>
public sealed record EventBody(
    string Id,
    string Type,
    ulong Height,
    ulong Timestamp,
    string? Contract = null,
    string? Kind = null,
    string? Step = null,
    string? Action = null,
    string? Signer = null,
    string? Payer = null,
    string? Payee = null,
    string? Amount = null,
    string? Reason = null,
    string? Oracle = null,
    string? Key = null,
    string? Value = null,
    ulong? ObservedAt = null,
    TransferInfo? Transfer = null);

/// <summary>An event with what filters match on and its JSON bytes (what webhooks sign and streams send).</summary>
internal sealed class NodeEvent
{
    public required EventPosition Position { get; init; }
    public required string Type { get; init; }
    /// <summary>Contract id, or 0.</summary>
    public UInt128 Contract { get; init; }
    /// <summary>Addresses the event concerns (transfer sides, contract parties, the oracle).</summary>
    public required Ledger.Address[] Accounts { get; init; }
    public required byte[] Json { get; init; }

    [JsonIgnore]
    public string Id => Position.ToString();
}
