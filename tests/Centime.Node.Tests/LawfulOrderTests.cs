using Centime.Client;
using Centime.Issuance;
using Centime.Ledger;
using static Centime.Node.Tests.IssuanceTests;

namespace Centime.Node.Tests;

/// <summary>
/// Lawful orders over REST on a real node (docs/compliance.md, "Lawful orders"): freeze, unfreeze, seize and burn each
/// need two different asset_protection operators, take effect in the approving block, are audited with their reference
/// and reason, show the holder why it is frozen, and keep supply, reserves and the proof of liabilities consistent.
/// </summary>
public sealed class LawfulOrderTests
{
    private static async Task<Issuer> IssuedAsync()
    {
        var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000");
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "300" + Whole });
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Bob, Amount = "200" + Whole });
        return issuer;
    }

    [Fact]
    public async Task FreezeOrder_SameOperatorCannotApprove_EffectiveAtApprovingBlock_HolderSeesWhy()
    {
        await using var issuer = await IssuedAsync();
        var request = new LawfulOrderRequest { Kind = "freeze", Account = Holders.Alice, Reference = "OFAC SDN 2026-12-01 #4471", Reason = "sanctions" };
        using var ap = new CentimeClient(new Uri(issuer.Node.BaseUrl), issuer.Keys["ap"]);
        using var ap2 = new CentimeClient(new Uri(issuer.Node.BaseUrl), issuer.Keys["ap2"]);
        var order = await ap.RequestLawfulOrderAsync("NUSD", request);
        Assert.Equal(("pending_approval", "freeze"), (order.Status, order.Name));

        // Nothing happened yet, and the requester cannot make it happen; nor can an admin or another role.
        Assert.False((await issuer.Node.Anonymous.GetFreezeStatusAsync("NUSD", Holders.Alice)).Frozen);
        Assert.Equal("self_approval", (await issuer.ProblemAsync(403, "ap", HttpMethod.Post, $"v1/issuance/approvals/{order.Action}/approve")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, $"v1/issuance/approvals/{order.Action}/approve")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "pz", HttpMethod.Post, $"v1/issuance/approvals/{order.Action}/approve")).Code);
        Assert.Equal("ok", await AlicePaysBobAsync(issuer.Node, "1"));

        var approved = await ap2.ApproveAsync(order.Action);
        Assert.Equal(("approved", "ap", "ap2"), (approved.Status, approved.Requester, approved.Approver));
        Assert.Equal("account_frozen", await AlicePaysBobAsync(issuer.Node, "1"));

        // The holder (anyone, no key) sees that and why, and from which block.
        var status = await issuer.Node.Anonymous.GetFreezeStatusAsync("NUSD", Holders.Alice);
        Assert.Equal((true, "sanctions", "OFAC SDN 2026-12-01 #4471", order.Action, approved.Height), (status.Frozen, status.Reason, status.OrderReference, status.OrderAction, status.SinceHeight));
        Assert.Equal("299999999", status.Balance); // Alice paid Bob 1 minor unit before the order took effect
        var bob = await issuer.Node.Anonymous.GetFreezeStatusAsync("NUSD", Holders.Bob);
        Assert.Equal((false, (string?)null, (string?)null), (bob.Frozen, bob.Reason, bob.OrderReference));

        var listed = (await ap.ListLawfulOrdersAsync("NUSD", "effective")).Items.Single();
        Assert.Equal((order.Action, "effective", "ap", "ap2", (ulong?)approved.Height, "sanctions"), (listed.Action, listed.Status, listed.Requester, listed.Decider, listed.EffectiveHeight, listed.Reason));
        Assert.Empty((await ap.ListLawfulOrdersAsync("NUSD", "pending")).Items);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "m1", HttpMethod.Get, "v1/issuance/coins/NUSD/orders")).Code);

        var audit = (await issuer.AuditAsync()).Items.Where(e => e.Action == order.Action).ToList();
        Assert.Equal([("pending_approval", "ap", (string?)null), ("approved", "ap", "ap2")], audit.Select(e => (e.Event, e.Requester, e.Approver)));
        Assert.All(audit, e => Assert.Contains("OFAC SDN 2026-12-01 #4471", e.Detail, StringComparison.Ordinal));
        Assert.All(audit, e => Assert.Contains("sanctions", e.Detail, StringComparison.Ordinal));
        Assert.Equal(approved.Height, audit[1].Height);
    }

    [Fact]
    public async Task FrozenCoins_StayCountedAsBackedLiabilities_InSupplyProofAndTransparencyPage()
    {
        await using var issuer = await IssuedAsync();
        var before = await issuer.FiguresAsync();
        var coverage = (await issuer.Node.Anonymous.GetCoinIssuanceAsync("NUSD")).Coverage;
        await issuer.OrderAsync("freeze", Holders.Alice, "HCA 1234/2026", "court_order");

        Assert.Equal(before, await issuer.FiguresAsync()); // supply 500, reserves unchanged: nothing netted out
        var info = await issuer.Node.Anonymous.GetCoinIssuanceAsync("NUSD");
        Assert.Equal(("500" + Whole, "300" + Whole), (info.Supply, info.FrozenBalance));
        Assert.Equal(coverage, info.Coverage); // 1,000 eligible over 500 owed, frozen or not

        var published = await LiabilitiesApiTests.PublishAsync(issuer.Node, "NUSD");
        Assert.Equal((UInt128)500_000_000, published.Root.Total);
        var proof = LiabilityProofJson.Parse(await issuer.Node.Anonymous.GetLiabilityProofJsonAsync("NUSD", Holders.Alice));
        Assert.Equal((UInt128)300_000_000, proof.Balance);
        Assert.True(LiabilityProofVerifier.Verify(proof, published.Root).IsValid); // the frozen holder is in the tree, and its path adds up

        var html = await issuer.Node.Http.GetStringAsync("transparency/NUSD");
        Assert.Contains("500.00 NUSD", html, StringComparison.Ordinal);
        Assert.Contains("<span id=\"frozen-amount\">300.00 NUSD</span>", html, StringComparison.Ordinal);
        Assert.Contains(coverage!, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeizeAndBurn_KeepSupplyReservesAndLiabilitiesConsistent_ReplayReproducesEveryDecisionAndStateHash()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        string before;
        Hash32 hash;
        Dictionary<string, string> keys;
        var issuer = await Issuer.StartAsync(data);
        try
        {
            await FundAsync(issuer, "1000");
            await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "300" + Whole });
            var (_, eligible, total) = await issuer.FiguresAsync();
            await issuer.OrderAsync("freeze", Holders.Alice);

            // Refused at the door with a field code, and by the module with its own code: nothing waits for approval.
            var pending = (await issuer.GetAsync<Page<ActionInfo>>("aud", "v1/issuance/approvals")).Items.Count;
            Assert.Equal("invalid_field", (await issuer.ProblemAsync(400, "ap", HttpMethod.Post, "v1/issuance/coins/NUSD/orders",
                new LawfulOrderRequest { Kind = "burn", Account = Holders.Alice, To = Holders.Carol, Amount = "1", Reference = "R", Reason = "fraud" })).Code);
            Assert.Equal("invalid_field", (await issuer.ProblemAsync(400, "ap", HttpMethod.Post, "v1/issuance/coins/NUSD/orders",
                new LawfulOrderRequest { Kind = "freeze", Account = Holders.Bob, Reference = "R", Reason = "because" })).Code);
            Assert.Equal("missing_field", (await issuer.ProblemAsync(400, "ap", HttpMethod.Post, "v1/issuance/coins/NUSD/orders",
                new LawfulOrderRequest { Kind = "seize", Account = Holders.Alice, Amount = "1", Reference = "R", Reason = "fraud" })).Code);
            Assert.Equal("seize_target_invalid", (await issuer.ProblemAsync(422, "ap", HttpMethod.Post, "v1/issuance/coins/NUSD/orders",
                new LawfulOrderRequest { Kind = "seize", Account = Holders.Alice, To = Holders.Alice, Amount = "1", Reference = "R", Reason = "fraud" })).Code);
            Assert.Equal("exceeds_balance", (await issuer.ProblemAsync(422, "ap", HttpMethod.Post, "v1/issuance/coins/NUSD/orders",
                new LawfulOrderRequest { Kind = "burn", Account = Holders.Alice, Amount = "301" + Whole, Reference = "R", Reason = "fraud" })).Code);
            Assert.Equal("account_already_frozen", (await issuer.ProblemAsync(409, "ap", HttpMethod.Post, "v1/issuance/coins/NUSD/orders",
                new LawfulOrderRequest { Kind = "freeze", Account = Holders.Alice, Reference = "R", Reason = "fraud" })).Code);
            Assert.Equal(pending, (await issuer.GetAsync<Page<ActionInfo>>("aud", "v1/issuance/approvals")).Items.Count);

            var seized = await issuer.OrderAsync("seize", Holders.Alice, "Seizure warrant 26-MJ-0042", "law_enforcement", to: Holders.Carol, amount: "100" + Whole);
            Assert.Equal(("300" + Whole, eligible, total), await issuer.FiguresAsync()); // a seizure moves coins, it does not change supply
            await issuer.OrderAsync("burn", Holders.Alice, "Forfeiture order 2026-77", "court_order", amount: "50" + Whole);
            Assert.Equal(("250" + Whole, eligible, total), await issuer.FiguresAsync()); // supply falls, reserves stay
            var info = await issuer.Node.Anonymous.GetCoinIssuanceAsync("NUSD");
            Assert.Equal(("50" + Whole, "150" + Whole), (info.BurnedByOrder, info.FrozenBalance));
            var published = await LiabilitiesApiTests.PublishAsync(issuer.Node, "NUSD");
            Assert.Equal((UInt128)250_000_000, published.Root.Total);
            Assert.Equal("150000000", (await issuer.Node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Balance);
            Assert.Equal("100000000", (await issuer.Node.Anonymous.GetAccountAsync(Holders.Carol)).Balances.Single().Balance);
            var transfer = (await issuer.GetAsync<Page<LawfulOrderInfo>>("aud", "v1/issuance/coins/NUSD/orders")).Items.Single(o => o.Kind == "seize").Transfer!;
            var moved = await issuer.Node.Anonymous.GetTransferAsync(transfer);
            Assert.Equal((Holders.Alice, Holders.Carol, "100000000"), (moved.Debit, moved.Credit, moved.Amount));
            Assert.Equal(seized.Height, moved.Height);

            before = await issuer.StateJsonAsync() + string.Join('\n', (await issuer.GetAsync<Page<LawfulOrderInfo>>("aud", "v1/issuance/coins/NUSD/orders")).Items)
                + await issuer.Node.Anonymous.GetFreezeStatusAsync("NUSD", Holders.Alice);
            keys = new Dictionary<string, string>(issuer.Keys);
            using (issuer.Node.Node.Context.Sequencer.ReadLock())
            {
                hash = issuer.Node.Node.Context.Sequencer.State.ComputeStateHash();
            }
        }
        finally
        {
            await issuer.Node.StopAsync();
        }

        foreach (var snapshot in Directory.GetFiles(data, "snapshot-*.snap", SearchOption.AllDirectories))
        {
            File.Delete(snapshot); // replay every block from the journal
        }

        await using var again = await Issuer.StartAsync(data, setup: false);
        foreach (var (k, v) in keys)
        {
            again.Keys[k] = v;
        }

        Assert.Equal(before, await again.StateJsonAsync() + string.Join('\n', (await again.GetAsync<Page<LawfulOrderInfo>>("aud", "v1/issuance/coins/NUSD/orders")).Items)
            + await again.Node.Anonymous.GetFreezeStatusAsync("NUSD", Holders.Alice));
        using (again.Node.Node.Context.Sequencer.ReadLock())
        {
            Assert.True(hash == again.Node.Node.Context.Sequencer.State.ComputeStateHash(), "after a replay");
        }
    }
}
