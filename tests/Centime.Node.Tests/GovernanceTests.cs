using System.Net.Http.Headers;
using System.Net.Http.Json;
using Centime.Client;
using static Centime.Node.Tests.IssuanceTests;

namespace Centime.Node.Tests;

/// <summary>
/// Who may change what, over REST on a real node (docs/issuance.md, "Governance"): the default multi-operator policy
/// against one admin holding several keys, key rotation, and lawful orders (seize) with maker-checker.
/// </summary>
public sealed class GovernanceTests
{
    private static async Task<ActionOutcome> PendingAsync(Issuer issuer, string who, string path, object body)
    {
        var outcome = await issuer.OkAsync<ActionOutcome>(who, path, body);
        Assert.Equal("pending_approval", outcome.Status);
        return outcome;
    }

    private static async Task ApprovedByAsync(Issuer issuer, string approver, ActionOutcome pending) =>
        Assert.Equal("approved", (await issuer.OkAsync<ActionOutcome>(approver, $"v1/issuance/approvals/{pending.Action}/approve")).Status);

    private static async Task<string> RotateOwnKeyAsync(Issuer issuer, string who)
    {
        var outcome = await issuer.OkAsync<ActionOutcome>(who, $"v1/issuance/operators/{who}/key", new RotateKeyRequest());
        Assert.Equal("executed", outcome.Status);
        var old = issuer.Keys[who];
        issuer.Keys[who] = outcome.Key!;
        return old;
    }

    [Fact]
    public async Task OneAdminBypass_DefaultPolicy_EveryStepRefusedWithCode_NothingMinted()
    {
        await using var issuer = await Issuer.StartAsync(setup: false, singleOperator: false);
        await issuer.Node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"));
        var policy = await issuer.GetAsync<GovernanceInfo>(null, "v1/issuance/policy");
        Assert.Equal(("multi_operator", false, true), (policy.Mode, policy.Sandbox, policy.AdminChangesNeedApproval));

        // 1. The bootstrap admin asks for an operator with minter + minter_manager: it waits; the admin cannot approve it.
        var addBoth = await PendingAsync(issuer, "admin", "v1/issuance/operators", new AddOperatorRequest("m1", ["minter", "minter_manager"]));
        issuer.Keys["m1"] = addBoth.Key!;
        Assert.Equal("self_approval", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, $"v1/issuance/approvals/{addBoth.Action}/approve")).Code);
        Assert.Equal("unauthorized", (await issuer.ProblemAsync(401, "m1", HttpMethod.Get, "v1/issuance/whoami")).Code);

        // 2. A co-admin it seats alone (genesis) is controlled by it: that admin's approval does not count.
        var seat = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators", new AddOperatorRequest("a2", ["admin"]));
        Assert.Equal("executed", seat.Status);
        issuer.Keys["a2"] = seat.Key!;
        Assert.Equal("approver_not_independent", (await issuer.ProblemAsync(403, "a2", HttpMethod.Post, $"v1/issuance/approvals/{addBoth.Action}/approve")).Code);

        // 3. Lowering the mint approval threshold, or setting it to never, waits too; the controlled co-admin cannot approve.
        var lower = await PendingAsync(issuer, "admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { MintApprovalAbove = "1" });
        var never = await PendingAsync(issuer, "admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { MintApprovalAbove = "never" });
        Assert.Equal("approver_not_independent", (await issuer.ProblemAsync(403, "a2", HttpMethod.Post, $"v1/issuance/approvals/{lower.Action}/approve")).Code);
        Assert.Equal("approver_not_independent", (await issuer.ProblemAsync(403, "a2", HttpMethod.Post, $"v1/issuance/approvals/{never.Action}/approve")).Code);

        // 4. Turning approvals off is refused outright in multi-operator mode.
        Assert.Equal("single_operator_mode_off",
            (await issuer.ProblemAsync(422, "admin", HttpMethod.Post, "v1/issuance/policy", new PolicyRequest(false))).Code);

        var operators = (await issuer.GetAsync<Page<OperatorInfo>>("admin", "v1/issuance/operators")).Items;
        var a2 = Assert.Single(operators);
        Assert.Equal(("a2", "admin", "admin"), (a2.Id, a2.CreatedBy, a2.ControlledBy));
        var coin = await issuer.GetAsync<CoinIssuanceInfo>(null, "v1/issuance/coins/NUSD");
        Assert.Equal(("never", "0"), (coin.MintApprovalAbove, coin.Supply));
        var audit = await issuer.GetAsync<Page<AuditEntryInfo>>("admin", "v1/issuance/audit?limit=1000");
        Assert.Contains(audit.Items, e => e.Event == "pending_approval" && e.Name == "add_operator" && e.Requester == "admin");
        Assert.Contains(audit.Items, e => e.Event == "pending_approval" && e.Name == "configure_coin" && e.Requester == "admin");
        Assert.Contains(audit.Items, e => e.Event == "executed" && e.Name == "add_operator" && e.Detail.StartsWith("genesis seat", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PairCreatedByOneAdmin_CannotMintAboveThreshold_NorRaiseOwnAllowance()
    {
        await using var issuer = await Issuer.StartAsync(setup: false, singleOperator: false);
        await issuer.Node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"));
        var seat = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators", new AddOperatorRequest("a2", ["admin"]));
        issuer.Keys["a2"] = seat.Key!;
        // a2 rotates its own key: the bootstrap admin no longer knows it, so a2 is a second person; the old key is refused.
        var oldA2 = await RotateOwnKeyAsync(issuer, "a2");
        issuer.Keys["a2-old"] = oldA2;
        Assert.Equal("unauthorized", (await issuer.ProblemAsync(401, "a2-old", HttpMethod.Get, "v1/issuance/whoami")).Code);

        foreach (var (id, roles) in new[] { ("m1", new[] { "minter", "minter_manager" }), ("m2", new[] { "minter" }), ("rm", new[] { "reserve_manager" }) })
        {
            var add = await PendingAsync(issuer, "admin", "v1/issuance/operators", new AddOperatorRequest(id, roles));
            issuer.Keys[id] = add.Key!;
            await ApprovedByAsync(issuer, "a2", add);
        }

        await ApprovedByAsync(issuer, "a2", await PendingAsync(issuer, "admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { MintApprovalAbove = "100" + Whole }));
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves", Bank("bny", "0"));
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/deposits",
            new DepositRequest { Bank = "BNY", Reference = "W-1", Amount = "1000" + Whole, ValueDate = Today, Holding = "bny" });

        // An operator holding minter and minter_manager cannot raise its own allowance.
        Assert.Equal("own_allowance", (await issuer.ProblemAsync(403, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/minters",
            new MinterRequest { Minter = "m1", Allowance = "1000" + Whole })).Code);
        var allowance = await PendingAsync(issuer, "m1", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m2", Allowance = "1000" + Whole });
        Assert.Equal("approver_not_independent", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, $"v1/issuance/approvals/{allowance.Action}/approve")).Code);
        await ApprovedByAsync(issuer, "a2", allowance);

        // m2 mints above the threshold; m1, created by the same admin, cannot approve it: nothing is minted.
        var mint = await PendingAsync(issuer, "m2", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "W-1", To = Holders.Alice, Amount = "500" + Whole });
        Assert.Equal("approver_not_independent", (await issuer.ProblemAsync(403, "m1", HttpMethod.Post, $"v1/issuance/approvals/{mint.Action}/approve")).Code);
        Assert.Equal("0", (await issuer.Node.Anonymous.GetCoinAsync("NUSD")).Supply);
        Assert.Equal("pending_approval", (await issuer.GetAsync<ActionInfo>("a2", $"v1/issuance/actions/{mint.Action}")).Status);
    }

    [Fact]
    public async Task BootstrapKeyRotation_OldKeyRefusedEverywhere_AlsoAfterRestart()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var issuer = await Issuer.StartAsync(data, setup: false, singleOperator: false);
        {
            var outcome = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators/admin/key", new RotateKeyRequest());
            Assert.Equal(("executed", "rotate_key"), (outcome.Status, outcome.Name));
            issuer.Keys["new"] = outcome.Key!;
            Assert.Equal("unauthorized", (await issuer.ProblemAsync(401, "admin", HttpMethod.Get, "v1/issuance/whoami")).Code);
            Assert.Equal("admin", (await issuer.GetAsync<WhoAmI>("new", "v1/issuance/whoami")).Operator);
            // The ledger's own endpoints follow the rotation too.
            using var coin = await issuer.SendAsync("admin", HttpMethod.Post, "v1/coins", new CreateCoinRequest("OLDK", "USD"));
            Assert.Equal(401, (int)coin.StatusCode);
            using var created = await issuer.SendAsync("new", HttpMethod.Post, "v1/coins", new CreateCoinRequest("NEWK", "USD"));
            Assert.Equal(201, (int)created.StatusCode);
            var audit = await issuer.GetAsync<Page<AuditEntryInfo>>("new", "v1/issuance/audit?limit=1000");
            Assert.Contains(audit.Items, e => e.Name == "rotate_key" && e.Requester == "admin" && e.Event == "executed");
            await issuer.Node.StopAsync(); // keeps the data directory
        }

        // Restarted with the old key configured, the node still refuses it: the journal holds the rotation.
        await using var again = await Issuer.StartAsync(data, setup: false, singleOperator: false);
        Assert.Equal("unauthorized", (await again.ProblemAsync(401, "admin", HttpMethod.Get, "v1/issuance/whoami")).Code);
    }

    [Fact]
    public async Task Seize_NeedsTwoOperators_MovesFrozenHolderCoins_InAuditTrail()
    {
        await using var issuer = await Issuer.StartAsync();
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves", Bank("bny", "0"));
        await issuer.OkAsync<ActionOutcome>("mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m1", Allowance = "1000" + Whole });
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/deposits",
            new DepositRequest { Bank = "BNY", Reference = "W-1", Amount = "1000" + Whole, ValueDate = Today, Holding = "bny" });
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "W-1", To = Holders.Alice, Amount = "300" + Whole });
        await issuer.OrderAsync("freeze", Holders.Alice);

        var order = new LawfulOrderRequest { Kind = "seize", Account = Holders.Alice, To = Holders.Carol, Amount = "120" + Whole, Reference = "Court order 2026-CV-17", Reason = "court_order" };
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/orders", order)).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, "v1/issuance/coins/NUSD/orders", order)).Code);
        var seize = await PendingAsync(issuer, "ap", "v1/issuance/coins/NUSD/orders", order);
        Assert.Equal("300000000", (await issuer.Node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single(b => b.Coin == "NUSD").Balance);
        Assert.Equal("self_approval", (await issuer.ProblemAsync(403, "ap", HttpMethod.Post, $"v1/issuance/approvals/{seize.Action}/approve")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "m2", HttpMethod.Post, $"v1/issuance/approvals/{seize.Action}/approve")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, $"v1/issuance/approvals/{seize.Action}/approve")).Code);
        await ApprovedByAsync(issuer, "ap2", seize);

        var alice = (await issuer.Node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single(b => b.Coin == "NUSD");
        var carol = (await issuer.Node.Anonymous.GetAccountAsync(Holders.Carol)).Balances.Single(b => b.Coin == "NUSD");
        Assert.Equal(("180000000", true), (alice.Balance, alice.Frozen));
        Assert.Equal("120000000", carol.Balance);
        var audit = await issuer.AuditAsync();
        Assert.Contains(audit.Items, e => e.Name == "seize" && e.Event == "pending_approval" && e.Requester == "ap" && e.Detail.Contains("Court order 2026-CV-17", StringComparison.Ordinal));
        Assert.Contains(audit.Items, e => e.Name == "seize" && e.Event == "approved" && e.Requester == "ap" && e.Approver == "ap2");
    }

    private static async Task<HttpResponseMessage> OperatorTransferAsync(TestNode node, string coin, string debit, string credit, string amount) =>
        await node.PostRawAsync("v1/transfers", $$"""{"transfers":[{"id":"{{Ids.Next()}}","coin":"{{coin}}","debit":"{{debit}}","credit":"{{credit}}","amount":"{{amount}}"}]}""");

    [Fact]
    public async Task BootstrapKey_OutsideSandbox_CannotMintUnbackedCoin_NorDebitHolder_NothingMoves()
    {
        await using var issuer = await Issuer.StartAsync();
        var policy = await issuer.GetAsync<GovernanceInfo>(null, "v1/issuance/policy");
        Assert.Equal(("single_operator", false), (policy.Mode, policy.Sandbox));

        // A coin nobody set up in issuance: the operator key cannot mint it, and cannot make it a sandbox coin.
        var free = await issuer.Node.Client.CreateCoinAsync(new CreateCoinRequest("FREE", "USD"));
        Assert.False(free.Sandbox);
        using (var mint = await OperatorTransferAsync(issuer.Node, "FREE", free.SupplyAccount, Holders.Alice, "1000000000"))
        {
            Assert.Equal(403, (int)mint.StatusCode);
            Assert.Equal("mint_requires_issuance", (await issuer.Node.ReadProblemAsync(mint)).Code);
        }

        using (var play = await issuer.Node.PostRawAsync("v1/coins", """{"symbol":"PLAY","currency":"USD","sandbox":true}"""))
        {
            Assert.Equal(422, (int)play.StatusCode);
            Assert.Equal("sandbox_mode_off", (await issuer.Node.ReadProblemAsync(play)).Code);
        }

        Assert.Equal("0", (await issuer.Node.Anonymous.GetCoinAsync("FREE")).Supply);
        Assert.Equal("coin_not_found", (await issuer.Node.ReadProblemAsync(await issuer.Node.Http.GetAsync("v1/coins/PLAY"))).Code);

        // An issued holder: the operator key cannot debit it; a batch is refused whole, naming the first such transfer.
        await FundAsync(issuer, "1000");
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "300" + Whole });
        var height = (await issuer.Node.Anonymous.GetHealthAsync()).Height;
        using (var debit = await OperatorTransferAsync(issuer.Node, "NUSD", Holders.Alice, Holders.Bob, "1"))
        {
            Assert.Equal(403, (int)debit.StatusCode);
            var problem = await issuer.Node.ReadProblemAsync(debit);
            Assert.Equal(("holder_signature_required", 0), (problem.Code, problem.Index));
        }

        using (var hold = await issuer.Node.PostRawAsync("v1/transfers",
            $$"""{"transfers":[{"id":"{{Ids.Next()}}","coin":"FREE","debit":"{{free.SupplyAccount}}","credit":"{{Holders.Bob}}","amount":"1"},{"id":"{{Ids.Next()}}","coin":"NUSD","debit":"{{Holders.Alice}}","credit":"{{Holders.Bob}}","amount":"5"}]}"""))
        {
            var problem = await issuer.Node.ReadProblemAsync(hold);
            Assert.Equal(("mint_requires_issuance", 0), (problem.Code, problem.Index));
        }

        Assert.Equal(height, (await issuer.Node.Anonymous.GetHealthAsync()).Height);
        var alice = (await issuer.Node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single(b => b.Coin == "NUSD");
        Assert.Equal(("300000000", "300000000"), (alice.Balance, alice.Available));
        Assert.Empty((await issuer.Node.Anonymous.GetAccountAsync(Holders.Bob)).Balances);
        Assert.Equal("ok", await AlicePaysBobAsync(issuer.Node, "1")); // her own signature still moves her coins
    }

    [Fact]
    public async Task SandboxNode_OperatorMintsOnlySandboxCoins_ShownAsSuch()
    {
        await using var node = await TestNode.StartSandboxAsync();
        Assert.True((await node.Http.GetFromJsonAsync<GovernanceInfo>("v1/issuance/policy", new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)))!.Sandbox);
        var play = await node.CoinWithHoldersAsync("PLAY", 1_000, Holders.Alice);
        Assert.True(play.Sandbox);
        Assert.True((await node.Anonymous.GetCoinAsync("PLAY")).Sandbox);
        var moved = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "PLAY", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "10" }]);
        Assert.Equal("ok", moved.Results[0].Result);

        // A coin created as not a sandbox coin follows the rules of any node.
        var real = await node.Client.CreateCoinAsync(new CreateCoinRequest("REAL", "USD") { Sandbox = false });
        Assert.False(real.Sandbox);
        using var mint = await OperatorTransferAsync(node, "REAL", real.SupplyAccount, Holders.Alice, "1");
        Assert.Equal("mint_requires_issuance", (await node.ReadProblemAsync(mint)).Code);
    }

    [Fact]
    public async Task SandboxCoin_AfterRestartWithoutSandbox_OperatorCannotMoveIt()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var sandbox = await TestNode.StartSandboxAsync(data);
        var play = await sandbox.CoinWithHoldersAsync("PLAY", 1_000, Holders.Alice);
        await sandbox.StopAsync();

        await using var node = await TestNode.StartAsync(data);
        Assert.True((await node.Anonymous.GetCoinAsync("PLAY")).Sandbox);
        using var mint = await OperatorTransferAsync(node, "PLAY", play.SupplyAccount, Holders.Alice, "1");
        Assert.Equal("sandbox_mode_off", (await node.ReadProblemAsync(mint)).Code);
        Assert.Equal("1000", (await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
    }

    [Fact]
    public async Task FreezeOrder_OperatorKeyRefused_TwoAssetProtectionOperatorsFreeze_InTheAuditTrail()
    {
        await using var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true);
        await node.CoinWithHoldersAsync("PLAY", 100, Holders.Alice);
        var height = (await node.Anonymous.GetHealthAsync()).Height;
        using (var refused = await node.PostRawAsync("v1/issuance/coins/PLAY/orders", $$"""{"kind":"freeze","account":"{{Holders.Alice}}","reference":"R-1","reason":"fraud"}"""))
        {
            Assert.Equal(403, (int)refused.StatusCode);
            Assert.Equal("forbidden_role", (await node.ReadProblemAsync(refused)).Code);
        }

        Assert.Equal(height, (await node.Anonymous.GetHealthAsync()).Height);
        Assert.False((await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Frozen);

        await node.FreezeAsync(Holders.Alice, "PLAY", true);
        Assert.True((await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Frozen);
        await node.FreezeAsync(Holders.Alice, "PLAY", false);
        Assert.False((await node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Frozen);

        var audit = await node.Client.GetAuditAsync(limit: 1000);
        var entries = audit.Items.Where(e => e.Name is "freeze" or "unfreeze").ToList();
        Assert.Equal([("freeze", "pending_approval"), ("freeze", "approved"), ("unfreeze", "pending_approval"), ("unfreeze", "approved")], entries.Select(e => (e.Name, e.Event)));
        Assert.All(entries, e => Assert.Equal(("asset-protection", "PLAY"), (e.Requester, e.Coin)));
        Assert.All(entries.Where(e => e.Event == "approved"), e => Assert.Equal("asset-protection-2", e.Approver));
        Assert.Contains(Holders.Alice, entries[0].Detail, StringComparison.OrdinalIgnoreCase);
    }

    private sealed record IssuerKeyView(string Address, ulong SinceHeight, ulong? UntilHeight);

    private sealed record IssuerView(string Address, IReadOnlyList<IssuerKeyView> Keys);

    [Fact]
    public async Task IssuerKeyRotation_NeedsASecondAdmin_Audited_OldReportsStillVerifyUnderTheOldKey()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        string first, second;
        byte[] oldReport;
        var issuer = await Issuer.StartAsync(data, setup: false, singleOperator: false);
        {
            var node = issuer.Node;
            await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1") { Sandbox = false });
            var month = DateTime.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
            var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
            first = (await node.Http.GetFromJsonAsync<IssuerView>("v1/issuer", json))!.Address;
            oldReport = await node.Http.GetByteArrayAsync($"v1/coins/NUSD/reports/monthly?month={month}");
            Assert.Equal((true, first), (DisclosureSignature.Verify(oldReport).IsValid, DisclosureSignature.Verify(oldReport).Signer));

            // The bootstrap admin asks: it waits, and the same admin (or one it controls) cannot approve it.
            var rotation = await PendingAsync(issuer, "admin", "v1/issuance/issuer-key", new { });
            Assert.Equal("self_approval", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, $"v1/issuance/approvals/{rotation.Action}/approve")).Code);
            var seat = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators", new AddOperatorRequest("a2", ["admin"]));
            issuer.Keys["a2"] = seat.Key!;
            Assert.Equal("approver_not_independent", (await issuer.ProblemAsync(403, "a2", HttpMethod.Post, $"v1/issuance/approvals/{rotation.Action}/approve")).Code);
            Assert.Equal(first, (await node.Http.GetFromJsonAsync<IssuerView>("v1/issuer", json))!.Address);

            // An independent admin (its own key now) approves: from this block on, the new key signs.
            await RotateOwnKeyAsync(issuer, "a2");
            await ApprovedByAsync(issuer, "a2", rotation);
            var now = (await node.Http.GetFromJsonAsync<IssuerView>("v1/issuer", json))!;
            second = now.Address;
            Assert.NotEqual(first, second);
            Assert.Equal([first, second], now.Keys.Select(k => k.Address));
            Assert.Equal((0UL, now.Keys[1].SinceHeight), (now.Keys[0].SinceHeight, now.Keys[0].UntilHeight!.Value));
            Assert.Null(now.Keys[1].UntilHeight);

            var newReport = await node.Http.GetByteArrayAsync($"v1/coins/NUSD/reports/monthly?month={month}");
            Assert.Equal((true, second), (DisclosureSignature.Verify(newReport).IsValid, DisclosureSignature.Verify(newReport).Signer));
            Assert.True(DisclosureSignature.Verify(oldReport, Centime.Ledger.Address.Parse(first)).IsValid); // signed before: still the old key's
            Assert.False(DisclosureSignature.Verify(oldReport, Centime.Ledger.Address.Parse(second)).IsValid);

            var audit = await issuer.GetAsync<Page<AuditEntryInfo>>("admin", "v1/issuance/audit?limit=1000");
            Assert.Contains(audit.Items, e => e.Name == "rotate_issuer_key" && e.Event == "pending_approval" && e.Requester == "admin" && e.Detail.Contains(first, StringComparison.OrdinalIgnoreCase));
            Assert.Contains(audit.Items, e => e.Name == "rotate_issuer_key" && e.Event == "approved" && e.Approver == "a2");
            await node.StopAsync(); // keeps the data directory
        }

        // After a restart (journal replay and the key files): the new key still signs, the history is the same.
        await using var again = await TestNode.StartAsync(data);
        var after = (await again.Http.GetFromJsonAsync<IssuerView>("v1/issuer", new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)))!;
        Assert.Equal(second, after.Address);
        Assert.Equal([first, second], after.Keys.Select(k => k.Address));
        Assert.True(File.Exists(Path.Combine(data, "issuer-retired-" + first.ToLowerInvariant() + ".key")));
    }
}
