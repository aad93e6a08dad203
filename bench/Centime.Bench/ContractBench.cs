using System.Diagnostics;
using System.Globalization;
using Centime.Contracts;
using Centime.Ledger;

namespace Centime.Bench;

/// <summary>
/// <c>centime bench contracts</c>: contract steps per second in the state machine (apply only: no journal, no fsync,
/// no HTTP, no signature recovery — those are measured by <c>bench ledger</c> and <c>bench signed</c>). Phase 1:
/// escrows created (funded) and released, in blocks of 1,000 commands. Phase 2: <c>streams</c> concurrent streams
/// (default 100,000), every one withdrawn once per second of ledger time for a few rounds, then all ending in one block.
/// </summary>
public static class ContractBench
{
    private const int BlockSize = 1_000;
    private const ulong Second = 1_000_000_000UL;

    /// <summary>Runs both phases and returns the figures (rows of <see cref="BenchOutput"/>).</summary>
    public static List<(string What, string Figure, string Conditions)> Run(int escrows, int streams)
    {
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<(string What, string Figure, string Conditions)>();
        BenchOutput.Note(string.Create(inv, $"contracts: {Environment.ProcessorCount} cores, .NET {Environment.Version}; state machine only (no journal, fsync, HTTP or signature recovery)"));

        var payer = Address.Derive("bench:payer");
        var payee = Address.Derive("bench:payee");
        var confirmer = Address.Derive("bench:confirmer");
        var (state, now) = NewLedger(payer);
        var height = state.Height;

        // Phase 1: escrow create + release.
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < escrows; start += BlockSize)
        {
            var n = Math.Min(BlockSize, escrows - start);
            var creates = new Command[n];
            var confirms = new Command[n];
            for (var i = 0; i < n; i++)
            {
                var id = (UInt128)(ulong)(start + i + 1);
                creates[i] = Command.Of(new CreateContract(id, "bench", new ContractTerms
                {
                    Kind = ContractKind.Escrow,
                    Coin = 1,
                    Payer = payer,
                    Payee = payee,
                    Confirmer = confirmer,
                    Amount = 100,
                    DeadlineSeconds = 86_400,
                }));
                confirms[i] = Command.Of(new ContractEvent(id, ContractAction.Confirm, UInt128.Zero, Hash32.Sha256(BitConverter.GetBytes(start + i)), confirmer, ""));
            }

            now += Second;
            Apply(state, ++height, now, creates);
            now += Second;
            Apply(state, ++height, now, confirms);
        }

        clock.Stop();
        var steps = 2.0 * escrows;
        rows.Add(("escrow create + release", string.Create(inv, $"{steps / clock.Elapsed.TotalSeconds:N0} steps/s"),
            string.Create(inv, $"{escrows:N0} escrows, {escrows / clock.Elapsed.TotalSeconds:N0} escrows/s, each 2 transfers, blocks of {BlockSize:N0}")));

        // Phase 2: concurrent streams.
        (state, now) = NewLedger(payer);
        height = state.Height;
        var module = state.Module<ContractModule>()!;
        clock.Restart();
        for (var start = 0; start < streams; start += BlockSize)
        {
            var n = Math.Min(BlockSize, streams - start);
            var creates = new Command[n];
            for (var i = 0; i < n; i++)
            {
                creates[i] = Command.Of(new CreateContract((UInt128)(ulong)(start + i + 1), "bench", new ContractTerms
                {
                    Kind = ContractKind.Stream,
                    Coin = 1,
                    Payer = payer,
                    Payee = payee,
                    Amount = 3_600,
                    RatePerSecond = 1,
                }));
            }

            Apply(state, ++height, now, creates);
        }

        clock.Stop();
        rows.Add(("stream creation", string.Create(inv, $"{streams / clock.Elapsed.TotalSeconds:N0} streams/s"),
            string.Create(inv, $"{streams:N0} created in {clock.Elapsed.TotalSeconds:N2} s; {GC.GetTotalMemory(true) / 1048576.0:N0} MiB managed heap")));

        const int rounds = 5;
        clock.Restart();
        for (var round = 0; round < rounds; round++)
        {
            now += Second;
            for (var start = 0; start < streams; start += BlockSize)
            {
                var n = Math.Min(BlockSize, streams - start);
                var withdraws = new Command[n];
                for (var i = 0; i < n; i++)
                {
                    withdraws[i] = Command.Of(new ContractEvent((UInt128)(ulong)(start + i + 1), ContractAction.Withdraw, UInt128.Zero,
                        Hash32.Sha256(BitConverter.GetBytes(((long)round << 32) | (uint)(start + i))), payee, ""));
                }

                Apply(state, ++height, now, withdraws);
            }
        }

        clock.Stop();
        var withdrawals = (double)streams * rounds;
        rows.Add(("stream withdrawals", string.Create(inv, $"{withdrawals / clock.Elapsed.TotalSeconds:N0} steps/s"), string.Create(inv, $"{streams:N0} concurrent streams, {rounds} rounds")));

        clock.Restart();
        Apply(state, ++height, now + (3_600 * Second), []);
        clock.Stop();
        var open = module.Contracts.Count(static c => c.Status != ContractStatus.Closed);
        rows.Add(("streams ending in one block", string.Create(inv, $"{clock.Elapsed.TotalMilliseconds:N0} ms"),
            string.Create(inv, $"{streams:N0} deadlines on ledger time, {streams / clock.Elapsed.TotalSeconds:N0} steps/s; still open: {open}")));
        return rows;
    }

    private static (LedgerState State, ulong Now) NewLedger(Address payer)
    {
        var state = new LedgerState([new ContractModule()]);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        Apply(state, 1, now, [Command.Of(new CreateCoin("BENCH", 6, "USD", "Bench Dollar", "1"))]);
        var mint = new Transfer { Id = 1, DebitAccount = state.GetCoin(1)!.SupplyAccount, CreditAccount = payer, Amount = (UInt128)1 << 100, Coin = 1, Code = 1 };
        Apply(state, 2, now + 1, [Command.Of(mint)]);
        return (state, now + 2);
    }

    private static void Apply(LedgerState state, ulong height, ulong now, Command[] commands)
    {
        var results = new CommandResult[commands.Length];
        state.ApplyBlock(height, Math.Max(now, state.NextTimestamp), commands, results);
        foreach (var r in results)
        {
            if (r.Code != ResultCode.Ok)
            {
                throw new InvalidOperationException($"bench command failed: {r.Code}");
            }
        }
    }
}
