using System.Globalization;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>Redemption deadlines per regime on a business-day calendar (docs/issuance.md, "Redemption deadlines").</summary>
public sealed partial class IssuanceModule
{
    /// <summary>
    /// The payout deadline of a redemption of <paramref name="coin"/> requested at <paramref name="now"/>: now plus the
    /// coin's window when one is set; otherwise the regime's number of business days (<see cref="RegimeProfile.RedemptionBusinessDays"/>:
    /// Hong Kong 1, GENIUS under the OCC proposal 2, MiCA 1) on the coin's holiday calendar. Blocks applied before
    /// <see cref="LedgerRules.BusinessDayDeadlines"/> keep the earlier rule (one day, weekends skipped, UTC).
    /// </summary>
    public ulong RedemptionDeadline(uint coin, ulong now)
    {
        var c = _coins.GetValueOrDefault(coin);
        var window = c?.RedemptionWindowSeconds ?? 0;
        if (window > 0 || Ledger.Rules < LedgerRules.BusinessDayDeadlines)
        {
            return DeadlineOf(now, window);
        }

        var profile = c?.Profile ?? RegimeProfile.Genius;
        return (c?.Calendar ?? BusinessCalendar.WeekendsOnly).AddBusinessDays(now, profile.RedemptionBusinessDays);
    }

    private ResultCode ExecuteSetHolidayCalendar(SetHolidayCalendar c, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        var cal = c.Calendar;
        if (!IsText(cal.Name) || cal.UtcOffsetMinutes is < -840 or > 840 || cal.Holidays.Count > BusinessCalendar.MaxHolidays
            || cal.Holidays.Any(h => h.Name.Length > MaxText) || !IsAscendingDistinct(cal.Holidays))
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!dryRun)
        {
            Managed(c.Coin).Calendar = cal;
        }

        return ResultCode.Ok;
    }

    private static bool IsAscendingDistinct(IReadOnlyList<Holiday> holidays)
    {
        for (var i = 1; i < holidays.Count; i++)
        {
            if (holidays[i].Date <= holidays[i - 1].Date)
            {
                return false;
            }
        }

        return true;
    }

    private static string DescribeCalendar(SetHolidayCalendar c) => string.Create(CultureInfo.InvariantCulture,
        $"holiday calendar {c.Calendar.Name} (UTC{(c.Calendar.UtcOffsetMinutes < 0 ? "-" : "+")}{Math.Abs(c.Calendar.UtcOffsetMinutes) / 60:D2}:{Math.Abs(c.Calendar.UtcOffsetMinutes) % 60:D2}, {c.Calendar.Holidays.Count} holidays{(c.Calendar.Holidays.Count > 0 ? $" {c.Calendar.Holidays[0].Date:yyyy-MM-dd}…{c.Calendar.Holidays[^1].Date:yyyy-MM-dd}" : "")}, file sha256 {c.Calendar.FileHash})");

    private void WriteCalendars(BodyWriter w)
    {
        var calendars = _coins.Where(kv => kv.Value.Calendar is not null).ToList();
        w.UInt32((uint)calendars.Count);
        foreach (var (number, coin) in calendars)
        {
            w.UInt32(number);
            SetHolidayCalendar.WriteCalendar(w, coin.Calendar!);
        }
    }

    private void ReadCalendars(BodyReader r)
    {
        var count = r.UInt32();
        for (var i = 0u; i < count; i++)
        {
            var number = r.UInt32();
            var coin = _coins.GetValueOrDefault(number) ?? throw new InvalidDataException($"Issuance snapshot has a calendar for coin {number}, which it does not manage.");
            coin.Calendar = SetHolidayCalendar.ReadCalendar(r);
        }
    }
}
