using Centime.Ledger;
using Centime.Testing;

namespace Centime.Issuance.Tests;

/// <summary>The issuance module on a bare ledger state: determinism, snapshots, guards, approvals.</summary>
public sealed class IssuanceModuleTests
{
    private static readonly ulong Start = (ulong)(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;
    private static readonly DateOnly Today = new(2026, 12, 1);
    private static readonly Address Alice = Address.Derive("test:alice");
    private static readonly Address Bob = Address.Derive("test:bob");

    /// <summary>A ledger with the module; every Apply is one block, and every command is journaled in its log.</summary>
    private sealed class Chain : ModuleChain<IssuanceModule>
    {
        private ulong _id = 100;

        public UInt128 NextId() => _id++;

        public ResultCode One(IssuanceCommand command, ulong at = 0) => Apply(at == 0 ? State.NextTimestamp : at, Command.Of(command))[0];
    }

    private static byte[] ModuleBytes(IssuanceModule module) => Chain.Bytes(module);

    private static Hash32 Key(string s) => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>Operators, reserves and a deposit, in single-operator mode (these tests are about minting, not governance).</summary>
    private static Chain Funded(UInt128 mintApprovalAbove, bool sandbox = false)
    {
        var chain = new Chain();
        Assert.Equal([ResultCode.Ok], chain.Apply(Start, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1", sandbox))));
        Assert.Equal(ResultCode.Ok, chain.One(new SetGovernance(chain.NextId(), IssuanceModule.SystemRequester, true)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "mm", Key("mm"), OperatorRoles.MinterManager)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "m1", Key("m1"), OperatorRoles.Minter)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "m2", Key("m2"), OperatorRoles.Minter)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "rm", Key("rm"), OperatorRoles.ReserveManager)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "pz", Key("pz"), OperatorRoles.Pauser)));
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureCoin(chain.NextId(), "admin", 1, ReserveRegime.Genius, 0, mintApprovalAbove, false)));
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureMinter(chain.NextId(), "mm", 1, "m1", 1_000_000, 0, 0)));
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureMinter(chain.NextId(), "mm", 1, "m2", 1_000_000, 0, 0)));
        var bank = new BankDeposit { Id = "bny", Currency = "USD", ValuedOn = Today, Bank = "BNY", AccountReference = "1", Amount = 0, InsuredInstitution = true, Segregated = true };
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, bank)));
        Assert.Equal(ResultCode.Ok, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "BNY", "W1", 1000, Today, "bny")));
        return chain;
    }

    /// <summary>A sandbox coin is unbacked test money: issuance mints none of it under current rules (nothing moves,
    /// nothing is audited as minted), while a mint journaled before <see cref="LedgerRules.NoIssuanceOfSandboxCoins"/> replays.</summary>
    [Fact]
    public void Mint_OntoASandboxCoin_RefusedUnderCurrentRules_AnOldBlockStillMints()
    {
        var chain = Funded(UInt128.MaxValue, sandbox: true);
        var audit = chain.Module.Audit.Count;
        Assert.Equal(ResultCode.SandboxCoinNotIssued, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 600)));
        Assert.Equal(UInt128.Zero, chain.Module.Supply(1));
        Assert.Equal(audit, chain.Module.Audit.Count);
        Assert.Equal(ResultCode.Ok, chain.ApplyUnder(LedgerRules.ErpKeys, chain.State.NextTimestamp, Command.Of(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 600)))[0].Code);
        Assert.Equal((UInt128)600, chain.Module.Supply(1));
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
    }

    [Fact]
    public void Mint_WithinReservesAndAllowance_MovesMoneyAndConsumesAllowance()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 600)));
        Assert.Equal((UInt128)600, chain.Module.Supply(1));
        Assert.Equal((UInt128)(1_000_000 - 600), chain.Module.Coin(1)!.Minters.Single(m => m.Minter == "m1").Allowance);
        Assert.Equal((UInt128)400, chain.Module.Coin(1)!.Deposits.Single().Unminted);
        Assert.Equal(ResultCode.ExceedsDeposit, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 401)));
        var coverage = chain.Module.CoverageOf(1, Today);
        Assert.Equal(new Coverage(600, 1000, 1000, 16_666), coverage);
    }

    [Fact]
    public void Mint_AboveEligibleReserves_ReservesInsufficient_StateUnchanged()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "JPM", "W2", 5000, Today, "")));
        var before = ModuleBytes(chain.Module);
        Assert.Equal(ResultCode.ReservesInsufficient, chain.One(new Mint(chain.NextId(), "m1", 1, "W2", Alice, 1001)));
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(new Mint(chain.NextId(), "rm", 1, "W2", Alice, 1)));
        Assert.Equal(ResultCode.DepositExists, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "JPM", "W2", 1, Today, "")));
        Assert.Equal(ResultCode.HoldingNotFound, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "JPM", "W3", 1, Today, "nope")));
        Assert.Equal(UInt128.Zero, chain.Module.Supply(1));
        Assert.Equal(before, ModuleBytes(chain.Module));
    }

    [Fact]
    public void Approval_SelfOrWrongRole_Refused_SecondMinterExecutes()
    {
        var chain = Funded(100);
        var mint = new Mint(chain.NextId(), "m1", 1, "W1", Alice, 500);
        Assert.Equal(ResultCode.Ok, chain.One(mint));
        Assert.Equal(ActionStatus.Pending, chain.Module.Action(mint.ActionId)!.Status);
        Assert.Equal(UInt128.Zero, chain.Module.Supply(1));
        Assert.Equal(ResultCode.SelfApproval, chain.One(new Approve(chain.NextId(), "m1", mint.ActionId)));
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(new Approve(chain.NextId(), "rm", mint.ActionId)));
        Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "m2", mint.ActionId)));
        Assert.Equal((UInt128)500, chain.Module.Supply(1));
        Assert.Equal("m2", chain.Module.Action(mint.ActionId)!.Decider);
        Assert.Equal(ResultCode.ApprovalNotPending, chain.One(new Approve(chain.NextId(), "m2", mint.ActionId)));
        Assert.Equal(ResultCode.ActionExists, chain.One(mint));
    }

    [Fact]
    public void Pause_GuardsTransfersInTheLedger_UnpauseRestores()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 100)));
        var transfer = new Transfer { Id = 1, DebitAccount = Alice, CreditAccount = Bob, Amount = 1, Coin = 1 };
        Assert.Equal(ResultCode.Ok, chain.One(new SetPaused(chain.NextId(), "pz", 1, true)));
        Assert.Equal([ResultCode.Paused], chain.Apply(chain.State.NextTimestamp, Command.Of(transfer)));
        Assert.Equal(ResultCode.Paused, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 1)));
        Assert.Equal(ResultCode.Ok, chain.One(new SetPaused(chain.NextId(), "pz", 1, false)));
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(transfer with { Id = 2 })));

        // A plain transfer out of the managed supply account is refused; the module's own mints are not.
        var supply = chain.State.GetCoin(1)!.SupplyAccount;
        Assert.Equal([ResultCode.SupplyManaged], chain.Apply(chain.State.NextTimestamp, Command.Of(transfer with { Id = 3, DebitAccount = supply })));
        Assert.Equal([ResultCode.SupplyManaged], chain.Apply(chain.State.NextTimestamp, Command.Of(transfer with { Id = 4, CreditAccount = supply })));
    }

    [Fact]
    public void Redemption_BurnsAndMarksOverdueAtDeadline_PaidReducesHolding()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 300)));
        var nonce = Hash32.Sha256([9]);
        var redeem = new HolderRedeem(1, Alice, 100, "IBAN DE89", nonce, (chain.State.NextTimestamp / 1_000_000_000UL) + 3600);
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(redeem)));
        Assert.Equal((UInt128)200, chain.Module.Supply(1));
        var redemptionId = HolderRedeem.IdOf(1, Alice, nonce);
        var r = chain.Module.RedemptionById(redemptionId)!;
        Assert.Equal(BusinessCalendar.WeekendsOnly.AddBusinessDays(r.RequestedAt, 2), r.Deadline); // GENIUS: 2 business days (OCC proposal)
        Assert.Equal(r.Deadline, chain.Module.NextDeadline);
        Assert.Equal(DayOfWeek.Thursday, IssuanceModule.DateOf(r.Deadline).DayOfWeek); // Tuesday + 2 business days (GENIUS, OCC proposal)

        chain.Apply(r.Deadline); // an empty block at the deadline
        Assert.True(chain.Module.RedemptionById(redemptionId)!.OverdueAt != 0);
        Assert.Equal("payout_overdue", chain.Module.Audit[^1].Event);
        Assert.Null(chain.Module.NextDeadline);

        // Summaries in the audit trail show whole coins, as the CLI takes them (100 minor units of a 6-decimal coin).
        var coin = chain.State.GetCoin(1)!;
        Assert.Equal(6, coin.Decimals);
        Assert.StartsWith($"payout of 0.000100 {coin.Symbol} to IBAN DE89", chain.Module.Audit[^1].Detail, StringComparison.Ordinal);
        Assert.Equal(ResultCode.Ok, chain.One(new MarkPayoutPaid(chain.NextId(), "rm", redemptionId, "WIRE-9", "bny")));
        Assert.Equal((UInt128)900, ((BankDeposit)chain.Module.Coin(1)!.Holdings[0]).Amount);
        Assert.False(chain.Module.RedemptionById(redemptionId)!.PaidOnTime);
        Assert.Equal(ResultCode.RedemptionAlreadyPaid, chain.One(new MarkPayoutPaid(chain.NextId(), "rm", redemptionId, "WIRE-9", "")));
    }

    /// <summary>
    /// No operator burns a holder's coins (issue 12): a minter's redemption on the holder's behalf is refused under
    /// <see cref="LedgerRules.HolderSignedRedemption"/> and changes nothing, while the same command in a block sealed
    /// under older rules (an old journal) still burns, is audited, and replays to the same state.
    /// </summary>
    [Fact]
    public void Redeem_ByAMinter_RefusedUnderCurrentRules_AnOldBlockStillBurnsAndReplays()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 300)));
        var audit = chain.Module.Audit.Count;
        var onBehalf = new Redeem(chain.NextId(), "m1", 1, Alice, 100, "IBAN DE89");
        Assert.Equal(ResultCode.HolderSignatureRequired, chain.One(onBehalf));
        Assert.True(chain.State.TryGetAccount(1, Alice, out var alice));
        Assert.Equal((Int128)300, alice.Balance);
        Assert.Equal(audit, chain.Module.Audit.Count);
        Assert.Null(chain.Module.RedemptionById(onBehalf.ActionId));
        Assert.Equal((UInt128)300, chain.Module.Supply(1));

        var old = onBehalf with { ActionId = chain.NextId() };
        Assert.Equal(ResultCode.Ok, chain.ApplyUnder(LedgerRules.ModulesOnIssuedCoins, chain.State.NextTimestamp, Command.Of(old))[0].Code);
        Assert.Equal((UInt128)200, chain.Module.Supply(1));
        Assert.Equal("m1", chain.Module.RedemptionById(old.ActionId)!.RequestedBy);
        Assert.Contains(chain.Module.Audit, e => e.Name == "redeem" && e.Action == old.ActionId && e.Requester == "m1");
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
    }

    /// <summary>A holder's own signed request (signature checked at admission) runs the same redemption flow, once per
    /// nonce, and leaves the nonce unused when refused; replay and snapshots agree.</summary>
    [Fact]
    public void HolderRedeem_SignedRequest_BurnsIntoPayoutListOncePerNonceAndRefusalsChangeNothing()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 300)));
        var seconds = chain.State.NextTimestamp / 1_000_000_000UL;
        var nonce = Hash32.Sha256([7]);
        ResultCode Run(HolderRedeem h) => chain.Apply(chain.State.NextTimestamp, Command.Of(h))[0];
        var request = new HolderRedeem(1, Alice, 120, "IBAN DE89", nonce, seconds + 3600);

        Assert.Equal(ResultCode.ExceedsBalance, Run(request with { Amount = 301 }));
        Assert.Equal(ResultCode.AuthorizationExpired, Run(request with { Deadline = seconds - 1 }));
        Assert.Equal(ResultCode.Paused, RunPaused(chain, () => Run(request)));
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(new SetAccountFrozen(1, Alice, true))));
        Assert.Equal(ResultCode.AccountFrozen, Run(request));
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(new SetAccountFrozen(1, Alice, false))));
        Assert.Equal((UInt128)300, chain.Module.Supply(1));
        Assert.Equal(AuthorizationState.Unused, chain.State.GetAuthorizationState(1, Alice, nonce));

        Assert.Equal(ResultCode.Ok, Run(request));
        Assert.Equal((UInt128)180, chain.Module.Supply(1));
        var r = chain.Module.RedemptionById(HolderRedeem.IdOf(1, Alice, nonce))!;
        Assert.Equal((Alice, (UInt128)120, "IBAN DE89", HolderRedeem.Requester), (r.Holder, r.Amount, r.PayTo, r.RequestedBy));
        Assert.Equal(BusinessCalendar.WeekendsOnly.AddBusinessDays(r.RequestedAt, 2), r.Deadline); // GENIUS: 2 business days (OCC proposal)
        Assert.Equal(AuthorizationState.Used, chain.State.GetAuthorizationState(1, Alice, nonce));
        Assert.Equal(ResultCode.AuthorizationUsed, Run(request));
        Assert.Equal(ResultCode.Ok, chain.One(new MarkPayoutPaid(chain.NextId(), "rm", r.Id, "WIRE-10", "")));

        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.SnapshotRoundTrip().ComputeStateHash());
    }

    private static ResultCode RunPaused(Chain chain, Func<ResultCode> run)
    {
        Assert.Equal(ResultCode.Ok, chain.One(new SetPaused(chain.NextId(), "pz", 1, true)));
        var code = run();
        Assert.Equal(ResultCode.Ok, chain.One(new SetPaused(chain.NextId(), "pz", 1, false)));
        return code;
    }

    [Fact]
    public void DeadlineOf_FridayRequest_DueMonday()
    {
        var friday = (ulong)(new DateTime(2026, 12, 4, 15, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;
        Assert.Equal(new DateOnly(2026, 12, 7), IssuanceModule.DateOf(IssuanceModule.DeadlineOf(friday, 0)));
        Assert.Equal(friday + 5_000_000_000UL, IssuanceModule.DeadlineOf(friday, 5));
    }

    [Fact]
    public void SnapshotAndReplay_ReproduceStateByteForByte()
    {
        var chain = Funded(250);
        var bill = new TreasuryBill
        {
            Id = "bill",
            Currency = "USD",
            ValuedOn = Today,
            Identifier = SecurityIdentifier.Parse("912797LB1"),
            IssuingGovernment = "US",
            IssueDate = Today.AddDays(-2),
            MaturityDate = Today.AddDays(178),
            FaceValue = 5000,
            Price = Price.Of(99, 100),
        };
        var fund = new GovernmentMoneyMarketFund { Id = "mmf", Currency = "USD", ValuedOn = Today, Name = "Gov Fund", Units = 1_000, UnitDecimals = 2, NavPerUnit = 100, HoldsOnlyEligibleAssets = true };
        var repo = new OvernightRepo
        {
            Id = "repo",
            Currency = "USD",
            ValuedOn = Today,
            Counterparty = "FICC",
            Principal = 100,
            CollateralDescription = "bills",
            Collateral = CollateralKind.TreasuryBills,
            CollateralValue = 103,
            TradeDate = Today,
            MaturityDate = Today.AddDays(1),
            Custodian = "BNY",
        };
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, bill)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, fund)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, repo)));
        Assert.Equal(ResultCode.Ok, chain.One(new UpdateHolding(chain.NextId(), "rm", 1, bill with { Price = Price.Of(995, 1000) })));
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 200)));
        var pending = new Mint(chain.NextId(), "m1", 1, "W1", Bob, 300);
        Assert.Equal(ResultCode.Ok, chain.One(pending));
        // A minter's redemption from before LedgerRules.HolderSignedRedemption: snapshots and replay keep it as it was.
        Assert.Equal(ResultCode.Ok, chain.ApplyUnder(LedgerRules.ModulesOnIssuedCoins, chain.State.NextTimestamp, Command.Of(new Redeem(chain.NextId(), "m1", 1, Alice, 50, "acct")))[0].Code);
        Assert.Equal(ResultCode.Ok, chain.One(new SetPaused(chain.NextId(), "pz", 1, true)));
        Assert.Equal(ResultCode.Ok, chain.One(new SetPolicy(chain.NextId(), "admin", true)));

        var hash = chain.State.ComputeStateHash();
        var copy = chain.SnapshotRoundTrip();
        Assert.Equal(hash, copy.ComputeStateHash());
        var module = copy.Module<IssuanceModule>()!;
        Assert.Equal(ActionStatus.Pending, module.Action(pending.ActionId)!.Status);
        Assert.Equal(CoinGuard.Paused | CoinGuard.SupplyManaged, copy.GetCoinGuard(1));
        Assert.Equal(chain.Module.Audit, module.Audit);
        Assert.Equal(chain.Module.NextDeadline, module.NextDeadline);

        var replayed = chain.Replay();
        Assert.Equal(hash, replayed.ComputeStateHash());
    }

    [Fact]
    public void Commands_RoundTripThroughEncoding()
    {
        var bank = new BankDeposit
        {
            Id = "t",
            Currency = "USD",
            ValuedOn = Today,
            Bank = "B",
            AccountReference = "A",
            Amount = 5,
            Kind = DepositKind.Term,
            PlacedOn = Today,
            Maturity = Today.AddDays(30),
        };
        IssuanceCommand[] commands =
        [
            new AddOperator(1, "admin", "x", Key("x"), OperatorRoles.Auditor | OperatorRoles.Pauser),
            new SetOperatorRoles(2, "admin", "x", OperatorRoles.None),
            new ConfigureCoin(3, "admin", 1, ReserveRegime.HongKong, 60, 7, true),
            new ConfigureMinter(4, "mm", 1, "m", 10, 5, 60),
            new RecordDeposit(5, "rm", 1, "B", "R", 9, Today, "h"),
            new Mint(6, "m", 1, "R", Alice, 3),
            new Approve(7, "m2", 6),
            new Reject(8, "m2", 6, "no"),
            new Redeem(9, "m", 1, Bob, 2, "acct"),
            new MarkPayoutPaid(10, "rm", 9, "ref", ""),
            new SetPaused(11, "pz", 1, true),
            new AddHolding(12, "rm", 1, bank),
            new UpdateHolding(13, "rm", 1, bank with { Amount = 6 }),
            new RemoveHolding(14, "rm", 1, "t"),
            new SetPolicy(15, "admin", true),
            new SetFrozen(16, "ap", 1, Alice, true),
            new SetGovernance(17, "system", true),
            new RotateKey(18, "m", "m", Key("m-new")),
            new Seize(19, "ap", 1, Alice, Bob, 5, "court order 7"),
            new LawfulOrder(20, "ap", 1, LawfulOrderKind.Seize, Alice, Bob, 5, "court order 8", LawfulOrderReason.CourtOrder),
            new LawfulOrder(21, "ap", 1, LawfulOrderKind.Freeze, Alice, default, 0, "OFAC SDN 2026-12", LawfulOrderReason.Sanctions),
        ];
        foreach (var command in commands)
        {
            var encoded = Command.Of(command);
            var bytes = new byte[encoded.EncodedLength];
            encoded.WriteTo(bytes);
            Assert.Equal(command, Command.Read(bytes, out _).Body);
        }
    }

    /// <summary>A fresh chain in the default multi-operator mode with a coin, reserves and a deposit of 1,000.</summary>
    private static Chain MultiOperator()
    {
        var chain = new Chain();
        Assert.Equal([ResultCode.Ok], chain.Apply(Start, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))));
        Assert.False(chain.Module.SingleOperator);
        return chain;
    }

    private static void Pending(Chain chain, IssuanceCommand command)
    {
        Assert.Equal(ResultCode.Ok, chain.One(command));
        Assert.Equal(ActionStatus.Pending, chain.Module.Action(command.ActionId)!.Status);
    }

    [Fact]
    public void MultiOperator_OneAdminBypass_EveryStepRefused()
    {
        var chain = MultiOperator();

        // 1. The admin alone cannot add operators (nor approve its own request).
        var addBoth = new AddOperator(chain.NextId(), "admin", "m1", Key("m1"), OperatorRoles.Minter | OperatorRoles.MinterManager);
        Pending(chain, addBoth);
        Assert.Equal(ResultCode.SelfApproval, chain.One(new Approve(chain.NextId(), "admin", addBoth.ActionId)));

        // 2. It may seat a co-admin alone (genesis), but that admin is controlled by it and approves nothing of its own.
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "a2", Key("a2"), OperatorRoles.Admin)));
        Assert.Equal("admin", chain.Module.Operators.Single(o => o.Id == "a2").ControlledBy);
        Assert.StartsWith("genesis seat", chain.Module.Audit[^1].Detail, StringComparison.Ordinal);
        Assert.Equal(ResultCode.ApproverNotIndependent, chain.One(new Approve(chain.NextId(), "a2", addBoth.ActionId)));

        // 3. Seats stay open while no independent admin exists, but every seat is controlled by the admin: a3 cannot
        //    approve a2's requests either (one controller for both), nor can the admin.
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "a3", Key("a3"), OperatorRoles.Admin)));
        var byA2 = new AddOperator(chain.NextId(), "a2", "m2", Key("m2"), OperatorRoles.Minter);
        Pending(chain, byA2);
        Assert.Equal(ResultCode.ApproverNotIndependent, chain.One(new Approve(chain.NextId(), "a3", byA2.ActionId)));
        Assert.Equal(ResultCode.ApproverNotIndependent, chain.One(new Approve(chain.NextId(), "admin", byA2.ActionId)));

        // 4. Thresholds: lowering mintApprovalAbove or setting it to never alone waits for approval; turning approvals off is refused.
        var lower = new ConfigureCoin(chain.NextId(), "admin", 1, ReserveRegime.Genius, 0, 1, false);
        Pending(chain, lower);
        Pending(chain, new ConfigureCoin(chain.NextId(), "admin", 1, ReserveRegime.Genius, 0, UInt128.MaxValue, false));
        Assert.Equal(ResultCode.ApproverNotIndependent, chain.One(new Approve(chain.NextId(), "a2", lower.ActionId)));
        Assert.Equal(ResultCode.SingleOperatorModeOff, chain.One(new SetPolicy(chain.NextId(), "admin", false)));

        Assert.DoesNotContain(chain.Module.Operators, o => o.Id is "m1" or "m2");
        Assert.Null(chain.Module.Coin(1));
        Assert.Equal(UInt128.Zero, chain.Module.Supply(1));
        Assert.All(chain.Module.Actions.Where(a => a.Command is not AddOperator { Roles: OperatorRoles.Admin }), a => Assert.Equal(ActionStatus.Pending, a.Status));
    }

    [Fact]
    public void MultiOperator_IndependentAdmin_Approves_ControlledPairCannotMintAboveThreshold()
    {
        var chain = MultiOperator();
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "a2", Key("a2"), OperatorRoles.Admin)));
        // a2 rotates its own key: nobody else knows it now, so it is independent of the bootstrap admin.
        Assert.Equal(ResultCode.Ok, chain.One(new RotateKey(chain.NextId(), "a2", "a2", Key("a2-own"))));
        Assert.Equal("", chain.Module.Operators.Single(o => o.Id == "a2").ControlledBy);
        Assert.Null(chain.Module.OperatorByKeyHash(Key("a2")));
        Assert.Equal("a2", chain.Module.OperatorByKeyHash(Key("a2-own"))!.Id);

        void Approved(IssuanceCommand command)
        {
            Pending(chain, command);
            Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "a2", command.ActionId)));
            Assert.Equal(ActionStatus.Executed, chain.Module.Action(command.ActionId)!.Status);
        }

        Approved(new AddOperator(chain.NextId(), "admin", "m1", Key("m1"), OperatorRoles.Minter | OperatorRoles.MinterManager));
        Approved(new AddOperator(chain.NextId(), "admin", "m2", Key("m2"), OperatorRoles.Minter));
        Approved(new AddOperator(chain.NextId(), "admin", "rm", Key("rm"), OperatorRoles.ReserveManager));
        Approved(new ConfigureCoin(chain.NextId(), "admin", 1, ReserveRegime.Genius, 0, 100, false));
        var bank = new BankDeposit { Id = "bny", Currency = "USD", ValuedOn = Today, Bank = "BNY", AccountReference = "1", Amount = 0, InsuredInstitution = true, Segregated = true };
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, bank)));
        Assert.Equal(ResultCode.Ok, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "BNY", "W1", 1000, Today, "bny")));

        // m1 holds minter and minter_manager: it cannot set its own allowance, approved or not.
        Assert.Equal(ResultCode.OwnAllowance, chain.One(new ConfigureMinter(chain.NextId(), "m1", 1, "m1", 1_000_000, 0, 0)));
        // It may set m2's; that waits for an admin independent of both (a2).
        var m2Allowance = new ConfigureMinter(chain.NextId(), "m1", 1, "m2", 1_000, 0, 0);
        Pending(chain, m2Allowance);
        Assert.Equal(ResultCode.ApproverNotIndependent, chain.One(new Approve(chain.NextId(), "admin", m2Allowance.ActionId)));
        Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "a2", m2Allowance.ActionId)));

        // m2 mints above the threshold; m1 (same controller) cannot approve it; supply stays 0.
        var mint = new Mint(chain.NextId(), "m2", 1, "W1", Alice, 500);
        Pending(chain, mint);
        Assert.Equal(ResultCode.ApproverNotIndependent, chain.One(new Approve(chain.NextId(), "m1", mint.ActionId)));
        Assert.Equal(UInt128.Zero, chain.Module.Supply(1));

        // Once m1 rotates its own key the admin no longer knows it, and its approval counts.
        Assert.Equal(ResultCode.Ok, chain.One(new RotateKey(chain.NextId(), "m1", "m1", Key("m1-own"))));
        Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "m1", mint.ActionId)));
        Assert.Equal((UInt128)500, chain.Module.Supply(1));
        Assert.Equal("approved", chain.Module.Audit[^1].Event);
        Assert.Equal("m1", chain.Module.Audit[^1].Approver);

        // An admin rotating another operator's key takes control of it again (it saw the new key).
        var rotateM1 = new RotateKey(chain.NextId(), "admin", "m1", Key("m1-by-admin"));
        Pending(chain, rotateM1);
        Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "a2", rotateM1.ActionId)));
        Assert.Equal("admin", chain.Module.Operators.Single(o => o.Id == "m1").ControlledBy);
        Assert.Null(chain.Module.OperatorByKeyHash(Key("m1-own")));
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(new RotateKey(chain.NextId(), "a2", "admin", Key("take-over"))));

        var hash = chain.State.ComputeStateHash();
        Assert.Equal(hash, chain.SnapshotRoundTrip().ComputeStateHash());
        Assert.Equal(hash, chain.Replay().ComputeStateHash());
    }

    /// <summary>Seats two asset_protection operators and mints 300 to Alice.</summary>
    private static Chain WithAssetProtection()
    {
        var chain = Funded(UInt128.MaxValue);
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "ap", Key("ap"), OperatorRoles.AssetProtection)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "ap2", Key("ap2"), OperatorRoles.AssetProtection)));
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "W1", Alice, 300)));
        return chain;
    }

    /// <summary>The total of a proof-of-liabilities tree over the coin's holder balances now.</summary>
    private static UInt128 Liabilities(Chain chain) =>
        LiabilitiesTree.Build("NUSD", chain.State.Height, LiabilitiesTree.HolderBalances(chain.State, 1), new byte[32]).Root.Total;

    private static LawfulOrder Order(Chain chain, LawfulOrderKind kind, Address account, UInt128 amount = default, Address to = default, string requester = "ap") =>
        new(chain.NextId(), requester, 1, kind, account, to, amount, "court order 2026-17", LawfulOrderReason.CourtOrder);

    /// <summary>Asks (ap) and approves (ap2) a lawful order; both must be accepted.</summary>
    private static void Effective(Chain chain, LawfulOrder order)
    {
        Pending(chain, order);
        Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "ap2", order.ActionId)));
    }

    [Fact]
    public void Seize_NeedsASecondOperator_MovesFrozenBalance_InAuditTrail()
    {
        var chain = WithAssetProtection();
        Effective(chain, Order(chain, LawfulOrderKind.Freeze, Alice));

        Assert.Equal(ResultCode.SeizeTargetInvalid, chain.One(Order(chain, LawfulOrderKind.Seize, Alice, 100, Alice)));
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(Order(chain, LawfulOrderKind.Seize, Alice, 100, Bob, requester: "m1")));
        var seize = Order(chain, LawfulOrderKind.Seize, Alice, 100, Bob);
        Pending(chain, seize); // always, whatever the mode
        chain.State.TryGetAccount(1, Alice, out var alice);
        Assert.Equal((Int128)300, alice.Balance);
        Assert.Equal(ResultCode.SelfApproval, chain.One(new Approve(chain.NextId(), "ap", seize.ActionId)));
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(new Approve(chain.NextId(), "m2", seize.ActionId)));
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(new Approve(chain.NextId(), "admin", seize.ActionId))); // no admin stands in
        var height = chain.State.Height + 1;
        Assert.Equal(ResultCode.Ok, chain.One(new Approve(chain.NextId(), "ap2", seize.ActionId)));

        chain.State.TryGetAccount(1, Alice, out alice);
        chain.State.TryGetAccount(1, Bob, out var bob);
        Assert.Equal((Int128)200, alice.Balance);
        Assert.True(alice.IsFrozen); // still frozen after the order ran
        Assert.Equal((Int128)100, bob.Balance);
        var record = chain.Module.LawfulOrderById(seize.ActionId)!;
        Assert.Equal((LawfulOrderStatus.Effective, "ap2", height), (record.Status, record.Decider, record.EffectiveHeight));
        Assert.Contains(chain.Module.Audit, e => e.Event == "pending_approval" && e.Name == "seize" && e.Requester == "ap" && e.Detail.Contains("court order 2026-17", StringComparison.Ordinal));
        Assert.Contains(chain.Module.Audit, e => e.Event == "approved" && e.Name == "seize" && e.Approver == "ap2" && e.Height == height);
    }

    /// <summary>
    /// Freeze, seize and burn keep the books consistent: a frozen balance stays in the supply (and the liabilities), a
    /// seizure moves coins without changing supply, a burn lowers supply by exactly its amount while reserves stay; the
    /// freeze record says why; snapshots and replay reproduce every decision and the state hash.
    /// </summary>
    [Fact]
    public void FreezeSeizeBurn_SupplyReservesAndLiabilitiesStayConsistent_ReplayReproducesEveryDecision()
    {
        var chain = WithAssetProtection();
        var reserves = chain.Module.CoverageOf(1, Today).EligibleReserves;
        var freeze = Order(chain, LawfulOrderKind.Freeze, Alice);
        Effective(chain, freeze);
        Assert.Equal((UInt128)300, chain.Module.Supply(1));
        Assert.Equal((UInt128)300, chain.Module.FrozenBalance(1));
        Assert.Equal((UInt128)300, Liabilities(chain)); // frozen coins are still owed
        var why = chain.Module.FreezeOf(1, Alice)!;
        Assert.Equal((freeze.ActionId, "court order 2026-17", LawfulOrderReason.CourtOrder), (why.OrderAction, why.Reference, why.Reason));

        Assert.Equal(ResultCode.AccountAlreadyFrozen, chain.One(Order(chain, LawfulOrderKind.Freeze, Alice)));
        Assert.Equal(ResultCode.AccountNotFrozen, chain.One(Order(chain, LawfulOrderKind.Unfreeze, Bob)));
        Assert.Equal(ResultCode.LawfulOrderInvalid, chain.One(Order(chain, LawfulOrderKind.Burn, Alice, 10, Bob)));
        Assert.Equal(ResultCode.LawfulOrderInvalid, chain.One(Order(chain, LawfulOrderKind.Freeze, Bob, 10)));
        Assert.Equal(ResultCode.LawfulOrderInvalid, chain.One(Order(chain, LawfulOrderKind.Burn, Alice) with { }));
        Assert.Equal(ResultCode.LawfulOrderInvalid, chain.One(Order(chain, LawfulOrderKind.Freeze, Bob) with { Reference = " " }));
        Assert.Equal(ResultCode.LawfulOrderInvalid, chain.One(Order(chain, LawfulOrderKind.Freeze, Bob) with { Reason = (LawfulOrderReason)99 }));
        Assert.Equal(ResultCode.ExceedsBalance, chain.One(Order(chain, LawfulOrderKind.Burn, Alice, 301)));

        Effective(chain, Order(chain, LawfulOrderKind.Seize, Alice, 100, Bob));
        Assert.Equal((UInt128)300, chain.Module.Supply(1));
        Effective(chain, Order(chain, LawfulOrderKind.Burn, Alice, 50));
        Assert.Equal((UInt128)250, chain.Module.Supply(1));
        Assert.Equal((UInt128)50, chain.Module.BurnedByOrder(1));
        Assert.Equal((UInt128)150, chain.Module.FrozenBalance(1));
        Assert.Equal(reserves, chain.Module.CoverageOf(1, Today).EligibleReserves); // a burn pays nobody out of reserves
        Assert.Equal(chain.Module.Supply(1), Liabilities(chain));

        // A rejected order never takes effect; an unfreeze lifts the reason with the freeze.
        var rejected = Order(chain, LawfulOrderKind.Burn, Bob, 10);
        Pending(chain, rejected);
        Assert.Equal(ResultCode.Ok, chain.One(new Reject(chain.NextId(), "ap2", rejected.ActionId, "wrong holder")));
        Assert.Equal(LawfulOrderStatus.Rejected, chain.Module.LawfulOrderById(rejected.ActionId)!.Status);
        Effective(chain, Order(chain, LawfulOrderKind.Unfreeze, Alice) with { Reason = LawfulOrderReason.OrderLifted });
        Assert.Null(chain.Module.FreezeOf(1, Alice));
        Effective(chain, Order(chain, LawfulOrderKind.Freeze, Bob) with { Reason = LawfulOrderReason.Sanctions });

        var hash = chain.State.ComputeStateHash();
        var moduleBytes = ModuleBytes(chain.Module);
        foreach (var again in new[] { chain.Replay(), chain.SnapshotRoundTrip() })
        {
            Assert.Equal(hash, again.ComputeStateHash());
            var module = again.Module<IssuanceModule>()!;
            Assert.Equal(moduleBytes, ModuleBytes(module));
            Assert.Equal(chain.Module.LawfulOrders().ToList(), module.LawfulOrders().ToList());
            Assert.Equal(LawfulOrderReason.Sanctions, module.FreezeOf(1, Bob)!.Reason);
            Assert.Null(module.FreezeOf(1, Alice));
        }
    }

    /// <summary>
    /// Under <see cref="LedgerRules.LawfulOrders"/> one operator's freeze or seizure is refused (nothing changes, nothing
    /// audited); the same commands in blocks sealed under older rules still apply and replay.
    /// </summary>
    [Fact]
    public void OnePersonFreezeOrSeize_RefusedUnderCurrentRules_OldBlocksStillApplyAndReplay()
    {
        var chain = WithAssetProtection();
        var audit = chain.Module.Audit.Count;
        Assert.Equal(ResultCode.LawfulOrderRequired, chain.One(new SetFrozen(chain.NextId(), "ap", 1, Alice, true)));
        Assert.Equal(ResultCode.LawfulOrderRequired, chain.One(new Seize(chain.NextId(), "ap", 1, Alice, Bob, 5, "order")));
        chain.State.TryGetAccount(1, Alice, out var alice);
        Assert.False(alice.IsFrozen);
        Assert.Equal(audit, chain.Module.Audit.Count);

        Assert.Equal(ResultCode.Ok, chain.ApplyUnder(LedgerRules.NoIssuanceOfSandboxCoins, chain.State.NextTimestamp, Command.Of(new SetFrozen(chain.NextId(), "ap", 1, Alice, true)))[0].Code);
        chain.State.TryGetAccount(1, Alice, out alice);
        Assert.True(alice.IsFrozen);
        Assert.Null(chain.Module.FreezeOf(1, Alice)); // frozen, but by no lawful order: the holder sees no reason
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
    }
}
