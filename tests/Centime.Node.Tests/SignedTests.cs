using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>Holder-signed commands through the REST API of a real node: happy paths and every attack the
/// signature issue names, each refused with its own problem code and without moving money.</summary>
public sealed class SignedTests
{
    private static readonly BigInteger CurveOrder = BigInteger.Parse("115792089237316195423570985008687907852837564279074904382605163141518161494337", CultureInfo.InvariantCulture);

    private static readonly HolderSigner Alice = new(Keccak256.Hash("centime test alice"u8));
    private static readonly HolderSigner Bob = new(Keccak256.Hash("centime test bob"u8));
    private static readonly HolderSigner Mallory = new(Keccak256.Hash("centime test mallory"u8));

    private static ulong Now => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task TransferWithAuthorization_Valid_MovesFundsAndUsesNonce()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 250_000, 0, Now + 3600);

        var outcome = await node.Anonymous.TransferWithAuthorizationAsync("NUSD", auth);

        Assert.Equal("ok", outcome.Result);
        await AssertBalances(node, ("750000", "250000"));
        var state = await node.Anonymous.GetAuthorizationStateAsync("NUSD", Alice.Address.ToString(), auth.Nonce);
        Assert.Equal("used", state.State);
        var transfer = await node.Anonymous.GetTransferAsync(outcome.Id!);
        Assert.Equal(Alice.Address.ToString(), transfer.Debit);
        Assert.Equal(Bob.Address.ToString(), transfer.Credit);
        Assert.Equal("250000", transfer.Amount);
    }

    [Fact]
    public async Task TransferWithAuthorization_VRS_FormAccepted()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 1, 0, Now + 3600);
        Assert.True(Signature.TryParse(auth.Signature!, out var sig));
        var split = auth with { Signature = null, V = sig.V, R = sig.R.ToString(), S = sig.S.ToString() };

        Assert.Equal("ok", (await node.Anonymous.TransferWithAuthorizationAsync("NUSD", split)).Result);
        await AssertBalances(node, ("999999", "1"));
    }

    [Fact]
    public async Task ReusedNonce_Refused_AuthorizationUsed_NothingMovesTwice()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 100, 0, Now + 3600);
        await node.Anonymous.TransferWithAuthorizationAsync("NUSD", auth);

        var replay = await Refused(node, "transfer-with-authorization", auth, 409, "authorization_used");
        Assert.Contains("already used", replay.Detail, StringComparison.Ordinal);

        // Same nonce, different amount: still the same (authorizer, nonce).
        var other = Alice.SignAuthorization(coin.Domain, Bob.Address, 5, 0, Now + 3600, Hash32.Parse(auth.Nonce));
        await Refused(node, "transfer-with-authorization", other, 409, "authorization_used");
        await AssertBalances(node, ("999900", "100"));
    }

    [Fact]
    public async Task ValidityWindow_ExpiredAndNotYetValid_Refused()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());

        var expired = Alice.SignAuthorization(coin.Domain, Bob.Address, 100, 0, Now - 10);
        await Refused(node, "transfer-with-authorization", expired, 422, "authorization_expired");

        var early = Alice.SignAuthorization(coin.Domain, Bob.Address, 100, Now + 3600, Now + 7200);
        await Refused(node, "transfer-with-authorization", early, 422, "authorization_not_yet_valid");

        await AssertBalances(node, ("1000000", "0"));

        // A refused authorization leaves its nonce unused, as a reverted transaction would.
        var state = await node.Anonymous.GetAuthorizationStateAsync("NUSD", Alice.Address.ToString(), early.Nonce);
        Assert.Equal("unused", state.State);
    }

    [Fact]
    public async Task CrossNetworkReplay_WrongChainId_RefusedBeforeTheLedger()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var mainnet = coin.Domain with { ChainId = 1 };
        var auth = Alice.SignAuthorization(mainnet, Bob.Address, 100, 0, Now + 3600);
        var height = (await node.Anonymous.GetHealthAsync()).Height;

        await Refused(node, "transfer-with-authorization", auth, 422, "wrong_chain_id");

        // Without the claimed chain id the signature simply does not recover to the payer.
        await Refused(node, "transfer-with-authorization", auth with { ChainId = null }, 422, "signer_mismatch");
        await AssertBalances(node, ("1000000", "0"));
        Assert.Equal(height, (await node.Anonymous.GetHealthAsync()).Height);
    }

    [Fact]
    public async Task CrossCoinReplay_WrongVerifyingContract_Refused()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var usd = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        await node.CoinWithHoldersAsync("NHKD", 1_000_000, Alice.Address.ToString());

        // Signed for NUSD, presented to NHKD.
        var auth = Alice.SignAuthorization(usd.Domain, Bob.Address, 100, 0, Now + 3600);
        await Refused(node, "transfer-with-authorization", auth, 422, "wrong_verifying_contract", coin: "NHKD");
        await Refused(node, "transfer-with-authorization", auth with { VerifyingContract = null }, 422, "signer_mismatch", coin: "NHKD");

        var hkd = await node.Anonymous.GetAccountAsync(Bob.Address.ToString());
        Assert.DoesNotContain(hkd.Balances, b => b.Balance != "0");
    }

    [Fact]
    public async Task HighS_Refused_SignatureHighS()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 100, 0, Now + 3600);
        Assert.True(Signature.TryParse(auth.Signature!, out var sig));

        // (r, n - s) with the other parity is the same signature in high-s form: valid ECDSA, refused by EIP-2.
        var s = new BigInteger(sig.S.ToBytes(), isUnsigned: true, isBigEndian: true);
        var highS = Hash32.FromBytes((CurveOrder - s).ToByteArray(isUnsigned: true, isBigEndian: true).PadLeft(32));
        var flipped = new Signature(sig.R, highS, (byte)(sig.V == 27 ? 28 : 27));
        Assert.False(flipped.IsLowS);

        await Refused(node, "transfer-with-authorization", auth with { Signature = flipped.ToHex() }, 422, "signature_high_s");
        await AssertBalances(node, ("1000000", "0"));
    }

    [Fact]
    public async Task SignatureBySomeoneElse_Refused_SignerMismatch()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());

        // Mallory signs a message that claims to move Alice's coins.
        var forged = Mallory.SignAuthorization(coin.Domain, Mallory.Address, 100, 0, Now + 3600) with { From = Alice.Address.ToString() };
        var problem = await Refused(node, "transfer-with-authorization", forged, 422, "signer_mismatch");
        Assert.Contains(Alice.Address.ToString(), problem.Detail, StringComparison.Ordinal);

        // Garbage that recovers to no key at all.
        var garbage = forged with { Signature = "0x" + new string('0', 128) + "1b" };
        await Refused(node, "transfer-with-authorization", garbage, 422, "signature_invalid");
        await AssertBalances(node, ("1000000", "0"));
    }

    [Fact]
    public async Task ReceiveWithAuthorization_OnlyThePayeeMaySubmit()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 300, 0, Now + 3600, receive: true);

        await Refused(node, "receive-with-authorization", auth, 422, "caller_must_be_payee");
        await Refused(node, "receive-with-authorization", Mallory.SignReceiveSubmission(coin.Domain, auth), 422, "caller_must_be_payee");

        // A receive authorization is not a transfer authorization (different type hash).
        await Refused(node, "transfer-with-authorization", auth, 422, "signer_mismatch");
        await AssertBalances(node, ("1000000", "0"));

        var outcome = await node.Anonymous.ReceiveWithAuthorizationAsync("NUSD", Bob.SignReceiveSubmission(coin.Domain, auth));
        Assert.Equal("ok", outcome.Result);
        await AssertBalances(node, ("999700", "300"));
    }

    [Theory]
    [InlineData("340282366920938463463374607431768211456")] // 2^128: beyond the ledger
    [InlineData("115792089237316195423570985008687907853269984665640564039457584007913129639935")] // uint256 max
    [InlineData("115792089237316195423570985008687907853269984665640564039457584007913129639936")] // 2^256: beyond uint256
    public async Task ValueBeyondLedgerRange_Refused_ValueOutOfRange(string value)
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 1, 0, Now + 3600) with { Value = value };

        await Refused(node, "transfer-with-authorization", auth, 422, "value_out_of_range");
        await AssertBalances(node, ("1000000", "0"));
    }

    [Fact]
    public async Task CancelAuthorization_ThenTransferWithThatNonce_Refused()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 100, 0, Now + 3600);

        // Mallory cannot cancel Alice's authorization.
        var forgedCancel = Mallory.SignCancel(coin.Domain, Hash32.Parse(auth.Nonce)) with { Authorizer = Alice.Address.ToString() };
        await Refused(node, "cancel-authorization", forgedCancel, 422, "signer_mismatch");

        Assert.Equal("ok", (await node.Anonymous.CancelAuthorizationAsync("NUSD", Alice.SignCancel(coin.Domain, Hash32.Parse(auth.Nonce)))).Result);
        Assert.Equal("canceled", (await node.Anonymous.GetAuthorizationStateAsync("NUSD", Alice.Address.ToString(), auth.Nonce)).State);
        await Refused(node, "transfer-with-authorization", auth, 409, "authorization_canceled");
        await AssertBalances(node, ("1000000", "0"));
    }

    [Fact]
    public async Task PermitAndTransferFrom_SpenderPullsWithinAllowanceOnly()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var merchant = Mallory; // any spender

        Assert.Equal("0", (await node.Anonymous.GetPermitNonceAsync("NUSD", Alice.Address.ToString())).Nonce);
        var permit = Alice.SignPermit(coin.Domain, merchant.Address, 500, nonce: 0, deadline: Now + 3600);
        Assert.Equal("ok", (await node.Anonymous.PermitAsync("NUSD", permit)).Result);
        Assert.Equal("500", (await node.Anonymous.GetAllowanceAsync("NUSD", Alice.Address.ToString(), merchant.Address.ToString())).Value);
        Assert.Equal("1", (await node.Anonymous.GetPermitNonceAsync("NUSD", Alice.Address.ToString())).Nonce);

        // Replaying the permit: its nonce is spent.
        await Refused(node, "permit", permit, 422, "nonce_invalid");

        var pull = merchant.SignTransferFrom(coin.Domain, Alice.Address, Bob.Address, 300, Now + 3600);
        var outcome = await node.Anonymous.TransferFromAsync("NUSD", pull);
        Assert.Equal("ok", outcome.Result);
        await AssertBalances(node, ("999700", "300"));
        Assert.Equal("200", (await node.Anonymous.GetAllowanceAsync("NUSD", Alice.Address.ToString(), merchant.Address.ToString())).Value);

        await Refused(node, "transfer-from", pull, 409, "authorization_used");
        var tooMuch = merchant.SignTransferFrom(coin.Domain, Alice.Address, Bob.Address, 201, Now + 3600);
        await Refused(node, "transfer-from", tooMuch, 422, "insufficient_allowance");

        // Bob has no allowance over Alice at all.
        var stranger = Bob.SignTransferFrom(coin.Domain, Alice.Address, Bob.Address, 1, Now + 3600);
        await Refused(node, "transfer-from", stranger, 422, "insufficient_allowance");
        await AssertBalances(node, ("999700", "300"));
    }

    [Fact]
    public async Task AuthorizationBatch_MixedVerdicts_OnlyValidItemsApply()
    {
        await using var node = await TestNode.StartSandboxAsync();
        var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var items = new List<AuthorizationRequest>();
        for (var i = 0; i < 40; i++)
        {
            items.Add(Alice.SignAuthorization(coin.Domain, Bob.Address, 10, 0, Now + 3600));
        }

        items[3] = Mallory.SignAuthorization(coin.Domain, Bob.Address, 10, 0, Now + 3600) with { From = Alice.Address.ToString() };
        items[7] = items[6]; // duplicate nonce inside one batch

        var response = await node.Anonymous.SubmitAuthorizationsAsync("NUSD", items);

        Assert.Equal(38, response.Succeeded);
        Assert.Equal("signer_mismatch", response.Results[3].Result);
        Assert.Equal("authorization_used", response.Results[7].Result);
        Assert.Null(response.Results[3].Id);
        await AssertBalances(node, ("999620", "380"));
    }

    [Fact]
    public async Task MalformedSignedRequests_ProblemCodes_NothingApplied()
    {
        await using var node = await TestNode.StartSandboxAsync();
        await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
        var height = (await node.Anonymous.GetHealthAsync()).Height;
        string[][] cases =
        [
            ["{\"from\":", "malformed_json"],
            ["{\"from\":\"" + Alice.Address + "\",\"to\":\"" + Bob.Address + "\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"9\",\"nonce\":\"0x" + new string('1', 64) + "\",\"signature\":\"0x12\",\"extra\":1}", "unknown_field"],
            ["{\"from\":\"" + Alice.Address + "\",\"to\":\"" + Bob.Address + "\",\"value\":\"-1\",\"validAfter\":\"0\",\"validBefore\":\"9\",\"nonce\":\"0x" + new string('1', 64) + "\",\"signature\":\"0x12\"}", "invalid_field"],
            ["{\"from\":\"0x1234\",\"to\":\"" + Bob.Address + "\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"9\",\"nonce\":\"0x" + new string('1', 64) + "\",\"signature\":\"0x12\"}", "invalid_address"],
            ["{\"from\":\"" + Alice.Address + "\",\"to\":\"" + Bob.Address + "\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"9\",\"nonce\":\"0x11\",\"signature\":\"0x12\"}", "invalid_field"],
            ["{\"from\":\"" + Alice.Address + "\",\"to\":\"" + Bob.Address + "\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"9\",\"nonce\":\"0x" + new string('1', 64) + "\",\"signature\":\"0x12\"}", "signature_invalid"],
            ["{\"from\":\"" + Alice.Address + "\",\"to\":\"" + Bob.Address + "\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"9\",\"nonce\":\"0x" + new string('1', 64) + "\"}", "missing_field"],
        ];
        foreach (var c in cases)
        {
            using var response = await node.PostRawAsync("v1/coins/NUSD/transfer-with-authorization", c[0]);
            var problem = await node.ReadProblemAsync(response);
            Assert.True(c[1] == problem.Code, $"{c[0]} → {problem.Code}, expected {c[1]}");
        }

        using var unknownCoin = await node.PostRawAsync("v1/coins/NOPE/transfer-with-authorization", cases[^1][0]);
        Assert.Equal(HttpStatusCode.NotFound, unknownCoin.StatusCode);
        Assert.Equal("coin_not_found", (await node.ReadProblemAsync(unknownCoin)).Code);

        Assert.Equal(height, (await node.Anonymous.GetHealthAsync()).Height);
        await AssertBalances(node, ("1000000", "0"));
    }

    [Fact]
    public async Task SignedState_SurvivesRestart()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        AuthorizationRequest auth;
        {
            var node = await TestNode.StartSandboxAsync(data); // stopped, not disposed: disposal deletes the data directory
            var coin = await node.CoinWithHoldersAsync("NUSD", 1_000_000, Alice.Address.ToString());
            auth = Alice.SignAuthorization(coin.Domain, Bob.Address, 100, 0, Now + 3600);
            await node.Anonymous.TransferWithAuthorizationAsync("NUSD", auth);
            await node.Anonymous.PermitAsync("NUSD", Alice.SignPermit(coin.Domain, Bob.Address, null, 0, Now + 3600));
            await node.StopAsync();
        }

        await using var restarted = await TestNode.StartSandboxAsync(data);
        await Refused(restarted, "transfer-with-authorization", auth, 409, "authorization_used");
        Assert.Equal(UInt128.MaxValue.ToString(CultureInfo.InvariantCulture), (await restarted.Anonymous.GetAllowanceAsync("NUSD", Alice.Address.ToString(), Bob.Address.ToString())).Value);
        Assert.Equal("1", (await restarted.Anonymous.GetPermitNonceAsync("NUSD", Alice.Address.ToString())).Nonce);
    }

    private static async Task<Problem> Refused<T>(TestNode node, string action, T body, int status, string code, string coin = "NUSD")
    {
        using var response = await node.Http.PostAsJsonAsync($"v1/coins/{coin}/{action}", body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        });
        var problem = await node.ReadProblemAsync(response);
        Assert.True(code == problem.Code, $"{action}: expected {code}, got {problem.Code}: {problem.Detail}");
        Assert.Equal(status, (int)response.StatusCode);
        return problem;
    }

    private static async Task AssertBalances(TestNode node, (string Alice, string Bob) expected)
    {
        Assert.Equal(expected.Alice, await Balance(node, Alice.Address));
        Assert.Equal(expected.Bob, await Balance(node, Bob.Address));
    }

    private static async Task<string> Balance(TestNode node, Address a)
    {
        var account = await node.Anonymous.GetAccountAsync(a.ToString());
        return account.Balances.FirstOrDefault(b => b.Coin == "NUSD")?.Balance ?? "0";
    }
}

internal static class ByteArrayExtensions
{
    public static byte[] PadLeft(this byte[] bytes, int length)
    {
        var padded = new byte[length];
        bytes.CopyTo(padded, length - bytes.Length);
        return padded;
    }
}

/// <summary>The node says at start-up which secp256k1 implementation recovers signatures.</summary>
public sealed class SignatureBackendLogTests
{
    [Fact]
    public async Task NodeStart_LogsSignatureBackend()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        await using (var node = CentimeNode.Create(
            new NodeOptions { DataDirectory = data, Urls = "http://127.0.0.1:0", OperatorKey = TestNode.OperatorKey, SnapshotEveryCommands = 0 },
            logging => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logging.Services, new CapturingLoggerProvider(lines))))
        {
            await node.StartAsync();
        }

        Directory.Delete(data, true);
        var line = Assert.Single(lines, l => l.StartsWith("Signature recovery: ", StringComparison.Ordinal));
        Assert.EndsWith(Secp256k1.Default.Name, line, StringComparison.Ordinal);
        Assert.Contains(Secp256k1.Native is null ? "managed" : "native", line, StringComparison.Ordinal);
    }
}
