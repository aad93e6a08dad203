using System.Collections.Concurrent;
using System.Net.Http.Json;
using Centime.Client;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Node.Tests;

/// <summary>
/// Starts the real node process, drives concurrent batches over HTTP, SIGKILLs it at random moments, restarts
/// it, and checks: every acknowledged transfer is present, and no batch is half-applied (each batch mints to
/// its own fresh address, so that address's balance is all of the batch or nothing).
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const string OperatorKey = "ck_crash_test_operator_key_0123";

    private sealed record SentBatch(int Number, string Address, int Count, ulong AmountEach);

    [Fact]
    public async Task KillNine_DuringConcurrentBatches_AckedPresentAndNoHalfBatches()
    {
        var seed = Environment.GetEnvironmentVariable("CENTIME_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (rerun with CENTIME_SEED={seed})");
        var random = new Random(seed);
        var data = Path.Combine(Path.GetTempPath(), "centime-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "operator.key"), OperatorKey);
        var port = NodeProcess.FreePort();
        var acked = new ConcurrentDictionary<int, SentBatch>();
        var attempted = new ConcurrentDictionary<int, SentBatch>();
        var batchNumber = 0;
        const int cycles = 20;
        try
        {
            for (var cycle = 0; cycle <= cycles; cycle++)
            {
                using var node = NodeProcess.Start(data, port, "--sandbox");
                Assert.True(await node.WaitHealthyAsync(TimeSpan.FromSeconds(60)), $"cycle {cycle}: node did not start (seed {seed}). Output:\n{node.Output}");
                using var client = new CentimeClient(new Uri(node.Url), OperatorKey);
                if (cycle == 0)
                {
                    await client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD"));
                }

                await VerifyAsync(client, acked, attempted, seed, cycle);
                if (cycle == cycles)
                {
                    break;
                }

                var supply = Centime.Ledger.Coin.SupplyAccountOf("NUSD").ToString();
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
                {
                    var local = new Random(seed ^ (cycle * 31) ^ w);
                    while (!stop.IsCancellationRequested)
                    {
                        var n = Interlocked.Increment(ref batchNumber);
                        var address = Address.Derive($"crash-test-{seed}-{n}").ToString();
                        var count = local.Next(1, 400);
                        var batch = new SentBatch(n, address, count, (ulong)local.Next(1, 1000));
                        attempted[n] = batch;
                        var transfers = Enumerable.Range(0, count).Select(i => new TransferRequest
                        {
                            Id = ((UInt128)(uint)seed << 64 | (UInt128)((ulong)n << 20 | (uint)i)).ToString(),
                            Coin = "NUSD",
                            Debit = supply,
                            Credit = address,
                            Amount = batch.AmountEach.ToString(),
                        }).ToList();
                        try
                        {
                            var response = await client.SubmitTransfersAsync(transfers, CancellationToken.None);
                            Assert.All(response.Results, r => Assert.Equal("ok", r.Result));
                            acked[n] = batch;
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or CentimeApiException)
                        {
                            return; // the node died under us: this batch is unacknowledged
                        }
                    }
                })).ToArray();

                await Task.Delay(random.Next(150, 1500));
                node.KillHard();
                stop.Cancel();
                await Task.WhenAll(writers);
                output.WriteLine($"cycle {cycle}: killed after {acked.Count} acknowledged / {attempted.Count} attempted batches");
            }
        }
        finally
        {
            try
            {
                Directory.Delete(data, true);
            }
            catch (IOException)
            {
            }
        }

        Assert.True(acked.Count >= cycles, $"too few acknowledged batches to mean anything ({acked.Count}); seed {seed}");
    }

    private async Task VerifyAsync(CentimeClient client, ConcurrentDictionary<int, SentBatch> acked, ConcurrentDictionary<int, SentBatch> attempted, int seed, int cycle)
    {
        UInt128 total = 0;
        foreach (var batch in attempted.Values)
        {
            var account = await client.GetAccountAsync(batch.Address);
            var balance = account.Balances.Count == 0 ? UInt128.Zero : UInt128.Parse(account.Balances[0].Balance);
            var full = (UInt128)batch.Count * batch.AmountEach;
            if (acked.ContainsKey(batch.Number))
            {
                Assert.True(balance == full, $"cycle {cycle}: acknowledged batch {batch.Number} lost: balance {balance}, expected {full} (seed {seed})");
            }
            else
            {
                Assert.True(balance == 0 || balance == full, $"cycle {cycle}: unacknowledged batch {batch.Number} half-applied: {balance} of {full} (seed {seed})");
            }

            total += balance;
        }

        var coin = await client.GetCoinAsync("NUSD");
        Assert.Equal(total.ToString(), coin.Supply);
        output.WriteLine($"cycle {cycle}: verified {attempted.Count} batches, supply {coin.Supply}");
    }

    [Fact]
    public async Task CorruptJournal_NodeRefusesToStart_NamingFileAndOffset()
    {
        await RefusesToStartAfterAFlipAsync(segmentLength => segmentLength / 2);
    }

    [Fact]
    public async Task FlippedByteInTheLastRecord_NodeRefusesToStartInsteadOfDroppingTheBlock()
    {
        // The last record ends the file; 30 bytes from the end is inside its payload (its trailer is 24 bytes).
        // Header and trailer still verify, so this is a complete record with a bad checksum: corruption, not
        // a torn write (DESIGN.md §5.3), and cutting it away would drop an acknowledged block.
        await RefusesToStartAfterAFlipAsync(segmentLength => segmentLength - 30);
    }

    /// <summary>Acknowledged blocks, SIGKILL, one byte of the last segment flipped at the chosen offset: the
    /// node must exit with code 3 and name the file and the offset.</summary>
    private async Task RefusesToStartAfterAFlipAsync(Func<long, long> offsetInSegment)
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-corrupt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "operator.key"), OperatorKey);
        var port = NodeProcess.FreePort();
        try
        {
            using (var node = NodeProcess.Start(data, port, "--sandbox"))
            {
                Assert.True(await node.WaitHealthyAsync(TimeSpan.FromSeconds(60)), node.Output);
                using var client = new CentimeClient(new Uri(node.Url), OperatorKey);
                var coin = await client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD"));
                for (var b = 0; b < 5; b++)
                {
                    await client.SubmitTransfersAsync(Enumerable.Range(0, 50).Select(i => new TransferRequest
                    { Id = (b * 1000 + i + 1).ToString(), Coin = "NUSD", Debit = coin.SupplyAccount, Credit = Holders.Alice, Amount = "1" }).ToList());
                }

                node.KillHard();
            }

            var segment = Directory.GetFiles(data, "*.seg").Order().Last();
            var bytes = await File.ReadAllBytesAsync(segment);
            var offset = offsetInSegment(bytes.Length);
            bytes[offset] ^= 0x5A;
            await File.WriteAllBytesAsync(segment, bytes);

            using var broken = NodeProcess.Start(data, port, "--sandbox");
            var exit = await broken.WaitForExitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"flipped byte {offset} of {bytes.Length} in {Path.GetFileName(segment)}; exit code {exit}");
            output.WriteLine(broken.Output);
            Assert.Equal(3, exit);
            Assert.Contains("journal corrupt", broken.Output, StringComparison.Ordinal);
            Assert.Contains(Path.GetFileName(segment), broken.Output, StringComparison.Ordinal);
            Assert.Contains("offset", broken.Output, StringComparison.Ordinal);
            Assert.Equal(bytes.Length, new FileInfo(segment).Length); // nothing was cut
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }
}
