using Centime.Ledger;

namespace Centime.Compliance.Tests;

/// <summary>The ledger's screening hook with the compliance module, block by block (docs/compliance.md).</summary>
public sealed class ScreeningTests
{
    private static readonly Address Alice = ComplianceChain.Holder(1);
    private static readonly Address Bob = ComplianceChain.Holder(2);
    private static readonly Address Listed = ComplianceChain.Holder(666);

    [Fact]
    public void ListLoad_FreezesAListedHolder_RefusesBothDirections_DelistingDoesNotUnfreeze_AlertsCountAttempts()
    {
        var chain = new ComplianceChain();
        ComplianceChain.Ok(chain.Apply(0, chain.Mint(Alice, 1_000), chain.Mint(Listed, 500)));
        ComplianceChain.Ok(chain.Apply(0, chain.List(Listed)));
        Assert.True(chain.State.TryGetAccount(1, Listed, out var account) && account.IsFrozen);

        Assert.Equal(
            [ResultCode.SanctionedAddress, ResultCode.SanctionedAddress, ResultCode.SanctionedAddress, ResultCode.Ok],
            chain.Apply(0, chain.Transfer(Listed, Bob, 1), chain.Transfer(Alice, Listed, 1), chain.Mint(Listed, 1), chain.Transfer(Alice, Bob, 1)));
        Assert.Equal(ResultCode.SanctionedAddress, chain.State.CheckMovable(1, Listed));
        Assert.Equal(ResultCode.Ok, chain.State.CheckMovable(1, Alice));

        var alerts = chain.Compliance.Alerts;
        Assert.Contains(alerts, a => a is { Kind: "sanctions_holder_frozen" } && a.Address == Listed);
        var hit = Assert.Single(alerts, a => a.Kind == "sanctions_hit");
        Assert.Equal((Listed, 3UL, "issuer"), (hit.Address, hit.Attempts, hit.Lists));

        // A read outside a block records nothing.
        Assert.Equal(ResultCode.SanctionedAddress, chain.State.CheckMovable(1, Listed));
        Assert.Equal(3UL, chain.Compliance.Alerts.Single(a => a.Kind == "sanctions_hit").Attempts);

        // Delisted: the screen lets it through, the freeze stays until asset protection lifts it.
        ComplianceChain.Ok(chain.Apply(0, chain.List()));
        Assert.Equal([ResultCode.AccountFrozen], chain.Apply(0, chain.Transfer(Listed, Bob, 1)));
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.SnapshotRoundTrip().ComputeStateHash());
    }

    [Fact]
    public void BlocksUnderOlderRules_AreNotScreened_AndReplayAsApplied()
    {
        var chain = new ComplianceChain();
        ComplianceChain.Ok(chain.Apply(0, chain.Mint(Alice, 1_000)));
        ComplianceChain.Ok(chain.Apply(0, chain.List(Listed)));
        var old = chain.ApplyUnder(LedgerRules.Screening - 1, 0, chain.Transfer(Alice, Listed, 10));
        Assert.Equal(ResultCode.Ok, old[0].Code);
        Assert.Equal([ResultCode.SanctionedAddress], chain.Apply(0, chain.Transfer(Alice, Listed, 10)));
        var replayed = chain.Replay();
        Assert.Equal(chain.State.ComputeStateHash(), replayed.ComputeStateHash());
        Assert.True(replayed.TryGetAccount(1, Listed, out var listed) && listed.Balance == 10);
    }

    [Fact]
    public void AHoldMadeBeforeListing_CannotBePostedToAListedPayee_ButCanBeVoided()
    {
        var chain = new ComplianceChain();
        ComplianceChain.Ok(chain.Apply(0, chain.Mint(Alice, 1_000)));
        var hold = chain.Transfer(Alice, Bob, 100, TransferFlags.Pending);
        ComplianceChain.Ok(chain.Apply(0, hold));
        ComplianceChain.Ok(chain.Apply(0, chain.List(Bob)));
        var post = Command.Of(new Transfer { Id = 900, PendingId = hold.Transfer.Id, Flags = TransferFlags.PostPending });
        Assert.Equal([ResultCode.SanctionedAddress], chain.Apply(0, post));
        var @void = Command.Of(new Transfer { Id = 901, PendingId = hold.Transfer.Id, Flags = TransferFlags.VoidPending });
        Assert.Equal([ResultCode.Ok], chain.Apply(0, @void));
        Assert.True(chain.State.TryGetAccount(1, Alice, out var alice) && alice.Balance == 1_000 && alice.DebitsPending == 0);
    }

    [Fact]
    public void ListLoads_ByAnOperatorWithoutTheRole_OrUnsorted_AreRefused_AndChangeNothing()
    {
        var chain = new ComplianceChain();
        var stranger = Command.Of(new LoadSanctionsList("stranger", SanctionsSource.Issuer, "v1", "", Hash32.Sha256("x"u8), true, [Listed]));
        var unsorted = Command.Of(new LoadSanctionsList(ComplianceChain.Officer, SanctionsSource.Issuer, "v1", "", Hash32.Sha256("x"u8), true, [.. new[] { Alice, Bob }.OrderDescending()]));
        var duplicated = Command.Of(new LoadSanctionsList(ComplianceChain.Officer, SanctionsSource.Issuer, "v1", "", Hash32.Sha256("x"u8), true, [Alice, Alice]));
        Assert.Equal([ResultCode.ForbiddenRole, ResultCode.SanctionsListInvalid, ResultCode.SanctionsListInvalid], chain.Apply(0, stranger, unsorted, duplicated));
        Assert.Empty(chain.Compliance.Lists);
        Assert.Equal(0, chain.Compliance.BlockedCount);
        Assert.Equal(ComplianceModuleBytes(new ComplianceChain()), ComplianceModuleBytes(chain));
    }

    [Fact]
    public void LinkedChain_RolledBackByALaterLimit_GivesBackTheTurnoverItCounted()
    {
        var chain = new ComplianceChain();
        ComplianceChain.Ok(chain.Apply(0, chain.Mint(Alice, 100_000)));
        var tier = new KycTier(1_000, 1_500, 10_000, 100_000);
        ComplianceChain.Ok(chain.Apply(0, Command.Of(new ConfigureKycLimits(ComplianceChain.Officer, 1, true, 0, [tier]))));

        // 800 then 800: the second breaks Alice's daily 1,500, so the chain rolls back, and 800 of today is not counted.
        var codes = chain.Apply(0, chain.Transfer(Alice, Bob, 800, TransferFlags.Linked), chain.Transfer(Alice, Bob, 800));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.KycDailyLimitExceeded], codes);
        Assert.Equal((UInt128.Zero, UInt128.Zero), chain.Compliance.Turnover(1, Alice, chain.Now));
        Assert.Equal([ResultCode.Ok, ResultCode.KycTransferLimitExceeded], chain.Apply(0, chain.Transfer(Alice, Bob, 1_000), chain.Transfer(Alice, Bob, 1_001)));
        Assert.Equal(((UInt128)1_000, (UInt128)1_000), chain.Compliance.Turnover(1, Alice, chain.Now));
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
    }

    private static byte[] ComplianceModuleBytes(ComplianceChain chain) => Centime.Testing.LedgerChain.Bytes(chain.Compliance);
}
