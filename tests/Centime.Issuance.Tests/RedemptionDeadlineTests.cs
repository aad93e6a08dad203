using Centime.Ledger;
using Centime.Testing;

namespace Centime.Issuance.Tests;

/// <summary>Redemption deadlines per regime on a business-day calendar with public holidays loaded from a file
/// (Hong Kong 1 business day, GENIUS under the OCC proposal 2, MiCA 1), the overdue list, and replay of older blocks.</summary>
public sealed class RedemptionDeadlineTests
{
    private static readonly Address Alice = Address.Derive("test:alice");

    private sealed class Chain : ModuleChain<IssuanceModule>
    {
        private ulong _id = 100;

        public UInt128 NextId() => _id++;

        public ResultCode One(IssuanceCommand command, ulong at = 0) => Apply(at == 0 ? State.NextTimestamp : at, Command.Of(command))[0];
    }

    private static ulong At(int year, int month, int day, int hour, int minute = 0) =>
        (ulong)(new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;

    private static Hash32 Key(string s) => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>The Hong Kong holidays of late December 2026 as the HK government publishes them (iCalendar): Christmas
    /// Day (Fri 25) and the first weekday after it (Mon 28), plus New Year's Day.</summary>
    private const string HongKongIcs = """
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//1823//Public Holidays//EN
        BEGIN:VEVENT
        DTSTART;VALUE=DATE:20261225
        DTEND;VALUE=DATE:20261226
        SUMMARY:Christmas Day
        END:VEVENT
        BEGIN:VEVENT
        DTSTART;VALUE=DATE:20261228
        DTEND;VALUE=DATE:20261229
        SUMMARY:The first weekday after Christmas Day
        END:VEVENT
        BEGIN:VEVENT
        DTSTART;VALUE=DATE:20270101
        DTEND;VALUE=DATE:20270102
        SUMMARY:The first day of January
        END:VEVENT
        END:VCALENDAR
        """;

    private static Chain Funded()
    {
        var chain = new Chain();
        var start = At(2026, 12, 1, 9);
        Assert.Equal([ResultCode.Ok], chain.Apply(start, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))));
        Assert.Equal(ResultCode.Ok, chain.One(new SetGovernance(chain.NextId(), IssuanceModule.SystemRequester, true)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "mm", Key("mm"), OperatorRoles.MinterManager)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "m1", Key("m1"), OperatorRoles.Minter)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "rm", Key("rm"), OperatorRoles.ReserveManager)));
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureMinter(chain.NextId(), "mm", 1, "m1", 1_000_000, 0, 0)));
        var bank = new BankDeposit { Id = "bny", Currency = "USD", ValuedOn = new DateOnly(2026, 12, 1), Bank = "BNY", AccountReference = "1", Amount = 0, InsuredInstitution = true, Segregated = true };
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, bank)));
        Assert.Equal(ResultCode.Ok, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "BNY", "W1", 1000, new DateOnly(2026, 12, 1), "bny")));
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 1000)));
        return chain;
    }

    private static ulong Redeem(Chain chain, ulong at, byte nonce)
    {
        Assert.Equal([ResultCode.Ok], chain.Apply(at, Command.Of(new HolderRedeem(1, Alice, 10, "IBAN", Hash32.Sha256([nonce]), at / 1_000_000_000UL + 3600))));
        return chain.Module.Coin(1)!.Redemptions[^1].Deadline;
    }

    private static void Configure(Chain chain, ReserveRegime regime) =>
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureCoin(chain.NextId(), "admin", 1, regime, 0, UInt128.MaxValue, false)));

    private static int[] Overdue(Chain chain) =>
        [.. chain.Module.Coin(1)!.Redemptions.Select((r, i) => (r, i)).Where(x => x.r.IsOverdue(chain.State.Timestamp)).Select(x => x.i + 1)];

    [Fact]
    public void Deadlines_PerRegime_SkipWeekendsAndLoadedHolidays_OverdueListed()
    {
        var chain = Funded();
        var holidays = BusinessCalendar.Parse(System.Text.Encoding.UTF8.GetBytes(HongKongIcs));
        Assert.Equal([new DateOnly(2026, 12, 25), new DateOnly(2026, 12, 28), new DateOnly(2027, 1, 1)], holidays.Select(h => h.Date).ToArray());
        var hk = new BusinessCalendar("HK 2026", 8 * 60, holidays, Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(HongKongIcs)));
        Assert.Equal(ResultCode.Ok, chain.One(new SetHolidayCalendar(chain.NextId(), "admin", 1, hk)));

        // Thursday 24 Dec 2026, 10:00 UTC = 18:00 in Hong Kong. Fri 25 and Mon 28 are holidays, Sat and Sun weekend.
        Configure(chain, ReserveRegime.HongKong);
        Assert.Equal(At(2026, 12, 29, 10, 0), Redeem(chain, At(2026, 12, 24, 10, 0), 1)); // 1 business day: Tue 29
        Configure(chain, ReserveRegime.Genius);
        Assert.Equal(At(2026, 12, 30, 10, 1), Redeem(chain, At(2026, 12, 24, 10, 1), 2)); // 2 business days (OCC proposal): Wed 30
        Configure(chain, ReserveRegime.Mica);
        Assert.Equal(At(2026, 12, 29, 10, 2), Redeem(chain, At(2026, 12, 24, 10, 2), 3)); // 1 business day: Tue 29

        // 20:00 UTC on the 24th is already Christmas Day in Hong Kong: one business day later is Tue 29, 04:00 HKT.
        Configure(chain, ReserveRegime.HongKong);
        Assert.Equal(At(2026, 12, 28, 20, 0), Redeem(chain, At(2026, 12, 24, 20, 0), 4));

        // An explicit window still wins over business days.
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureCoin(chain.NextId(), "admin", 1, ReserveRegime.HongKong, 3600, UInt128.MaxValue, false)));
        Assert.Equal(At(2026, 12, 24, 21, 30), Redeem(chain, At(2026, 12, 24, 20, 30), 5));

        // Overdue: at 10:05 UTC on the 29th the Hong Kong, MiCA and late-evening payouts are overdue, the GENIUS one is not.
        chain.Apply(At(2026, 12, 28, 19, 59));
        Assert.Equal([5], Overdue(chain));
        chain.Apply(At(2026, 12, 29, 10, 5));
        Assert.Equal([1, 3, 4, 5], Overdue(chain));
        Assert.Contains(chain.Module.Audit, a => a.Event == "payout_overdue");
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.SnapshotRoundTrip().ComputeStateHash());
    }

    /// <summary>Without a calendar, weekends are skipped; a block sealed before business-day deadlines existed replays with
    /// the rule of its time (one calendar day, weekends skipped, whatever the regime).</summary>
    [Fact]
    public void Deadlines_WithoutCalendar_WeekendsOnly_OldBlocksKeepTheirRule()
    {
        var chain = Funded();
        Configure(chain, ReserveRegime.Genius);
        Assert.Equal(At(2026, 12, 28, 10, 0), Redeem(chain, At(2026, 12, 24, 10, 0), 1)); // Thu → Fri (1), Mon (2)
        var old = At(2026, 12, 24, 11, 0);
        Assert.Equal(ResultCode.Ok, chain.ApplyUnder(LedgerRules.BusinessDayDeadlines - 1, old, Command.Of(new HolderRedeem(1, Alice, 10, "IBAN", Hash32.Sha256([9]), old / 1_000_000_000UL + 3600)))[0].Code);
        Assert.Equal(At(2026, 12, 25, 11, 0), chain.Module.Coin(1)!.Redemptions[^1].Deadline);
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
    }

    [Fact]
    public void HolidayFile_TextLinesAndICalendar_BadLinesRefused()
    {
        var text = "# Hong Kong 2027\n2027-01-01 New Year's Day\n2027-02-06, Lunar New Year\n\n2027-01-01 duplicate\n"u8.ToArray();
        Assert.Equal([(new DateOnly(2027, 1, 1), "New Year's Day"), (new DateOnly(2027, 2, 6), "Lunar New Year")], BusinessCalendar.Parse(text).Select(h => (h.Date, h.Name)).ToArray());
        var span = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270206\r\nDTEND;VALUE=DATE:20270209\r\nSUMMARY:Lunar New Year\\, three days\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"u8.ToArray();
        Assert.Equal([new DateOnly(2027, 2, 6), new DateOnly(2027, 2, 7), new DateOnly(2027, 2, 8)], BusinessCalendar.Parse(span).Select(h => h.Date).ToArray());
        Assert.Equal("Lunar New Year, three days", BusinessCalendar.Parse(span)[0].Name);
        Assert.Contains("line 2", Assert.Throws<FormatException>(() => BusinessCalendar.Parse("2027-01-01 ok\n1 Jan 2027 New Year\n"u8.ToArray())).Message, StringComparison.Ordinal);
    }
}
