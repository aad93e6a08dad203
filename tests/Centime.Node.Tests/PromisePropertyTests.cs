using System.Globalization;
using Centime.Contracts;
using Centime.Exchange;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Centime.Node.Tests;

/// <summary>
/// The promises of docs/invariants.md under random operations from every module on issued coins (issue 12, "Must
/// show"): the state machine in process with the modules the node runs (<see cref="CentimeNode.CreateModules"/>), one
/// block per step through the journal's encoding. After every block: each coin sums to zero; each issued coin's supply
/// is at most its eligible reserves; and every holder whose balance went down authorized it in that block — its own
/// signed command (EIP-3009 transfer, transfer-from within an allowance it signed, a swap it signed, a contract it
/// funded by signature or an event on one, a redemption it signed). A minter's redemption on a holder's behalf is in
/// the workload too and must be refused. The check reads the block's commands and results, not an expected outcome.
/// <para>
/// Each run prints its seed; <c>CENTIME_SEED=&lt;seed&gt; dotnet test --filter PromisePropertyTests</c> re-runs one.
/// </para>
/// </summary>
public sealed class PromisePropertyTests(ITestOutputHelper output)
{
    private const string SeedVariable = "CENTIME_SEED";
    private const int Runs = 12;
    private const int BlocksPerRun = 60;
    private const ulong Second = 1_000_000_000UL;
    private const uint Usd = 1;
    private const uint Hkd = 2;
    private static readonly ulong Start = (ulong)(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;
    private static readonly DateOnly Today = new(2026, 12, 1);
    private static readonly UInt128 E6 = 1_000_000;
    private static readonly Address Oracle = Address.Derive("promise:oracle");
    private static readonly Address Maker = Address.Derive("promise:maker");

    [Fact]
    public void RandomOperationsOfAllModules_OnIssuedCoins_KeepEveryPromiseAfterEveryBlock()
    {
        var reached = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var seed in Seeds())
        {
            try
            {
                new Run(seed, reached).Execute();
            }
            catch (Exception e) when (e is not XunitException)
            {
                throw new XunitException($"seed {seed} (re-run with {SeedVariable}={seed}): {e}");
            }
            catch (XunitException e)
            {
                throw new XunitException($"seed {seed} (re-run with {SeedVariable}={seed}): {e.Message}");
            }
        }

        output.WriteLine(string.Join(", ", reached.Select(kv => $"{kv.Key}={kv.Value}")));

        // The generator must reach both sides of each promise: money that moved, and refusals for a paused coin and a
        // frozen holder, in every module.
        if (Environment.GetEnvironmentVariable(SeedVariable) is not { Length: > 0 })
        {
            foreach (var must in new[] { "transfer:ok", "transfer_from:ok", "contract:ok", "event:ok", "swap:ok", "redeem:ok", "mint:ok", "operator_redeem:holder_signature_required", "erp_key:ok", "contract_erp:ok", "contract_erp:erp_key_not_authorized",
                "transfer:paused", "contract:paused", "swap:paused", "transfer:account_frozen", "contract:account_frozen", "swap:account_frozen", "transfer:signer_mismatch" })
            {
                Assert.True(reached.ContainsKey(must), $"the workloads never produced {must}");
            }
        }
    }

    [Fact]
    public void PromiseCheck_OperatorDebitOfAHolderWithoutItsSignature_IsCaught()
    {
        // The check above must be able to fail: a plain operator transfer out of a holder's account is exactly what
        // the promise forbids (DESIGN.md §5b), and the check, reading only the block, names it.
        var run = new Run(1, new SortedDictionary<string, int>(StringComparer.Ordinal));
        run.SetUp();
        var debit = Command.Of(new Transfer { Id = 77, DebitAccount = run.Holders[0], CreditAccount = run.Holders[1], Amount = E6, Coin = Usd, Code = 1 });
        var caught = Assert.ThrowsAny<XunitException>(() => run.ApplyChecked(0, [("operator_transfer", debit)]));
        Assert.Contains("with no command of its own", caught.Message, StringComparison.Ordinal);
    }

    private IEnumerable<int> Seeds()
    {
        if (Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } fixedSeed)
        {
            var seed = int.Parse(fixedSeed, CultureInfo.InvariantCulture);
            output.WriteLine($"{SeedVariable}={seed}: running that one workload.");
            yield return seed;
            yield break;
        }

        var master = Random.Shared.Next();
        output.WriteLine($"Master seed {master}: {Runs} workloads of {BlocksPerRun} blocks; a failure names its own seed (re-run with {SeedVariable}=<seed>).");
        var rng = new Random(master);
        for (var i = 0; i < Runs; i++)
        {
            yield return rng.Next();
        }
    }

    /// <summary>One workload: set-up blocks, then random blocks, each checked.</summary>
    private sealed class Run(int seed, SortedDictionary<string, int> reached)
    {
        private readonly Random _rng = new(seed);
        private readonly LedgerChain _chain = new(CentimeNode.CreateModules);
        private readonly Address[] _holders = Enumerable.Range(0, 6).Select(i => Address.Derive("promise:holder" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        private readonly List<UInt128> _contracts = [];

        // (coin, owner, spender) of every allowance granted by an applied permit the owner signed.
        private readonly HashSet<(uint, Address, Address)> _signedAllowances = [];

        // (party, ERP key) of every grant a party signed and did not revoke; and every grant in order (revoked ones
        // stay in the list, so the generator also tries keys whose grant ended).
        private readonly HashSet<(Address, Address)> _grantedErpKeys = [];
        private readonly List<(Address Party, Address Erp)> _grantsInOrder = [];

        // The same, in the order granted (a HashSet's order depends on hash codes, which would break seed replay).
        private readonly List<(uint, Address, Address)> _allowancesInOrder = [];
        private ulong _id = 1_000;
        private UInt128? _pendingOrder;
        private ulong _time = Start;

        private IssuanceModule Issuance => _chain.State.Module<IssuanceModule>()!;

        private ContractModule Contracts => _chain.State.Module<ContractModule>()!;

        public void Execute()
        {
            SetUp();
            for (var block = 0; block < BlocksPerRun; block++)
            {
                var commands = new List<(string Name, Command Command)>();
                var count = _rng.Next(1, 7);
                for (var i = 0; i < count; i++)
                {
                    commands.Add(NextOperation());
                }

                ApplyChecked(block, commands);
            }

            // The whole run replays to the same state (deterministic apply, every module).
            Assert.Equal(_chain.State.ComputeStateHash(), _chain.Replay().ComputeStateHash());
        }

        public Address[] Holders => _holders;

        /// <summary>One block of <paramref name="commands"/> at a later ledger time, then every promise checked.</summary>
        public void ApplyChecked(int block, List<(string Name, Command Command)> commands)
        {
            _time += (ulong)_rng.Next(1, 120) * Second;
            var before = HolderBalances();
            var results = _chain.ApplyWithResults(_time, commands.Select(c => c.Command).ToArray());
            for (var i = 0; i < results.Length; i++)
            {
                var key = commands[i].Name + ":" + results[i].Code.ToProblemCode();
                reached[key] = reached.GetValueOrDefault(key) + 1;
            }

            // An allowance the owner signed in this block may be spent later in the same block; likewise an ERP key a
            // party granted (the reference model of grants: the check does not ask the module it checks).
            for (var i = 0; i < results.Length; i++)
            {
                if (results[i].Code == ResultCode.Ok && commands[i].Command.Body is ErpKeyGrant { ValidUntil: > 0 } g && _grantedErpKeys.Add((g.Party, g.Erp)))
                {
                    _grantsInOrder.Add((g.Party, g.Erp));
                }

                if (results[i].Code == ResultCode.Ok && commands[i].Command.Body is Permit p && p.Signer == p.Owner)
                {
                    if (_signedAllowances.Add((p.Coin, p.Owner, p.Spender)))
                    {
                        _allowancesInOrder.Add((p.Coin, p.Owner, p.Spender));
                    }
                }
            }

            AssertPromises(block, commands.Select(c => c.Command).ToArray(), results, before);

            // A revocation counts from the next block (a contract earlier in this block was funded under the grant).
            for (var i = 0; i < results.Length; i++)
            {
                if (results[i].Code == ResultCode.Ok && commands[i].Command.Body is ErpKeyGrant { ValidUntil: 0 } g)
                {
                    _grantedErpKeys.Remove((g.Party, g.Erp));
                }
            }
        }

        private UInt128 NextId() => _id++;

        private void Ok(params CommandBody[] bodies)
        {
            _time += Second;
            var codes = _chain.Apply(_time, bodies.Select(b => Command.Of(b)).ToArray());
            Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));
        }

        private static Hash32 Key(string s) => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(s));

        /// <summary>Two coins issued through issuance with reserves, operators for each role, a USD/HKD pool.</summary>
        public void SetUp()
        {
            _chain.Apply(_time, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")), Command.Of(new CreateCoin("JHKD", 6, "HKD", "J HKD", "1")));

            // Single-operator mode (what `node --single-operator` journals): maker-checker has its own tests; here one
            // admin sets up the operators every module's workload needs.
            Ok(new SetGovernance(NextId(), IssuanceModule.SystemRequester, true));
            Ok(new AddOperator(NextId(), "admin", "mm", Key("mm"), OperatorRoles.MinterManager),
                new AddOperator(NextId(), "admin", "m1", Key("m1"), OperatorRoles.Minter),
                new AddOperator(NextId(), "admin", "rm", Key("rm"), OperatorRoles.ReserveManager),
                new AddOperator(NextId(), "admin", "pz", Key("pz"), OperatorRoles.Pauser),
                new AddOperator(NextId(), "admin", "ap", Key("ap"), OperatorRoles.AssetProtection),
                new AddOperator(NextId(), "admin", "ap2", Key("ap2"), OperatorRoles.AssetProtection));
            foreach (var (coin, currency) in new[] { (Usd, "USD"), (Hkd, "HKD") })
            {
                Ok(new ConfigureCoin(NextId(), "admin", coin, ReserveRegime.Genius, 0, UInt128.MaxValue, false),
                    new ConfigureMinter(NextId(), "mm", coin, "m1", 1_000_000_000 * E6, 0, 0),
                    new AddHolding(NextId(), "rm", coin, new BankDeposit { Id = "bank", Currency = currency, ValuedOn = Today, Bank = "BNY", AccountReference = currency, Amount = 0, InsuredInstitution = true, Segregated = true }));

                // Deposits cover only part of what the workload will try to mint: the gate must refuse the rest.
                Ok(new RecordDeposit(NextId(), "rm", coin, "BNY", "W" + currency, 200_000_000 * E6, Today, "bank"));
            }

            Ok(new Mint(NextId(), "m1", Usd, "WUSD", Maker, 10_000_000 * E6), new Mint(NextId(), "m1", Hkd, "WHKD", Maker, 78_000_000 * E6));
            Ok(new ConfigureFeed(new FeedConfig("USDHKD", FeedConfig.MaxHeartbeatSeconds, 7_750_000_000_000_000_000, 7_850_000_000_000_000_000, [Oracle]), "admin"));
            Ok(new SubmitRate("USDHKD", 7_800_000_000_000_000_000, _time / Second, Oracle));
            Ok(new CreatePool(1, "LPUSDHKD", [new PoolCoin(Usd, "", false), new PoolCoin(Hkd, "USDHKD", true)], 200, 4_000_000, 20_000_000_000, PoolRisk.Default(2), "admin"));
            Ok(new AddLiquidity(1, Maker, [10_000_000 * E6, 78_000_000 * E6], 0, "admin"));
            foreach (var holder in _holders)
            {
                Ok(new Mint(NextId(), "m1", Usd, "WUSD", holder, 10_000 * E6), new Mint(NextId(), "m1", Hkd, "WHKD", holder, 50_000 * E6));
            }
        }

        private Address Holder() => _holders[_rng.Next(_holders.Length)];

        private uint CoinPick() => _rng.Next(4) == 0 ? Hkd : Usd;

        private UInt128 SmallAmount() => (UInt128)_rng.Next(1, 3_000) * E6 / (UInt128)_rng.Next(1, 4);

        /// <summary>A holder who signs, or (one time in eight) someone else signing for it.</summary>
        private Address SignerFor(Address holder) => _rng.Next(8) == 0 ? _holders[(Array.IndexOf(_holders, holder) + 1) % _holders.Length] : holder;

        private (string, Command) NextOperation()
        {
            var from = Holder();
            var to = Holder();
            switch (_rng.Next(14))
            {
                case 0:
                case 1:
                case 2:
                    return ("transfer", Command.Of(new TransferWithAuthorization(CoinPick(), from, to, SmallAmount(), 0, ulong.MaxValue, HashOf(NextId()), SignerFor(from), false, default)));
                case 3:
                    return ("permit", Command.Of(new Permit(Usd, from, to, SmallAmount() * 2, _chain.State.GetPermitNonce(Usd, from), ulong.MaxValue, SignerFor(from))));

                case 4:
                    if (_allowancesInOrder.Count > 0 && _rng.Next(4) != 0)
                    {
                        // Mostly spend an allowance an owner signed (else transferFrom almost never meets one).
                        (_, from, to) = _allowancesInOrder[_rng.Next(_allowancesInOrder.Count)];
                    }

                    return ("transfer_from", Command.Of(new TransferFrom(Usd, to, from, to, SmallAmount(), HashOf(NextId()), ulong.MaxValue, SignerFor(to))));
                case 5:
                    // A party grants (or revokes) an ERP key for another holder, or that key funds a contract the party
                    // pays (granted or not: the module decides).
                    if (_rng.Next(2) == 0)
                    {
                        return ("erp_key", Command.Of(new ErpKeyGrant(from, to, _rng.Next(4) == 0 ? 0 : ulong.MaxValue, HashOf(NextId()))));
                    }

                    // Mostly a key some party granted (funding that party's contract), else any holder as the key.
                    var erp = Holder();
                    if (_grantsInOrder.Count > 0 && _rng.Next(4) != 0)
                    {
                        (from, erp) = _grantsInOrder[_rng.Next(_grantsInOrder.Count)];
                    }

                    return ("contract_erp", Command.Of(NewContract(from, to) with { Requester = ErpKeyGrant.RequesterPrefix + erp }));
                case 6:
                    return ("contract", Command.Of(NewContract(from, to)));
                case 7:
                case 8:
                    return ("event", Command.Of(NewEvent()));
                case 9:
                    return ("swap", Command.Of(new Swap(NextId(), _rng.Next(2) == 0 ? [new SwapHop(1, 0, 1)] : [new SwapHop(1, 1, 0)], from, _rng.Next(2) == 0 ? from : to,
                        SmallAmount(), 0, 0, "holder")));
                case 10:
                    return ("mint", Command.Of(new Mint(NextId(), "m1", CoinPick(), _rng.Next(2) == 0 ? "WUSD" : "WHKD", from, (UInt128)_rng.Next(1, 40_000_000) * E6)));
                case 11:
                    // The holder's own signed redemption (the node journals the recovered signer as the holder); now and
                    // then a minter's redemption on the holder's behalf, which the rules refuse.
                    return _rng.Next(4) == 0
                        ? ("operator_redeem", Command.Of(new Redeem(NextId(), "m1", CoinPick(), from, SmallAmount(), "DE89370400440532013000")))
                        : ("redeem", Command.Of(new HolderRedeem(CoinPick(), from, SmallAmount(), "DE89370400440532013000", HashOf(NextId()), ulong.MaxValue)));
                case 12:
                    return ("pause", Command.Of(new SetPaused(NextId(), "pz", CoinPick(), _rng.Next(3) == 0)));
                default:
                    // A lawful order (ap asks, ap2 approves in a later draw): freezes, unfreezes, and now and then a
                    // seizure or burn of a holder's coins, which must keep every promise (only the ledger's sum moves).
                    if (_pendingOrder is UInt128 pending && _rng.Next(2) == 0)
                    {
                        _pendingOrder = null;
                        return ("approve_order", Command.Of(new Approve(NextId(), "ap2", pending)));
                    }

                    var kind = _rng.Next(6) switch { 0 or 1 => LawfulOrderKind.Freeze, 2 or 3 => LawfulOrderKind.Unfreeze, 4 => LawfulOrderKind.Seize, _ => LawfulOrderKind.Burn };
                    var order = new LawfulOrder(NextId(), "ap", CoinPick(), kind, from, kind == LawfulOrderKind.Seize ? to : default,
                        kind is LawfulOrderKind.Seize or LawfulOrderKind.Burn ? SmallAmount() : UInt128.Zero, "order " + _id.ToString(CultureInfo.InvariantCulture), LawfulOrderReason.CourtOrder);
                    _pendingOrder = order.ActionId;
                    return ("lawful_" + LawfulOrderNames.Name(kind), Command.Of(order));
            }
        }

        private static Hash32 HashOf(UInt128 id) => Hash32.Sha256(BitConverter.GetBytes((ulong)id));

        /// <summary>A contract the payer funds by signature (requester "payer", as the node journals a payer-signed create).</summary>
        private CreateContract NewContract(Address payer, Address payee)
        {
            var amount = SmallAmount();
            var third = Holder();
            var kind = (ContractKind)_rng.Next(1, 9);
            var terms = new ContractTerms { Kind = kind, Coin = Usd, Payer = payer, Payee = payee, Amount = amount, DeadlineSeconds = (ulong)_rng.Next(60, 3_600) };
            terms = kind switch
            {
                ContractKind.Escrow => terms with { Confirmer = third },
                ContractKind.Bond => terms with { Confirmer = third, Cap = amount },
                ContractKind.Split => terms with { Payee = default, Recipients = [new SplitShare(payee, 6_000), new SplitShare(third, 4_000)] },
                ContractKind.Refund => terms with { RefundOf = NextId() }, // refers to no payment: refused, nothing moves
                ContractKind.Milestones => terms with { Milestones = [new MilestoneTerm("a", amount / 2), new MilestoneTerm("b", amount - (amount / 2))] },
                ContractKind.Stream => terms with { RatePerSecond = E6 },
                ContractKind.Subscription => terms with { PeriodSeconds = 600 },
                _ => terms with { Confirmer = third, MaxExecutions = (uint)_rng.Next(1, 4) },
            };
            var id = NextId();
            _contracts.Add(id);
            return new CreateContract(id, "payer", terms);
        }

        private ContractEvent NewEvent()
        {
            // Mostly a contract that exists (created and not refused); now and then one that does not.
            var live = _contracts.Where(c => Contracts.Get(c) is not null).ToList();
            var id = live.Count == 0 || _rng.Next(8) == 0 ? NextId() : live[_rng.Next(live.Count)];
            var action = (ContractAction)_rng.Next(1, 10);
            var contract = Contracts.Get(id);
            var t = contract?.Terms;
            var signer = t is null || _rng.Next(4) == 0 ? Holder() : action switch
            {
                ContractAction.Charge or ContractAction.Withdraw => t.Payee,
                ContractAction.Cancel => t.Payer,
                _ => t.Confirmer.IsZero ? t.Payer : t.Confirmer,
            };
            var amount = action == ContractAction.Charge || action == ContractAction.Slash ? SmallAmount() : UInt128.Zero;
            return new ContractEvent(id, action, amount, HashOf(NextId()), signer, action == ContractAction.Slash ? "late" : "");
        }

        private Dictionary<(uint, Address), Int128> HolderBalances()
        {
            var balances = new Dictionary<(uint, Address), Int128>();
            foreach (var holder in _holders)
            {
                foreach (var coin in new[] { Usd, Hkd })
                {
                    balances[(coin, holder)] = _chain.State.TryGetAccount(coin, holder, out var a) ? a.Balance : Int128.Zero;
                }
            }

            return balances;
        }

        private void AssertPromises(int block, Command[] commands, CommandResult[] results, Dictionary<(uint, Address), Int128> before)
        {
            var state = _chain.State;

            // 1. Every coin sums to zero (the supply account carries minus the circulating supply).
            var sums = new Dictionary<uint, Int128>();
            foreach (ref readonly var account in state.Accounts)
            {
                sums[account.Key.Coin] = sums.GetValueOrDefault(account.Key.Coin) + account.Balance;
                Assert.True((account.Flags & AccountFlags.Supply) != 0 || account.Balance >= 0, $"block {block}: {account.Key} is negative");
            }

            Assert.All(sums, s => Assert.True(s.Value == 0, $"block {block}: coin {s.Key} sums to {s.Value}"));

            // 2. Supply ≤ eligible reserves, for each issued coin.
            foreach (var coin in new[] { Usd, Hkd })
            {
                var coverage = Issuance.CoverageOf(coin, Today);
                Assert.True(coverage.Supply <= coverage.EligibleReserves, $"block {block}: coin {coin} supply {coverage.Supply} above eligible reserves {coverage.EligibleReserves}");
                var supply = state.TryGetAccount(coin, state.GetCoin(coin)!.SupplyAccount, out var s) ? -s.Balance : Int128.Zero;
                Assert.True(coverage.Supply == (UInt128)supply, $"block {block}: coin {coin} issuance supply {coverage.Supply} != ledger {supply}");
            }

            // 3. A holder's balance went down only with that holder's authorization, read from this block's applied commands.
            foreach (var ((coin, holder), was) in before)
            {
                var now = state.TryGetAccount(coin, holder, out var a) ? a.Balance : Int128.Zero;
                if (now >= was)
                {
                    continue;
                }

                var authorized = false;
                for (var i = 0; i < commands.Length && !authorized; i++)
                {
                    if (results[i].Code == ResultCode.Ok)
                    {
                        authorized = Authorizes(commands[i].Body, coin, holder);
                    }
                }

                Assert.True(authorized, $"block {block}: holder {holder} coin {coin} went from {was} to {now} with no command of its own: "
                    + string.Join("; ", commands.Select((c, i) => $"{c.Kind}={results[i].Code}")));
            }
        }

        /// <summary>True when <paramref name="body"/>, applied, is the holder's own authorization to debit it.</summary>
        private bool Authorizes(CommandBody? body, uint coin, Address holder) => body switch
        {
            TransferWithAuthorization t => t.Coin == coin && t.From == holder && t.Signer == holder,
            TransferFrom t => t.Coin == coin && t.From == holder && _signedAllowances.Contains((coin, holder, t.Spender)),
            CreateContract c => c.Terms.Coin == coin && c.Terms.Payer == holder
                && (c.Requester == "payer" || (c.Requester.StartsWith(ErpKeyGrant.RequesterPrefix, StringComparison.Ordinal)
                    && _grantedErpKeys.Contains((holder, Address.Parse(c.Requester[ErpKeyGrant.RequesterPrefix.Length..]))))),
            ContractEvent e => Contracts.Get(e.Contract) is { } contract && contract.Terms.Coin == coin && contract.Terms.Payer == holder,
            Swap s => s.Trader == holder && s.Requester == "holder",
            HolderRedeem r => r.Coin == coin && r.Holder == holder,
            // A lawful order debits a holder only once a second operator, not its requester, approved it.
            Approve ap => Issuance.LawfulOrderById(ap.Target) is { Status: LawfulOrderStatus.Effective, Order: var o }
                && o.Order is LawfulOrderKind.Seize or LawfulOrderKind.Burn && o.Coin == coin && o.Account == holder && o.Requester != ap.Requester,
            _ => false,
        };
    }
}
