using System.Diagnostics;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Xunit.Abstractions;

namespace Centime.Node.Tests;

/// <summary>
/// The history projection is written on the durability thread while request threads read it. A credit whose
/// receipt has arrived must be in the history of its account, whatever else the projection is doing (a resize
/// of its table included). One writer credits fresh addresses in full blocks; three readers look up addresses
/// whose receipt has already arrived.
/// </summary>
public sealed class HistoryProjectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "centime-history-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task History_OneWriterThreeReaders_EveryAcknowledgedCreditIsFound()
    {
        // A ledger with 49,134 transfers, each crediting a fresh address. The writer then replays the projection
        // over them again and again, into a fresh index each round, exactly as the durability thread does after a
        // block (Add, then the receipt); an address is "acknowledged" once the Add that indexed it returned. The
        // index's table doubles ~14 times per round (up to 43,853 keys); a reader that looks up during a rehash of a
        // plain Dictionary finds nothing or throws.
        const int perBatch = LedgerState.MaxBatchSize;
        const int batches = 6;
        const int chunk = 1000;
        var budget = TimeSpan.FromSeconds(4);
        using var journal = Journal.Journal.Open(_dir, new Journal.JournalOptions { Fsync = false });
        using var sequencer = new Sequencer(journal, new SequencerOptions { SnapshotEveryCommands = 0, SnapshotOnShutdown = false });
        await sequencer.SubmitAsync([Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))]);
        var supply = Coin.SupplyAccountOf("NUSD");
        var prepared = Stopwatch.StartNew();
        foreach (var receipt in await Task.WhenAll(Enumerable.Range(0, batches).Select(b => sequencer.SubmitAsync(Batch(supply, b * perBatch, perBatch)))))
        {
            AssertAllOk(receipt);
        }

        prepared.Stop();
        var state = sequencer.State; // no more writes from here on: the projection is the only thing changing
        var total = state.TransferCount;
        Assert.Equal(batches * perBatch, total);
        var addresses = new Address[total];
        var buffer = new byte[20];
        for (var i = 0; i < total; i++)
        {
            addresses[i] = FreshAddress(buffer, i);
        }

        Round? current = null;
        var done = false;
        long reads = 0, missing = 0, errors = 0, rounds = 0;
        string? firstError = null;
        var readers = Enumerable.Range(0, 3).Select(seed => Task.Factory.StartNew(() =>
        {
            var random = new Random(seed);
            while (!Volatile.Read(ref done))
            {
                if (Volatile.Read(ref current) is not { Acknowledged: > 0 } round)
                {
                    continue;
                }

                var key = new AccountKey(1, addresses[random.Next(round.Acknowledged)]);
                try
                {
                    if (round.Index.Count(key) != 1 || round.Index.Page(key, null, 10).Count != 1)
                    {
                        Interlocked.Increment(ref missing);
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or IndexOutOfRangeException or ArgumentException or NullReferenceException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                }

                Interlocked.Increment(ref reads);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < budget && Interlocked.Read(ref missing) + Interlocked.Read(ref errors) == 0)
        {
            var index = new Projections.HistoryIndex();
            for (var first = 0; first < total; first += chunk)
            {
                var count = Math.Min(chunk, total - first);
                index.Add(state, first, count);
                Volatile.Write(ref current, new Round(index, first + count)); // the "receipt" of these transfers
            }

            rounds++;
        }

        Volatile.Write(ref done, true);
        await Task.WhenAll(readers);
        output.WriteLine($"{reads} reads, {missing} missing, {errors} errors in {rounds} rounds of {total} transfers; prepared in {prepared.ElapsedMilliseconds} ms, raced {sw.ElapsedMilliseconds} ms");
        Assert.True(reads > 1000, $"readers made only {reads} reads");
        Assert.True(missing == 0 && errors == 0,
            $"{missing} acknowledged credits missing and {errors} errors in {reads} reads ({rounds} rounds); first error: {firstError}");
    }

    private sealed record Round(Projections.HistoryIndex Index, int Acknowledged);

    /// <summary>Mints one unit to each of <paramref name="count"/> fresh addresses numbered from <paramref name="first"/>.</summary>
    private static Command[] Batch(Address supply, int first, int count)
    {
        var buffer = new byte[20];
        var commands = new Command[count];
        for (var i = 0; i < count; i++)
        {
            var n = first + i;
            commands[i] = Command.Of(new Transfer { Id = (UInt128)(n + 1), DebitAccount = supply, CreditAccount = FreshAddress(buffer, n), Amount = 1, Coin = 1, Code = 1 });
        }

        return commands;
    }

    private static void AssertAllOk(Receipt receipt)
    {
        foreach (var result in receipt.Results)
        {
            Assert.Equal(ResultCode.Ok, result.Code);
        }
    }

    private static Address FreshAddress(byte[] buffer, int n)
    {
        BitConverter.TryWriteBytes(buffer, n + 1);
        buffer[19] = 0x7e;
        return Address.FromBytes(buffer);
    }
}
