using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// Loads a coin's business-day calendar (admin): public holidays from a file whose SHA-256 is journaled, and the
/// calendar's UTC offset. Redemption deadlines counted in business days (docs/issuance.md, "Redemption deadlines") skip
/// them from then on; deadlines already set do not move.
/// </summary>
public sealed record SetHolidayCalendar(UInt128 ActionId, string Requester, uint Coin, BusinessCalendar Calendar) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceSetHolidayCalendar;
    public override string ActionName => "set_holiday_calendar";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        WriteCalendar(writer, Calendar);
    }

    internal static SetHolidayCalendar Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), ReadCalendar(r));

    internal static void WriteCalendar(BodyWriter w, BusinessCalendar c)
    {
        w.String(c.Name);
        w.UInt32(unchecked((uint)c.UtcOffsetMinutes));
        w.Hash(c.FileHash);
        w.UInt32((uint)c.Holidays.Count);
        foreach (var h in c.Holidays)
        {
            HoldingCodec.WriteDate(w, h.Date);
            w.String(h.Name);
        }
    }

    internal static BusinessCalendar ReadCalendar(BodyReader r)
    {
        var name = r.String();
        var offset = unchecked((int)r.UInt32());
        var hash = r.Hash();
        var count = r.UInt32();
        if (count > BusinessCalendar.MaxHolidays)
        {
            throw new FormatException("Too many holidays.");
        }

        var holidays = new List<Holiday>((int)count);
        for (var i = 0u; i < count; i++)
        {
            holidays.Add(new Holiday(HoldingCodec.ReadDate(r), r.String()));
        }

        return new BusinessCalendar(name, offset, holidays, hash);
    }
}
