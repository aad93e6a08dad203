using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Centime.Client;

namespace Centime.Node.Tests;

/// <summary>The issuance API end to end over loopback HTTP (docs/issuance.md).</summary>
public sealed partial class IssuanceTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    internal const string Whole = "000000"; // 6 decimals

    /// <summary>A node with NUSD and one operator per role (keys kept here).</summary>
    internal sealed class Issuer : IAsyncDisposable
    {
        public required TestNode Node { get; init; }
        public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal) { ["admin"] = TestNode.OperatorKey };

        public static async Task<Issuer> StartAsync(string? data = null, bool setup = true, bool singleOperator = true)
        {
            var node = await TestNode.StartAsync(data, o => o.SingleOperator = singleOperator);
            var issuer = new Issuer { Node = node };
            if (setup)
            {
                await node.Client.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"));
                foreach (var (id, role) in new[] { ("mm", "minter_manager"), ("m1", "minter"), ("m2", "minter"), ("rm", "reserve_manager"), ("aud", "auditor"), ("pz", "pauser"), ("ap", "asset_protection"), ("ap2", "asset_protection") })
                {
                    var outcome = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators", new AddOperatorRequest(id, [role]));
                    Assert.Equal("executed", outcome.Status);
                    issuer.Keys[id] = outcome.Key!;
                }
            }

            return issuer;
        }

        public async Task<HttpResponseMessage> SendAsync(string? who, HttpMethod method, string path, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (who is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Keys[who]);
            }

            if (body is not null)
            {
                request.Content = body is string raw
                    ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json")
                    : JsonContent.Create(body, body.GetType(), options: Json);
            }

            using var http = new HttpClient { BaseAddress = new Uri(Node.BaseUrl) };
            return await http.SendAsync(request);
        }

        public async Task<T> OkAsync<T>(string? who, string path, object? body = null)
        {
            using var response = await SendAsync(who, body is null && !path.Contains("/pause", StringComparison.Ordinal) && !path.Contains("/approve", StringComparison.Ordinal) && !path.Contains("/reject", StringComparison.Ordinal) && !path.Contains("unpause", StringComparison.Ordinal) ? HttpMethod.Get : HttpMethod.Post, path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<T>(text, Json)!;
        }

        public async Task<T> GetAsync<T>(string? who, string path)
        {
            using var response = await SendAsync(who, HttpMethod.Get, path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<T>(text, Json)!;
        }

        public async Task<Problem> ProblemAsync(int status, string? who, HttpMethod method, string path, object? body = null)
        {
            using var response = await SendAsync(who, method, path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"{path}: expected {status}, got {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return JsonSerializer.Deserialize<Problem>(text, Json)!;
        }

        public async Task<(string Supply, string Eligible, string Total)> FiguresAsync()
        {
            var coin = await Node.Anonymous.GetCoinAsync("NUSD");
            var reserves = await GetAsync<ReservesInfo>(null, "v1/issuance/coins/NUSD/reserves");
            Assert.Equal(coin.Supply, reserves.Supply);
            return (coin.Supply, reserves.Eligible, reserves.Total);
        }

        /// <summary>A lawful order (<paramref name="kind"/> freeze, unfreeze, seize, burn) requested by ap and approved by ap2; the approval's outcome.</summary>
        public async Task<ActionOutcome> OrderAsync(string kind, string account, string reference = "Court order 2026-CV-17", string reason = "court_order", string? to = null, string? amount = null, string coin = "NUSD")
        {
            var order = await OkAsync<ActionOutcome>("ap", $"v1/issuance/coins/{coin}/orders",
                new LawfulOrderRequest { Kind = kind, Account = account, To = to, Amount = amount, Reference = reference, Reason = reason });
            Assert.Equal("pending_approval", order.Status);
            var approved = await OkAsync<ActionOutcome>("ap2", $"v1/issuance/approvals/{order.Action}/approve");
            Assert.Equal("approved", approved.Status);
            return approved;
        }

        public Task<Page<AuditEntryInfo>> AuditAsync() => GetAsync<Page<AuditEntryInfo>>("aud", "v1/issuance/audit?limit=1000");

        public async Task<string> StateJsonAsync()
        {
            var parts = new List<string>
            {
                JsonSerializer.Serialize(await GetAsync<ReservesInfo>(null, "v1/issuance/coins/NUSD/reserves?asOf=2026-12-01"), Json),
                JsonSerializer.Serialize(await GetAsync<CoinIssuanceInfo>(null, "v1/issuance/coins/NUSD"), Json),
                JsonSerializer.Serialize(await GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions"), Json),
                JsonSerializer.Serialize(await GetAsync<Page<DepositInfo>>("aud", "v1/issuance/coins/NUSD/deposits"), Json),
                JsonSerializer.Serialize(await GetAsync<Page<OperatorInfo>>("aud", "v1/issuance/operators"), Json),
                JsonSerializer.Serialize(await GetAsync<Page<ActionInfo>>("aud", "v1/issuance/approvals?status=all"), Json),
                JsonSerializer.Serialize(await AuditAsync(), Json),
            };
            return string.Join('\n', parts);
        }

        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }

    // Holders.Alice's key (the second Hardhat/Anvil default account).
    internal static readonly HolderSigner AliceSigner = new(Convert.FromHexString("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"));

    /// <summary>Alice pays Bob with her own EIP-3009 signature (the operator key debits no holder): "ok" or the refusal's code.</summary>
    internal static async Task<string> AlicePaysBobAsync(TestNode node, string amount)
    {
        var coin = await node.Anonymous.GetCoinAsync("NUSD");
        var auth = AliceSigner.SignAuthorization(coin.Domain, Centime.Ledger.Address.Parse(Holders.Bob), UInt128.Parse(amount, CultureInfo.InvariantCulture), 0,
            (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);
        using var response = await node.Http.PostAsJsonAsync("v1/coins/NUSD/transfer-with-authorization", auth, Json);
        return response.IsSuccessStatusCode ? "ok" : (await node.ReadProblemAsync(response)).Code;
    }

    // Holders.Bob's key (the third Hardhat/Anvil default account).
    private static readonly HolderSigner BobSigner = new(Convert.FromHexString("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"));

    /// <summary>The holder redeems with its own EIP-712 signature (no operator key can): the redemption, or the refusal's code.</summary>
    internal static async Task<(RedemptionInfo? Redemption, string Code)> HolderRedeemsAsync(TestNode node, HolderSigner holder, string amount, string payTo, string coin = "NUSD")
    {
        var info = await node.Anonymous.GetCoinAsync(coin);
        var signed = holder.SignRedemption(info.Domain, UInt128.Parse(amount, CultureInfo.InvariantCulture), payTo, (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);
        try
        {
            return ((await node.Anonymous.RedeemAsync(coin, signed)).Redemption, "ok");
        }
        catch (CentimeApiException e)
        {
            return (null, e.Code);
        }
    }

    /// <summary><see cref="HolderRedeemsAsync"/> that must succeed.</summary>
    internal static async Task<RedemptionInfo> RedeemOkAsync(TestNode node, HolderSigner holder, string amount, string payTo)
    {
        var (redemption, code) = await HolderRedeemsAsync(node, holder, amount, payTo);
        Assert.True(redemption is not null, "redemption refused: " + code);
        return redemption;
    }

    internal static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Day(int offset) => DateTime.UtcNow.AddDays(offset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static HoldingInfo Bank(string id, string amount) => new()
    {
        Type = "bank_deposit",
        Id = id,
        Bank = "Bank of New York Mellon",
        AccountReference = "NUSD-RESERVE-1",
        Amount = amount,
        Insured = true,
        Segregated = true,
    };

    internal static async Task FundAsync(Issuer issuer, string amountWhole, string reference = "WIRE-0001")
    {
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves", Bank("bny", "0"));
        await issuer.OkAsync<ActionOutcome>("mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m1", Allowance = "100000" + Whole });
        await issuer.OkAsync<ActionOutcome>("mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m2", Allowance = "100000" + Whole });
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/deposits",
            new DepositRequest { Bank = "Bank of New York Mellon", Reference = reference, Amount = amountWhole + Whole, ValueDate = Today, Holding = "bny" });
    }

    [Fact]
    public async Task EndToEnd_DepositMintApproveTransferRedeemPay_SupplyReservesAndAuditAgree()
    {
        await using var issuer = await Issuer.StartAsync();
        await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { MintApprovalAbove = "500" + Whole });
        Assert.Equal(("0", "0", "0"), await issuer.FiguresAsync());

        // 1. Deposit recorded: 1,000 NUSD of fiat at BNY raises the bank holding.
        await FundAsync(issuer, "1000");
        Assert.Equal(("0", "1000" + Whole, "1000" + Whole), await issuer.FiguresAsync());

        // 2. A small mint executes at once.
        var small = await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "300" + Whole });
        Assert.Equal("executed", small.Status);
        var mintBlock = await issuer.Node.Anonymous.GetBlockAsync(small.Height, withCommands: true);
        Assert.Equal(("issuance_mint", "ok"), (mintBlock.Commands!.Single().Kind, mintBlock.Commands!.Single().Result));
        Assert.Equal(("300" + Whole, "1000" + Whole, "1000" + Whole), await issuer.FiguresAsync());

        // 3. A large mint waits for a second minter; self-approval and the wrong role are refused.
        var large = await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Bob, Amount = "700" + Whole });
        Assert.Equal("pending_approval", large.Status);
        Assert.Equal("300" + Whole, (await issuer.FiguresAsync()).Supply);
        var pending = (await issuer.GetAsync<Page<ActionInfo>>("aud", "v1/issuance/approvals")).Items;
        Assert.Equal(large.Action, Assert.Single(pending).Action);
        Assert.Equal("self_approval", (await issuer.ProblemAsync(403, "m1", HttpMethod.Post, $"v1/issuance/approvals/{large.Action}/approve")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "rm", HttpMethod.Post, $"v1/issuance/approvals/{large.Action}/approve")).Code);
        Assert.Equal("300" + Whole, (await issuer.FiguresAsync()).Supply);
        var approved = await issuer.OkAsync<ActionOutcome>("m2", $"v1/issuance/approvals/{large.Action}/approve");
        Assert.Equal("approved", approved.Status);
        Assert.Equal("m1", approved.Requester);
        Assert.Equal("m2", approved.Approver);
        Assert.Equal(("1000" + Whole, "1000" + Whole, "1000" + Whole), await issuer.FiguresAsync());
        Assert.Equal("0", ((await issuer.GetAsync<Page<DepositInfo>>("aud", "v1/issuance/coins/NUSD/deposits")).Items).Single().Unminted);

        // 4. Holders pay each other with their own signatures; the operator key mints nothing outside issuance.
        Assert.Equal("ok", await AlicePaysBobAsync(issuer.Node, "100" + Whole));
        var coin = await issuer.Node.Anonymous.GetCoinAsync("NUSD");
        using var raw = await issuer.Node.PostRawAsync("v1/transfers",
            $$$"""{"transfers":[{"id":"{{{Ids.Next()}}}","coin":"NUSD","debit":"{{{coin.SupplyAccount}}}","credit":"{{{Holders.Alice}}}","amount":"1"}]}""");
        Assert.Equal(403, (int)raw.StatusCode);
        Assert.Equal("mint_requires_issuance", (await issuer.Node.ReadProblemAsync(raw)).Code);

        // 5. Redemption: Bob's coins are burned and a payout instruction is due within one business day.
        var redeem = await RedeemOkAsync(issuer.Node, BobSigner, "400" + Whole, "DE89370400440532013000"); // Bob signs; no operator key
        Assert.Equal(("pending", "holder"), (redeem.Status, redeem.RequestedBy));
        Assert.Equal(("600" + Whole, "1000" + Whole, "1000" + Whole), await issuer.FiguresAsync());
        Assert.Equal("400" + Whole, (await issuer.Node.Anonymous.GetAccountAsync(Holders.Bob)).Balances.Single().Balance);
        var redemption = Assert.Single((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions?status=pending")).Items);
        Assert.Equal(redeem.Id, redemption.Id);
        Assert.True(redemption.Deadline >= redemption.RequestedAt + (86_400UL * 1_000_000_000UL));
        var burn = await issuer.Node.Anonymous.GetTransferAsync(redemption.BurnTransfer);
        Assert.Equal(Holders.Bob, burn.Debit);
        Assert.Equal(coin.SupplyAccount, burn.Credit);

        // 6. The payout leaves the bank: marked paid, the holding falls by the same amount; supply = reserves again.
        var paid = await issuer.OkAsync<ActionOutcome>("rm", $"v1/issuance/redemptions/{redeem.Id}/paid", new PayoutPaidRequest { Reference = "FED-20261201-77", Holding = "bny" });
        Assert.Equal("executed", paid.Status);
        Assert.Equal(("600" + Whole, "600" + Whole, "600" + Whole), await issuer.FiguresAsync());
        Assert.Equal("paid", Assert.Single((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions?status=paid")).Items).Status);
        Assert.Equal("redemption_already_paid", (await issuer.ProblemAsync(422, "rm", HttpMethod.Post, $"v1/issuance/redemptions/{redeem.Id}/paid", new PayoutPaidRequest { Reference = "again" })).Code);

        // The audit trail tells the same story, with who requested and who approved (the redemption was Bob's own
        // signed request, not a privileged action: it is in the redemption list, requested by "holder").
        var audit = (await issuer.AuditAsync()).Items.Where(e => e.Name is "mint" or "redeem" or "mark_payout_paid" or "record_deposit").ToList();
        Assert.Equal(["record_deposit:executed:rm:", "mint:executed:m1:", "mint:pending_approval:m1:", "mint:approved:m1:m2", "mark_payout_paid:executed:rm:"],
            audit.Select(e => $"{e.Name}:{e.Event}:{e.Requester}:{e.Approver}").ToList());
        Assert.Equal(large.Action, audit[3].Action);
        Assert.All(audit, e => Assert.Equal("NUSD", e.Coin));
        var info = await issuer.GetAsync<CoinIssuanceInfo>(null, "v1/issuance/coins/NUSD");
        Assert.Equal("1000" + Whole, info.Minted);
        Assert.Equal("400" + Whole, info.Redeemed);
        Assert.Equal("100.00%", info.Coverage);
    }

    [Fact]
    public async Task Mint_EligibleReservesShort_RefusedByGateWithFigures_AndIneligibleBillListedWithReason()
    {
        await using var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000"); // the bank holding now has 1,000 (eligible)
        // A 180-day bill: ineligible under GENIUS (93-day limit), so it does not count for the gate.
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves", new HoldingInfo
        {
            Type = "treasury_bill",
            Id = "912797LB1",
            Identifier = "912797LB1",
            IssueDate = Day(-2),
            MaturityDate = Day(178),
            FaceValue = "5000" + Whole,
            Price = "0.98",
        });
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/deposits", new DepositRequest { Bank = "JPM", Reference = "WIRE-0002", Amount = "5000" + Whole, ValueDate = Today });

        var reserves = await issuer.GetAsync<ReservesInfo>(null, "v1/issuance/coins/NUSD/reserves");
        var bill = reserves.Holdings.Single(h => h.Id == "912797LB1");
        Assert.False(bill.Eligible);
        Assert.Equal("maturity_too_long", bill.Code);
        Assert.Contains("93-day", bill.Reason, StringComparison.Ordinal);
        Assert.Equal("4900" + Whole, bill.Value);
        Assert.True(reserves.Holdings.Single(h => h.Id == "bny").Eligible);
        Assert.Equal("1000" + Whole, reserves.Eligible);
        Assert.Equal("5900" + Whole, reserves.Total);

        var auditBefore = (await issuer.AuditAsync()).Items.Count;
        var problem = await issuer.ProblemAsync(422, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0002", To = Holders.Alice, Amount = "1500" + Whole });
        Assert.Equal("reserves_insufficient", problem.Code);
        Assert.Contains("1500000000", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("eligible reserves 1000000000 by 500000000", problem.Detail, StringComparison.Ordinal);
        Assert.Equal("0", (await issuer.FiguresAsync()).Supply);
        Assert.Equal(auditBefore, (await issuer.AuditAsync()).Items.Count);

        // Exactly up to the eligible reserves passes (equality is allowed).
        Assert.Equal("executed", (await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0002", To = Holders.Alice, Amount = "1000" + Whole })).Status);
        Assert.Equal("reserves_insufficient", (await issuer.ProblemAsync(422, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0002", To = Holders.Alice, Amount = "1" })).Code);
    }

    [Fact]
    public async Task Roles_And_BadInput_RefusedWithStableCodes_ChangingNothing()
    {
        await using var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000");
        var before = await issuer.StateJsonAsync();
        var height = (await issuer.Node.Anonymous.GetHealthAsync()).Height;

        Assert.Equal("unauthorized", (await issuer.ProblemAsync(401, null, HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "1" })).Code);
        issuer.Keys["bogus"] = "ck_not_a_key";
        Assert.Equal("unauthorized", (await issuer.ProblemAsync(401, "bogus", HttpMethod.Get, "v1/issuance/audit")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "aud", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "1" })).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "m1", HttpMethod.Post, "v1/issuance/operators", new AddOperatorRequest("x", ["admin"]))).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/pause")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "m1", HttpMethod.Get, "v1/issuance/audit")).Code);
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, "v1/issuance/coins/NUSD/deposits", new DepositRequest { Bank = "b", Reference = "r", Amount = "1", ValueDate = Today })).Code);

        Assert.Equal("malformed_json", (await issuer.ProblemAsync(400, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", "{\"deposit\":")).Code);
        Assert.Equal("unknown_field", (await issuer.ProblemAsync(400, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", "{\"deposit\":\"WIRE-0001\",\"to\":\"" + Holders.Alice + "\",\"amount\":\"1\",\"amuont\":\"2\"}")).Code);
        // A negative amount is out of range on every route (docs/errors.md amount_out_of_range), as on /v1/transfers.
        Assert.Equal("amount_out_of_range", (await issuer.ProblemAsync(400, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "-1" })).Code);
        Assert.Equal("amount_out_of_range", (await issuer.ProblemAsync(400, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "340282366920938463463374607431768211455" })).Code);
        Assert.Equal("missing_field", (await issuer.ProblemAsync(400, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", Amount = "1" })).Code);
        Assert.Equal("invalid_address", (await issuer.ProblemAsync(400, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = "0x1234", Amount = "1" })).Code);
        Assert.Equal("coin_not_found", (await issuer.ProblemAsync(404, "m1", HttpMethod.Post, "v1/issuance/coins/NOPE/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "1" })).Code);
        Assert.Equal("invalid_field", (await issuer.ProblemAsync(400, "rm", HttpMethod.Post, "v1/issuance/coins/NUSD/reserves", new HoldingInfo { Type = "treasury_bill", Id = "b", Identifier = "912797LB2", IssueDate = Today, MaturityDate = Day(30), FaceValue = "1" })).Code);
        Assert.Equal("invalid_field", (await issuer.ProblemAsync(400, "rm", HttpMethod.Post, "v1/issuance/coins/NUSD/deposits", new DepositRequest { Bank = "b", Reference = "r", Amount = "1", ValueDate = "01/12/2026" })).Code);
        Assert.Equal("invalid_query", (await issuer.ProblemAsync(400, "aud", HttpMethod.Get, "v1/issuance/coins/NUSD/redemptions?status=late")).Code);
        Assert.Equal(height, (await issuer.Node.Anonymous.GetHealthAsync()).Height); // nothing above reached the journal

        // Refused by the module: journaled with their code, but nothing changes.
        Assert.Equal("deposit_exists", (await issuer.ProblemAsync(409, "rm", HttpMethod.Post, "v1/issuance/coins/NUSD/deposits", new DepositRequest { Bank = "b", Reference = "WIRE-0001", Amount = "1", ValueDate = Today })).Code);
        Assert.Equal("deposit_not_found", (await issuer.ProblemAsync(404, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "NOPE", To = Holders.Alice, Amount = "1" })).Code);
        Assert.Equal("exceeds_deposit", (await issuer.ProblemAsync(422, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "1001" + Whole })).Code);
        await issuer.OkAsync<ActionOutcome>("mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m2", Allowance = "10" });
        before = await issuer.StateJsonAsync();
        Assert.Equal("exceeds_minter_allowance", (await issuer.ProblemAsync(422, "m2", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "11" })).Code);
        Assert.Equal("debit_account_not_found", (await HolderRedeemsAsync(issuer.Node, AliceSigner, "1", "x")).Code);
        Assert.Equal("approval_not_found", (await issuer.ProblemAsync(404, "m2", HttpMethod.Post, "v1/issuance/approvals/12345/approve")).Code);
        Assert.Equal("operator_not_found", (await issuer.ProblemAsync(404, "mm", HttpMethod.Post, "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "ghost", Allowance = "1" })).Code);
        Assert.Equal("operator_exists", (await issuer.ProblemAsync(409, "admin", HttpMethod.Post, "v1/issuance/operators", new AddOperatorRequest("m1", ["minter"]))).Code);
        Assert.Equal(before, await issuer.StateJsonAsync());

        // A minter's rate limit per ledger-time window.
        await issuer.OkAsync<ActionOutcome>("mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m2", Allowance = "1000" + Whole, RateLimit = "100", RateWindowSeconds = 3600 });
        await issuer.OkAsync<ActionOutcome>("m2", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "60" });
        Assert.Equal("mint_rate_limited", (await issuer.ProblemAsync(422, "m2", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "41" })).Code);

        // Whoami tells an operator who they are.
        var me = await issuer.GetAsync<WhoAmI>("rm", "v1/issuance/whoami");
        Assert.Equal(("rm", "reserve_manager"), (me.Operator, me.Roles.Single()));
    }

    [Fact]
    public async Task MakerChecker_RoleChangesAndPause_NeedSecondOperator_RejectNeverExecutes()
    {
        await using var issuer = await Issuer.StartAsync();
        var admin2 = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators", new AddOperatorRequest("admin2", ["admin"]));
        issuer.Keys["admin2"] = admin2.Key!;
        await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/policy", new PolicyRequest(true));

        var change = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/operators/aud/roles", new SetRolesRequest(["auditor", "pauser"]));
        Assert.Equal("pending_approval", change.Status);
        Assert.Equal(["auditor"], (await issuer.GetAsync<WhoAmI>("aud", "v1/issuance/whoami")).Roles);
        Assert.Equal("self_approval", (await issuer.ProblemAsync(403, "admin", HttpMethod.Post, $"v1/issuance/approvals/{change.Action}/approve")).Code);
        Assert.Equal("rejected", (await issuer.OkAsync<ActionOutcome>("admin2", $"v1/issuance/approvals/{change.Action}/reject", new DecisionRequest { Reason = "not needed" })).Status);
        Assert.Equal("approval_not_pending", (await issuer.ProblemAsync(422, "admin2", HttpMethod.Post, $"v1/issuance/approvals/{change.Action}/approve")).Code);
        Assert.Equal(["auditor"], (await issuer.GetAsync<WhoAmI>("aud", "v1/issuance/whoami")).Roles);

        // Pause with approval: a second pauser (or an admin) approves.
        var configChange = await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { PauseNeedsApproval = true });
        Assert.Equal("pending_approval", configChange.Status);
        var config = ((await issuer.GetAsync<Page<ActionInfo>>("aud", "v1/issuance/approvals")).Items).Single();
        await issuer.OkAsync<ActionOutcome>("admin2", $"v1/issuance/approvals/{config.Action}/approve");
        var pause = await issuer.OkAsync<ActionOutcome>("pz", "v1/issuance/coins/NUSD/pause");
        Assert.Equal("pending_approval", pause.Status);
        Assert.False((await issuer.GetAsync<CoinIssuanceInfo>(null, "v1/issuance/coins/NUSD")).Paused);
        await issuer.OkAsync<ActionOutcome>("admin2", $"v1/issuance/approvals/{pause.Action}/approve");
        Assert.True((await issuer.GetAsync<CoinIssuanceInfo>(null, "v1/issuance/coins/NUSD")).Paused);
        var trail = (await issuer.AuditAsync()).Items;
        Assert.Contains(trail, e => e.Name == "set_operator_roles" && e.Event == "rejected" && e.Requester == "admin" && e.Approver == "admin2");
        Assert.Contains(trail, e => e.Name == "pause" && e.Event == "approved" && e.Requester == "pz" && e.Approver == "admin2");
    }

    [Fact]
    public async Task Pause_StopsMintRedeemAndTransfers_PayoutsAndReserveUpdatesContinue()
    {
        await using var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000");
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "500" + Whole });
        var redeem = await RedeemOkAsync(issuer.Node, AliceSigner, "100" + Whole, "acct");

        Assert.Equal("executed", (await issuer.OkAsync<ActionOutcome>("pz", "v1/issuance/coins/NUSD/pause")).Status);
        Assert.Equal("paused", await AlicePaysBobAsync(issuer.Node, "1"));
        Assert.Equal("paused", (await issuer.ProblemAsync(422, "m1", HttpMethod.Post, "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "1" })).Code);
        Assert.Equal("paused", (await HolderRedeemsAsync(issuer.Node, AliceSigner, "1", "acct")).Code);

        // What continues: payouts, reserve updates, deposits, reads.
        await issuer.OkAsync<ActionOutcome>("rm", $"v1/issuance/redemptions/{redeem.Id}/paid", new PayoutPaidRequest { Reference = "W-1", Holding = "bny" });
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves/bny/value", new ValuationRequest { Amount = "950" + Whole });
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/deposits", new DepositRequest { Bank = "b", Reference = "W-2", Amount = "1", ValueDate = Today });
        Assert.Equal(("400" + Whole, "950" + Whole, "950" + Whole), await issuer.FiguresAsync());

        await issuer.OkAsync<ActionOutcome>("pz", "v1/issuance/coins/NUSD/unpause");
        Assert.Equal("ok", await AlicePaysBobAsync(issuer.Node, "1"));
    }

    [Fact]
    public async Task Freeze_ByLawfulOrder_StopsTheHolder_OthersForbidden()
    {
        await using var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000");
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "10" + Whole });
        var order = new LawfulOrderRequest { Kind = "freeze", Account = Holders.Alice, Reference = "R-1", Reason = "fraud" };
        Assert.Equal("forbidden_role", (await issuer.ProblemAsync(403, "pz", HttpMethod.Post, "v1/issuance/coins/NUSD/orders", order)).Code);
        Assert.StartsWith("freeze " + Holders.Alice, (await issuer.OrderAsync("freeze", Holders.Alice, "R-1", "fraud")).Summary, StringComparison.OrdinalIgnoreCase);
        Assert.True((await issuer.Node.Anonymous.GetAccountAsync(Holders.Alice)).Balances.Single().Frozen);
        Assert.Equal("account_frozen", await AlicePaysBobAsync(issuer.Node, "1"));
        Assert.Equal("account_frozen", (await HolderRedeemsAsync(issuer.Node, AliceSigner, "1", "x")).Code);
        await issuer.OrderAsync("unfreeze", Holders.Alice, "R-1 lifted", "order_lifted");
        Assert.Equal("ok", await AlicePaysBobAsync(issuer.Node, "1"));
        Assert.Equal(["freeze:pending_approval:ap", "freeze:approved:ap2", "unfreeze:pending_approval:ap", "unfreeze:approved:ap2"],
            (await issuer.AuditAsync()).Items.Where(e => e.Name.Contains("freeze", StringComparison.Ordinal)).Select(e => e.Name + ":" + e.Event + ":" + (e.Approver ?? e.Requester)).ToList());
    }

    [Fact]
    public async Task Redemption_DeadlinePassesUnpaid_ListedOverdueAndAudited()
    {
        await using var issuer = await Issuer.StartAsync();
        await FundAsync(issuer, "1000");
        await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { RedemptionWindowSeconds = 1 });
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "10" + Whole });
        var redeem = await RedeemOkAsync(issuer.Node, AliceSigner, "5" + Whole, "acct");
        Assert.Empty((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions?status=overdue")).Items);

        // No traffic: the sequencer seals an empty block at the deadline, and the module marks the payout overdue.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<AuditEntryInfo> overdue = [];
        while (DateTime.UtcNow < deadline && overdue.Count == 0)
        {
            await Task.Delay(200);
            overdue = (await issuer.AuditAsync()).Items.Where(e => e.Event == "payout_overdue").ToList();
        }

        Assert.Equal(redeem.Id, Assert.Single(overdue).Action);
        Assert.Equal("system", overdue[0].Requester);
        var late = Assert.Single((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions?status=overdue")).Items);
        Assert.Equal("overdue", late.Status);
        await issuer.OkAsync<ActionOutcome>("rm", $"v1/issuance/redemptions/{redeem.Id}/paid", new PayoutPaidRequest { Reference = "late-wire" });
        Assert.Equal("paid_late", Assert.Single((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions")).Items).Status);
        Assert.Empty((await issuer.GetAsync<Page<RedemptionInfo>>("aud", "v1/issuance/coins/NUSD/redemptions?status=overdue")).Items);
    }

    [Fact]
    public async Task Restart_FromSnapshotAndFromJournalReplay_ReproducesModuleState()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        string before;
        Centime.Ledger.Hash32 hash;
        ulong height;
        Dictionary<string, string> keys;
        var issuer = await Issuer.StartAsync(data);
        try
        {
            await issuer.OkAsync<ActionOutcome>("admin", "v1/issuance/coins/NUSD/config", new CoinConfigRequest { MintApprovalAbove = "100" + Whole, Regime = "mica" });
            await FundAsync(issuer, "1000");
            await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves", new HoldingInfo
            {
                Type = "overnight_repo",
                Id = "repo-1",
                Counterparty = "FICC",
                Principal = "10" + Whole,
                CollateralDescription = "UST bills",
                CollateralKind = "treasury_bills",
                CollateralValue = "11" + Whole,
                TradeDate = Today,
                MaturityDate = Day(1),
            });
            await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "50" + Whole });
            var pending = await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Bob, Amount = "200" + Whole });
            Assert.Equal("pending_approval", pending.Status);
            await RedeemOkAsync(issuer.Node, AliceSigner, "5" + Whole, "acct");
            await issuer.OkAsync<ActionOutcome>("pz", "v1/issuance/coins/NUSD/pause");
            before = await issuer.StateJsonAsync();
            keys = new Dictionary<string, string>(issuer.Keys);
            using (issuer.Node.Node.Context.Sequencer.ReadLock())
            {
                hash = issuer.Node.Node.Context.Sequencer.State.ComputeStateHash();
                height = issuer.Node.Node.Context.Sequencer.State.Height;
            }
        }
        finally
        {
            await issuer.Node.StopAsync(); // writes a snapshot
        }

        foreach (var fromSnapshot in new[] { true, false })
        {
            if (!fromSnapshot)
            {
                foreach (var snapshot in Directory.GetFiles(data, "snapshot-*.snap", SearchOption.AllDirectories))
                {
                    File.Delete(snapshot);
                }
            }

            var again = await Issuer.StartAsync(data, setup: false);
            try
            {
                foreach (var (k, v) in keys)
                {
                    again.Keys[k] = v;
                }

                Assert.Equal(before, await again.StateJsonAsync());
                using (again.Node.Node.Context.Sequencer.ReadLock())
                {
                    Assert.Equal(height, again.Node.Node.Context.Sequencer.State.Height);
                    Assert.True(hash == again.Node.Node.Context.Sequencer.State.ComputeStateHash(), fromSnapshot ? "after a snapshot" : "after a replay");
                }

                if (fromSnapshot)
                {
                    continue; // the checks below add a block; the replay pass must see the same journal
                }

                // Operator keys, the pause guard and pending approvals survive too.
                Assert.Equal("paused", await AlicePaysBobAsync(again.Node, "1"));
                Assert.Equal("m1", (await again.GetAsync<WhoAmI>("m1", "v1/issuance/whoami")).Operator);
            }
            finally
            {
                await again.Node.StopAsync();
            }
        }

        Directory.Delete(data, recursive: true);
    }
}
