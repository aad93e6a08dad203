using System.Globalization;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Compliance.Tests;

/// <summary>
/// KYC limits as a property (issue 15, "Must show"): random mints and transfers — single and in linked chains, some
/// over a limit, across day and month boundaries of ledger time — among holders of every tier (unverified,
/// verified hosted, verified self-hosted capped at tier 1); afterwards no holder ever sent or received more in one
/// transfer, one UTC day or one UTC month than its tier allows, nor holds more than its cap, counted independently
/// from the stored transfers. Half-way the state goes through a snapshot (a restart) and both the original and the
/// restored state apply the rest: same results, same state hash; a replay of the whole log gives it too.
/// Each run prints its seed; <c>CENTIME_SEED=&lt;seed&gt;</c> re-runs one.
/// </summary>
public sealed class KycLimitsPropertyTests(ITestOutputHelper output)
{
    private const int Holders = 10;
    private const int Blocks = 240;
    private const ulong Hour = 3_600UL * 1_000_000_000UL;

    private static readonly KycTier[] Tiers =
    [
        new(500, 800, 3_000, 1_000),
        new(2_000, 4_000, 15_000, 6_000),
        new(10_000, 30_000, 200_000, 100_000),
    ];

    [Fact]
    public void RandomTransfers_NoHolderEverExceedsItsTier_AcrossRestartAndReplay()
    {
        var seed = Environment.GetEnvironmentVariable("CENTIME_SEED") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (re-run with CENTIME_SEED={seed})");
        var random = new Random(seed);
        var chain = new ComplianceChain();
        ComplianceChain.Ok(chain.Apply(0, Command.Of(new ConfigureKycLimits(ComplianceChain.Officer, 1, true, 1, Tiers))));
        var tierOf = new int[Holders];
        for (var i = 0; i < Holders; i++)
        {
            var tier = i % 4 == 0 ? -1 : random.Next(Tiers.Length); // -1: never registered (unverified)
            var selfHosted = tier >= 0 && random.Next(3) == 0;
            tierOf[i] = tier < 0 ? 0 : selfHosted ? Math.Min(tier, 1) : tier;
            if (tier >= 0)
            {
                ComplianceChain.Ok(chain.Apply(0, Command.Of(new RegisterHolder(ComplianceChain.Officer, ComplianceChain.Holder(i), (byte)tier, "HK", "2026-11-30", selfHosted,
                    "kyc/file/" + i, Hash32.Sha256(BitConverter.GetBytes(i))))));
            }
        }

        LedgerState? restored = null;
        var counts = new Dictionary<ResultCode, int>();
        var time = ComplianceChain.Start;
        for (var b = 0; b < Blocks; b++)
        {
            time += (ulong)random.Next(0, 9) * Hour + (ulong)random.Next(1_000);
            var commands = new List<Command>();
            for (var n = random.Next(1, 12); n > 0; n--)
            {
                var to = ComplianceChain.Holder(random.Next(Holders));
                UInt128 amount = (ulong)(random.Next(5) == 0 ? random.Next(1, 12_000) : random.Next(1, 300));
                if (random.Next(3) == 0)
                {
                    commands.Add(chain.Mint(to, amount));
                    continue;
                }

                var from = ComplianceChain.Holder(random.Next(Holders));
                if (from == to)
                {
                    continue;
                }

                // Now and then a linked pair: when either is refused, neither moves (and neither is counted).
                commands.Add(chain.Transfer(from, to, amount, random.Next(6) == 0 ? TransferFlags.Linked : TransferFlags.None));
            }

            if (commands.Count > 0 && (commands[^1].Transfer.Flags & TransferFlags.Linked) != 0)
            {
                commands.Add(chain.Transfer(ComplianceChain.Holder(0), ComplianceChain.Holder(1), 1));
            }

            var results = chain.ApplyWithResults(time, [.. commands]);
            foreach (var r in results)
            {
                counts[r.Code] = counts.GetValueOrDefault(r.Code) + 1;
            }

            if (restored is not null)
            {
                var (height, at, logged, rules) = chain.Log[^1];
                var again = new CommandResult[logged.Length];
                restored.ApplyBlock(height, at, logged, again, rules);
                Assert.True(results.SequenceEqual(again), $"seed {seed}: block {height} decided differently after the restart");
            }

            if (b == Blocks / 2)
            {
                restored = chain.SnapshotRoundTrip();
                Assert.Equal(chain.State.ComputeStateHash(), restored.ComputeStateHash());
            }
        }

        output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key.ToProblemCode()} {c.Value}")));
        Assert.True(counts.GetValueOrDefault(ResultCode.Ok) > Blocks / 2, $"seed {seed}: too few transfers went through to test anything");
        Assert.True(counts.Keys.Count(k => k is >= ResultCode.KycTransferLimitExceeded and <= ResultCode.KycBalanceCapExceeded) >= 3,
            $"seed {seed}: the workload should run into most kinds of limit");

        AssertWithinLimits(chain.State, tierOf, seed);
        Assert.Equal(chain.State.ComputeStateHash(), restored!.ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
    }

    /// <summary>Counts every holder's turnover per UTC day and month from the stored transfers, independently of the module.</summary>
    private static void AssertWithinLimits(LedgerState state, int[] tierOf, int seed)
    {
        var index = Enumerable.Range(0, tierOf.Length).ToDictionary(ComplianceChain.Holder, i => i);
        var days = new Dictionary<(int, DateOnly), UInt128>();
        var months = new Dictionary<(int, int, int), UInt128>();
        var transfers = state.Transfers;
        for (var i = 0; i < transfers.Length; i++)
        {
            var t = transfers[i].Transfer;
            if (t.Coin != 1)
            {
                continue;
            }

            var date = DateOnly.FromDateTime(DateTime.UnixEpoch.AddTicks((long)(t.Timestamp / 100)));
            foreach (var party in new[] { t.DebitAccount, t.CreditAccount })
            {
                if (!index.TryGetValue(party, out var holder))
                {
                    continue;
                }

                var tier = Tiers[tierOf[holder]];
                Assert.True(t.Amount <= tier.PerTransfer, $"seed {seed}: holder {holder} (tier {tierOf[holder]}) moved {t.Amount} in one transfer");
                var day = days[(holder, date)] = days.GetValueOrDefault((holder, date)) + t.Amount;
                var month = months[(holder, date.Year, date.Month)] = months.GetValueOrDefault((holder, date.Year, date.Month)) + t.Amount;
                Assert.True(day <= tier.PerDay, $"seed {seed}: holder {holder} (tier {tierOf[holder]}) turned over {day} on {date}");
                Assert.True(month <= tier.PerMonth, $"seed {seed}: holder {holder} (tier {tierOf[holder]}) turned over {month} in {date:yyyy-MM}");
            }
        }

        foreach (var (address, holder) in index)
        {
            if (state.TryGetAccount(1, address, out var account))
            {
                Assert.True(account.Balance <= (Int128)Tiers[tierOf[holder]].BalanceCap, $"seed {seed}: holder {holder} holds {account.Balance}");
            }
        }
    }
}
