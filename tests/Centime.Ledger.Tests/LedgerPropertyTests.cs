using System.Numerics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Centime.Ledger.Tests;

/// <summary>
/// Random workloads (see <see cref="Workload"/>) run through <see cref="LedgerState"/> and through the
/// <see cref="ReferenceLedger"/> oracle side by side. After every block: every result code and every account,
/// transfer and failed id agree with the oracle, and the ledger invariants hold. Runs also resubmit whole
/// blocks, restore from a snapshot midway and continue both copies, replay from genesis, and seal and decode
/// every block.
/// <para>
/// Each run has its own seed, printed in the test output and in every failure message. To re-run exactly one
/// failing workload: <c>CENTIME_SEED=&lt;seed&gt; dotnet test --filter LedgerPropertyTests</c>.
/// </para>
/// </summary>
public sealed class LedgerPropertyTests(ITestOutputHelper output)
{
    private const int Runs = 150;
    private const int BlocksPerRun = 30;

    [Fact]
    public void RandomWorkloads_AgreeWithReferenceModel_AndKeepInvariants()
    {
        var codes = new SortedDictionary<ResultCode, int>();
        foreach (var seed in Seeds())
        {
            try
            {
                new Run(seed, codes).Execute();
            }
            catch (Exception e) when (e is not XunitException)
            {
                throw new XunitException($"seed {seed} (re-run with {Workload.SeedVariable}={seed}): {e}");
            }
        }

        // What the workloads reached, so a generator that stopped producing some case shows up here.
        output.WriteLine(string.Join(", ", codes.Select(kv => $"{kv.Key}={kv.Value}")));
        foreach (var code in MustReach)
        {
            Assert.True(codes.ContainsKey(code) || Environment.GetEnvironmentVariable(Workload.SeedVariable) is { Length: > 0 }, $"the workloads never produced {code}");
        }
    }

    /// <summary>Outcomes every full property run is expected to reach at least once.</summary>
    private static readonly ResultCode[] MustReach =
    [
        ResultCode.Ok, ResultCode.Exists, ResultCode.LinkedEventFailed, ResultCode.LinkedEventChainOpen,
        ResultCode.ExceedsBalance, ResultCode.AccountFrozen, ResultCode.DebitAccountNotFound,
        ResultCode.PendingTransferExpired, ResultCode.PendingTransferAlreadyPosted, ResultCode.PendingTransferAlreadyVoided,
        ResultCode.ExceedsPendingTransferAmount, ResultCode.PendingTransferHasDifferentAmount, ResultCode.PendingTransferNotFound,
        ResultCode.PendingTransferHasDifferentDebitAccount, ResultCode.ExistsWithDifferentAmount, ResultCode.ExistsWithDifferentFlags,
        ResultCode.ReservedFlag, ResultCode.FlagsAreMutuallyExclusive, ResultCode.OverflowsDebits, ResultCode.CoinExists,
        ResultCode.OverflowsDebitsPending, ResultCode.OverflowsTimeout,
        ResultCode.ExistsWithDifferentPendingId, ResultCode.ExistsWithDifferentTimeout, ResultCode.ExistsWithDifferentCoin,
        ResultCode.ExistsWithDifferentDebitAccount, ResultCode.PendingIdMustNotBeZero, ResultCode.PendingIdMustBeDifferent,
    ];

    private IEnumerable<int> Seeds()
    {
        var fixedSeed = Environment.GetEnvironmentVariable(Workload.SeedVariable);
        if (!string.IsNullOrEmpty(fixedSeed))
        {
            var seed = int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"{Workload.SeedVariable}={seed}: running that one workload.");
            yield return seed;
            yield break;
        }

        var master = Random.Shared.Next();
        output.WriteLine($"Master seed {master}: {Runs} workloads of {BlocksPerRun} blocks; a failure names its own seed (re-run with {Workload.SeedVariable}=<seed>).");
        var rng = new Random(master);
        for (var i = 0; i < Runs; i++)
        {
            yield return rng.Next();
        }
    }

    /// <summary>One workload.</summary>
    private sealed class Run(int seed, SortedDictionary<ResultCode, int> codes)
    {
        private readonly Workload _workload = new(seed);
        private readonly LedgerState _state = new();
        private readonly ReferenceLedger _model = new();
        private readonly List<(ulong Timestamp, Command[] Commands, CommandResult[] Results)> _history = [];
        private LedgerState? _restored;
        private int _block;
        private int _snapshotAt;
        private Hash32 _previousHash;

        public void Execute()
        {
            _snapshotAt = _workload.Random.Next(2, BlocksPerRun);
            Command[]? previous = null;
            for (_block = 1; _block <= BlocksPerRun; _block++)
            {
                var resubmit = previous is not null && _workload.Random.Next(8) == 0;
                var timestamp = _block == 1 ? _workload.GenesisTime : _workload.NextTime(_state.NextTimestamp, _model);
                var commands = _block == 1 ? _workload.Genesis() : resubmit ? previous! : _workload.Block(_model, timestamp);
                var before = _history.Count > 0 ? _history[^1] : default;

                _model.Expire(timestamp);
                var afterExpiry = Balances(_model);
                var expected = _model.ApplyCommands(timestamp, commands);

                var results = new CommandResult[commands.Length];
                _state.ApplyBlock((ulong)_block, timestamp, commands, results);
                _history.Add((timestamp, commands, results));

                for (var i = 0; i < commands.Length; i++)
                {
                    codes[results[i].Code] = codes.GetValueOrDefault(results[i].Code) + 1;
                    Check(results[i].Code == expected[i], () => $"command {i} {Describe(commands[i])}: ledger {results[i].Code}, model {expected[i]}");
                    Check(results[i].Timestamp == timestamp + (ulong)i, () => $"command {i}: timestamp {results[i].Timestamp}, expected {timestamp + (ulong)i}");
                }

                Check(_state.NextTimestamp == timestamp + (ulong)Math.Max(commands.Length, 1), () => "NextTimestamp");
                CheckInvariants();
                CheckAgreesWithModel();
                CheckSealAndDecode(timestamp, commands, results);

                if (resubmit)
                {
                    CheckResubmission(before.Commands, before.Results, results, afterExpiry);
                }

                if (_restored is not null)
                {
                    var restoredResults = new CommandResult[commands.Length];
                    _restored.ApplyBlock((ulong)_block, timestamp, commands, restoredResults);
                    Check(restoredResults.AsSpan().SequenceEqual(results), () => "a state restored from a snapshot gave other results than the original");
                }

                if (_block == _snapshotAt)
                {
                    _restored = RoundTripSnapshot();
                }

                previous = commands;
            }

            Check(_restored!.ComputeStateHash() == _state.ComputeStateHash(), () => $"snapshot taken at block {_snapshotAt} and continued: state hash differs");
            CheckReplayFromGenesis();
        }

        private void Check(bool condition, Func<string> message)
        {
            if (!condition)
            {
                throw new XunitException($"seed {seed} (re-run with {Workload.SeedVariable}={seed}), block {_block}: {message()}");
            }
        }

        /// <summary>For every coin the balances sum to zero and held debits equal held credits; no holder is negative.</summary>
        private void CheckInvariants()
        {
            var sums = new Dictionary<uint, (BigInteger Balance, BigInteger DebitsPending, BigInteger CreditsPending)>();
            foreach (var a in _state.Accounts)
            {
                var s = sums.GetValueOrDefault(a.Key.Coin);
                sums[a.Key.Coin] = (s.Balance + (BigInteger)a.CreditsPosted - (BigInteger)a.DebitsPosted,
                    s.DebitsPending + (BigInteger)a.DebitsPending, s.CreditsPending + (BigInteger)a.CreditsPending);
                if ((a.Flags & AccountFlags.Supply) == 0)
                {
                    Check(a.Balance >= 0, () => $"holder {a.Key} has a negative balance {a.Balance}");
                    Check(a.Available >= 0, () => $"holder {a.Key} has a negative available {a.Available} (balance {a.Balance}, held {a.DebitsPending})");
                }
                else
                {
                    Check(a.Key.Address == _state.GetCoin(a.Key.Coin)!.SupplyAccount, () => $"{a.Key} has the supply flag but is not the supply account");
                }

                Check((BigInteger)a.Balance == (BigInteger)a.CreditsPosted - (BigInteger)a.DebitsPosted, () => $"{a.Key}: Balance property is wrong");
            }

            foreach (var (coin, s) in sums)
            {
                Check(s.Balance == 0, () => $"coin {coin}: balances sum to {s.Balance}, not 0");
                Check(s.DebitsPending == s.CreditsPending, () => $"coin {coin}: pending debits {s.DebitsPending} ≠ pending credits {s.CreditsPending}");
            }
        }

        private void CheckAgreesWithModel()
        {
            Check(_state.CoinCount == _model.Coins.Count, () => $"coins: ledger {_state.CoinCount}, model {_model.Coins.Count}");
            Check(_state.AccountCount == _model.AccountOrder.Count, () => $"accounts: ledger {_state.AccountCount}, model {_model.AccountOrder.Count}");
            var accounts = _state.Accounts;
            for (var i = 0; i < accounts.Length; i++)
            {
                var a = accounts[i];
                Check(a.Key == _model.AccountOrder[i], () => $"account #{i}: ledger {a.Key}, model {_model.AccountOrder[i]}");
                var m = _model.Accounts[a.Key];
                Check((BigInteger)a.DebitsPosted == m.Dp && (BigInteger)a.CreditsPosted == m.Cp
                      && (BigInteger)a.DebitsPending == m.Dpend && (BigInteger)a.CreditsPending == m.Cpend,
                    () => $"account {a.Key}: ledger dp={a.DebitsPosted} cp={a.CreditsPosted} dpend={a.DebitsPending} cpend={a.CreditsPending}, model dp={m.Dp} cp={m.Cp} dpend={m.Dpend} cpend={m.Cpend}");
                Check(a.IsFrozen == m.Frozen && ((a.Flags & AccountFlags.Supply) != 0) == m.Supply, () => $"account {a.Key}: flags {a.Flags}, model frozen={m.Frozen} supply={m.Supply}");
            }

            Check(_state.TransferCount == _model.TransferOrder.Count, () => $"transfers: ledger {_state.TransferCount}, model {_model.TransferOrder.Count}");
            var transfers = _state.Transfers;
            for (var i = 0; i < transfers.Length; i++)
            {
                var t = transfers[i];
                Check(t.Transfer.Id == _model.TransferOrder[i], () => $"transfer #{i}: ledger id {t.Transfer.Id}, model {_model.TransferOrder[i]}");
                var m = _model.Transfers[t.Transfer.Id];
                Check(t.Transfer == m.Transfer, () => $"transfer {t.Transfer.Id}: ledger {t.Transfer}, model {m.Transfer}");
                Check(t.Hold == m.Hold, () => $"transfer {t.Transfer.Id}: hold state ledger {t.Hold}, model {m.Hold}");
                Check(t.ExpiresAt == m.ExpiresAt, () => $"transfer {t.Transfer.Id}: expiry ledger {t.ExpiresAt}, model {m.ExpiresAt}");
            }

            Check(_state.FailedIds.Count == _model.Failed.Count, () => $"failed ids: ledger {_state.FailedIds.Count}, model {_model.Failed.Count}");
            foreach (var (id, code) in _model.Failed)
            {
                Check(_state.FailedIds.TryGetValue(id, out var c) && c == code, () => $"failed id {id}: model {code}, ledger {(_state.FailedIds.TryGetValue(id, out var x) ? x : "absent")}");
            }
        }

        /// <summary>
        /// The same block submitted again right after (idempotent retry of a whole batch). Outside failed chains:
        /// an applied transfer (Ok or Exists) now returns <see cref="ResultCode.Exists"/>; a failed one returns the
        /// very same failure code; non-transfer commands repeat their code except that a created coin now
        /// exists. Events of a chain that failed were rolled back and are evaluated again, so they may now fail
        /// for a different reason, but the chain still fails as a whole, an open chain is still open, and nothing
        /// in the block changes any balance.
        /// </summary>
        private void CheckResubmission(Command[] commands, CommandResult[] original, CommandResult[] again, Dictionary<AccountKey, (BigInteger, BigInteger, BigInteger, BigInteger, bool)> afterExpiry)
        {
            var chains = ReferenceLedger.Chains(commands);
            for (var i = 0; i < commands.Length; i++)
            {
                var was = original[i].Code;
                var now = again[i].Code;
                var (first, last) = chains[i];
                var chainFailed = first >= 0 && !original.AsSpan(first, last - first + 1).ToArray().All(r => r.Code.IsSuccess());
                if (commands[i].Kind != CommandKind.Transfer)
                {
                    var expected = commands[i].Kind == CommandKind.CreateCoin && was == ResultCode.Ok ? ResultCode.CoinExists : was;
                    Check(now == expected, () => $"resubmitted command {i} {Describe(commands[i])}: was {was}, now {now}, expected {expected}");
                }
                else if (!chainFailed)
                {
                    var expected = was.IsSuccess() ? ResultCode.Exists : was;
                    Check(now == expected, () => $"resubmitted transfer {i} {Describe(commands[i])}: was {was}, now {now}, expected {expected}");
                }
                else
                {
                    Check(!now.IsSuccess(), () => $"resubmitted transfer {i} of a failed chain succeeded: was {was}, now {now}");
                    if (was == ResultCode.LinkedEventChainOpen)
                    {
                        Check(now == ResultCode.LinkedEventChainOpen, () => $"resubmitted open chain end {i}: now {now}");
                    }
                }
            }

            var after = Balances(_model);
            Check(after.Count == afterExpiry.Count && after.All(kv => afterExpiry.TryGetValue(kv.Key, out var v) && v == kv.Value),
                () => "resubmitting a block changed balances");
        }

        private static Dictionary<AccountKey, (BigInteger, BigInteger, BigInteger, BigInteger, bool)> Balances(ReferenceLedger model) =>
            model.Accounts.ToDictionary(kv => kv.Key, kv => (kv.Value.Dp, kv.Value.Cp, kv.Value.Dpend, kv.Value.Cpend, kv.Value.Frozen));

        /// <summary>Seals the block, decodes it, and checks commands, results, roots and every inclusion proof.</summary>
        private void CheckSealAndDecode(ulong timestamp, Command[] commands, CommandResult[] results)
        {
            var buffer = Array.Empty<byte>();
            var header = Block.Seal((ulong)_block, timestamp, _previousHash, commands, results, ref buffer, out var length);
            var block = Block.Decode(buffer.AsSpan(0, length));
            Check(block.Header == header && block.Hash == header.ComputeHash(), () => "decoded header differs");
            Check(block.Commands.Length == commands.Length, () => "decoded command count differs");
            for (var i = 0; i < commands.Length; i++)
            {
                Check(Encode(block.Commands[i]).AsSpan().SequenceEqual(Encode(commands[i])), () => $"decoded command {i} encodes differently");
                Check(block.Results[i] == results[i].Code, () => $"decoded result {i} differs");
            }

            var leaves = block.CommandLeaves();
            var resultLeaves = block.ResultLeaves();
            Check(Merkle.Root(leaves) == header.CommandsRoot && Merkle.Root(resultLeaves) == header.ResultsRoot, () => "recomputed roots differ");
            for (var i = 0; i < leaves.Length; i++)
            {
                Check(Merkle.Verify(leaves[i], Merkle.Proof(leaves, i), header.CommandsRoot), () => $"command {i} proof does not verify");
            }

            _previousHash = header.ComputeHash();
        }

        private LedgerState RoundTripSnapshot()
        {
            using var stream = new MemoryStream();
            _state.WriteSnapshot(stream);
            stream.Position = 0;
            var restored = LedgerState.ReadSnapshot(stream);
            Check(stream.Position == stream.Length, () => "snapshot not read to its end");
            Check(restored.ComputeStateHash() == _state.ComputeStateHash(), () => "snapshot round trip changed the state hash");
            Check(restored.Height == _state.Height && restored.NextTimestamp == _state.NextTimestamp, () => "snapshot round trip changed height or time");
            return restored;
        }

        /// <summary>Replaying the journal (every block from genesis) reproduces the results and the state hash.</summary>
        private void CheckReplayFromGenesis()
        {
            var replay = new LedgerState();
            ulong height = 0;
            foreach (var (timestamp, commands, results) in _history)
            {
                var again = new CommandResult[commands.Length];
                replay.ApplyBlock(++height, timestamp, commands, again);
                Check(again.AsSpan().SequenceEqual(results), () => $"replay of block {height} gave other results");
            }

            Check(replay.ComputeStateHash() == _state.ComputeStateHash(), () => "replay from genesis: state hash differs");
        }

        private static byte[] Encode(Command c)
        {
            var b = new byte[c.EncodedLength];
            c.WriteTo(b);
            return b;
        }

        private static string Describe(Command c) => c.Kind == CommandKind.Transfer
            ? $"[{c.Flags}] {c.Transfer}"
            : $"[{c.Flags}] {c.Body}";
    }
}
