using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Centime.Client;
using Microsoft.AspNetCore.Mvc;

namespace Centime.Node.Api;

/// <summary>
/// The query of a list route: <c>?limit=&amp;cursor=</c>, bound with <c>[AsParameters]</c> so OpenAPI lists both
/// parameters on every list operation (and <c>PagingShapeTests</c> can find every list route by them).
/// </summary>
internal readonly struct PageParameters
{
    [FromQuery(Name = "limit")]
    public string? Limit { get; init; }

    [FromQuery(Name = "cursor")]
    public string? Cursor { get; init; }
}

/// <summary>A read page query: at most <see cref="Limit"/> items strictly after the item whose key is <see cref="After"/>.</summary>
internal readonly record struct PageQuery(int Limit, string? After);

/// <summary>
/// The one pagination shape (docs/api.md "Lists"): every list answers <see cref="Page{T}"/>, <c>{"items":[…],"next":…}</c>,
/// in a fixed order by a unique key; <c>next</c> is the cursor of the last item given (null on the last page), and
/// <c>?cursor=</c> answers the items after it. A cursor is the item's key, base64url-encoded: opaque to clients, and
/// stable under appends and removals (a removed item's key still marks a place in the order), so a walk through all
/// pages neither repeats nor skips an item that existed throughout the walk.
/// </summary>
internal static class Paging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Longest cursor read: keys are ids, heights or names of at most 64 characters.</summary>
    private const int MaxCursorLength = 200;

    public static PageQuery Read(PageParameters p)
    {
        var limit = DefaultLimit;
        if (p.Limit is { } text)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            {
                throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", $"'limit' must be a whole number from 1 to {MaxLimit} (default {DefaultLimit})");
            }
        }

        return new PageQuery(limit, p.Cursor is null ? null : FieldGrammar.Cursor(p.Cursor));
    }

    /// <summary>The cursor text of a key (base64url of its UTF-8, no padding).</summary>
    public static string Encode(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    /// <summary>The key a cursor stands for, or null when the text is not a cursor this node could have answered.</summary>
    public static string? Decode(string cursor)
    {
        if (cursor.Length is 0 or > MaxCursorLength || !Base64Url.IsValid(cursor))
        {
            return null;
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>A page of <paramref name="ordered"/> (ascending by a unique numeric key, or descending when
    /// <paramref name="descending"/>).</summary>
    public static Page<T> ByNumber<TSource, T>(IEnumerable<TSource> ordered, Func<TSource, UInt128> key, PageQuery query, Func<TSource, T> map, bool descending = false)
    {
        var after = NumberAfter(query);
        return Take(ordered, x => after is not UInt128 a || (descending ? key(x) < a : key(x) > a), x => key(x).ToString(CultureInfo.InvariantCulture), query, map);
    }

    /// <summary>A page of <paramref name="ordered"/> (ascending by a unique key in ordinal order).</summary>
    public static Page<T> ByName<TSource, T>(IEnumerable<TSource> ordered, Func<TSource, string> key, PageQuery query, Func<TSource, T> map) =>
        Take(ordered, x => query.After is not { } a || string.CompareOrdinal(key(x), a) > 0, key, query, map);

    /// <summary>A page of an append-only list (items are never removed or reordered): the key is the position,
    /// and <paramref name="where"/> filters without moving positions.</summary>
    public static Page<T> ByPosition<TSource, T>(IReadOnlyList<TSource> list, PageQuery query, Func<TSource, T> map, Func<TSource, bool>? where = null)
    {
        var start = query.After is null ? 0
            : int.TryParse(query.After, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? (int)Math.Min(p + 1L, list.Count) : throw BadCursor();
        var positions = Enumerable.Range(start, list.Count - start).Where(i => where is null || where(list[i]));
        return Take(positions, _ => true, i => i.ToString(CultureInfo.InvariantCulture), query, i => map(list[i]));
    }

    /// <summary>The numeric key a cursor stands for, for routes that seek to it themselves (blocks, history).</summary>
    public static UInt128? NumberAfter(PageQuery query) => query.After is null ? null
        : UInt128.TryParse(query.After, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : throw BadCursor();

    public static ProblemException BadCursor() =>
        new(400, ProblemCodes.InvalidCursor, "Invalid cursor", "'cursor' must be a value a list answered as 'next' (from the same route)");

    private static Page<T> Take<TSource, T>(IEnumerable<TSource> ordered, Func<TSource, bool> isAfter, Func<TSource, string> key, PageQuery query, Func<TSource, T> map)
    {
        var items = new List<T>();
        TSource? last = default;
        var more = false;
        foreach (var x in ordered.Where(isAfter))
        {
            if (items.Count == query.Limit)
            {
                more = true;
                break;
            }

            items.Add(map(x));
            last = x;
        }

        return new Page<T>(items, more ? Encode(key(last!)) : null);
    }
}
