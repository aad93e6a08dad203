using System.Globalization;
using Centime.Agents.X402;
using Centime.Ledger;

namespace Centime.Node.X402;

/// <summary>
/// The facilitator's discovery list (x402 "Bazaar", docs/x402.md "Discovery"): listings registered by their payee.
/// A listing is keyed by (resource, payTo) and only its payTo's signature writes it, so nobody can redirect,
/// overwrite or evict another payee's listing. Each payTo registers at most <see cref="MaxPerPayTo"/> listings, at
/// most <see cref="BurstPerPayTo"/> at once and then one per <see cref="RefillSeconds"/> s; the whole list holds at
/// most <see cref="Capacity"/> listings — exactly, under one lock — and a full list refuses new ones rather than
/// evicting old ones.
/// </summary>
public sealed class ResourceRegistry(int capacity = ResourceRegistry.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;
    public const int MaxPerPayTo = 100;
    public const int BurstPerPayTo = 10;
    public const int RefillSeconds = 6;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Url, Address PayTo), (DiscoveryItem Item, ulong IssuedAt)> _items = [];
    private readonly Dictionary<Address, int> _perPayTo = [];
    // Token buckets in integer milliseconds of credit: one registration costs RefillMs, the credit refills one ms per
    // ms and holds at most BurstPerPayTo registrations' worth (exact arithmetic, no floating point).
    private const long RefillMs = RefillSeconds * 1000L;
    private readonly Dictionary<Address, (long CreditMs, long AtMs)> _buckets = [];

    public int Capacity { get; } = capacity;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Why a registration was refused (or <see cref="Registered"/>).</summary>
    public enum Outcome
    {
        Registered,
        /// <summary>Not newer than the registration it would replace (a replayed or reordered one).</summary>
        Stale,
        RateLimited,
        PayToFull,
        Full,
    }

    public Outcome Register(Address payTo, DiscoveryItem item, ulong issuedAt, long nowMs)
    {
        var key = (item.Resource, payTo);
        lock (_gate)
        {
            var replaces = _items.TryGetValue(key, out var existing);
            if (replaces && issuedAt <= existing.IssuedAt)
            {
                return Outcome.Stale;
            }

            if (!replaces && _items.Count >= Capacity)
            {
                return Outcome.Full;
            }

            var owned = _perPayTo.GetValueOrDefault(payTo);
            if (!replaces && owned >= MaxPerPayTo)
            {
                return Outcome.PayToFull;
            }

            var (credit, at) = _buckets.TryGetValue(payTo, out var b) ? b : (BurstPerPayTo * RefillMs, nowMs);
            // A clock stepping back adds nothing, now or later (the bucket keeps the latest time it saw).
            credit = Math.Min(BurstPerPayTo * RefillMs, credit + Math.Max(0L, nowMs - at));
            var seen = Math.Max(at, nowMs);
            if (credit < RefillMs)
            {
                _buckets[payTo] = (credit, seen);
                return Outcome.RateLimited;
            }

            _buckets[payTo] = (credit - RefillMs, seen);
            _items[key] = (item, issuedAt);
            if (!replaces)
            {
                _perPayTo[payTo] = owned + 1;
            }

            return Outcome.Registered;
        }
    }

    public DiscoveryResponse Page(string? type, int limit, int offset)
    {
        List<DiscoveryItem> all;
        lock (_gate)
        {
            all = [.. _items.Values.Select(v => v.Item).Where(i => type is null || i.Type == type)];
        }

        all.Sort((a, b) =>
        {
            var byUrl = string.CompareOrdinal(a.Resource, b.Resource);
            return byUrl != 0 ? byUrl : string.CompareOrdinal(a.Accepts[0].PayTo, b.Accepts[0].PayTo);
        });
        return new DiscoveryResponse
        {
            Items = all.Skip(offset).Take(limit).ToList(),
            Pagination = new DiscoveryPagination { Limit = limit, Offset = offset, Total = all.Count },
        };
    }

    /// <summary>Unix milliseconds, for <see cref="Register"/>.</summary>
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    internal static string Stamp(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);
}
