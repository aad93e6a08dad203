using System.Globalization;
using System.Text;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>A public holiday: a date (in the calendar's local time) and its name.</summary>
public sealed record Holiday(DateOnly Date, string Name);

/// <summary>
/// A coin's business-day calendar: Saturdays, Sundays and the loaded public holidays are not business days. Dates are
/// local to <see cref="UtcOffsetMinutes"/> (Hong Kong +480), so a request at 20:00 UTC on 24 December is on
/// Christmas Day in Hong Kong. Loaded from a file (iCalendar, as governments publish holidays, or "yyyy-MM-dd name"
/// lines) by a journaled command carrying the file's SHA-256.
/// </summary>
/// <param name="Name">e.g. "HK 2026-2027".</param>
/// <param name="UtcOffsetMinutes">The calendar's offset from UTC, −840…840.</param>
/// <param name="Holidays">Distinct dates, ascending.</param>
/// <param name="FileHash">SHA-256 of the file the holidays came from.</param>
public sealed record BusinessCalendar(string Name, int UtcOffsetMinutes, IReadOnlyList<Holiday> Holidays, Hash32 FileHash)
{
    /// <summary>Most holidays one calendar may hold (decades of any country's public holidays).</summary>
    public const int MaxHolidays = 2_000;

    private const long NanosPerMinute = 60_000_000_000L;
    private HashSet<DateOnly>? _dates;

    /// <summary>Weekends only, in UTC (the rule before calendars existed).</summary>
    public static BusinessCalendar WeekendsOnly { get; } = new("weekends", 0, [], Hash32.Zero);

    /// <summary>True for a weekday that is not a holiday.</summary>
    public bool IsBusinessDay(DateOnly date) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !(_dates ??= [.. Holidays.Select(h => h.Date)]).Contains(date);

    /// <summary>
    /// The time <paramref name="businessDays"/> business days after <paramref name="ledgerTime"/> (Unix ns): the same
    /// local time of day on the <paramref name="businessDays"/>-th business day after the request's local date.
    /// </summary>
    public ulong AddBusinessDays(ulong ledgerTime, int businessDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(businessDays);
        var offset = UtcOffsetMinutes * NanosPerMinute;
        var local = checked((long)ledgerTime + offset);
        const long day = 86_400_000_000_000L;
        var date = DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)(local / day));
        var days = 0;
        for (var n = 0; n < businessDays; n++)
        {
            do
            {
                date = date.AddDays(1);
                days++;
            }
            while (!IsBusinessDay(date));
        }

        return checked((ulong)(local + (days * day) - offset));
    }

    /// <summary>
    /// Parses a holiday file: iCalendar (RFC 5545; every VEVENT's all-day DTSTART, through DTEND when it spans days,
    /// named by SUMMARY) or plain lines "yyyy-MM-dd name" ('#' starts a comment). Throws <see cref="FormatException"/>
    /// naming the line.
    /// </summary>
    public static List<Holiday> Parse(byte[] file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var text = Encoding.UTF8.GetString(file).TrimStart('\uFEFF');
        var holidays = text.Contains("BEGIN:VCALENDAR", StringComparison.Ordinal) ? ParseICalendar(text) : ParseLines(text);
        var distinct = holidays.GroupBy(h => h.Date).Select(g => g.First()).OrderBy(h => h.Date).ToList();
        if (distinct.Count > MaxHolidays)
        {
            throw new FormatException($"more than {MaxHolidays} holidays");
        }

        return distinct;
    }

    private static List<Holiday> ParseLines(string text)
    {
        var list = new List<Holiday>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash].Trim();
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (line.Length < 10 || !DateOnly.TryParseExact(line[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw new FormatException($"line {number}: '{Clip(line)}' does not start with a yyyy-MM-dd date");
            }

            list.Add(new Holiday(date, Clip(line[10..].Trim(' ', '\t', ',', ';'))));
        }

        return list;
    }

    private static List<Holiday> ParseICalendar(string text)
    {
        // Unfold (RFC 5545 §3.1: a line starting with a space or tab continues the previous one).
        var lines = new List<string>();
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.Length > 0 && (raw[0] == ' ' || raw[0] == '\t') && lines.Count > 0)
            {
                lines[^1] += raw[1..];
            }
            else
            {
                lines.Add(raw.TrimEnd('\r'));
            }
        }

        var list = new List<Holiday>();
        DateOnly? start = null, end = null;
        var summary = "";
        var inEvent = false;
        foreach (var line in lines)
        {
            if (line == "BEGIN:VEVENT")
            {
                (inEvent, start, end, summary) = (true, null, null, "");
            }
            else if (line == "END:VEVENT" && inEvent)
            {
                inEvent = false;
                var first = start ?? throw new FormatException("a VEVENT has no DTSTART");
                var last = end is { } e && e > first ? e.AddDays(-1) : first; // DTEND of an all-day event is exclusive
                if (last.DayNumber - first.DayNumber > 31)
                {
                    throw new FormatException($"the event '{Clip(summary)}' spans more than a month");
                }

                for (var d = first; d <= last; d = d.AddDays(1))
                {
                    list.Add(new Holiday(d, Clip(summary)));
                }
            }
            else if (inEvent && line.StartsWith("DTSTART", StringComparison.Ordinal))
            {
                start = DateOf(line);
            }
            else if (inEvent && line.StartsWith("DTEND", StringComparison.Ordinal))
            {
                end = DateOf(line);
            }
            else if (inEvent && line.StartsWith("SUMMARY", StringComparison.Ordinal))
            {
                summary = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Replace("\\,", ",", StringComparison.Ordinal).Replace("\\;", ";", StringComparison.Ordinal);
            }
        }

        return list;
    }

    private static DateOnly DateOf(string line)
    {
        var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        return value.Length >= 8 && DateOnly.TryParseExact(value[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new FormatException($"'{Clip(line)}' is not an iCalendar date");
    }

    private static string Clip(string s) => s.Length <= 100 ? s : s[..100];
}
