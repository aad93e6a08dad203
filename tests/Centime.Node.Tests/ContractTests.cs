using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Centime.Client;
using Centime.Contracts;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Api;

namespace Centime.Node.Tests;

/// <summary>Programmable payments end to end over loopback HTTP (docs/contracts.md): one test per seed scenario.</summary>
public sealed partial class ContractTests
{
    private const string Whole = "000000"; // 6 decimals
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A party with its own key (signs its events).</summary>
    private sealed class Party
    {
        public Party()
        {
            Key = Secp256k1.NewPrivateKey();
            Address = Secp256k1.Default.AddressOf(Key).ToString();
        }

        public byte[] Key { get; }
        public string Address { get; }
    }

    /// <summary>A node with NUSD; every party gets <paramref name="funds"/> whole NUSD.</summary>
    private sealed class Market : IAsyncDisposable
    {
        public required TestNode Node { get; init; }
        public required HttpClient Operator { get; init; }

        public static async Task<Market> StartAsync(string? data = null, bool setup = true, params Party[] funded)
        {
            var node = await TestNode.StartSandboxAsync(data);
            var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.OperatorKey);
            if (setup)
            {
                await node.CoinWithHoldersAsync("NUSD", UInt128.Parse("1000" + Whole, CultureInfo.InvariantCulture), funded.Select(p => p.Address).ToArray());
            }

            return new Market { Node = node, Operator = http };
        }

        public async Task<HttpResponseMessage> PostContractAsync(object document) =>
            await Operator.PostAsync("v1/contracts", new StringContent(JsonSerializer.Serialize(document, Json), Encoding.UTF8, "application/json"));

        public async Task<ContractInfo> CreateAsync(object document)
        {
            using var response = await PostContractAsync(document);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"create: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<ContractInfo>(text, Json)!;
        }

        public async Task<HttpResponseMessage> SendEventAsync(string id, Party signer, string action, string amount = "0", string? reason = null)
        {
            var nonce = HolderSigner.NewNonce();
            var contract = UInt128.Parse(id, CultureInfo.InvariantCulture);
            Assert.True(ContractNames.TryParseAction(action, out var a));
            var signature = ContractEventSignature.Sign(signer.Key, contract, a, UInt128.Parse(amount, CultureInfo.InvariantCulture), nonce);
            var request = new ContractEventRequest(action, amount, nonce.ToString(), signature.ToHex(), reason, signer.Address);
            return await Node.Http.PostAsJsonAsync($"v1/contracts/{id}/events", request, Json);
        }

        public async Task<ContractInfo> EventAsync(string id, Party signer, string action, string amount = "0", string? reason = null)
        {
            using var response = await SendEventAsync(id, signer, action, amount, reason);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{action}: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<ContractInfo>(text, Json)!;
        }

        public async Task<Problem> RefusedAsync(HttpResponseMessage response, int status, string code)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status} {code}, got {(int)response.StatusCode} {text}");
            var problem = JsonSerializer.Deserialize<Problem>(text, Json)!;
            Assert.Equal(code, problem.Code);
            return problem;
        }

        public async Task<ContractInfo> GetAsync(string id) => (await Node.Http.GetFromJsonAsync<ContractInfo>($"v1/contracts/{id}", Json))!;

        /// <summary>Waits (wall clock) until ledger time has passed the contract's deadline and the node closed it.</summary>
        public async Task<ContractInfo> WaitClosedAsync(string id)
        {
            for (var i = 0; i < 150; i++)
            {
                var view = await GetAsync(id);
                if (view.Status == "closed")
                {
                    return view;
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"contract {id} did not close");
        }

        public async Task<UInt128> BalanceAsync(string address)
        {
            using var response = await Node.Http.GetAsync("v1/accounts/" + address);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return UInt128.Zero;
            }

            var account = (await response.Content.ReadFromJsonAsync<AccountInfo>(Json))!;
            var b = account.Balances.FirstOrDefault(x => x.Coin == "NUSD");
            return b is null ? UInt128.Zero : UInt128.Parse(b.Balance, CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            Operator.Dispose();
            await Node.DisposeAsync();
        }
    }

    private static UInt128 N(string whole) => UInt128.Parse(whole + Whole, CultureInfo.InvariantCulture);

    private static UInt128 U(string minor) => UInt128.Parse(minor, CultureInfo.InvariantCulture);

    [Fact]
    public async Task MarketplaceSellerBond_SlashedOnViolation_ReturnedAtExpiry()
    {
        Party seller = new(), marketplace = new(), stranger = new();
        await using var m = await Market.StartAsync(null, true, seller);
        var bond = await m.CreateAsync(new
        {
            kind = "bond",
            coin = "NUSD",
            amount = "100" + Whole,
            cap = "50" + Whole,
            parties = new Dictionary<string, string> { ["seller"] = seller.Address, ["marketplace"] = marketplace.Address },
            payer = "seller",
            payee = "marketplace",
            slasher = "marketplace",
            deadlineSeconds = 2,
            reference = "seller deposit, listing agreement 2026-12",
        });
        Assert.Equal("open", bond.Status);
        Assert.Equal(N("900"), await m.BalanceAsync(seller.Address));
        Assert.Equal(N("100"), await m.BalanceAsync(bond.Account!));

        await m.RefusedAsync(await m.SendEventAsync(bond.Id, stranger, "slash", "10" + Whole, "not theirs to slash"), 403, "not_designated_party");
        await m.RefusedAsync(await m.SendEventAsync(bond.Id, marketplace, "slash", "51" + Whole, "too much"), 422, "exceeds_slash_cap");
        var slashed = await m.EventAsync(bond.Id, marketplace, "slash", "30" + Whole, "counterfeit listing #4411");
        Assert.Equal("30" + Whole, slashed.Slashed);
        Assert.Equal(N("30"), await m.BalanceAsync(marketplace.Address));
        Assert.Equal(N("70"), await m.BalanceAsync(bond.Account!));

        var closed = await m.WaitClosedAsync(bond.Id);
        Assert.Equal(["fund", "slash", "return"], closed.Steps.Select(s => s.Step));
        Assert.Equal("counterfeit listing #4411", closed.Steps[1].Reason);
        Assert.Equal(N("970"), await m.BalanceAsync(seller.Address));
        Assert.Equal(N("30"), await m.BalanceAsync(marketplace.Address));
        Assert.Equal(UInt128.Zero, await m.BalanceAsync(bond.Account!));

        // Every step is a ledger transfer carrying the contract id, in the seller's history.
        var history = await m.Node.Client.GetHistoryAsync(seller.Address, "NUSD");
        var memos = history.Items.Where(t => closed.Steps.Any(s => s.Transfer == t.Id)).ToList();
        Assert.Equal(2, memos.Count); // fund (out) and return (in)
    }

    [Fact]
    public async Task CommissionSplit_AtEachSale_NoUnitLost()
    {
        Party buyer = new(), seller = new(), platform = new();
        await using var m = await Market.StartAsync(null, true, buyer);
        UInt128 sellerTotal = 0, platformTotal = 0, paid = 0;
        foreach (var price in new[] { "19990000", "1000001", "7" })
        {
            var sale = await m.CreateAsync(new
            {
                kind = "split",
                coin = "NUSD",
                amount = price,
                parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["seller"] = seller.Address, ["platform"] = platform.Address },
                payer = "buyer",
                recipients = new object[] { new { party = "seller", bps = 9_500 }, new { party = "platform", bps = 500 } },
            });
            Assert.Equal("closed", sale.Status);
            var amount = U(price);
            var commission = amount / 10_000 * 500 + amount % 10_000 * 500 / 10_000;
            platformTotal += commission;
            sellerTotal += amount - commission;
            paid += amount;
            Assert.Equal(sellerTotal, await m.BalanceAsync(seller.Address));
            Assert.Equal(platformTotal, await m.BalanceAsync(platform.Address));
            Assert.Equal(N("1000") - paid, await m.BalanceAsync(buyer.Address));
            Assert.Equal(UInt128.Zero, await m.BalanceAsync(sale.Account!));
        }

        Assert.Equal(U("1049500"), platformTotal); // 999500 + ⌊50000.05⌋ + ⌊0.35⌋
    }

    [Fact]
    public async Task SupplierPaid_OnSignedDeliveryConfirmation_Escrow()
    {
        Party buyer = new(), supplier = new(), warehouse = new();
        await using var m = await Market.StartAsync(null, true, buyer);
        var order = await m.CreateAsync(new
        {
            kind = "escrow",
            coin = "NUSD",
            amount = "250" + Whole,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["supplier"] = supplier.Address, ["warehouse"] = warehouse.Address },
            payer = "buyer",
            payee = "supplier",
            confirmer = "warehouse",
            deadlineSeconds = 3600,
            reference = "PO-2026-0042",
        });
        Assert.Equal(N("750"), await m.BalanceAsync(buyer.Address));

        await m.RefusedAsync(await m.SendEventAsync(order.Id, supplier, "confirm"), 403, "not_designated_party");
        await m.RefusedAsync(await m.SendEventAsync(order.Id, warehouse, "slash", "1", "x"), 422, "contract_action_invalid");
        var done = await m.EventAsync(order.Id, warehouse, "confirm");
        Assert.Equal("closed", done.Status);
        Assert.Equal(N("250"), await m.BalanceAsync(supplier.Address));
        await m.RefusedAsync(await m.SendEventAsync(order.Id, warehouse, "confirm"), 409, "contract_closed");
        Assert.Equal(N("250"), await m.BalanceAsync(supplier.Address));

        var history = await m.Node.Client.GetHistoryAsync(supplier.Address, "NUSD");
        var release = Assert.Single(history.Items);
        Assert.Equal(done.Steps[^1].Transfer, release.Id);
        Assert.Contains(release.Memo, new[] { order.Id, "0x" + UInt128.Parse(order.Id, CultureInfo.InvariantCulture).ToString("x", CultureInfo.InvariantCulture) });

        // A bad signature is refused before the sequencer.
        using var forged = await m.Node.Http.PostAsJsonAsync($"v1/contracts/{order.Id}/events",
            new ContractEventRequest("confirm", "0", HolderSigner.NewNonce().ToString(), "0x" + new string('1', 130), null, null), Json);
        await m.RefusedAsync(forged, 422, "signature_invalid");
    }

    [Fact]
    public async Task QcDefect_DeductedFromSupplierBond()
    {
        Party supplier = new(), buyer = new(), qc = new();
        await using var m = await Market.StartAsync(null, true, supplier);
        var bond = await m.CreateAsync(new
        {
            kind = "bond",
            coin = "NUSD",
            amount = "200" + Whole,
            parties = new Dictionary<string, string> { ["supplier"] = supplier.Address, ["buyer"] = buyer.Address, ["qc"] = qc.Address },
            payer = "supplier",
            payee = "buyer",
            slasher = "qc",
            deadlineSeconds = 3600,
        });
        await m.RefusedAsync(await m.SendEventAsync(bond.Id, qc, "slash", "15" + Whole, null), 422, "contract_terms_invalid");
        await m.EventAsync(bond.Id, qc, "slash", "15" + Whole, "batch 7: 3% defective (QC report 881)");
        await m.EventAsync(bond.Id, qc, "slash", "5" + Whole, "batch 9: late");
        var view = await m.GetAsync(bond.Id);
        Assert.Equal("20" + Whole, view.Slashed);
        Assert.Equal("180" + Whole, view.Remaining);
        Assert.Equal(N("20"), await m.BalanceAsync(buyer.Address));
        Assert.Equal(N("800"), await m.BalanceAsync(supplier.Address));
    }

    [Fact]
    public async Task CrossBorderRefund_PartialThenRest_NeverMoreThanThePayment()
    {
        Party buyer = new(), merchant = new();
        await using var m = await Market.StartAsync(null, true, buyer, merchant);
        var paymentId = Ids.Next();
        var r = await m.Node.Client.SubmitTransfersAsync([new TransferRequest { Id = paymentId, Coin = "NUSD", Debit = buyer.Address, Credit = merchant.Address, Amount = "100" + Whole }]);
        Assert.Equal("ok", r.Results[0].Result);

        object Refund(string amount) => new
        {
            kind = "refund",
            coin = "NUSD",
            amount,
            parties = new Dictionary<string, string> { ["merchant"] = merchant.Address, ["customer"] = buyer.Address },
            payer = "merchant",
            payee = "customer",
            refundOf = paymentId,
            reference = "RMA 77, item returned damaged",
        };

        var first = await m.CreateAsync(Refund("40" + Whole));
        Assert.Equal("closed", first.Status);
        Assert.Equal(paymentId, first.RefundOf);
        Assert.Equal(N("940"), await m.BalanceAsync(buyer.Address));
        await m.RefusedAsync(await m.PostContractAsync(Refund("60000001")), 422, "exceeds_refundable");
        await m.CreateAsync(Refund("60" + Whole));
        await m.RefusedAsync(await m.PostContractAsync(Refund("1")), 422, "exceeds_refundable");
        Assert.Equal(N("1000"), await m.BalanceAsync(buyer.Address));
        Assert.Equal(N("1000"), await m.BalanceAsync(merchant.Address));
    }

    [Fact]
    public async Task MilestoneProject_ReleasedPerConfirmedMilestone()
    {
        Party client = new(), agency = new();
        await using var m = await Market.StartAsync(null, true, client);
        var project = await m.CreateAsync(new
        {
            kind = "milestones",
            coin = "NUSD",
            amount = "600" + Whole,
            parties = new Dictionary<string, string> { ["client"] = client.Address, ["agency"] = agency.Address },
            payer = "client",
            payee = "agency",
            milestones = new object[] { new { name = "design", amount = "100" + Whole }, new { name = "build", amount = "300" + Whole }, new { name = "launch", amount = "200" + Whole } },
            deadlineSeconds = 86_400,
        });
        await m.RefusedAsync(await m.SendEventAsync(project.Id, agency, "milestone", "0"), 403, "not_designated_party");
        await m.EventAsync(project.Id, client, "milestone", "0");
        Assert.Equal(N("100"), await m.BalanceAsync(agency.Address));
        await m.RefusedAsync(await m.SendEventAsync(project.Id, client, "milestone", "0"), 422, "milestone_invalid");
        await m.EventAsync(project.Id, client, "milestone", "2");
        Assert.Equal(N("300"), await m.BalanceAsync(agency.Address));
        var last = await m.EventAsync(project.Id, client, "milestone", "1");
        Assert.Equal("closed", last.Status);
        Assert.Equal(N("600"), await m.BalanceAsync(agency.Address));
        Assert.Equal(N("400"), await m.BalanceAsync(client.Address));
        Assert.All(last.Milestones!, x => Assert.True(x.Confirmed));
    }

    [Fact]
    public async Task PerSecondStream_CancelledMidway_PayerKeepsTheUnaccruedRest()
    {
        Party viewer = new(), creator = new();
        await using var m = await Market.StartAsync(null, true, viewer);
        var stream = await m.CreateAsync(new
        {
            kind = "stream",
            coin = "NUSD",
            amount = "600" + Whole,
            ratePerSecond = "1" + Whole,
            parties = new Dictionary<string, string> { ["viewer"] = viewer.Address, ["creator"] = creator.Address },
            payer = "viewer",
            payee = "creator",
        });
        await Task.Delay(1_200);
        var withdrawn = await m.EventAsync(stream.Id, creator, "withdraw");
        var firstWithdrawal = U(withdrawn.Released);
        Assert.True(firstWithdrawal >= N("1") && firstWithdrawal % N("1") == 0, withdrawn.Released);
        Assert.Equal(firstWithdrawal, await m.BalanceAsync(creator.Address));
        await m.RefusedAsync(await m.SendEventAsync(stream.Id, creator, "cancel"), 403, "not_designated_party");

        await Task.Delay(1_100);
        var cancelled = await m.EventAsync(stream.Id, viewer, "cancel");
        Assert.Equal("closed", cancelled.Status);
        var toCreator = U(cancelled.Released);
        var back = U(cancelled.Returned);
        Assert.True(toCreator > firstWithdrawal);
        Assert.Equal(N("600"), toCreator + back);
        Assert.Equal(toCreator, await m.BalanceAsync(creator.Address));
        Assert.Equal(N("1000") - toCreator, await m.BalanceAsync(viewer.Address));
        Assert.Equal(UInt128.Zero, await m.BalanceAsync(stream.Account!));
        await m.RefusedAsync(await m.SendEventAsync(stream.Id, creator, "withdraw"), 409, "contract_closed");
    }

    [Fact]
    public async Task CreatorPaidPerArticle_WithRevenueSplit()
    {
        Party publisher = new(), writer = new(), editor = new(), platform = new();
        await using var m = await Market.StartAsync(null, true, publisher);
        for (var article = 1; article <= 3; article++)
        {
            await m.CreateAsync(new
            {
                kind = "split",
                coin = "NUSD",
                amount = "25" + Whole,
                parties = new Dictionary<string, string> { ["publisher"] = publisher.Address, ["writer"] = writer.Address, ["editor"] = editor.Address, ["platform"] = platform.Address },
                payer = "publisher",
                recipients = new object[] { new { party = "writer", bps = 7_000 }, new { party = "editor", bps = 2_000 }, new { party = "platform", bps = 1_000 } },
                reference = $"article {article}",
            });
            Assert.Equal(U("17500000") * (UInt128)article, await m.BalanceAsync(writer.Address));
            Assert.Equal(N("5") * (UInt128)article, await m.BalanceAsync(editor.Address));
            Assert.Equal(U("2500000") * (UInt128)article, await m.BalanceAsync(platform.Address));
        }

        Assert.Equal(N("925"), await m.BalanceAsync(publisher.Address));
        var list = (await m.Node.Http.GetFromJsonAsync<Page<ContractInfo>>($"v1/contracts?party={writer.Address}", Json))!.Items;
        Assert.Equal(3, list!.Count);
    }

    /// <summary>
    /// An ERP system orders and confirms for a company with a key the company granted by its own signature (issue 12):
    /// nothing the operator holds can fund a contract from the company. Before the grant the ERP's signed order is
    /// refused; the grant (signed with ethers over the node's typed data) lets it fund orders and confirm receipt as the
    /// company; a tampered order or another company's grant does not; after the company revokes it, nothing more.
    /// </summary>
    [Fact]
    public async Task ErpKey_GrantedByThePayersSignature_PlacesPaysAndConfirms_UntilRevoked_OperatorHasNoWay()
    {
        Party buyer = new(), supplier = new(), carrier = new(), other = new(), erp = new();
        await using var m = await Market.StartAsync(null, true, buyer, other);
        var chainId = (await m.Node.Anonymous.GetHealthAsync()).ChainId;

        // Stock ran low: the ERP orders 40 units and pays the supplier and the carrier in one call, signed with its own key.
        string Order(string id, string amount) => JsonSerializer.Serialize(new
        {
            id,
            kind = "split",
            coin = "NUSD",
            amount = amount + Whole,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["supplier"] = supplier.Address, ["carrier"] = carrier.Address },
            payer = "buyer",
            recipients = new object[] { new { party = "supplier", bps = 9_500 }, new { party = "carrier", bps = 500 } },
            reference = "ERP PO 88231: 40 × SKU-7781, stock below reorder point",
        }, Json);
        async Task<HttpResponseMessage> PostAsync(string body, Party signer, string? tamper = null)
        {
            using var document = JsonDocument.Parse(body);
            var id = UInt128.Parse(document.RootElement.GetProperty("id").GetString()!, CultureInfo.InvariantCulture);
            var signature = ContractEventSignature.SignFunding(signer.Key, id, Encoding.UTF8.GetBytes(body));
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/contracts") { Content = new StringContent(tamper ?? body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Centime-Payer-Signature", signature.ToHex());
            using var anonymous = new HttpClient { BaseAddress = new Uri(m.Node.BaseUrl) };
            return await anonymous.SendAsync(request);
        }

        var order = Order("5550001", "120");
        await m.RefusedAsync(await PostAsync(order, erp), 403, "erp_key_not_authorized"); // not granted yet

        // The operator key has no route that yields a funding credential (the HMAC webhook secrets are gone).
        using (var noSecret = await m.Operator.PostAsJsonAsync("v1/contracts/webhook-secrets", new { payer = buyer.Address }, Json))
        {
            Assert.True((int)noSecret.StatusCode is 404 or 405, $"webhook-secrets answered {(int)noSecret.StatusCode}");
        }

        // The buyer grants the ERP's key: ethers signs the typed data the node publishes, as a wallet would.
        var validUntil = ((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 86_400).ToString(CultureInfo.InvariantCulture);
        var draft = await m.Node.Anonymous.ErpKeyTypedDataAsync(new ErpKeyGrantDraft(buyer.Address, erp.Address, validUntil));
        var ethers = EthersBridge.Call(new System.Text.Json.Nodes.JsonObject
        {
            ["op"] = "signTypedData",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(buyer.Key),
            ["typedData"] = System.Text.Json.Nodes.JsonNode.Parse(draft.TypedData.GetRawText()),
        });
        Assert.Equal(draft.Digest, ethers["digest"]!.GetValue<string>());
        Assert.Equal(HolderTypedData.ErpKeyType, ethers["encodeType"]!.GetValue<string>());
        var grant = new ErpKeyRequest(buyer.Address, erp.Address, validUntil, draft.Nonce, ethers["signature"]!.GetValue<string>());

        // Someone else's signature over the buyer's grant, or a changed grant, is refused; nothing is recorded.
        var forged = new HolderSigner(other.Key).SignErpKey(chainId, Centime.Ledger.Address.Parse(erp.Address), ulong.Parse(validUntil, CultureInfo.InvariantCulture)) with { Party = buyer.Address };
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/erp-keys", forged, Json), 422, "signer_mismatch");
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/erp-keys", grant with { Erp = other.Address }, Json), 422, "signer_mismatch");
        Assert.Empty((await m.Node.Anonymous.ListErpKeysAsync(buyer.Address)).Items);

        var granted = await m.Node.Anonymous.RegisterErpKeyAsync(grant);
        Assert.True(granted.Active);
        Assert.Equal(erp.Address, Assert.Single((await m.Node.Anonymous.ListErpKeysAsync(buyer.Address)).Items).Erp);
        await m.RefusedAsync(await m.Node.Http.PostAsJsonAsync("v1/contracts/erp-keys", grant, Json), 409, "contract_nonce_used"); // a replayed grant

        // A body changed in transit recovers to no granted key; the grant does not reach another company's money.
        await m.RefusedAsync(await PostAsync(order, erp, tamper: order.Replace("120", "999", StringComparison.Ordinal)), 403, "erp_key_not_authorized");
        var othersOrder = order.Replace(buyer.Address, other.Address, StringComparison.Ordinal);
        await m.RefusedAsync(await PostAsync(othersOrder, erp), 403, "erp_key_not_authorized");
        Assert.Equal(N("1000"), await m.BalanceAsync(buyer.Address));
        Assert.Equal(N("1000"), await m.BalanceAsync(other.Address));

        using (var ok = await PostAsync(order, erp))
        {
            Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        }

        Assert.Equal(N("114"), await m.BalanceAsync(supplier.Address));
        Assert.Equal(N("6"), await m.BalanceAsync(carrier.Address));
        Assert.Equal(N("880"), await m.BalanceAsync(buyer.Address));

        // A retried delivery answers the same contract and pays nothing twice.
        using (var retried = await PostAsync(order, erp))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
            Assert.Equal("5550001", (await retried.Content.ReadFromJsonAsync<ContractInfo>(Json))!.Id);
        }

        Assert.Equal(N("880"), await m.BalanceAsync(buyer.Address));

        // A second order held in escrow, signed as typed data by ethers through the node's funding route; the ERP then
        // confirms the goods received as the buyer (the escrow's confirmer) with its own event signature.
        var escrow = JsonSerializer.Serialize(new
        {
            id = "5550002",
            kind = "escrow",
            coin = "NUSD",
            amount = "30" + Whole,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["supplier"] = supplier.Address },
            payer = "buyer",
            payee = "supplier",
            deadlineSeconds = 86_400,
        }, Json);
        var funding = await m.Node.Anonymous.ContractFundingTypedDataAsync(escrow);
        var erpSigned = EthersBridge.Call(new System.Text.Json.Nodes.JsonObject
        {
            ["op"] = "signTypedData",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(erp.Key),
            ["typedData"] = System.Text.Json.Nodes.JsonNode.Parse(funding.TypedData.GetRawText()),
        });
        Assert.Equal(funding.Digest, erpSigned["digest"]!.GetValue<string>());
        var placed = await m.Node.Anonymous.CreatePayerSignedContractAsync(escrow, erpSigned["signature"]!.GetValue<string>());
        Assert.Equal("open", placed.Status);
        Assert.Equal(N("850"), await m.BalanceAsync(buyer.Address));

        await m.RefusedAsync(await m.SendEventAsync("5550002", other, "confirm"), 403, "not_designated_party");
        await m.EventAsync("5550002", erp, "confirm", reason: "GRN 5531: 40 units received");
        Assert.Equal(N("144"), await m.BalanceAsync(supplier.Address));

        // The buyer revokes the key (validity 0): its next order and its events are refused.
        await m.Node.Anonymous.RegisterErpKeyAsync(new HolderSigner(buyer.Key).SignErpKey(chainId, Centime.Ledger.Address.Parse(erp.Address), 0));
        Assert.Empty((await m.Node.Anonymous.ListErpKeysAsync(buyer.Address)).Items);
        await m.RefusedAsync(await PostAsync(Order("5550003", "10"), erp), 403, "erp_key_not_authorized");
        Assert.Equal(N("850"), await m.BalanceAsync(buyer.Address));
    }

    [Fact]
    public async Task PayerSigned_Contract_FundedWithoutTheOperatorKey()
    {
        Party buyer = new(), seller = new();
        await using var m = await Market.StartAsync(null, true, buyer);
        var body = JsonSerializer.Serialize(new
        {
            id = "7770001",
            kind = "escrow",
            coin = "NUSD",
            amount = "50" + Whole,
            parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["seller"] = seller.Address },
            payer = "buyer",
            payee = "seller",
            deadlineSeconds = 3600,
        }, Json);

        async Task<HttpResponseMessage> PostAsync(Party signer, string text)
        {
            var signature = ContractEventSignature.SignFunding(signer.Key, 7770001, Encoding.UTF8.GetBytes(text));
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/contracts") { Content = new StringContent(text, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Centime-Payer-Signature", signature.ToHex());
            using var anonymous = new HttpClient { BaseAddress = new Uri(m.Node.BaseUrl) };
            return await anonymous.SendAsync(request);
        }

        await m.RefusedAsync(await PostAsync(seller, body), 403, "erp_key_not_authorized"); // only the payer (or an ERP key it granted) funds
        using var ok = await PostAsync(buyer, body);
        Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        Assert.Equal(N("950"), await m.BalanceAsync(buyer.Address));
        using (var replay = await PostAsync(buyer, body))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode); // a replay answers the contract and funds nothing
        }

        Assert.Equal(N("950"), await m.BalanceAsync(buyer.Address));
        await m.EventAsync("7770001", buyer, "confirm"); // the confirmer defaults to the payer
        Assert.Equal(N("50"), await m.BalanceAsync(seller.Address));
    }

    [Fact]
    public async Task Subscription_PulledUpToItsLimitPerPeriod_UntilThePayerCancels()
    {
        Party reader = new(), newsroom = new();
        await using var m = await Market.StartAsync(null, true, reader);
        var sub = await m.CreateAsync(new
        {
            kind = "subscription",
            coin = "NUSD",
            amount = "5" + Whole,
            periodSeconds = 2_592_000,
            parties = new Dictionary<string, string> { ["reader"] = reader.Address, ["newsroom"] = newsroom.Address },
            payer = "reader",
            payee = "newsroom",
        });
        Assert.Equal(N("1000"), await m.BalanceAsync(reader.Address)); // nothing locked
        var charged = await m.EventAsync(sub.Id, newsroom, "charge", "5" + Whole);
        Assert.Equal("0", charged.LeftThisPeriod);
        await m.RefusedAsync(await m.SendEventAsync(sub.Id, newsroom, "charge", "1"), 422, "exceeds_period_limit");
        await m.RefusedAsync(await m.SendEventAsync(sub.Id, newsroom, "cancel"), 403, "not_designated_party");
        await m.EventAsync(sub.Id, reader, "cancel");
        await m.RefusedAsync(await m.SendEventAsync(sub.Id, newsroom, "charge", "1"), 409, "contract_closed");
        Assert.Equal(N("995"), await m.BalanceAsync(reader.Address));
        Assert.Equal(N("5"), await m.BalanceAsync(newsroom.Address));
    }

    [Fact]
    public async Task BadContracts_RefusedWithClearCodes_MovingNothing()
    {
        Party a = new(), b = new();
        await using var m = await Market.StartAsync(null, true, a);
        var parties = new Dictionary<string, string> { ["a"] = a.Address, ["b"] = b.Address };
        await m.RefusedAsync(await m.PostContractAsync(new { kind = "split", coin = "NUSD", amount = "100", parties, payer = "a", recipients = new object[] { new { party = "b", bps = 9_999 } } }), 422, "split_not_100_percent");
        await m.RefusedAsync(await m.PostContractAsync(new
        {
            kind = "milestones",
            coin = "NUSD",
            amount = "100",
            parties,
            payer = "a",
            payee = "b",
            milestones = new object[] { new { name = "x", amount = "50" }, new { name = "y", amount = "49" } },
        }), 422, "amounts_do_not_add_up");
        await m.RefusedAsync(await m.PostContractAsync(new { kind = "escrow", coin = "NUSD", amount = "100", parties, payer = "a", payee = "carol", deadlineSeconds = 60 }), 422, "unknown_party");
        await m.RefusedAsync(await m.PostContractAsync(new { kind = "escrow", coin = "NUSD", amount = "100", parties, payer = "a", payee = "b" }), 400, "missing_field");
        await m.RefusedAsync(await m.PostContractAsync(new { kind = "escrow", coin = "NUSD", amount = "2000" + Whole, parties, payer = "a", payee = "b", deadlineSeconds = 60 }), 422, "exceeds_balance");
        using (var anonymous = new HttpClient { BaseAddress = new Uri(m.Node.BaseUrl) })
        {
            await m.RefusedAsync(await anonymous.PostAsync("v1/contracts", new StringContent("{}", Encoding.UTF8, "application/json")), 401, "unauthorized");
        }

        Assert.Equal(N("1000"), await m.BalanceAsync(a.Address));
        Assert.Equal(UInt128.Zero, await m.BalanceAsync(b.Address));
        Assert.Empty((await m.Node.Http.GetFromJsonAsync<Page<ContractInfo>>("v1/contracts", Json))!.Items);

        var schema = await m.Node.Http.GetStringAsync("v1/contracts/schema");
        Assert.Contains("\"Centime contract\"", schema, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_DeadlinesPassedWhileDown_FireOnceInOrder_AndReplayReproducesContracts()
    {
        Party buyer = new(), seller = new(), platform = new();
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var m = await Market.StartAsync(data, true, buyer, seller);
        string escrowId, bondId, openId;
        try
        {
            var parties = new Dictionary<string, string> { ["buyer"] = buyer.Address, ["seller"] = seller.Address, ["platform"] = platform.Address };
            escrowId = (await m.CreateAsync(new { kind = "escrow", coin = "NUSD", amount = "10" + Whole, parties, payer = "buyer", payee = "seller", deadlineSeconds = 2 })).Id;
            bondId = (await m.CreateAsync(new { kind = "bond", coin = "NUSD", amount = "50" + Whole, parties, payer = "seller", payee = "platform", slasher = "platform", deadlineSeconds = 1 })).Id;
            openId = (await m.CreateAsync(new { kind = "escrow", coin = "NUSD", amount = "5" + Whole, parties, payer = "buyer", payee = "seller", deadlineSeconds = 3600 })).Id;
            await m.EventAsync(bondId, platform, "slash", "1" + Whole, "late");
        }
        finally
        {
            m.Operator.Dispose();
            await m.Node.StopAsync();
        }

        await Task.Delay(3_000); // both deadlines pass while the node is down

        string after;
        var again = await Market.StartAsync(data, setup: false);
        try
        {
            var bond = await again.WaitClosedAsync(bondId);
            var escrow = await again.WaitClosedAsync(escrowId);
            Assert.Equal(["fund", "slash", "return"], bond.Steps.Select(s => s.Step));
            Assert.Equal(["fund", "refund"], escrow.Steps.Select(s => s.Step));
            // In order: the bond's deadline (1 s) came before the escrow's (2 s); both ran in the first block after the restart.
            Assert.True(UInt128.Parse(bond.Steps[^1].Transfer, CultureInfo.InvariantCulture) < UInt128.Parse(escrow.Steps[^1].Transfer, CultureInfo.InvariantCulture));
            Assert.Equal("open", (await again.GetAsync(openId)).Status);
            Assert.Equal(N("995"), await again.BalanceAsync(buyer.Address));
            Assert.Equal(N("999"), await again.BalanceAsync(seller.Address));
            Assert.Equal(N("1"), await again.BalanceAsync(platform.Address));
            after = await again.Node.Http.GetStringAsync("v1/contracts");
        }
        finally
        {
            again.Operator.Dispose();
            await again.Node.StopAsync();
        }

        // Replay of the whole journal (no snapshot) reproduces every contract, and fires nothing twice.
        foreach (var snapshot in Directory.GetFiles(data, "snapshot-*.snap", SearchOption.AllDirectories))
        {
            File.Delete(snapshot);
        }

        await using var replayed = await Market.StartAsync(data, setup: false);
        var list = await replayed.Node.Http.GetStringAsync("v1/contracts");
        Assert.Equal(after, list);
        Assert.Equal(N("995"), await replayed.BalanceAsync(buyer.Address));
        Assert.Equal(N("999"), await replayed.BalanceAsync(seller.Address));
    }
}
