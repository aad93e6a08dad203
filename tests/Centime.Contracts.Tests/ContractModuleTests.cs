using System.Globalization;
using System.Text.Json;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Testing;
using Xunit.Abstractions;

namespace Centime.Contracts.Tests;

/// <summary>The contracts module on a bare ledger state: every kind, deadlines on ledger time, replay and snapshots.</summary>
public sealed class ContractModuleTests(ITestOutputHelper output)
{
    private const ulong Second = 1_000_000_000UL;
    private static readonly ulong Start = (ulong)(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;
    private static readonly Address Buyer = Address.Derive("test:buyer");
    private static readonly Address Seller = Address.Derive("test:seller");
    private static readonly Address Inspector = Address.Derive("test:inspector");
    private static readonly Address Arbiter = Address.Derive("test:arbiter");
    private static readonly Address Platform = Address.Derive("test:platform");

    /// <summary>A ledger with the module and one coin (number 1); every Apply is one block, logged for replay.</summary>
    private sealed class Chain : ModuleChain<ContractModule>
    {
        private ulong _transferId = 1;
        private ulong _nonce = 1;

        public Chain() => Apply(Start, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")));

        /// <summary>An empty block at ledger time <paramref name="at"/> (what the sequencer seals at a deadline).</summary>
        public void Tick(ulong at) => Apply(at);

        public UInt128 Mint(Address to, UInt128 amount)
        {
            var id = (UInt128)_transferId++;
            var code = Apply(0, Command.Of(new Transfer { Id = id, DebitAccount = State.GetCoin(1)!.SupplyAccount, CreditAccount = to, Amount = amount, Coin = 1, Code = 1 }))[0];
            Assert.Equal(ResultCode.Ok, code);
            return id;
        }

        public UInt128 Pay(Address from, Address to, UInt128 amount)
        {
            var id = (UInt128)_transferId++;
            Assert.Equal(ResultCode.Ok, Apply(0, Command.Of(new Transfer { Id = id, DebitAccount = from, CreditAccount = to, Amount = amount, Coin = 1, Code = 1 }))[0]);
            return id;
        }

        public ResultCode Create(UInt128 id, ContractTerms terms, ulong at = 0) => Apply(at, Command.Of(new CreateContract(id, "admin", terms with { Coin = 1 })))[0];

        public ResultCode Event(UInt128 id, ContractAction action, Address signer, UInt128 amount = default, string reason = "", ulong at = 0) =>
            Apply(at, Command.Of(new ContractEvent(id, action, amount, Hash32.Sha256(BitConverter.GetBytes(_nonce++)), signer, reason)))[0];

        public ResultCode Fact(Address oracle, string key, string value, ulong observedAt, Hash32? nonce = null, ulong at = 0) =>
            Apply(at, Command.Of(new OracleFact(oracle, key, value, observedAt, nonce ?? Hash32.Sha256(BitConverter.GetBytes(_nonce++)))))[0];

        public ulong NowSeconds => State.Timestamp / Second;

        public Int128 Balance(Address a) => State.TryGetAccount(1, a, out var account) ? account.Balance : Int128.Zero;
    }

    private static byte[] ModuleBytes(ContractModule module) => Chain.Bytes(module);

    private static ContractTerms Escrow(UInt128 amount, ulong deadlineSeconds = 3600, bool arbiter = false) => new()
    {
        Kind = ContractKind.Escrow,
        Payer = Buyer,
        Payee = Seller,
        Amount = amount,
        Confirmer = Inspector,
        Arbiter = arbiter ? Arbiter : Address.Zero,
        DeadlineSeconds = deadlineSeconds,
    };

    private static readonly Address Oracle = Address.Derive("test:oracle");

    private static ContractTerms StandingOrder(UInt128 amount, uint executions, Address trigger, bool oracle = false) => new()
    {
        Kind = ContractKind.StandingOrder,
        Payer = Buyer,
        Payee = Seller,
        Amount = amount,
        MaxExecutions = executions,
        Confirmer = trigger,
        Oracle = oracle ? Oracle : Address.Zero,
        FactKey = oracle ? "stock_available:SKU-123" : "",
        FactValue = oracle ? "true" : "",
        DeadlineSeconds = 3600,
    };

    [Fact]
    public void StandingOrder_TriggeredUpToItsCount_RestReturnedAtTheDeadline()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.Ok, chain.Create(20, StandingOrder(150, 4, Inspector)));
        Assert.Equal(400, chain.Balance(Buyer)); // 4 × 150 funded
        Assert.Equal(600, chain.Balance(ContractModule.AccountOf(20)));

        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(20, ContractAction.Trigger, Seller));
        Assert.Equal(ResultCode.ContractActionInvalid, chain.Event(20, ContractAction.Confirm, Inspector));
        Assert.Equal(ResultCode.Ok, chain.Event(20, ContractAction.Trigger, Inspector));
        Assert.Equal(ResultCode.Ok, chain.Event(20, ContractAction.Trigger, Inspector));
        Assert.Equal(300, chain.Balance(Seller));
        Assert.Equal(2UL, chain.Module.Get(20)!.Executions);

        chain.Tick(chain.Now + (3600 * Second));
        var order = chain.Module.Get(20)!;
        Assert.Equal(ContractStatus.Closed, order.Status);
        Assert.Equal(["fund", "execution", "execution", "return"], order.Steps.Select(s => s.Step));
        Assert.Equal(700, chain.Balance(Buyer));
        Assert.Equal(0, chain.Balance(ContractModule.AccountOf(20)));
        Assert.Equal(ResultCode.ContractClosed, chain.Event(20, ContractAction.Trigger, Inspector));

        // All executions used: closed at once, nothing left to return.
        Assert.Equal(ResultCode.Ok, chain.Create(21, StandingOrder(100, 2, Inspector)));
        Assert.Equal(ResultCode.Ok, chain.Event(21, ContractAction.Trigger, Inspector));
        Assert.Equal(ResultCode.Ok, chain.Event(21, ContractAction.Trigger, Inspector));
        Assert.Equal(ContractStatus.Closed, chain.Module.Get(21)!.Status);
        Assert.Equal(ResultCode.ContractClosed, chain.Event(21, ContractAction.Trigger, Inspector));

        // The payer cancels: the unexecuted rest comes back.
        Assert.Equal(ResultCode.Ok, chain.Create(22, StandingOrder(100, 3, Inspector)));
        Assert.Equal(ResultCode.Ok, chain.Event(22, ContractAction.Trigger, Inspector));
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(22, ContractAction.Cancel, Seller));
        Assert.Equal(ResultCode.Ok, chain.Event(22, ContractAction.Cancel, Buyer));
        Assert.Equal(600, chain.Balance(Seller)); // 300 + 200 + 100
        Assert.Equal(400, chain.Balance(Buyer));
    }

    [Fact]
    public void StandingOrder_BadTerms_Refused()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.UnknownParty, chain.Create(30, StandingOrder(10, 1, Address.Zero)));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(31, StandingOrder(10, 0, Inspector)));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(32, StandingOrder(10, ContractModule.MaxExecutions + 1, Inspector)));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(33, StandingOrder(LedgerState.MaxSupply, 2, Inspector)));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(34, Escrow(10) with { MaxExecutions = 2 }));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(35, Escrow(10) with { Oracle = Oracle })); // an oracle without a fact
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(36, new ContractTerms { Kind = ContractKind.Bond, Payer = Buyer, Payee = Seller, Confirmer = Seller, Amount = 10, Cap = 10, DeadlineSeconds = 60, Oracle = Oracle, FactKey = "k", FactValue = "v" }));
        Assert.Equal(ResultCode.ExceedsBalance, chain.Create(37, StandingOrder(300, 4, Inspector)));
        Assert.Equal(1_000, chain.Balance(Buyer));
    }

    [Fact]
    public void OracleFact_FiresTheContractsWaitingOnIt_OnlyFromTheirOracle()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 10_000);
        var escrow = Escrow(500) with { Oracle = Oracle, FactKey = "delivered:order-42", FactValue = "true" };
        Assert.Equal(ResultCode.Ok, chain.Create(40, escrow));
        Assert.Equal(ResultCode.Ok, chain.Create(41, StandingOrder(100, 3, Address.Zero, oracle: true)));
        var created = chain.NowSeconds;

        Assert.Equal(ResultCode.FactNotAwaited, chain.Fact(Oracle, "delivered:order-43", "true", created));
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Fact(Inspector, "delivered:order-42", "true", created)); // not its oracle
        Assert.Equal(ResultCode.FactNotAwaited, chain.Fact(Oracle, "delivered:order-42", "true", created - 10)); // observed before the contract existed
        Assert.Equal(ResultCode.FactInvalid, chain.Fact(Oracle, "delivered:order-42", "true", chain.NowSeconds + ContractModule.MaxFactSkewSeconds + 10));
        Assert.Equal(ResultCode.FactInvalid, chain.Fact(Oracle, "", "true", created));
        Assert.Equal(500, chain.Balance(ContractModule.AccountOf(40)));

        // Another value is recorded but moves nothing.
        Assert.Equal(ResultCode.Ok, chain.Fact(Oracle, "delivered:order-42", "false", created));
        Assert.Equal(ContractStatus.Open, chain.Module.Get(40)!.Status);

        var nonce = Hash32.Sha256([4, 2]);
        Assert.Equal(ResultCode.Ok, chain.Fact(Oracle, "delivered:order-42", "true", created, nonce));
        Assert.Equal(ContractStatus.Closed, chain.Module.Get(40)!.Status);
        Assert.Equal(500, chain.Balance(Seller));
        Assert.Equal(ResultCode.ContractNonceUsed, chain.Fact(Oracle, "stock_available:SKU-123", "true", created, nonce));
        Assert.Equal(ResultCode.FactNotAwaited, chain.Fact(Oracle, "delivered:order-42", "true", created)); // released: nobody waits any more

        // Each attestation of the stock fact is one execution of the standing order, until its count is used.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ResultCode.Ok, chain.Fact(Oracle, "stock_available:SKU-123", "true", chain.NowSeconds));
        }

        var order = chain.Module.Get(41)!;
        Assert.Equal(ContractStatus.Closed, order.Status);
        Assert.Equal(["fund", "fact", "fact", "fact"], order.Steps.Select(s => s.Step));
        Assert.Equal("stock_available:SKU-123", order.Steps[1].Reason);
        Assert.Equal(800, chain.Balance(Seller));
        Assert.Equal(ResultCode.FactNotAwaited, chain.Fact(Oracle, "stock_available:SKU-123", "true", chain.NowSeconds));
        Assert.Empty(chain.Module.AwaitingFact("stock_available:SKU-123"));
    }

    [Fact]
    public void Terms_WithoutNewFields_EncodeAsBefore_AndAnEmptyTrailerIsRefused()
    {
        // Terms without oracle or executions encode without the trailer: journals written before it still decode,
        // and the same terms have one encoding.
        var plain = Command.Of(new CreateContract(5, "admin", Escrow(10) with { Coin = 1 }));
        var withFact = Command.Of(new CreateContract(5, "admin", Escrow(10) with { Coin = 1, Oracle = Oracle, FactKey = "k", FactValue = "v" }));
        Assert.Equal(plain.EncodedLength + 20 + 4 + 1 + 4 + 1 + 4, withFact.EncodedLength);
        var bytes = new byte[withFact.EncodedLength];
        withFact.WriteTo(bytes);
        var read = (CreateContract)Command.Read(bytes, out _).Body!;
        Assert.Equal("k", read.Terms.FactKey);
        Assert.True(read.Terms.SameAs(((CreateContract)withFact.Body!).Terms));
        Assert.False(read.Terms.SameAs(((CreateContract)plain.Body!).Terms));

        var padded = new byte[plain.EncodedLength + 20 + 4 + 4 + 4];
        plain.WriteTo(padded);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(padded.AsSpan(4), padded.Length - Command.HeaderSize);
        Assert.Throws<FormatException>(() => Command.Read(padded, out _));
    }

    [Fact]
    public void Escrow_ConfirmedByDesignatedParty_ReleasesOnceAndRefusesTheRest()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.Ok, chain.Create(7, Escrow(400)));
        Assert.Equal(600, chain.Balance(Buyer));
        Assert.Equal(400, chain.Balance(ContractModule.AccountOf(7)));

        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(7, ContractAction.Confirm, Seller));
        Assert.Equal(ResultCode.ContractActionInvalid, chain.Event(7, ContractAction.Slash, Inspector, 1, "x"));
        Assert.Equal(ResultCode.Ok, chain.Event(7, ContractAction.Confirm, Inspector));
        Assert.Equal(ResultCode.ContractClosed, chain.Event(7, ContractAction.Confirm, Inspector));
        Assert.Equal(400, chain.Balance(Seller));
        Assert.Equal(0, chain.Balance(ContractModule.AccountOf(7)));

        var contract = chain.Module.Get(7)!;
        Assert.Equal(ContractStatus.Closed, contract.Status);
        Assert.Equal(["fund", "release"], contract.Steps.Select(s => s.Step));
        foreach (var step in contract.Steps)
        {
            Assert.True(chain.State.TryGetTransfer(step.Transfer, out var t));
            Assert.Equal((UInt128)7, t.Transfer.Memo);
        }

        Assert.Null(chain.Module.NextDeadline);
    }

    [Fact]
    public void Escrow_DeadlinePasses_RefundsThePayerOnLedgerTime()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.Ok, chain.Create(8, Escrow(250, deadlineSeconds: 60)));
        var due = chain.Module.Get(8)!.Deadline;
        Assert.Equal(due, chain.Module.NextDeadline);

        chain.Tick(due - 1);
        Assert.Equal(ContractStatus.Open, chain.Module.Get(8)!.Status);
        chain.Tick(due);
        Assert.Equal(ContractStatus.Closed, chain.Module.Get(8)!.Status);
        Assert.Equal(1_000, chain.Balance(Buyer));
        Assert.Equal(ResultCode.ContractClosed, chain.Event(8, ContractAction.Confirm, Inspector));
    }

    [Fact]
    public void Deadline_CoinPausedWhenDue_RetriedLaterAndNeverFiresTwice()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.Ok, chain.Create(60, Escrow(100, deadlineSeconds: 10)));
        var due = chain.Module.Get(60)!.Deadline;
        chain.State.SetCoinGuard(1, CoinGuard.Paused);
        chain.Tick(due);
        Assert.Equal(ContractStatus.Open, chain.Module.Get(60)!.Status);
        Assert.Equal(chain.Now + (ContractModule.RetrySeconds * Second), chain.Module.NextDeadline);

        chain.State.SetCoinGuard(1, CoinGuard.None);
        Assert.Equal(ResultCode.Ok, chain.Event(60, ContractAction.Confirm, Inspector));
        var closedAt = chain.Module.Get(60)!.ClosedAt;
        chain.Tick(chain.Now + (ContractModule.RetrySeconds * Second));
        Assert.Equal(closedAt, chain.Module.Get(60)!.ClosedAt);
        Assert.Equal(["fund", "release"], chain.Module.Get(60)!.Steps.Select(s => s.Step));
        Assert.Equal(100, chain.Balance(Seller));
        Assert.Null(chain.Module.NextDeadline);
    }

    [Fact]
    public void Escrow_SupplyManagedCoin_MovesAndOnlyAPauseOrAFrozenPartyStopsIt()
    {
        // Every coin issuance sets up is SupplyManaged (only its supply account is the issuance module's): a contract
        // on it must work as on any coin, and refuse only what a transfer would refuse (issue 12, item 1).
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        chain.State.SetCoinGuard(1, CoinGuard.SupplyManaged);
        Assert.Equal(ResultCode.Ok, chain.Create(61, Escrow(100)));
        Assert.Equal(ResultCode.Ok, chain.Event(61, ContractAction.Confirm, Inspector));
        Assert.Equal(100, chain.Balance(Seller));

        chain.State.SetCoinGuard(1, CoinGuard.SupplyManaged | CoinGuard.Paused);
        Assert.Equal(ResultCode.Paused, chain.Create(62, Escrow(100)));
        chain.State.SetCoinGuard(1, CoinGuard.SupplyManaged);
        Assert.Equal(ResultCode.Ok, chain.State.SetFrozen(1, Seller, true));
        Assert.Equal(ResultCode.AccountFrozen, chain.Create(63, Escrow(100)));
        Assert.Equal(900, chain.Balance(Buyer));
        Assert.Equal(100, chain.Balance(Seller));
    }

    [Fact]
    public void Create_SupplyManagedCoin_InABlockSealedUnderOlderRules_StillAnswersPaused()
    {
        // A journal written before LedgerRules.ModulesOnIssuedCoins recorded `paused` for these; replay must reproduce it.
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        chain.State.SetCoinGuard(1, CoinGuard.SupplyManaged);
        var old = chain.ApplyUnder(LedgerRules.HolderProtections, 0, Command.Of(new CreateContract(64, "admin", Escrow(100) with { Coin = 1 })));
        Assert.Equal(ResultCode.Paused, old[0].Code);
        Assert.Equal(ResultCode.Ok, chain.Create(65, Escrow(100)));
        Assert.Null(chain.Module.Get(64));
    }

    /// <summary>
    /// ERP keys (issue 12): a contract funded by an ERP key needs the payer's grant, valid at apply; a grant lets the key
    /// act as the granting party in events, not as anyone else; a revocation ends both; an operator-derived webhook
    /// contract ("webhook") is refused under rules 5 but replays as it was in a block sealed before; snapshot and
    /// replay reproduce the grants.
    /// </summary>
    [Fact]
    public void ErpKey_GrantedByThePayer_FundsAndActsForItUntilRevoked_WebhookRefusedUnderCurrentRules()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        var erp = Address.Derive("test:erp");
        var erpRequester = ErpKeyGrant.RequesterPrefix + erp;
        ResultCode CreateAs(string requester, UInt128 id, ContractTerms terms) => chain.Apply(0, Command.Of(new CreateContract(id, requester, terms with { Coin = 1 })))[0];
        ResultCode Grant(Address party, Address key, ulong until, byte nonce) => chain.Apply(0, Command.Of(new ErpKeyGrant(party, key, until, Hash32.Sha256([nonce]))))[0];

        Assert.Equal(ResultCode.ErpKeyNotAuthorized, CreateAs(erpRequester, 80, Escrow(100)));
        Assert.Equal(ResultCode.ErpKeyNotAuthorized, CreateAs("webhook", 81, Escrow(100)));
        Assert.Equal(1_000, chain.Balance(Buyer));
        Assert.Equal(ResultCode.Ok, chain.ApplyUnder(LedgerRules.HolderSignedRedemption, 0, Command.Of(new CreateContract(82, "webhook", Escrow(100) with { Coin = 1 })))[0].Code);
        Assert.Equal(900, chain.Balance(Buyer));

        Assert.Equal(ResultCode.ErpKeyInvalid, Grant(Buyer, Buyer, ulong.MaxValue, 1));
        Assert.Equal(ResultCode.ErpKeyInvalid, Grant(Buyer, erp, chain.NowSeconds - 10, 1));
        Assert.Equal(ResultCode.Ok, Grant(Buyer, erp, ulong.MaxValue, 2));
        Assert.Equal(ResultCode.ContractNonceUsed, Grant(Buyer, erp, ulong.MaxValue, 2));
        Assert.True(chain.Module.IsErpKeyOf(Buyer, erp, chain.NowSeconds));
        Assert.False(chain.Module.IsErpKeyOf(Seller, erp, chain.NowSeconds));

        // Funded by the ERP for the buyer; the ERP cannot fund the seller's contracts, nor confirm as the inspector.
        Assert.Equal(ResultCode.Ok, CreateAs(erpRequester, 83, Escrow(100) with { Confirmer = Buyer }));
        Assert.Equal(800, chain.Balance(Buyer));
        Assert.Equal(ResultCode.ErpKeyNotAuthorized, CreateAs(erpRequester, 84, Escrow(100) with { Payer = Seller, Payee = Buyer }));
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(82, ContractAction.Confirm, erp));
        Assert.Equal(ResultCode.Ok, chain.Event(83, ContractAction.Confirm, erp)); // the buyer confirms: its ERP acts for it
        Assert.Equal(100, chain.Balance(Seller));

        var hash = chain.State.ComputeStateHash();
        Assert.Equal(hash, chain.SnapshotRoundTrip().ComputeStateHash());
        Assert.Equal(hash, chain.Replay().ComputeStateHash());

        Assert.Equal(ResultCode.Ok, Grant(Buyer, erp, 0, 3)); // revoked
        Assert.Equal(ResultCode.ErpKeyNotAuthorized, CreateAs(erpRequester, 85, Escrow(100)));
        Assert.Equal(800, chain.Balance(Buyer));
        Assert.Empty(chain.Module.ErpKeysOf(Buyer));
    }

    [Fact]
    public void Escrow_Disputed_ArbiterSplitsAndTheDeadlineNoLongerRefunds()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.Ok, chain.Create(9, Escrow(1_000, deadlineSeconds: 60, arbiter: true)));
        Assert.Equal(ResultCode.ContractActionInvalid, chain.Event(9, ContractAction.Decide, Arbiter, 10));
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(9, ContractAction.Dispute, Inspector));
        Assert.Equal(ResultCode.Ok, chain.Event(9, ContractAction.Dispute, Buyer));
        chain.Tick(chain.Now + (120 * Second));
        Assert.Equal(ContractStatus.Disputed, chain.Module.Get(9)!.Status);
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(9, ContractAction.Decide, Buyer, 10));
        Assert.Equal(ResultCode.AmountsDoNotAddUp, chain.Event(9, ContractAction.Decide, Arbiter, 1_001));
        Assert.Equal(ResultCode.Ok, chain.Event(9, ContractAction.Decide, Arbiter, 700));
        Assert.Equal(700, chain.Balance(Seller));
        Assert.Equal(300, chain.Balance(Buyer));
    }

    [Fact]
    public void Bond_SlashedWithReasonUpToItsCap_RestReturnedAtExpiry()
    {
        var chain = new Chain();
        chain.Mint(Seller, 500);
        var bond = new ContractTerms { Kind = ContractKind.Bond, Payer = Seller, Payee = Platform, Confirmer = Platform, Amount = 500, Cap = 300, DeadlineSeconds = 3600 };
        Assert.Equal(ResultCode.Ok, chain.Create(10, bond));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Event(10, ContractAction.Slash, Platform, 100, ""));
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(10, ContractAction.Slash, Buyer, 100, "late"));
        Assert.Equal(ResultCode.Ok, chain.Event(10, ContractAction.Slash, Platform, 200, "late delivery"));
        Assert.Equal(ResultCode.ExceedsSlashCap, chain.Event(10, ContractAction.Slash, Platform, 101, "again"));
        Assert.Equal(ResultCode.Ok, chain.Event(10, ContractAction.Slash, Platform, 100, "again"));
        chain.Tick(chain.Module.Get(10)!.Deadline);
        Assert.Equal(200, chain.Balance(Seller));
        Assert.Equal(300, chain.Balance(Platform));
        Assert.Equal(["fund", "slash", "slash", "return"], chain.Module.Get(10)!.Steps.Select(s => s.Step));
        Assert.Equal("late delivery", chain.Module.Get(10)!.Steps[1].Reason);
    }

    [Fact]
    public void Split_Settles_ByBasisPointsWithTheRemainderToTheFirstRecipient()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        var split = new ContractTerms { Kind = ContractKind.Split, Payer = Buyer, Amount = 101, Recipients = [new(Seller, 3_333), new(Platform, 3_333), new(Inspector, 3_334)] };
        Assert.Equal(ResultCode.Ok, chain.Create(11, split));
        Assert.Equal(35, chain.Balance(Seller)); // ⌊33.66⌋ + the 2 units the floors left
        Assert.Equal(33, chain.Balance(Platform));
        Assert.Equal(33, chain.Balance(Inspector)); // ⌊33.67⌋
        Assert.Equal(ContractStatus.Closed, chain.Module.Get(11)!.Status);

        Assert.Equal(ResultCode.SplitNot100Percent, chain.Create(12, split with { Recipients = [new(Seller, 5_000), new(Platform, 4_999)] }));
        Assert.Equal(899, chain.Balance(Buyer)); // the refused one moved nothing
    }

    [Fact]
    public void SplitShares_RandomAmountsAndShares_AddUpToTheUnit()
    {
        var seed = Seed(nameof(SplitShares_RandomAmountsAndShares_AddUpToTheUnit));
        var random = new Random(seed);
        for (var round = 0; round < 2_000; round++)
        {
            var n = random.Next(1, 10);
            var bps = new int[n];
            var left = 10_000;
            for (var i = 0; i < n - 1; i++)
            {
                bps[i] = random.Next(0, left + 1);
                left -= bps[i];
            }

            bps[n - 1] = left;
            var amount = round % 2 == 0 ? (UInt128)random.NextInt64(1, long.MaxValue) : LedgerState.MaxSupply - (UInt128)random.Next(0, 1000);
            var recipients = bps.Select((b, i) => new SplitShare(Address.Derive("r" + i), (ushort)b)).ToArray();
            var shares = ContractModule.SplitShares(amount, recipients);
            var sum = shares.Aggregate(UInt128.Zero, (s, x) => s + x);
            Assert.True(sum == amount, $"sum {sum} != {amount} {Tag(seed)}");
            for (var i = 1; i < n; i++)
            {
                var exact = (System.Numerics.BigInteger)amount * bps[i] / 10_000;
                Assert.True((System.Numerics.BigInteger)shares[i] == exact, $"share {i} {shares[i]} != {exact} {Tag(seed)}");
            }
        }
    }

    [Fact]
    public void Refund_LinkedToThePayment_NeverMoreThanIt()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        chain.Mint(Seller, 1_000);
        var payment = chain.Pay(Buyer, Seller, 300);
        var refund = new ContractTerms { Kind = ContractKind.Refund, Payer = Seller, Payee = Buyer, Amount = 200, RefundOf = payment };
        Assert.Equal(ResultCode.Ok, chain.Create(20, refund));
        Assert.Equal(ResultCode.ExceedsRefundable, chain.Create(21, refund with { Amount = 101 }));
        Assert.Equal(ResultCode.Ok, chain.Create(22, refund with { Amount = 100 }));
        Assert.Equal(ResultCode.ExceedsRefundable, chain.Create(23, refund with { Amount = 1 }));
        Assert.Equal(ResultCode.OriginalPaymentNotFound, chain.Create(24, refund with { Payer = Buyer, Payee = Seller }));
        Assert.Equal(ResultCode.OriginalPaymentNotFound, chain.Create(25, refund with { RefundOf = 999 }));
        Assert.Equal(1_000, chain.Balance(Buyer));
        Assert.Equal(1_000, chain.Balance(Seller));
        Assert.Equal((UInt128)300, chain.Module.RefundedOf(payment));
    }

    [Fact]
    public void Milestones_ReleasedOnePerConfirmation_RestRefundedAtTheDeadline()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        var terms = new ContractTerms
        {
            Kind = ContractKind.Milestones,
            Payer = Buyer,
            Payee = Seller,
            Confirmer = Buyer,
            Amount = 1_000,
            DeadlineSeconds = 600,
            Milestones = [new("design", 200), new("build", 500), new("launch", 300)],
        };
        Assert.Equal(ResultCode.AmountsDoNotAddUp, chain.Create(30, terms with { Amount = 999 }));
        Assert.Equal(ResultCode.Ok, chain.Create(30, terms));
        Assert.Equal(ResultCode.Ok, chain.Event(30, ContractAction.Milestone, Buyer, 0));
        Assert.Equal(ResultCode.MilestoneInvalid, chain.Event(30, ContractAction.Milestone, Buyer, 0));
        Assert.Equal(ResultCode.MilestoneInvalid, chain.Event(30, ContractAction.Milestone, Buyer, 3));
        Assert.Equal(ResultCode.Ok, chain.Event(30, ContractAction.Milestone, Buyer, 1));
        chain.Tick(chain.Module.Get(30)!.Deadline);
        Assert.Equal(700, chain.Balance(Seller));
        Assert.Equal(300, chain.Balance(Buyer));
    }

    [Fact]
    public void Stream_AccruesPerSecond_WithdrawAndCancelKeepTheUnaccruedRest()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 10_000);
        var terms = new ContractTerms { Kind = ContractKind.Stream, Payer = Buyer, Payee = Seller, Amount = 3_600, RatePerSecond = 1 };
        Assert.Equal(ResultCode.Ok, chain.Create(40, terms));
        var start = chain.Module.Get(40)!.CreatedAt;
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(40, ContractAction.Withdraw, Buyer, at: start + (10 * Second)));
        Assert.Equal(ResultCode.Ok, chain.Event(40, ContractAction.Withdraw, Seller, at: start + (100 * Second)));
        Assert.Equal(100, chain.Balance(Seller));
        Assert.Equal(ResultCode.Ok, chain.Event(40, ContractAction.Cancel, Buyer, at: start + (1_800 * Second) + 5));
        Assert.Equal(1_800, chain.Balance(Seller));
        Assert.Equal(10_000 - 1_800, chain.Balance(Buyer));

        // A stream that runs to its end pays out by itself.
        Assert.Equal(ResultCode.Ok, chain.Create(41, terms with { Amount = 10, RatePerSecond = 3 }));
        chain.Tick(chain.Module.Get(41)!.Deadline);
        Assert.Equal(1_810, chain.Balance(Seller));
    }

    [Fact]
    public void Subscription_PulledUpToTheLimitPerPeriod_UntilCancelled()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        var terms = new ContractTerms { Kind = ContractKind.Subscription, Payer = Buyer, Payee = Seller, Amount = 100, PeriodSeconds = 30 * 86_400, DeadlineSeconds = 365 * 86_400 };
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(70, terms with { PeriodSeconds = 0 }));
        Assert.Equal(ResultCode.Ok, chain.Create(70, terms));
        Assert.Equal(1_000, chain.Balance(Buyer)); // nothing locked
        var start = chain.Module.Get(70)!.CreatedAt;
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(70, ContractAction.Charge, Buyer, 10));
        Assert.Equal(ResultCode.Ok, chain.Event(70, ContractAction.Charge, Seller, 60));
        Assert.Equal(ResultCode.ExceedsPeriodLimit, chain.Event(70, ContractAction.Charge, Seller, 41));
        Assert.Equal(ResultCode.Ok, chain.Event(70, ContractAction.Charge, Seller, 40));
        Assert.Equal(ResultCode.Ok, chain.Event(70, ContractAction.Charge, Seller, 100, at: start + (30UL * 86_400 * Second)));
        Assert.Equal(200, chain.Balance(Seller));
        Assert.Equal(ResultCode.NotDesignatedParty, chain.Event(70, ContractAction.Cancel, Seller));
        Assert.Equal(ResultCode.Ok, chain.Event(70, ContractAction.Cancel, Buyer));
        Assert.Equal(ResultCode.ContractClosed, chain.Event(70, ContractAction.Charge, Seller, 1));
        Assert.Equal(800, chain.Balance(Buyer));
    }

    [Fact]
    public void Release_ClientTookTheModulesNextTransferId_SkipsItInsteadOfFailing()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        Assert.Equal(ResultCode.Ok, chain.Create(80, Escrow(100)));
        var squatted = new UInt128(ContractModule.TransferIdPrefix, 2); // the release would take it
        Assert.Equal(ResultCode.Ok, chain.Apply(0, Command.Of(new Transfer { Id = squatted, DebitAccount = Buyer, CreditAccount = Platform, Amount = 1, Coin = 1, Code = 1 }))[0]);
        Assert.Equal(ResultCode.Ok, chain.Event(80, ContractAction.Confirm, Inspector));
        Assert.Equal(100, chain.Balance(Seller));
        Assert.Equal(new UInt128(ContractModule.TransferIdPrefix, 3), chain.Module.Get(80)!.Steps[^1].Transfer);
    }

    [Fact]
    public void Create_PartyIsTheContractOrSupplyAccount_Refused()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 1_000);
        var supply = chain.State.GetCoin(1)!.SupplyAccount;
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(90, Escrow(10) with { Payee = ContractModule.AccountOf(90) }));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(91, Escrow(10) with { Payer = supply }));
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(92, Escrow(10) with { Payee = Buyer }));
        var split = new ContractTerms { Kind = ContractKind.Split, Payer = Buyer, Amount = 10, Recipients = [new(ContractModule.AccountOf(93), 10_000)] };
        Assert.Equal(ResultCode.ContractTermsInvalid, chain.Create(93, split));
        Assert.Equal(1_000, chain.Balance(Buyer));
        Assert.Empty(chain.Module.Contracts);
    }

    [Fact]
    public void Create_PayerShortOfCoins_RefusedMovingNothing()
    {
        var chain = new Chain();
        chain.Mint(Buyer, 10);
        Assert.Equal(ResultCode.ExceedsBalance, chain.Create(50, Escrow(11)));
        Assert.Null(chain.Module.Get(50));
        Assert.Equal(10, chain.Balance(Buyer));
        Assert.Equal(ResultCode.UnknownParty, chain.Create(51, Escrow(1) with { Confirmer = Address.Zero }));
        Assert.Equal(ResultCode.Ok, chain.Create(52, Escrow(1)));
        Assert.Equal(ResultCode.ContractExists, chain.Create(52, Escrow(1)));
    }

    [Fact]
    public void Replay_RandomContractsAndEvents_ReproducesStateAndSnapshotRoundTrips()
    {
        var seed = Seed(nameof(Replay_RandomContractsAndEvents_ReproducesStateAndSnapshotRoundTrips));
        var random = new Random(seed);
        var chain = new Chain();
        Address[] people = [Buyer, Seller, Inspector, Arbiter, Platform];
        foreach (var p in people)
        {
            chain.Mint(p, 1_000_000);
        }

        string[] facts = ["stock_available:SKU-1", "delivered:order-2"];

        var ids = new List<UInt128>();
        for (var step = 0; step < 300; step++)
        {
            var at = chain.Now + (ulong)random.Next(0, 400) * Second;
            if (ids.Count == 0 || random.Next(3) == 0)
            {
                var id = (UInt128)(1000 + step);
                var amount = (UInt128)random.Next(1, 5_000);
                ContractTerms terms = random.Next(7) switch
                {
                    5 => StandingOrder(amount, (uint)random.Next(1, 5), random.Next(2) == 0 ? Inspector : Address.Zero, oracle: true) with { FactKey = facts[random.Next(2)], DeadlineSeconds = (ulong)random.Next(1, 3_000) },
                    6 => Escrow(amount, (ulong)random.Next(1, 3_000)) with { Oracle = Oracle, FactKey = facts[random.Next(2)], FactValue = "true" },
                    4 => new ContractTerms { Kind = ContractKind.Subscription, Payer = Buyer, Payee = Seller, Amount = amount, PeriodSeconds = (ulong)random.Next(1, 600), DeadlineSeconds = (ulong)random.Next(0, 3_000) },
                    0 => Escrow(amount, (ulong)random.Next(1, 3_000), arbiter: true),
                    1 => new ContractTerms { Kind = ContractKind.Bond, Payer = Seller, Payee = Platform, Confirmer = Platform, Amount = amount, Cap = amount, DeadlineSeconds = (ulong)random.Next(1, 3_000) },
                    2 => new ContractTerms { Kind = ContractKind.Stream, Payer = Buyer, Payee = Seller, Amount = amount, RatePerSecond = (UInt128)random.Next(1, 20) },
                    _ => new ContractTerms { Kind = ContractKind.Split, Payer = Buyer, Amount = amount, Recipients = [new(Seller, 9_000), new(Platform, 1_000)] },
                };
                chain.Create(id, terms, at);
                ids.Add(id);
            }
            else if (random.Next(4) == 0)
            {
                chain.Fact(random.Next(4) == 0 ? Inspector : Oracle, facts[random.Next(2)], random.Next(5) == 0 ? "false" : "true", chain.NowSeconds - (ulong)random.Next(0, 100), at: at);
            }
            else
            {
                var id = ids[random.Next(ids.Count)];
                var action = (ContractAction)random.Next(1, 10);
                chain.Event(id, action, people[random.Next(people.Length)], (UInt128)random.Next(0, 3_000), "r", at);
            }

            // Money is never created or lost: contract accounts hold exactly what open contracts have left.
            var held = chain.Module.Contracts.Aggregate(Int128.Zero, (s, c) => s + (Int128)c.Remaining);
            var inAccounts = chain.Module.Contracts.Aggregate(Int128.Zero, (s, c) => s + chain.Balance(ContractModule.AccountOf(c.Id)));
            Assert.True(held == inAccounts, $"held {held} != {inAccounts} at step {step} {Tag(seed)}");
        }

        var replayed = chain.Replay();
        Assert.True(ModuleBytes(chain.Module).SequenceEqual(ModuleBytes(replayed.Module<ContractModule>()!)), $"replay differs {Tag(seed)}");

        var restored = chain.SnapshotRoundTrip();
        Assert.True(ModuleBytes(chain.Module).SequenceEqual(ModuleBytes(restored.Module<ContractModule>()!)), $"snapshot differs {Tag(seed)}");
        Assert.Equal(chain.Module.NextDeadline, restored.Module<ContractModule>()!.NextDeadline);
    }

    [Fact]
    public void EventSignature_SignedByAParty_RecoversItsAddress()
    {
        var key = Secp256k1.NewPrivateKey();
        var address = Secp256k1.Default.AddressOf(key);
        var nonce = Hash32.Sha256([1, 2, 3]);
        var signature = ContractEventSignature.Sign(key, 42, ContractAction.Confirm, 0, nonce);
        Assert.True(ContractEventSignature.TryRecover(42, ContractAction.Confirm, 0, nonce, signature, out var signer));
        Assert.Equal(address, signer);
        Assert.True(ContractEventSignature.TryRecover(43, ContractAction.Confirm, 0, nonce, signature, out var other));
        Assert.NotEqual(address, other); // another contract: another digest, another (unrelated) signer
    }

    [Theory]
    [InlineData("""{"kind":"split","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","b":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},"payer":"a","recipients":[{"party":"b","bps":9000}]}""", "split_not_100_percent")]
    [InlineData("""{"kind":"milestones","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","b":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},"payer":"a","payee":"b","milestones":[{"name":"m","amount":"60"},{"name":"n","amount":"30"}]}""", "amounts_do_not_add_up")]
    [InlineData("""{"kind":"escrow","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payer":"a","payee":"seller","deadlineSeconds":60}""", "unknown_party")]
    [InlineData("""{"kind":"escrow","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payer":"a","payee":"a","deadlineSeconds":60,"ratePerSecond":"1"}""", "unknown_field")]
    [InlineData("""{"kind":"escrow","coin":"XXX","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payer":"a","payee":"a","deadlineSeconds":60}""", "coin_not_found")]
    [InlineData("""{"kind":"bond","coin":"NUSD","amount":"100","cap":"101","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payer":"a","payee":"a","slasher":"a","deadlineSeconds":60}""", "amounts_do_not_add_up")]
    [InlineData("""{"kind":"standing_order","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","b":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},"payer":"a","payee":"b","deadlineSeconds":60}""", "unknown_party")]
    [InlineData("""{"kind":"standing_order","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","b":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},"payer":"a","payee":"b","trigger":"b","maxExecutions":0,"deadlineSeconds":60}""", "invalid_field")]
    [InlineData("""{"kind":"escrow","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","b":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},"payer":"a","payee":"b","factKey":"delivered:1","deadlineSeconds":60}""", "missing_field")]
    [InlineData("""{"kind":"escrow","coin":"NUSD","amount":"100","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","b":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},"payer":"a","payee":"b","oracle":"b","deadlineSeconds":60}""", "missing_field")]
    [InlineData("""{"kind":"escrow","coin":"NUSD","amount":"1.5","parties":{"a":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payer":"a","payee":"a","deadlineSeconds":60}""", "invalid_field")]
    public void Document_BadContract_RefusedWithItsCode(string json, string code)
    {
        using var doc = JsonDocument.Parse(json);
        var ex = Assert.Throws<ContractDocumentException>(() => ContractDocument.Parse(doc.RootElement, s => s == "NUSD" ? 1u : null));
        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public void Document_Schema_IsJson()
    {
        using var doc = JsonDocument.Parse(ContractDocument.Schema);
        Assert.Equal("Centime contract", doc.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public void Document_SchemaInDocs_MatchesTheServedOne()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Centime.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var docs = File.ReadAllText(Path.Combine(dir.FullName, "docs", "contracts.schema.json")).ReplaceLineEndings("\n").TrimEnd();
        Assert.Equal(ContractDocument.Schema.ReplaceLineEndings("\n").TrimEnd(), docs);
    }

    private int Seed(string test)
    {
        var fixedSeed = Environment.GetEnvironmentVariable("CENTIME_SEED");
        var seed = string.IsNullOrEmpty(fixedSeed) ? Random.Shared.Next() : int.Parse(fixedSeed, CultureInfo.InvariantCulture);
        output.WriteLine($"{test}: seed {seed} (re-run with CENTIME_SEED={seed})");
        return seed;
    }

    private static string Tag(int seed) => $"[seed {seed}, re-run with CENTIME_SEED={seed}]";
}
