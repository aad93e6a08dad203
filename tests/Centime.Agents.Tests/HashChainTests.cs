using System.Globalization;
using System.Net;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Ledger;
using Eip712Domain = Centime.Client.Eip712Domain;

namespace Centime.Agents.Tests;

/// <summary>Centime's high-frequency scheme, centime-hashchain: channel open/settle/close at the facilitator,
/// and paid requests through the middleware and the C# client with one keccak per request.</summary>
public sealed class HashChainTests
{
    private sealed record Channel(ChannelTerms Terms, Hash32[] Words, ExactEvmPayload Deposit, Hash32 Id);

    private static Channel NewChannel(LedgerNode node, int capacity, UInt128 unit, HolderSigner? payer = null, long? expiry = null)
    {
        payer ??= LedgerNode.Payer;
        var asset = node.Asset;
        var words = HashChain.Generate(HolderSigner.NewNonce(), capacity);
        var exp = expiry ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        var terms = new ChannelTerms
        {
            Payer = payer.Address.ToString(),
            PayTo = LedgerNode.Merchant.ToString(),
            Asset = asset.Address,
            Network = asset.Network,
            Unit = unit.ToString(CultureInfo.InvariantCulture),
            Capacity = capacity,
            Root = words[0].ToString(),
            Expiry = exp,
        };
        Assert.True(terms.TryResolve(out var resolved));
        var signed = payer.SignAuthorization(new Eip712Domain(asset.Name, asset.Version, asset.ChainId, asset.Address), resolved.Escrow, unit * (ulong)capacity, 0,
            (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60, resolved.Id);
        var deposit = new ExactEvmPayload
        {
            Signature = signed.Signature!,
            Authorization = new ExactEvmAuthorization { From = signed.From, To = signed.To, Value = signed.Value, ValidAfter = signed.ValidAfter, ValidBefore = signed.ValidBefore, Nonce = signed.Nonce },
        };
        return new Channel(terms, words, deposit, resolved.Id);
    }

    [Fact]
    public async Task Facilitator_OpenSettleClose_PaysNetOnce()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var c = NewChannel(node, 100, 1000);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        var opened = await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit });
        var reopened = await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit });
        var s10 = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 10, Word = c.Words[10].ToString() });
        var s10Again = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 10, Word = c.Words[10].ToString() });
        var s5 = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 5, Word = c.Words[5].ToString() });
        var early = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 40, Word = c.Words[40].ToString(), Close = true });
        var s40 = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 40, Word = c.Words[40].ToString() });

        Assert.True(opened.Success, opened.ErrorReason);
        // Opening an open channel answers where the ledger has it (a server that forgot it resumes there).
        Assert.True(reopened.Success, reopened.ErrorReason + " " + reopened.ErrorMessage);
        Assert.Empty(reopened.Transactions);
        Assert.Equal(0, reopened.Index);
        Assert.Equal(c.Words[0].ToString(), reopened.Word);
        Assert.True(s10.Success);
        Assert.Equal("10000", s10.Paid);
        Assert.Single(s10.Transactions);
        Assert.True(s10Again.Success);
        Assert.Empty(s10Again.Transactions);
        Assert.Equal(HashChainErrorReasons.InvalidIndex, s5.ErrorReason);   // words up to 10 are spent
        Assert.Equal(HashChainErrorReasons.ChannelNotClosable, early.ErrorReason);
        Assert.Equal("40000", s40.Paid);
        Assert.Equal("60000", s40.Remaining);
        Assert.Equal(before - 100_000, await node.BalanceAsync(LedgerNode.Payer.Address));
        Assert.Equal((UInt128)40_000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task Facilitator_SpentChannel_Closes_NothingMore()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var c = NewChannel(node, 20, 500);
        Assert.True((await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit })).Success);

        var closed = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 20, Word = c.Words[20].ToString(), Close = true });
        var again = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 20, Word = c.Words[20].ToString(), Close = true });

        Assert.True(closed.Success, closed.ErrorReason);
        Assert.Equal("10000", closed.Paid);
        Assert.Equal("0", closed.Remaining);
        Assert.Equal(HashChainErrorReasons.ChannelClosed, again.ErrorReason);
        Assert.Equal((UInt128)10_000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task Facilitator_Attacks_Refused()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var c = NewChannel(node, 50, 1000);
        var other = NewChannel(node, 50, 1000);

        var notOpen = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 1, Word = c.Words[1].ToString() });
        var wrongNonce = await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = other.Deposit });
        var inflated = await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms with { Capacity = 500 }, Deposit = c.Deposit });
        Assert.True((await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit })).Success);
        var forged = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 30, Word = c.Words[29].ToString() });
        var beyond = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 51, Word = c.Words[50].ToString() });
        var otherPayee = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms with { PayTo = LedgerNode.Other.Address.ToString() }, Index = 3, Word = c.Words[3].ToString() });

        Assert.Equal(HashChainErrorReasons.UnknownChannel, notOpen.ErrorReason);
        Assert.Equal(HashChainErrorReasons.InvalidTerms, wrongNonce.ErrorReason);
        Assert.Equal(HashChainErrorReasons.InvalidTerms, inflated.ErrorReason);
        Assert.Equal(HashChainErrorReasons.InvalidWord, forged.ErrorReason);
        Assert.Equal(HashChainErrorReasons.InvalidIndex, beyond.ErrorReason);
        Assert.Equal(HashChainErrorReasons.UnknownChannel, otherPayee.ErrorReason);
        Assert.Equal(UInt128.Zero, await node.BalanceAsync(LedgerNode.Merchant));
    }

    [Fact]
    public async Task CSharpClient_ManyRequests_OneChannel_SettledNet()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        await using var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: true);
        var counter = new CountingHandler(new SocketsHttpHandler());
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous, counter) { HashChainCapacity = 100 };
        using var http = new HttpClient(handler);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        for (var i = 0; i < 30; i++)
        {
            using var response = await http.GetAsync(api.BaseUrl + "weather");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(X402Headers.TryDecode<SettleResponse>(response.Headers.GetValues(X402Headers.PaymentResponse).Single(), out var receipt));
            Assert.True(receipt.Success);
        }

        Assert.Equal(1, counter.PaymentRequired);
        Assert.Equal(31, counter.Sent);
        Assert.Equal(30, api.HandlerRuns);
        Assert.Equal(before - 1_000_000, await node.BalanceAsync(LedgerNode.Payer.Address));   // the deposit: 100 × 0.01
        Assert.Equal(UInt128.Zero, await node.BalanceAsync(LedgerNode.Merchant));                  // nothing settled yet
        Assert.Equal(30, api.Options.Channels.UnsettledUnits);

        Assert.Equal(1, await api.Options.Channels.SettleAsync(facilitator));

        Assert.Equal((UInt128)300_000, await node.BalanceAsync(LedgerNode.Merchant));
        Assert.Equal(0, api.Options.Channels.UnsettledUnits);
    }

    [Fact]
    public async Task CSharpClient_ChannelShrinksToTheBudget_ThenRefuses()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        await using var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: true);
        using var handler = new X402PaymentHandler(LedgerNode.Payer, Payments.Generous with { MaxPerDay = 250_000 }) { HashChainCapacity = 1000 };
        using var http = new HttpClient(handler);
        var before = await node.BalanceAsync(LedgerNode.Payer.Address);

        for (var i = 0; i < 25; i++)
        {
            using var response = await http.GetAsync(api.BaseUrl + "weather");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var refused = await Assert.ThrowsAsync<X402PaymentRefusedException>(() => http.GetAsync(api.BaseUrl + "weather"));
        await api.Options.Channels.SettleAsync(facilitator);

        Assert.Equal(PaymentRefusal.ExceedsPerDay, refused.Reason);
        Assert.Equal(before - 250_000, await node.BalanceAsync(LedgerNode.Payer.Address));   // a 25-word channel, not 1000
        Assert.Equal((UInt128)250_000, await node.BalanceAsync(LedgerNode.Merchant));
        Assert.Equal((UInt128)250_000, handler.SpentToday);
    }

    [Fact]
    public async Task Middleware_ReplayedOrForgedWord_402()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        await using var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: true);
        using var http = new HttpClient();
        using var challengeResponse = await http.GetAsync(api.BaseUrl + "weather");
        Assert.True(X402Headers.TryDecode<PaymentRequired>(challengeResponse.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge));
        var offer = Assert.Single(challenge.Accepts, o => o.Scheme == HashChain.Scheme);
        var c = NewChannel(node, 10, 10_000);

        string Header(long index, Hash32 word, bool open) => X402Headers.Encode(new PaymentPayload
        {
            X402Version = 2,
            Resource = challenge.Resource,
            Accepted = offer,
            Extensions = [],
            Payload = System.Text.Json.JsonSerializer.SerializeToElement(new HashChainPayload
            {
                ChannelId = c.Id.ToString(),
                Index = index,
                Word = word.ToString(),
                Terms = open ? c.Terms : null,
                Deposit = open ? c.Deposit : null,
            }, X402Headers.Json),
        });

        using var unknown = await SendAsync(http, api.BaseUrl + "weather", Header(1, c.Words[1], open: false));
        using var first = await SendAsync(http, api.BaseUrl + "weather", Header(1, c.Words[1], open: true));
        using var replay = await SendAsync(http, api.BaseUrl + "weather", Header(1, c.Words[1], open: false));
        using var forged = await SendAsync(http, api.BaseUrl + "weather", Header(2, c.Words[3], open: false));
        using var second = await SendAsync(http, api.BaseUrl + "weather", Header(2, c.Words[2], open: false));
        using var skipAhead = await SendAsync(http, api.BaseUrl + "weather", Header(5, c.Words[5], open: false));
        using var exhausted = await SendAsync(http, api.BaseUrl + "weather", Header(11, c.Words[10], open: false));

        Assert.Equal(HashChainErrorReasons.UnknownChannel, ErrorOf(unknown));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HashChainErrorReasons.InvalidIndex, ErrorOf(replay));
        Assert.Equal(HashChainErrorReasons.InvalidWord, ErrorOf(forged));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, skipAhead.StatusCode);
        Assert.Equal(HashChainErrorReasons.ChannelExhausted, ErrorOf(exhausted));
        Assert.Equal(3, api.HandlerRuns);
        await api.Options.Channels.SettleAsync(facilitator);
        Assert.Equal((UInt128)50_000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    /// <summary>A channel's paid index and word are ledger state: in the snapshot (so in the state hash) and read
    /// back from it exactly — not a node-side dictionary.</summary>
    [Fact]
    public async Task ChannelState_InSnapshotAndStateHash_RoundTrips()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var c = NewChannel(node, 10, 1000);
        Assert.True((await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit })).Success);
        Hash32 hashBefore, hashAfterSettle;
        using (node.Node.Context.Sequencer.ReadLock())
        {
            hashBefore = node.Node.Context.Sequencer.State.ComputeStateHash();
        }

        Assert.True((await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 7, Word = c.Words[7].ToString() })).Success);
        using var snapshot = new MemoryStream();
        using (node.Node.Context.Sequencer.ReadLock())
        {
            hashAfterSettle = node.Node.Context.Sequencer.State.ComputeStateHash();
            node.Node.Context.Sequencer.State.WriteSnapshot(snapshot);
        }

        snapshot.Position = 0;
        var modules = Centime.Node.CentimeNode.CreateModules(); // exactly the node's modules, whatever they are
        var module = modules.OfType<ChannelModule>().Single();
        var restored = LedgerState.ReadSnapshot(snapshot, modules);

        Assert.NotEqual(hashBefore, hashAfterSettle);
        Assert.Equal(hashAfterSettle, restored.ComputeStateHash());
        Assert.True(module.TryGet(c.Id, out var record));
        Assert.Equal(7UL, record.PaidIndex);
        Assert.Equal(c.Words[7], record.PaidWord);
        Assert.False(record.Closed);
    }

    /// <summary>Issue 12 item 4: a closed (refunded) channel never opens again and pays nothing more.</summary>
    [Fact]
    public async Task Facilitator_ClosedChannel_NeverReopens_NothingMoreMoves()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        var c = NewChannel(node, 4, 1000);
        Assert.True((await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit })).Success);
        Assert.True((await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 4, Word = c.Words[4].ToString(), Close = true })).Success);
        var payerAfterClose = await node.BalanceAsync(LedgerNode.Payer.Address);

        var reopen = await facilitator.OpenChannelAsync(new ChannelOpenRequest { Terms = c.Terms, Deposit = c.Deposit });
        var settleAgain = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 4, Word = c.Words[4].ToString() });
        var closeAgain = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = c.Terms, Index = 4, Word = c.Words[4].ToString(), Close = true });

        Assert.Equal(HashChainErrorReasons.ChannelClosed, reopen.ErrorReason);
        Assert.Equal(HashChainErrorReasons.ChannelClosed, settleAgain.ErrorReason);
        Assert.Equal(HashChainErrorReasons.ChannelClosed, closeAgain.ErrorReason);
        Assert.Equal((UInt128)4000, await node.BalanceAsync(LedgerNode.Merchant));
        Assert.Equal(payerAfterClose, await node.BalanceAsync(LedgerNode.Payer.Address));
    }

    /// <summary>Issue 12 item 4, must-show: the resource server closes a spent channel (its periodic settle) and
    /// forgets it; re-sending the channel's first payload (terms, deposit, word 1) and every later word serves nothing.</summary>
    [Fact]
    public async Task Middleware_ReplayAfterServerClosedTheChannel_ServesNothing()
    {
        await using var node = await LedgerNode.StartAsync();
        using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        await using var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: true);
        using var http = new HttpClient();
        var (header, c) = await ChannelHeadersAsync(http, api, node, capacity: 3);
        for (var i = 1; i <= 3; i++)
        {
            using var paid = await SendAsync(http, api.BaseUrl + "weather", header(i, i == 1));
            Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        }

        Assert.Equal(1, await api.Options.Channels.SettleAsync(facilitator, close: true));   // spent: settled, closed, forgotten
        Assert.Equal(0, api.Options.Channels.Count);
        var runs = api.HandlerRuns;

        var replays = new List<HttpStatusCode>();
        for (var i = 1; i <= 3; i++)
        {
            using var replay = await SendAsync(http, api.BaseUrl + "weather", header(i, true));
            replays.Add(replay.StatusCode);
            Assert.Equal(HashChainErrorReasons.ChannelClosed, ErrorOf(replay));
        }

        Assert.All(replays, s => Assert.Equal(HttpStatusCode.PaymentRequired, s));
        Assert.Equal(runs, api.HandlerRuns);
        Assert.Equal((UInt128)30_000, await node.BalanceAsync(LedgerNode.Merchant));
    }

    /// <summary>Issue 12 item 4, must-show: the resource server settles and stops, the node restarts (recovering the
    /// channel from its journal), a new server with an empty channel book starts; replaying every word already
    /// paid serves nothing, and the next word is served and paid once.</summary>
    [Fact]
    public async Task Middleware_ReplayAfterServerAndNodeRestart_ServesNothingUnpaid()
    {
        await using var node = await LedgerNode.StartAsync();
        var c = NewChannel(node, 10, 10_000);
        Func<long, bool, string> header;
        using var http = new HttpClient();
        {
            using var facilitator = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
            await using var api = await PaidApi.StartAsync(facilitator, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: true);
            (header, _) = await ChannelHeadersAsync(http, api, node, channel: c);
            for (var i = 1; i <= 4; i++)
            {
                using var paid = await SendAsync(http, api.BaseUrl + "weather", header(i, i == 1));
                Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
            }

            Assert.Equal(1, await api.Options.Channels.SettleAsync(facilitator));   // the server's last settle before it stops
        }

        await node.RestartAsync();
        using var facilitator2 = new HttpFacilitatorClient(new Uri(node.FacilitatorUrl));
        await using var restarted = await PaidApi.StartAsync(facilitator2, new NodeAssetDirectory(new CentimeClient(new Uri(node.BaseUrl))), hashChain: true);
        (header, _) = await ChannelHeadersAsync(http, restarted, node, channel: c);

        for (var i = 1; i <= 4; i++)
        {
            using var replay = await SendAsync(http, restarted.BaseUrl + "weather", header(i, true));
            Assert.Equal(HttpStatusCode.PaymentRequired, replay.StatusCode);
            Assert.Equal(HashChainErrorReasons.InvalidIndex, ErrorOf(replay));
        }

        Assert.Equal(0, restarted.HandlerRuns);
        using var next = await SendAsync(http, restarted.BaseUrl + "weather", header(5, false));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, restarted.HandlerRuns);
        Assert.Equal(1, await restarted.Options.Channels.SettleAsync(facilitator2));
        Assert.Equal((UInt128)50_000, await node.BalanceAsync(LedgerNode.Merchant));   // five words, each paid once
    }

    /// <summary>Headers of one channel's payments to <paramref name="api"/>'s hash-chain offer: (index, withOpen).</summary>
    private static async Task<(Func<long, bool, string> Header, Channel Channel)> ChannelHeadersAsync(HttpClient http, PaidApi api, LedgerNode node, int capacity = 10, Channel? channel = null)
    {
        using var challengeResponse = await http.GetAsync(api.BaseUrl + "weather");
        Assert.True(X402Headers.TryDecode<PaymentRequired>(challengeResponse.Headers.GetValues(X402Headers.PaymentRequired).Single(), out var challenge));
        var offer = Assert.Single(challenge.Accepts, o => o.Scheme == HashChain.Scheme);
        var c = channel ?? NewChannel(node, capacity, 10_000);
        return ((index, open) => X402Headers.Encode(new PaymentPayload
        {
            X402Version = 2,
            Resource = challenge.Resource,
            Accepted = offer,
            Extensions = [],
            Payload = System.Text.Json.JsonSerializer.SerializeToElement(new HashChainPayload
            {
                ChannelId = c.Id.ToString(),
                Index = index,
                Word = c.Words[index].ToString(),
                Terms = open ? c.Terms : null,
                Deposit = open ? c.Deposit : null,
            }, X402Headers.Json),
        }), c);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string url, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation(X402Headers.PaymentSignature, header);
        return await http.SendAsync(request);
    }

    private static string? ErrorOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues(X402Headers.PaymentRequired, out var v) && X402Headers.TryDecode<PaymentRequired>(v.Single(), out var c) ? c.Error : null;

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Sent;
        public int PaymentRequired;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sent);
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 402)
            {
                Interlocked.Increment(ref PaymentRequired);
            }

            return response;
        }
    }
}
