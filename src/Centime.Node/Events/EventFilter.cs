using System.Globalization;
using Centime.Ledger;
using Centime.Node.Api;

namespace Centime.Node.Events;

/// <summary>Which events a webhook or stream wants: any of <see cref="Types"/> (none = all), concerning
/// <see cref="Account"/>, of contract <see cref="Contract"/>. Unset parts match everything.</summary>
public sealed record EventFilter(IReadOnlyList<string> Types, string? Account, string? Contract)
{
    public static readonly EventFilter All = new([], null, null);

    internal bool Matches(NodeEvent e, Address? account, UInt128 contract)
    {
        if (Types.Count > 0 && !Types.Contains(e.Type))
        {
            return false;
        }

        if (contract != UInt128.Zero && e.Contract != contract)
        {
            return false;
        }

        return account is not { } a || Array.IndexOf(e.Accounts, a) >= 0;
    }

    /// <summary>A filter parsed from request values; a problem (400) for an unknown type, address or id.</summary>
    internal static (EventFilter Filter, Address? Account, UInt128 Contract) Parse(IEnumerable<string>? types, string? account, string? contract)
    {
        var list = new List<string>();
        foreach (var t in types ?? [])
        {
            foreach (var part in t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!EventTypes.All.Contains(part))
                {
                    throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"unknown event type '{part}'; types are {string.Join(", ", EventTypes.All)}");
                }

                if (!list.Contains(part))
                {
                    list.Add(part);
                }
            }
        }

        Address? address = account is null ? null : Endpoints.ParseAddress(account);
        var id = UInt128.Zero;
        if (contract is not null && (!UInt128.TryParse(contract, NumberStyles.None, CultureInfo.InvariantCulture, out id) || id == UInt128.Zero))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'contract' is a decimal contract id");
        }

        return (new EventFilter(list, address?.ToString(), contract is null ? null : id.ToString(CultureInfo.InvariantCulture)), address, id);
    }

    /// <summary>The parsed account and contract of a stored filter.</summary>
    internal (Address? Account, UInt128 Contract) Resolve() =>
        (Account is null ? null : Address.Parse(Account), Contract is null ? UInt128.Zero : UInt128.Parse(Contract, CultureInfo.InvariantCulture));
}
