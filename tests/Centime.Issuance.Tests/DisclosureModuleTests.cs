using Centime.Ledger;

namespace Centime.Issuance.Tests;

/// <summary>
/// The disclosure module on a bare ledger with the issuance module: each month's figures are those of its last block,
/// whatever happened after; coins have an origin; replay and snapshots reproduce it all byte for byte.
/// </summary>
public sealed class DisclosureModuleTests
{
    private static readonly Address Alice = Address.Derive("test:alice");

    private static ulong At(int month, int day, int hour = 12) =>
        (ulong)(new DateTime(2026, month, day, hour, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;

    private static ulong MonthStart(int month) => At(month, 1, 0);

    private sealed class Chain
    {
        private ulong _id = 100;

        public Chain(LedgerState? state = null) => State = state ?? new LedgerState([new IssuanceModule(), new DisclosureModule()]);

        public LedgerState State { get; }

        public List<(ulong Height, ulong Time, Command[] Commands)> Log { get; } = [];

        public DisclosureModule Disclosure => State.Module<DisclosureModule>()!;

        public UInt128 NextId() => _id++;

        public void Block(ulong at, params Command[] commands)
        {
            var decoded = commands.Select(static c =>
            {
                var bytes = new byte[c.EncodedLength];
                c.WriteTo(bytes);
                return Command.Read(bytes, out _);
            }).ToArray();
            var results = new CommandResult[decoded.Length];
            var time = Math.Max(at, State.NextTimestamp);
            State.ApplyBlock(State.Height + 1, time, decoded, results);
            Log.Add((State.Height, time, decoded));
            Assert.All(results.Take(decoded.Length), r => Assert.Equal(ResultCode.Ok, r.Code));
        }

        public void Do(ulong at, IssuanceCommand command) => Block(at, Command.Of(command));
    }

    private static Hash32 Key(string s) => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(s));

    private static BankDeposit Bank(int month, int day, UInt128 amount) => new()
    {
        Id = "bny",
        Currency = "USD",
        ValuedOn = new DateOnly(2026, month, day),
        Bank = "BNY",
        AccountReference = "1",
        Amount = amount,
        InsuredInstitution = true,
        Segregated = true,
    };

    /// <summary>NUSD created on 10 January, 1,000 minted on 30 January against 1,000 in the bank; the bank balance
    /// revalued to 500 on 27 February; more blocks on 2 March and 10 May.</summary>
    private static Chain History()
    {
        var chain = new Chain();
        chain.Block(At(1, 10), Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")));
        // One admin sets the coin up alone: single-operator mode (maker-checker has its own tests).
        chain.Do(At(1, 10), new SetGovernance(chain.NextId(), IssuanceModule.SystemRequester, true));
        foreach (var (id, role) in new[] { ("mm", OperatorRoles.MinterManager), ("m1", OperatorRoles.Minter), ("rm", OperatorRoles.ReserveManager) })
        {
            chain.Do(At(1, 30), new AddOperator(chain.NextId(), "admin", id, Key(id), role));
        }

        chain.Do(At(1, 30), new ConfigureCoin(chain.NextId(), "admin", 1, ReserveRegime.Genius, 0, UInt128.MaxValue, false));
        chain.Do(At(1, 30), new ConfigureMinter(chain.NextId(), "mm", 1, "m1", 1_000_000, 0, 0));
        chain.Do(At(1, 30), new AddHolding(chain.NextId(), "rm", 1, Bank(1, 30, 0)));
        chain.Do(At(1, 30), new RecordDeposit(chain.NextId(), "rm", 1, "BNY", "W1", 1000, new DateOnly(2026, 1, 30), "bny"));
        chain.Do(At(1, 31), new Mint(chain.NextId(), "m1", 1, "W1", Alice, 1000));
        chain.Do(At(2, 27), new UpdateHolding(chain.NextId(), "rm", 1, Bank(2, 27, 500)));
        chain.Block(At(3, 2));
        chain.Block(At(5, 10));
        return chain;
    }

    [Fact]
    public void CloseAt_EachMonthEnd_FiguresOfItsLastBlockNotLaterOnes()
    {
        var chain = History();
        var d = chain.Disclosure;

        var january = d.CloseAt(MonthStart(2))!;
        Assert.Equal(At(1, 31), january.Time);
        var jan = january.Coins.Single();
        Assert.Equal((UInt128)1000, jan.Supply);
        Assert.Equal((UInt128)1000, jan.Reserves!.EligibleTotal);
        Assert.Equal(new DateOnly(2026, 1, 31), jan.Reserves.AsOf);

        // February ends with the bank revalued to 500: under-backed then, whatever came later.
        var february = d.CloseAt(MonthStart(3))!.Coins.Single();
        Assert.Equal((UInt128)1000, february.Supply);
        Assert.Equal((UInt128)500, february.Reserves!.EligibleTotal);
        Assert.Equal("eligible", february.Reserves.Holdings.Single().Code);

        // No block in April: March and April end with the same block (2 March).
        var march = d.CloseAt(MonthStart(4))!;
        Assert.Same(march, d.CloseAt(MonthStart(5)));
        Assert.Equal(At(3, 2), march.Time);
        Assert.Equal(At(5, 10), march.NextTime);

        // Before the first block, and after the last one: nothing recorded (the current state answers then).
        Assert.Null(d.CloseAt(MonthStart(1)));
        Assert.Null(d.CloseAt(MonthStart(6)));
    }

    [Fact]
    public void Origin_CreatedInFirstBlock_ExactWithItsTime()
    {
        var chain = History();
        Assert.Equal(new CoinOrigin(1, At(1, 10), true), chain.Disclosure.Origin(1));
        Assert.Null(chain.Disclosure.Origin(2));

        // A coin created in the latest block is known before any later block runs.
        chain.Block(At(5, 11), Command.Of(new CreateCoin("JHKD", 6, "HKD", "Hong Kong Dollar", "1")));
        Assert.Equal(new CoinOrigin(chain.State.Height, At(5, 11), true), chain.Disclosure.Origin(2));
        chain.Block(At(5, 12));
        Assert.Equal(new CoinOrigin(chain.State.Height - 1, At(5, 11), true), chain.Disclosure.Origin(2));
    }

    [Fact]
    public void ReplayAndSnapshot_SameModuleBytes()
    {
        var chain = History();
        var replayed = new Chain();
        foreach (var (height, time, commands) in chain.Log)
        {
            replayed.State.ApplyBlock(height, time, commands, new CommandResult[commands.Length]);
        }

        Assert.Equal(Bytes(chain.Disclosure), Bytes(replayed.Disclosure));
        Assert.Equal(chain.State.ComputeStateHash(), replayed.State.ComputeStateHash());

        using var snapshot = new MemoryStream();
        chain.State.WriteSnapshot(snapshot);
        snapshot.Position = 0;
        var loaded = LedgerState.ReadSnapshot(snapshot, [new IssuanceModule(), new DisclosureModule()]);
        Assert.Equal(Bytes(chain.Disclosure), Bytes(loaded.Module<DisclosureModule>()!));
        Assert.Equal(chain.Disclosure.CloseAt(MonthStart(3))!.Coins.Single().Reserves!.EligibleTotal,
            loaded.Module<DisclosureModule>()!.CloseAt(MonthStart(3))!.Coins.Single().Reserves!.EligibleTotal);
    }

    [Fact]
    public void OlderLedger_WithoutTheModule_OriginNotExactAndEarlierMonthsUnknown()
    {
        // A ledger written before the module existed: its snapshot has no disclosure section.
        var old = new LedgerState([new IssuanceModule()]);
        old.ApplyBlock(1, At(1, 10), [Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))], new CommandResult[1]);
        old.ApplyBlock(2, At(2, 10), [], []);
        using var snapshot = new MemoryStream();
        old.WriteSnapshot(snapshot);
        snapshot.Position = 0;
        var chain = new Chain(LedgerState.ReadSnapshot(snapshot, [new IssuanceModule(), new DisclosureModule()]));
        Assert.Null(chain.Disclosure.Origin(1)); // nothing applied since: the module cannot say when NUSD appeared

        chain.Block(At(3, 5));
        Assert.Equal(new CoinOrigin(2, At(2, 10), false), chain.Disclosure.Origin(1));
        Assert.NotNull(chain.Disclosure.CloseAt(MonthStart(3))); // February's end was crossed under the module
        Assert.Null(chain.Disclosure.CloseAt(MonthStart(2)));    // January's end was not
    }

    private static byte[] Bytes(LedgerModule module)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            module.WriteSnapshot(writer);
        }

        return stream.ToArray();
    }
}
