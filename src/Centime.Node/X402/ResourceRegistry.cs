using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Centime.Agents.X402;

namespace Centime.Node.X402;

/// <summary>
/// The facilitator's discovery list (x402 "Bazaar"): resources whose payments this node verified or settled —
/// so every resource server using it registers its paid endpoints by being paid — and resources the operator
/// registered. Bounded; the oldest entry makes room.
/// </summary>
public sealed class ResourceRegistry
{
    public const int MaxResources = 10_000;

    private readonly ConcurrentDictionary<string, DiscoveryItem> _items = new(StringComparer.Ordinal);

    public int Count => _items.Count;

    public void Record(ResourceInfo? resource, PaymentRequirements requirements, Dictionary<string, JsonElement>? metadata = null)
    {
        if (resource?.Url is not { Length: > 0 and <= 2048 } url)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        // Refreshed at most once a minute per resource: this runs on every verified payment.
        if (_items.TryGetValue(url, out var existing) && metadata is null
            && DateTimeOffset.TryParse(existing.LastUpdated, CultureInfo.InvariantCulture, out var seen) && now - seen < TimeSpan.FromMinutes(1))
        {
            return;
        }

        if (!_items.ContainsKey(url) && _items.Count >= MaxResources)
        {
            var oldest = _items.MinBy(kv => kv.Value.LastUpdated, StringComparer.Ordinal);
            _items.TryRemove(oldest.Key, out _);
        }

        if (metadata is null && resource.Description is not null)
        {
            metadata = new Dictionary<string, JsonElement> { ["description"] = JsonSerializer.SerializeToElement(resource.Description) };
        }

        _items[url] = new DiscoveryItem
        {
            Resource = url,
            Accepts = [requirements],
            LastUpdated = now.ToString("O", CultureInfo.InvariantCulture),
            Metadata = metadata ?? existing?.Metadata,
        };
    }

    public DiscoveryResponse Page(string? type, int limit, int offset)
    {
        var all = _items.Values.Where(i => type is null || i.Type == type).OrderBy(i => i.Resource, StringComparer.Ordinal).ToList();
        return new DiscoveryResponse
        {
            Items = all.Skip(offset).Take(limit).ToList(),
            Pagination = new DiscoveryPagination { Limit = limit, Offset = offset, Total = all.Count },
        };
    }
}
