using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Contracts;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Api;
using Centime.Node.Liabilities;
using Xunit.Abstractions;
using Eip712Domain = Centime.Client.Eip712Domain;

namespace Centime.Node.Tests;

/// <summary>
/// The promises of docs/invariants.md across modules, over REST on one real node (issue 12, "Must show"): every way a
/// holder's coins can move — each contract kind, x402 exact and hash-chain, swap and cross-border payment, holder-signed
/// transfer and permit, redemption — on a coin issued through issuance with reserves, on that coin paused, with the
/// payer frozen and with the payee frozen. Each cell either moves money (and the payee gets it) or fails with the
/// documented code and moves nothing (every account of every coin compared before and after); after every cell each
/// coin sums to zero, its supply equals what issuance reports, is covered by eligible reserves, and a freshly published
/// proof of liabilities adds up to it.
/// </summary>
public sealed class PromiseMatrixTests(PromiseMatrixTests.World world, ITestOutputHelper output) : IClassFixture<PromiseMatrixTests.World>
{
    private const string Usd = "NUSD";
    private const string Hkd = "JHKD";
    private const string Feed = "USDHKD";
    private const ulong ChainId = 8402; // NodeOptions default
    private const string Whole = "000000";

    /// <summary>The payer's money in every cell: 1,000 NUSD; the payee also holds 100 NUSD (a refund needs an original payment).</summary>
    private static readonly UInt128 PayerFunds = UInt128.Parse("1000" + Whole, CultureInfo.InvariantCulture);
    private static readonly UInt128 PayeeFunds = UInt128.Parse("100" + Whole, CultureInfo.InvariantCulture);
    private static readonly UInt128 Amount = UInt128.Parse("40" + Whole, CultureInfo.InvariantCulture);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Every operation that moves a holder's coins, with the coin its payer pays in and the coin its payee receives.</summary>
    private static readonly (string Name, string PayerCoin, string PayeeCoin)[] Operations =
    [
        ("escrow", Usd, Usd),
        ("escrow_oracle", Usd, Usd),
        ("bond", Usd, Usd),
        ("split", Usd, Usd),
        ("refund", Usd, Usd),
        ("milestones", Usd, Usd),
        ("stream", Usd, Usd),
        ("subscription", Usd, Usd),
        ("standing_order_erp", Usd, Usd),
        ("standing_order_oracle", Usd, Usd),
        ("x402_exact", Usd, Usd),
        ("x402_hashchain", Usd, Usd),
        ("swap", Usd, Hkd),
        ("cross_border", Usd, Hkd),
        ("signed_transfer", Usd, Usd),
        ("permit", Usd, Usd),
        ("redemption", Usd, Usd),
    ];

    /// <summary>The conditions of a cell. sanctioned_payer / sanctioned_payee: the party's address is on the issuer's own
    /// sanctions list (loaded by a compliance officer, with the default policy: listed holders are also frozen).</summary>
    private static readonly string[] Conditions = ["issued", "paused", "frozen_payer", "frozen_payee", "sanctioned_payer", "sanctioned_payee"];

    /// <summary>
    /// The documented outcome of each cell: "ok", or the problem code (REST) / "reason/ledger code" (x402, whose
    /// answers carry the spec's reason and the ledger's code in the message). A paused coin refuses with `paused`, a
    /// frozen party with `account_frozen`, a sanctioned one with `sanctioned_address` even though it is frozen too
    /// (docs/errors.md), whichever module moves the money.
    /// </summary>
    private static string Expected(string operation, string condition) => (operation, condition) switch
    {
        (_, "issued") => "ok",
        ("x402_exact" or "x402_hashchain", "paused") => "invalid_transaction_state/paused",
        ("x402_exact" or "x402_hashchain", "sanctioned_payer" or "sanctioned_payee") => "invalid_transaction_state/sanctioned_address",
        ("x402_exact" or "x402_hashchain", _) => "invalid_transaction_state/account_frozen",
        (_, "paused") => "paused",
        (_, "sanctioned_payer" or "sanctioned_payee") => "sanctioned_address",
        _ => "account_frozen",
    };

    /// <summary>Cells left out, each with its reason (printed by the test that lists the matrix).</summary>
    private static string? NotApplicable(string operation, string condition) => (operation, condition) switch
    {
        // A redemption's payee is the coin's supply account (the burn) and a bank account (the payout): there is no
        // holder on the receiving side to freeze.
        ("redemption", "frozen_payee" or "sanctioned_payee") => "a redemption pays no holder",
        _ => null,
    };

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, _, _) in Operations)
        {
            foreach (var condition in Conditions)
            {
                if (NotApplicable(name, condition) is null)
                {
                    data.Add(name, condition);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell_OnAnIssuedCoin_SucceedsOrFailsWithTheDocumentedCode_NothingMovesOnFailure_SupplyReservesAndLiabilitiesAgree(string operation, string condition)
    {
        var (_, payerCoin, payeeCoin) = Operations.Single(o => o.Name == operation);
        var cell = await world.NewCellAsync();
        var expected = Expected(operation, condition);
        var prepared = await PrepareAsync(operation, cell);

        // A swap's payee is the payer itself, in the coin it buys.
        var receiver = operation == "swap" ? cell.Payer : cell.Payee;
        await world.ApplyAsync(condition, cell, payerCoin, payeeCoin, receiver, on: true);
        var before = world.AllBalances();
        var payeeBefore = world.Balance(payeeCoin, receiver.Address);
        string outcome;
        try
        {
            outcome = await RunAsync(operation, cell, prepared);
        }
        finally
        {
            await world.ApplyAsync(condition, cell, payerCoin, payeeCoin, receiver, on: false);
        }

        var after = world.AllBalances();
        output.WriteLine($"{operation} × {condition}: {outcome} (expected {expected})");
        Assert.Equal(expected, outcome);
        if (expected == "ok")
        {
            Assert.NotEqual(before, after);
            if (operation != "redemption")
            {
                Assert.True(world.Balance(payeeCoin, receiver.Address) > payeeBefore, $"{operation}: the payee was not paid");
            }
        }
        else
        {
            Assert.Equal(before, after);
        }

        await world.AssertPromisesAsync();
    }

    /// <summary>
    /// Issuance's mint is screened too (issue 15): a mint to an address on a sanctions list is refused with
    /// sanctioned_address (HTTP 422) when requested, nothing is minted, supply and reserves still agree; delisted (and
    /// unfrozen) the same mint goes through.
    /// </summary>
    [Fact]
    public async Task Mint_ToASanctionedAddress_IsRefusedWithSanctionedAddress_NothingMinted()
    {
        var cell = await world.NewCellAsync();
        var mint = new MintRequest { Deposit = "WIRE-" + Usd, To = cell.Payee.Address, Amount = Amount.ToString(CultureInfo.InvariantCulture) };
        await world.SanctionAsync(cell.Payee.Address, on: true);
        try
        {
            var before = world.AllBalances();
            using var response = await world.SendAsync("m1", HttpMethod.Post, $"v1/issuance/coins/{Usd}/mints", mint);
            var problem = await world.Node.ReadProblemAsync(response);
            output.WriteLine($"mint to a sanctioned address: {(int)response.StatusCode} {problem.Code}");
            Assert.Equal((422, "sanctioned_address"), ((int)response.StatusCode, problem.Code));
            Assert.Equal(before, world.AllBalances());
        }
        finally
        {
            await world.SanctionAsync(cell.Payee.Address, on: false);
        }

        var payeeBefore = world.Balance(Usd, cell.Payee.Address);
        await world.MintAsync(Usd, cell.Payee.Address, Amount);
        Assert.Equal(payeeBefore + Amount, world.Balance(Usd, cell.Payee.Address));
        await world.AssertPromisesAsync();
    }

    /// <summary>Every way the node's operator key could take a holder's coins without the holder's signature.</summary>
    public static TheoryData<string> OperatorDebits() => new() { "transfer", "contract", "swap", "add_liquidity", "remove_liquidity" };

    /// <summary>
    /// The promise "only a holder's signature or an approved lawful order moves a holder's coins", against the operator
    /// key (the bootstrap admin): each of its requests that would debit a holder of an issued coin is refused with
    /// holder_signature_required (HTTP 403) and no balance of any account changes.
    /// </summary>
    [Theory]
    [MemberData(nameof(OperatorDebits))]
    public async Task OperatorKey_WithoutTheHoldersSignature_CannotDecreaseAHolderBalance(string operation)
    {
        var cell = await world.NewCellAsync();
        var payer = cell.Payer.Address;
        var before = world.AllBalances();
        var lpBefore = world.Balance("XLPUSDHKD", world.Maker.Address);
        Assert.True(lpBefore > 0, "the maker holds LP shares");
        var body = operation switch
        {
            "transfer" => ("v1/transfers", $$"""{"transfers":[{"id":"{{Ids.Next()}}","coin":"{{Usd}}","debit":"{{payer}}","credit":"{{cell.Payee.Address}}","amount":"1"}]}"""),
            "contract" => ("v1/contracts", $$"""{"kind":"escrow","coin":"{{Usd}}","amount":"{{Amount}}","parties":{"payer":"{{payer}}","payee":"{{cell.Payee.Address}}","third":"{{cell.Third.Address}}"},"payer":"payer","payee":"payee","confirmer":"third","deadlineSeconds":3600}"""),
            "swap" => ("v1/exchange/swaps", $$"""{"payer":"{{payer}}","recipient":"{{cell.Payee.Address}}","from":"{{Usd}}","to":"{{Hkd}}","amountIn":"{{Amount}}","minOut":"0"}"""),
            "add_liquidity" => ("v1/exchange/pools/1/add", $$"""{"provider":"{{payer}}","amounts":["{{Amount}}","0"]}"""),
            "remove_liquidity" => ("v1/exchange/pools/1/remove", $$"""{"provider":"{{world.Maker.Address}}","shares":"{{lpBefore}}"}"""),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no such operation"),
        };

        using var response = await world.Node.PostRawAsync(body.Item1, body.Item2); // with the operator key
        var problem = await world.Node.ReadProblemAsync(response);
        output.WriteLine($"operator key, {operation} from a holder: {(int)response.StatusCode} {problem.Code}");
        Assert.Equal((403, "holder_signature_required"), ((int)response.StatusCode, problem.Code));
        Assert.Equal(before, world.AllBalances());
        Assert.Equal(lpBefore, world.Balance("XLPUSDHKD", world.Maker.Address));
        await world.AssertPromisesAsync();
    }

    /// <summary>
    /// Redemption burns a holder's coins, so only the holder's signature redeems: no key — the node's operator key, a
    /// minter's — has a route that burns them on the holder's behalf (the old minter route is gone: 405), and the
    /// holder's own signed request burns exactly what it says.
    /// </summary>
    [Fact]
    public async Task Redemption_NoOperatorOrMinterKeyBurnsAHoldersCoins_OnlyTheHoldersSignature()
    {
        var cell = await world.NewCellAsync();
        var before = world.AllBalances();
        var onBehalf = new JsonObject { ["holder"] = cell.Payer.Address, ["amount"] = Amount.ToString(CultureInfo.InvariantCulture), ["payTo"] = "DE89370400440532013000" };
        foreach (var who in new[] { "m1", "admin" })
        {
            using var response = await world.SendAsync(who, HttpMethod.Post, $"v1/issuance/coins/{Usd}/redemptions", onBehalf);
            var problem = await world.Node.ReadProblemAsync(response);
            output.WriteLine($"{who} key, redemption of a holder's coins: {(int)response.StatusCode} {problem.Code}");
            Assert.Equal((405, "method_not_allowed"), ((int)response.StatusCode, problem.Code));
        }

        // Another party's signature over the payer's redemption does not burn the payer's coins.
        var forged = cell.Third.Signer.SignRedemption(world.Domain(Usd), Amount, "DE89370400440532013000", NowSeconds + 3600) with { Holder = cell.Payer.Address };
        using (var refused = await world.Node.Http.PostAsJsonAsync($"v1/coins/{Usd}/redeem", forged, Json))
        {
            Assert.Equal("signer_mismatch", await CodeOfAsync(refused));
        }

        Assert.Equal(before, world.AllBalances());
        var payerBefore = world.Balance(Usd, cell.Payer.Address);
        Assert.Equal("ok", await world.RedeemAsync(cell.Payer, Amount));
        Assert.Equal(payerBefore - Amount, world.Balance(Usd, cell.Payer.Address));
        await world.AssertPromisesAsync();
    }

    // ------------------------------------------------------------------ the operations

    /// <summary>What a cell needs before its condition is applied (a refund's original payment).</summary>
    private async Task<string?> PrepareAsync(string operation, Cell cell)
    {
        if (operation != "refund")
        {
            return null;
        }

        // The payee paid the payer 10 NUSD (holder-signed): the refund returns part of it.
        var original = cell.Payee.Signer.SignAuthorization(world.Domain(Usd), cell.Payer.Signer.Address, 10_000_000, 0, NowSeconds + 3600);
        var paid = await world.Node.Anonymous.TransferWithAuthorizationAsync(Usd, original);
        Assert.Equal("ok", paid.Result);
        return paid.Id;
    }

    private async Task<string> RunAsync(string operation, Cell cell, string? prepared)
    {
        var amount = Amount.ToString(CultureInfo.InvariantCulture);
        var parties = new JsonObject { ["payer"] = cell.Payer.Address, ["payee"] = cell.Payee.Address, ["third"] = cell.Third.Address };
        JsonObject Contract(string kind) => new()
        {
            ["kind"] = kind,
            ["coin"] = Usd,
            ["amount"] = amount,
            ["parties"] = parties.DeepClone(),
            ["payer"] = "payer",
            ["payee"] = "payee",
        };

        switch (operation)
        {
            case "escrow":
                {
                    var doc = Contract("escrow");
                    doc["deadlineSeconds"] = 3600;
                    return await ContractThenAsync(cell, doc, id => EventAsync(id, cell.Payer, "confirm"));
                }

            case "escrow_oracle":
                {
                    var doc = Contract("escrow");
                    doc["deadlineSeconds"] = 3600;
                    doc["oracle"] = "third";
                    doc["factKey"] = "delivered:" + cell.Tag;
                    return await ContractThenAsync(cell, doc, _ => FactAsync(cell.Third, "delivered:" + cell.Tag));
                }

            case "bond":
                {
                    var doc = Contract("bond");
                    doc["slasher"] = "third";
                    doc["deadlineSeconds"] = 3600;
                    return await ContractThenAsync(cell, doc, id => EventAsync(id, cell.Third, "slash", "1" + Whole, "late delivery"));
                }

            case "split":
                {
                    var doc = Contract("split");
                    doc.Remove("payee");
                    doc["recipients"] = new JsonArray(new JsonObject { ["party"] = "payee", ["bps"] = 10_000 });
                    return await ContractThenAsync(cell, doc, null);
                }

            case "refund":
                {
                    var doc = Contract("refund");
                    doc["amount"] = "5" + Whole;
                    doc["refundOf"] = prepared;
                    return await ContractThenAsync(cell, doc, null);
                }

            case "milestones":
                {
                    var doc = Contract("milestones");
                    doc["milestones"] = new JsonArray(new JsonObject { ["name"] = "design", ["amount"] = "10" + Whole }, new JsonObject { ["name"] = "build", ["amount"] = "30" + Whole });
                    return await ContractThenAsync(cell, doc, id => EventAsync(id, cell.Payer, "milestone", "0"));
                }

            case "stream":
                {
                    var doc = Contract("stream");
                    doc["ratePerSecond"] = "1" + Whole;
                    return await ContractThenAsync(cell, doc, async id =>
                    {
                        await Task.Delay(1100); // one whole second of ledger time accrues to the payee
                        return await EventAsync(id, cell.Payer, "cancel");
                    });
                }

            case "subscription":
                {
                    var doc = Contract("subscription");
                    doc["periodSeconds"] = 3600;
                    return await ContractThenAsync(cell, doc, id => EventAsync(id, cell.Payee, "charge", "15" + Whole));
                }

            case "standing_order_erp":
                {
                    var doc = Contract("standing_order");
                    doc["maxExecutions"] = 2;
                    doc["trigger"] = "third";
                    doc["deadlineSeconds"] = 3600;
                    return await ContractThenAsync(cell, doc, id => EventAsync(id, cell.Third, "trigger"));
                }

            case "standing_order_oracle":
                {
                    var doc = Contract("standing_order");
                    doc["maxExecutions"] = 2;
                    doc["oracle"] = "third";
                    doc["factKey"] = "stock:" + cell.Tag;
                    doc["deadlineSeconds"] = 3600;
                    return await ContractThenAsync(cell, doc, _ => FactAsync(cell.Third, "stock:" + cell.Tag));
                }

            case "x402_exact":
                {
                    using var facilitator = new HttpFacilitatorClient(new Uri(world.Node.BaseUrl + "x402"));
                    var asset = X402Asset.From(world.Coin(Usd));
                    var offer = new PaymentRequirements
                    {
                        Scheme = "exact",
                        Network = asset.Network,
                        Amount = amount,
                        Asset = asset.Address,
                        PayTo = cell.Payee.Address,
                        MaxTimeoutSeconds = 60,
                        Extra = new Dictionary<string, JsonElement> { ["name"] = JsonSerializer.SerializeToElement(asset.Name), ["version"] = JsonSerializer.SerializeToElement(asset.Version) },
                    };
                    var a = cell.Payer.Signer.SignAuthorization(world.Domain(Usd), cell.Payee.Signer.Address, Amount, 0, NowSeconds + 60);
                    var payment = new PaymentPayload
                    {
                        X402Version = 2,
                        Resource = new ResourceInfo { Url = "http://127.0.0.1/matrix/" + cell.Tag },
                        Accepted = offer,
                        Payload = JsonSerializer.SerializeToElement(Exact(a), X402Headers.Json),
                        Extensions = [],
                    };
                    var settled = await facilitator.SettleAsync(payment, offer);
                    return settled.Success ? "ok" : X402Outcome(settled.ErrorReason, settled.ErrorMessage);
                }

            case "x402_hashchain":
                {
                    using var facilitator = new HttpFacilitatorClient(new Uri(world.Node.BaseUrl + "x402"));
                    var asset = X402Asset.From(world.Coin(Usd));
                    const int capacity = 10;
                    var words = HashChain.Generate(HolderSigner.NewNonce(), capacity);
                    var terms = new ChannelTerms
                    {
                        Payer = cell.Payer.Address,
                        PayTo = cell.Payee.Address,
                        Asset = asset.Address,
                        Network = asset.Network,
                        Unit = "1" + Whole,
                        Capacity = capacity,
                        Root = words[0].ToString(),
                        Expiry = (long)NowSeconds + 3600,
                    };
                    Assert.True(terms.TryResolve(out var channel));
                    var deposit = cell.Payer.Signer.SignAuthorization(world.Domain(Usd), channel.Escrow, channel.Deposit!.Value, 0, NowSeconds + 60, channel.Id);
                    var opened = await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = terms, Deposit = Exact(deposit) });
                    if (!opened.Success)
                    {
                        return X402Outcome(opened.ErrorReason, opened.ErrorMessage);
                    }

                    world.Track(channel.Escrow.ToString());
                    var settled = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = terms, Index = capacity, Word = words[capacity].ToString(), Close = true });
                    return settled.Success ? "ok" : X402Outcome(settled.ErrorReason, settled.ErrorMessage);
                }

            case "swap":
            case "cross_border":
                {
                    var recipient = operation == "swap" ? cell.Payer.Address : cell.Payee.Address;
                    try
                    {
                        await world.RateAsync("7.80");
                        var quote = await world.Node.Client.QuoteAsync(new QuoteRequest(Usd, Hkd, amount, cell.Payer.Address, recipient));
                        var signed = cell.Payer.Signer.SignAcceptance(quote);
                        _ = operation == "swap" ? await world.Node.Anonymous.SwapAsync(signed) : await world.Node.Anonymous.PayAsync(signed);
                        return "ok";
                    }
                    catch (CentimeApiException ex)
                    {
                        return ex.Code;
                    }
                }

            case "signed_transfer":
                {
                    var auth = cell.Payer.Signer.SignAuthorization(world.Domain(Usd), cell.Payee.Signer.Address, Amount, 0, NowSeconds + 3600);
                    return await SignedAsync(() => world.Node.Anonymous.TransferWithAuthorizationAsync(Usd, auth));
                }

            case "permit":
                {
                    var nonce = ulong.Parse((await world.Node.Anonymous.GetPermitNonceAsync(Usd, cell.Payer.Address)).Nonce, CultureInfo.InvariantCulture);
                    var permit = cell.Payer.Signer.SignPermit(world.Domain(Usd), cell.Payee.Signer.Address, Amount, nonce, NowSeconds + 3600);
                    var granted = await SignedAsync(() => world.Node.Anonymous.PermitAsync(Usd, permit));
                    if (granted != "ok")
                    {
                        return granted;
                    }

                    var pull = cell.Payee.Signer.SignTransferFrom(world.Domain(Usd), cell.Payer.Signer.Address, cell.Payee.Signer.Address, Amount, NowSeconds + 3600);
                    return await SignedAsync(() => world.Node.Anonymous.TransferFromAsync(Usd, pull));
                }

            case "redemption":
                return await world.RedeemAsync(cell.Payer, Amount);

            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, "no such operation");
        }
    }

    private static ulong NowSeconds => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static ExactEvmPayload Exact(AuthorizationRequest a) => new()
    {
        Signature = a.Signature!,
        Authorization = new ExactEvmAuthorization { From = a.From, To = a.To, Value = a.Value, ValidAfter = a.ValidAfter, ValidBefore = a.ValidBefore, Nonce = a.Nonce },
    };

    /// <summary>The spec's reason and the ledger's code the facilitator names in its message ("…: paused").</summary>
    private static string X402Outcome(string? reason, string? message)
    {
        var code = message is null ? "" : message[(message.LastIndexOf(' ') + 1)..];
        return reason + "/" + code;
    }

    private static async Task<string> SignedAsync(Func<Task<SignedOutcome>> call)
    {
        try
        {
            return (await call()).Result;
        }
        catch (CentimeApiException ex)
        {
            return ex.Code;
        }
    }

    /// <summary>Creates the contract payer-signed (no operator key moves the payer's coins), then runs its next step.</summary>
    private async Task<string> ContractThenAsync(Cell cell, JsonObject document, Func<string, Task<string>>? next)
    {
        var id = world.NextContractId();
        document["id"] = id.ToString(CultureInfo.InvariantCulture);
        var text = document.ToJsonString();
        var signature = ContractEventSignature.SignFunding(cell.Payer.Key, id, Encoding.UTF8.GetBytes(text));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/contracts") { Content = new StringContent(text, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Centime-Payer-Signature", signature.ToHex());
        world.Track(ContractModule.AccountOf(id).ToString());
        using var created = await world.Anonymous.SendAsync(request);
        var code = await CodeOfAsync(created);
        return code != "ok" || next is null ? code : await next(id.ToString(CultureInfo.InvariantCulture));
    }

    private async Task<string> EventAsync(string id, Party signer, string action, string amount = "0", string? reason = null)
    {
        var nonce = HolderSigner.NewNonce();
        Assert.True(ContractNames.TryParseAction(action, out var a));
        var signature = ContractEventSignature.Sign(signer.Key, UInt128.Parse(id, CultureInfo.InvariantCulture), a, UInt128.Parse(amount, CultureInfo.InvariantCulture), nonce);
        using var response = await world.Anonymous.PostAsJsonAsync($"v1/contracts/{id}/events", new ContractEventRequest(action, amount, nonce.ToString(), signature.ToHex(), reason, signer.Address), Json);
        return await CodeOfAsync(response);
    }

    private async Task<string> FactAsync(Party oracle, string key)
    {
        var nonce = HolderSigner.NewNonce();
        var observed = NowSeconds;
        var signature = OracleFactSignature.Sign(oracle.Key, ChainId, key, "true", observed, nonce);
        var fact = new OracleFactRequest(key, "true", observed.ToString(CultureInfo.InvariantCulture), nonce.ToString(), signature.ToHex(), oracle.Address);
        using var response = await world.Anonymous.PostAsJsonAsync("v1/contracts/facts", fact, Json);
        var code = await CodeOfAsync(response);
        if (code == "ok")
        {
            // A fact that fired nothing moved nothing: the contract it was for is what failed.
            var outcome = JsonSerializer.Deserialize<OracleFactOutcome>(await response.Content.ReadAsStringAsync(), Json)!;
            return outcome.Fired.Count == 1 ? "ok" : "fact_fired_nothing";
        }

        return code;
    }

    /// <summary>"ok" for a success whose body does not say otherwise, else the problem's code.</summary>
    internal static async Task<string> CodeOfAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            var problem = JsonSerializer.Deserialize<Problem>(text, Json);
            return problem?.Code ?? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }

        using var body = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("result", out var result) && result.GetString() is { } r && r != "ok"
            ? r
            : "ok";
    }

    // ------------------------------------------------------------------ the world

    /// <summary>A holder with its own key.</summary>
    public sealed class Party
    {
        public Party()
        {
            Key = Secp256k1.NewPrivateKey();
            Signer = new HolderSigner(Key);
            Address = Signer.Address.ToString();
        }

        public byte[] Key { get; }
        public HolderSigner Signer { get; }
        public string Address { get; }
    }

    /// <summary>One cell's parties: payer (funded), payee (funded a little), and a third party (oracle, ERP, slasher).</summary>
    public sealed record Cell(string Tag, Party Payer, Party Payee, Party Third);

    /// <summary>
    /// One node for the whole matrix, set up once: NUSD and JHKD issued through issuance (reserve book, deposits,
    /// minters), an operator per role, the USDHKD feed and a USD/HKD pool funded by a market maker.
    /// </summary>
    public sealed class World : IAsyncLifetime
    {
        private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal) { ["admin"] = TestNode.OperatorKey };
        private readonly Dictionary<string, CoinInfo> _coins = new(StringComparer.Ordinal);
        private readonly HashSet<string> _tracked = new(StringComparer.Ordinal);
        private ulong _lastObserved;
        private long _nextContract = 7_000_000;
        private int _cells;

        public TestNode Node { get; private set; } = null!;
        public HttpClient Anonymous { get; private set; } = null!;
        public Party Oracle { get; } = new();

        /// <summary>The market maker: the pool's only liquidity provider (holds its LP shares).</summary>
        public Party Maker { get; } = new();

        public async Task InitializeAsync()
        {
            // Single-operator mode: this test's subject is every module on issued coins, not maker-checker (GovernanceTests).
            Node = await TestNode.StartAsync(configure: o => o.SingleOperator = true);
            Anonymous = new HttpClient { BaseAddress = new Uri(Node.BaseUrl) };
            foreach (var (id, role) in new[] { ("mm", "minter_manager"), ("m1", "minter"), ("rm", "reserve_manager"), ("aud", "auditor"), ("pz", "pauser"), ("ap", "asset_protection"), ("ap2", "asset_protection"), ("co", "compliance") })
            {
                var added = await OkAsync<ActionOutcome>("admin", "v1/issuance/operators", new AddOperatorRequest(id, [role]));
                _keys[id] = added.Key!;
            }

            foreach (var (symbol, currency, name) in new[] { (Usd, "USD", "Net Dollar"), (Hkd, "HKD", "J Hong Kong Dollar") })
            {
                _coins[symbol] = await Node.Client.CreateCoinAsync(new CreateCoinRequest(symbol, currency, 6, name, "1"));
                await OkAsync<ActionOutcome>("rm", $"v1/issuance/coins/{symbol}/reserves", new HoldingInfo
                {
                    Type = "bank_deposit",
                    Id = "bank",
                    Bank = "Bank of New York Mellon",
                    AccountReference = symbol + "-RESERVE-1",
                    Amount = "0",
                    Insured = true,
                    Segregated = true,
                });
                await OkAsync<ActionOutcome>("mm", $"v1/issuance/coins/{symbol}/minters", new MinterRequest { Minter = "m1", Allowance = "100000000" + Whole });
                await OkAsync<ActionOutcome>("rm", $"v1/issuance/coins/{symbol}/deposits", new DepositRequest
                {
                    Bank = "Bank of New York Mellon",
                    Reference = "WIRE-" + symbol,
                    Amount = "100000000" + Whole,
                    ValueDate = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    Holding = "bank",
                });
            }

            // The market maker's liquidity is minted against reserves like any holder's coins.
            var maker = Maker;
            await MintAsync(Usd, maker.Address, UInt128.Parse("1000000" + Whole, CultureInfo.InvariantCulture));
            await MintAsync(Hkd, maker.Address, UInt128.Parse("7800000" + Whole, CultureInfo.InvariantCulture));
            await Node.Client.ConfigureFeedAsync(Feed, new FeedConfigRequest(3600, "7.75", "7.85", [Oracle.Address]));
            await RateAsync("7.80");
            await Node.Client.CreatePoolAsync(new CreatePoolRequest(1, "XLPUSDHKD", [new PoolCoinRequest(Usd), new PoolCoinRequest(Hkd, Feed, Invert: true)], 200, FeeBps: "4"));
            var deadline = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
            await Node.Anonymous.AddLiquidityAsync(1, maker.Signer.SignAddLiquidity(ChainId, 1,
                [UInt128.Parse("1000000" + Whole, CultureInfo.InvariantCulture), UInt128.Parse("7800000" + Whole, CultureInfo.InvariantCulture)], 0, deadline)); // the maker signs its own deposit
            Track(maker.Address);
            Track(Centime.Exchange.ExchangeModule.AccountOf(1).ToString());
            await AssertPromisesAsync();
        }

        public async Task DisposeAsync()
        {
            Anonymous.Dispose();
            await Node.DisposeAsync();
        }

        public CoinInfo Coin(string symbol) => _coins[symbol];

        public Eip712Domain Domain(string symbol) => _coins[symbol].Domain;

        public UInt128 NextContractId() => (UInt128)Interlocked.Increment(ref _nextContract);

        public void Track(string address) => _tracked.Add(address);

        public async Task<Cell> NewCellAsync()
        {
            var cell = new Cell("c" + Interlocked.Increment(ref _cells).ToString(CultureInfo.InvariantCulture), new Party(), new Party(), new Party());
            await MintAsync(Usd, cell.Payer.Address, PayerFunds);
            await MintAsync(Usd, cell.Payee.Address, PayeeFunds);
            Track(cell.Payer.Address);
            Track(cell.Payee.Address);
            Track(cell.Third.Address);
            return cell;
        }

        /// <summary>Sets (or lifts) a cell's condition through issuance's own roles: the pauser pauses, asset protection freezes.</summary>
        public async Task ApplyAsync(string condition, Cell cell, string payerCoin, string payeeCoin, Party receiver, bool on)
        {
            switch (condition)
            {
                case "issued":
                    break;
                case "paused":
                    await OkAsync<ActionOutcome>("pz", $"v1/issuance/coins/{payerCoin}/{(on ? "pause" : "unpause")}", new { });
                    break;
                case "frozen_payer":
                    await LawfulFreezeAsync(payerCoin, cell.Payer.Address, on);
                    break;
                case "frozen_payee":
                    await LawfulFreezeAsync(payeeCoin, receiver.Address, on);
                    break;
                case "sanctioned_payer":
                    await SanctionAsync(cell.Payer.Address, on);
                    break;
                case "sanctioned_payee":
                    await SanctionAsync(receiver.Address, on);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(condition), condition, "no such condition");
            }
        }

        /// <summary>A lawful order freezing (or unfreezing) an account: ap requests, ap2 approves.</summary>
        private async Task LawfulFreezeAsync(string coin, string account, bool on)
        {
            var order = await OkAsync<ActionOutcome>("ap", $"v1/issuance/coins/{coin}/orders",
                new LawfulOrderRequest { Kind = on ? "freeze" : "unfreeze", Account = account, Reference = "Matrix order", Reason = on ? "court_order" : "order_lifted" });
            await OkAsync<ActionOutcome>("ap2", $"v1/issuance/approvals/{order.Action}/approve", new { });
        }

        /// <summary>
        /// Lists <paramref name="address"/> on the issuer's own sanctions list (the compliance officer loads a one-line
        /// file; the default policy also freezes its accounts), or lifts it: an empty list, then a lawful order
        /// unfreezes the accounts the listing froze (delisting alone never unfreezes).
        /// </summary>
        public async Task SanctionAsync(string address, bool on)
        {
            var file = Encoding.UTF8.GetBytes("# version: matrix\n" + (on ? address + "\n" : ""));
            await OkAsync<SanctionsLoadResult>("co", "v1/compliance/sanctions/issuer", new SanctionsLoadRequest { Content = Convert.ToBase64String(file) });
            if (on)
            {
                return;
            }

            foreach (var symbol in _coins.Keys)
            {
                bool frozen;
                var context = Node.Node.Context;
                using (context.Sequencer.ReadLock())
                {
                    var state = context.Sequencer.State;
                    frozen = state.TryGetAccount(_coins[symbol].Number, Address.Parse(address), out var account) && account.IsFrozen;
                }

                if (frozen)
                {
                    await LawfulFreezeAsync(symbol, address, on: false);
                }
            }
        }

        public async Task MintAsync(string coin, string to, UInt128 amount)
        {
            var minted = await OkAsync<ActionOutcome>("m1", $"v1/issuance/coins/{coin}/mints", new MintRequest { Deposit = "WIRE-" + coin, To = to, Amount = amount.ToString(CultureInfo.InvariantCulture) });
            Assert.Equal("executed", minted.Status);
        }

        /// <summary>The holder redeems with its own EIP-712 Redemption (no operator key): "ok" or the problem code.</summary>
        public async Task<string> RedeemAsync(Party holder, UInt128 amount)
        {
            var signed = holder.Signer.SignRedemption(Domain(Usd), amount, "DE89370400440532013000", (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);
            using var response = await Node.Http.PostAsJsonAsync($"v1/coins/{Usd}/redeem", signed, Json);
            return await CodeOfAsync(response);
        }

        public async Task RateAsync(string rate)
        {
            var observed = Math.Max((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _lastObserved + 1);
            _lastObserved = observed;
            await Node.Client.SubmitRateAsync(Feed, Oracle.Signer.SignRate(Feed, rate, observed, ChainId));
        }

        /// <summary>Every account of every coin (balances, holds, frozen flag) and every supply, read from the node's state.</summary>
        public string AllBalances()
        {
            var context = Node.Node.Context;
            var text = new StringBuilder();
            using (context.Sequencer.ReadLock())
            {
                foreach (ref readonly var account in context.Sequencer.State.Accounts)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{account.Key.Coin}:{account.Key.Address}:{account.DebitsPosted}:{account.CreditsPosted}:{account.DebitsPending}:{account.CreditsPending};");
                }
            }

            return text.ToString();
        }

        public UInt128 Balance(string coin, string address)
        {
            var context = Node.Node.Context;
            using (context.Sequencer.ReadLock())
            {
                var state = context.Sequencer.State;
                return state.TryGetAccount(state.Coins.First(c => c.Symbol == coin).Number, Address.Parse(address), out var account) && account.Balance > 0
                    ? (UInt128)account.Balance
                    : UInt128.Zero;
            }
        }

        /// <summary>
        /// The promises after a step: every coin sums to zero; each issued coin's supply (ledger) is what issuance
        /// reports, is covered by eligible reserves, and is the total of a freshly published proof of liabilities.
        /// </summary>
        public async Task AssertPromisesAsync()
        {
            var context = Node.Node.Context;
            using (context.Sequencer.ReadLock())
            {
                var sums = new Dictionary<uint, Int128>();
                foreach (ref readonly var account in context.Sequencer.State.Accounts)
                {
                    sums[account.Key.Coin] = sums.GetValueOrDefault(account.Key.Coin) + account.Balance;
                }

                Assert.All(sums, s => Assert.True(s.Value == 0, $"coin {s.Key} sums to {s.Value}"));
            }

            foreach (var symbol in _coins.Keys)
            {
                var coin = await Node.Anonymous.GetCoinAsync(symbol);
                var reserves = await GetAsync<ReservesInfo>($"v1/issuance/coins/{symbol}/reserves");
                Assert.Equal(coin.Supply, reserves.Supply);
                Assert.True(UInt128.Parse(reserves.Supply, CultureInfo.InvariantCulture) <= UInt128.Parse(reserves.Eligible, CultureInfo.InvariantCulture),
                    $"{symbol}: supply {reserves.Supply} above eligible reserves {reserves.Eligible}");
                using var published = await Node.Http.PostAsync($"v1/coins/{symbol}/liabilities", null);
                Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync());
                var root = (await published.Content.ReadFromJsonAsync<LiabilitiesRootInfo>())!;
                Assert.Equal(coin.Supply, root.Root.Total.ToString(CultureInfo.InvariantCulture));
            }
        }

        public async Task<HttpResponseMessage> SendAsync(string who, HttpMethod method, string path, object? body = null)
        {
            var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _keys[who]);
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, body.GetType(), options: Json);
            }

            return await Anonymous.SendAsync(request);
        }

        private async Task<T> OkAsync<T>(string who, string path, object body)
        {
            using var response = await SendAsync(who, HttpMethod.Post, path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<T>(text, Json)!;
        }

        private async Task<T> GetAsync<T>(string path)
        {
            using var response = await SendAsync("aud", HttpMethod.Get, path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<T>(text, Json)!;
        }
    }
}
