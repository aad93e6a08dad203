using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Centime.Compliance;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Node;
using Centime.Node.Sequencing;
using Spectre.Console;

namespace Centime.Bench;

/// <summary>
/// <c>centime bench compliance</c> (issue 15): durable transfers/s through the sequencer with every module the node
/// runs, with compliance off (nothing loaded: what every node pays for the hook) and on (a sanctions list of
/// <c>--list</c> addresses, 1,000,000 by default, and KYC limits on the coin, so every transfer is screened on both
/// parties and counted against both holders' day and month turnover), alternating off/on for two rounds in the same
/// run. Goal: on is at most 10% slower than off.
/// </summary>
public static class ComplianceBench
{
    private const int Rounds = 2;

    public static async Task<int> RunAsync(int seconds, int listSize, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), "centime-bench-" + Guid.NewGuid().ToString("N"));
        AnsiConsole.MarkupLine($"[bold]centime bench compliance[/]: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds} s per phase, list of {listSize:N0} addresses, data in {Markup.Escape(dir)}");
        var rows = new List<(string What, string Figure, string Conditions)>();
        var off = new List<double>();
        var on = new List<double>();
        var list = RandomList(listSize);
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var screened in new[] { false, true })
                {
                    var path = Path.Combine(dir, $"{(screened ? "on" : "off")}-{round}");
                    var journal = Journal.Journal.Open(path, new Journal.JournalOptions { CreateModules = CentimeNode.CreateModules });
                    var label = screened ? $"compliance on (round {round + 1})" : $"compliance off (round {round + 1})";
                    var (batchRows, rate) = await LedgerBench.DurableBatchesAsync(journal, label, "fdatasync per block, every module of the node", seconds, ct,
                        screened ? sequencer => PrepareAsync(sequencer, list, rows) : null);
                    rows.AddRange(batchRows);
                    (screened ? on : off).Add(rate);
                }
            }
        }
        finally
        {
            BenchOutput.DeleteScratch(dir);
        }

        var (offCpu, onCpu) = InMemoryCpu(list, seconds);
        rows.Add(("state machine apply, compliance off", $"{offCpu:N0} transfers/CPU-s", "in memory, one thread, every module of the node, 10,000 holders, batches of 8,189; CPU time of the applying thread (steady under machine load)"));
        rows.Add(("state machine apply, compliance on", $"{onCpu:N0} transfers/CPU-s", $"the same with the {list.Length:N0}-address list and KYC limits on"));
        rows.Add(("  apply cost on / off", $"{offCpu / onCpu:P1}", $"CPU per transfer with compliance on relative to off ({(offCpu - onCpu) / offCpu:P1} fewer transfers per CPU-second)"));
        var offRate = off.Average();
        var onRate = on.Average();
        rows.Add(("compliance on / off", $"{onRate / offRate:P1}", $"mean of {Rounds} rounds each: {onRate:N0} vs {offRate:N0} transfers/s ({(offRate - onRate) / offRate:P1} slower; goal ≤ 10%)"));
        BenchOutput.PrintTable(rows);
        return 0;
    }

    /// <summary>Transfers per CPU-second of the applying thread, in memory, off and on, batches interleaved so both see
    /// the same machine.</summary>
    private static (double Off, double On) InMemoryCpu(Address[] list, int seconds)
    {
        const int Batch = LedgerState.MaxBatchSize;
        var holders = Enumerable.Range(0, 10_000).Select(i => Address.Derive("bench-holder-" + i)).ToArray();
        var off = NewState(holders, null);
        var on = NewState(holders, list);
        UInt128 id = 1_000_000;
        var results = new CommandResult[Batch];
        long offNs = 0, onNs = 0, applied = 0;
        var wall = Stopwatch.StartNew();
        while (wall.Elapsed.TotalSeconds < seconds * 2)
        {
            var batches = LedgerBench.TransferBatches(holders, 4, Batch, ref id, (int)(ulong)id);
            foreach (var batch in batches)
            {
                foreach (var (state, screened) in new[] { (off, false), (on, true) })
                {
                    var cpu0 = LedgerBench.ThreadCpuNanoseconds();
                    state.ApplyBlock(state.Height + 1, state.NextTimestamp, batch, results);
                    var ns = LedgerBench.ThreadCpuNanoseconds() - cpu0;
                    if (screened)
                    {
                        onNs += ns;
                    }
                    else
                    {
                        offNs += ns;
                    }

                    if (results[0].Code != ResultCode.Ok)
                    {
                        throw new InvalidOperationException("bench transfer refused: " + results[0].Code.ToProblemCode());
                    }
                }

                applied += Batch;
            }
        }

        return (applied / (Math.Max(offNs, 1) / 1e9), applied / (Math.Max(onNs, 1) / 1e9));
    }

    private static LedgerState NewState(Address[] holders, Address[]? list)
    {
        var state = new LedgerState(CentimeNode.CreateModules());
        var supply = Coin.SupplyAccountOf("NUSD");
        Apply(state, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")));
        UInt128 id = 1;
        foreach (var chunk in holders.Chunk(LedgerState.MaxBatchSize))
        {
            Apply(state, [.. chunk.Select(h => Command.Of(new Transfer { Id = id++, DebitAccount = supply, CreditAccount = h, Amount = 1_000_000_000, Coin = 1, Code = 1 }))]);
        }
        if (list is not null)
        {
            Apply(state, Command.Of(new SetGovernance(1, IssuanceModule.SystemRequester, true)));
            Apply(state, Command.Of(new AddOperator(2, IssuanceModule.BootstrapAdmin, "co", Hash32.Sha256("bench compliance officer"u8), OperatorRoles.Compliance)));
            Apply(state, Command.Of(new LoadSanctionsList("co", SanctionsSource.Issuer, "bench", "", Hash32.Sha256("bench"u8), true, list)));
            Apply(state, Command.Of(new ConfigureKycLimits("co", 1, true, 0, [Wide])));
        }

        return state;
    }

    private static void Apply(LedgerState state, params Command[] commands)
    {
        var results = new CommandResult[commands.Length];
        state.ApplyBlock(state.Height + 1, state.NextTimestamp, commands, results);
        if (Array.Find(results, r => r.Code != ResultCode.Ok) is { Code: not ResultCode.Ok } refused)
        {
            throw new InvalidOperationException("bench setup refused: " + refused.Code.ToProblemCode());
        }
    }

    private static readonly KycTier Wide = new(UInt128.Parse("1000000000000000", CultureInfo.InvariantCulture), UInt128.Parse("1000000000000000000", CultureInfo.InvariantCulture),
        UInt128.Parse("1000000000000000000", CultureInfo.InvariantCulture), UInt128.Parse("1000000000000000000", CultureInfo.InvariantCulture));

    /// <summary><paramref name="count"/> distinct random addresses, sorted (as the node journals a parsed list).</summary>
    private static Address[] RandomList(int count)
    {
        var random = new Random(15);
        var bytes = new byte[Address.Size];
        var set = new HashSet<Address>(count);
        while (set.Count < count)
        {
            random.NextBytes(bytes);
            set.Add(Address.FromBytes(bytes));
        }

        var list = set.ToArray();
        Array.Sort(list);
        return list;
    }

    /// <summary>Seats a compliance officer, loads the list and turns KYC limits on for the coin (limits high enough
    /// for the bench's transfers: every transfer is checked and counted, none refused).</summary>
    private static async Task PrepareAsync(Sequencer sequencer, Address[] list, List<(string, string, string)> rows)
    {
        await OkAsync(sequencer, new SetGovernance(1, IssuanceModule.SystemRequester, true));
        await OkAsync(sequencer, new AddOperator(2, IssuanceModule.BootstrapAdmin, "co", Hash32.Sha256("bench compliance officer"u8), OperatorRoles.Compliance));
        var sw = Stopwatch.StartNew();
        await OkAsync(sequencer, new LoadSanctionsList("co", SanctionsSource.Issuer, "bench", "", Hash32.FromBytes(SHA256.HashData(BitConverter.GetBytes(list.Length))), true, list));
        rows.Add(("  sanctions list load", $"{sw.Elapsed.TotalMilliseconds:N0} ms", string.Create(CultureInfo.InvariantCulture, $"{list.Length:N0} addresses ({list.Length * Address.Size / 1_000_000:N0} MB) journaled in one command, applied, durable")));
        await OkAsync(sequencer, new ConfigureKycLimits("co", 1, true, 0, [Wide]));
    }

    private static async Task OkAsync(Sequencer sequencer, CommandBody body)
    {
        var receipt = await sequencer.SubmitAsync([Command.Of(body)]);
        if (receipt.Results[0].Code != ResultCode.Ok)
        {
            throw new InvalidOperationException($"{body.Kind}: {receipt.Results[0].Code.ToProblemCode()}");
        }
    }
}
