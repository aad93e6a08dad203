namespace Centime.Ledger.Tests;

/// <summary>State-side rules of holder-signed commands (the signer is already recovered by admission).</summary>
public sealed class SignedCommandTests
{
    private static readonly Address Alice = Address.Derive("test:alice");
    private static readonly Address Bob = Address.Derive("test:bob");
    private static readonly Address Mallory = Address.Derive("test:mallory");
    private static readonly Hash32 Nonce1 = Hash32.Sha256([1]);
    private static readonly Hash32 Nonce2 = Hash32.Sha256([2]);

    private static (TestLedger Ledger, Coin Coin) Funded(UInt128 amount)
    {
        var ledger = new TestLedger();
        var coin = ledger.CreateCoin("NUSD");
        Assert.Equal(ResultCode.Ok, ledger.Submit(ledger.Mint(coin, Alice, amount)));
        return (ledger, coin);
    }

    private static ulong NowSeconds(TestLedger l) => l.Now / TestLedger.Second;

    private static TransferWithAuthorization Auth(TestLedger l, Coin coin, UInt128 value, Hash32 nonce, Address? signer = null, bool receive = false, Address? submitter = null,
        ulong? validAfter = null, ulong? validBefore = null) =>
        new(coin.Number, Alice, Bob, value, validAfter ?? 0, validBefore ?? NowSeconds(l) + 3600, nonce, signer ?? Alice, receive, submitter ?? Address.Zero);

    private static ResultCode Run(TestLedger l, CommandBody body) => l.Codes(Command.Of(body))[0];

    [Fact]
    public void TransferWithAuthorization_Valid_MovesAndUsesNonce()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.Ok, Run(l, Auth(l, coin, 60, Nonce1)));
        Assert.True(l.State.TryGetAccount(coin.Number, Bob, out var bob));
        Assert.Equal((Int128)60, bob.Balance);
        Assert.Equal(AuthorizationState.Used, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
        Assert.True(l.State.TryGetTransfer(LedgerState.AuthorizationTransferId(coin.Number, Alice, Nonce1), out var t));
        Assert.Equal(TransferWithAuthorization.TransferCode, t.Transfer.Code);
    }

    [Fact]
    public void TransferWithAuthorization_ReusedNonce_AuthorizationUsedAndNoMove()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.Ok, Run(l, Auth(l, coin, 10, Nonce1)));
        Assert.Equal(ResultCode.AuthorizationUsed, Run(l, Auth(l, coin, 10, Nonce1)));
        Assert.Equal(ResultCode.AuthorizationUsed, Run(l, Auth(l, coin, 20, Nonce1)));
        l.State.TryGetAccount(coin.Number, Alice, out var alice);
        Assert.Equal((Int128)90, alice.Balance);
    }

    [Fact]
    public void TransferWithAuthorization_Window_NotYetValidAndExpired()
    {
        var (l, coin) = Funded(100);
        var now = NowSeconds(l);
        Assert.Equal(ResultCode.AuthorizationNotYetValid, Run(l, Auth(l, coin, 1, Nonce1, validAfter: now + 100)));
        Assert.Equal(ResultCode.AuthorizationExpired, Run(l, Auth(l, coin, 1, Nonce1, validBefore: now)));
        Assert.Equal(AuthorizationState.Unused, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
    }

    [Fact]
    public void TransferWithAuthorization_SignedBySomeoneElse_SignerMismatch()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.SignerMismatch, Run(l, Auth(l, coin, 1, Nonce1, signer: Mallory)));
    }

    [Fact]
    public void ReceiveWithAuthorization_ThirdPartySubmits_CallerMustBePayee()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.CallerMustBePayee, Run(l, Auth(l, coin, 1, Nonce1, receive: true, submitter: Mallory)));
        Assert.Equal(ResultCode.Ok, Run(l, Auth(l, coin, 1, Nonce1, receive: true, submitter: Bob)));
    }

    [Fact]
    public void TransferWithAuthorization_InsufficientBalance_NonceStaysUnusedAndRetryWorks()
    {
        var (l, coin) = Funded(10);
        Assert.Equal(ResultCode.ExceedsBalance, Run(l, Auth(l, coin, 50, Nonce1)));
        Assert.Equal(AuthorizationState.Unused, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
        Assert.Equal(ResultCode.Ok, l.Submit(l.Mint(coin, Alice, 40)));
        Assert.Equal(ResultCode.Ok, Run(l, Auth(l, coin, 50, Nonce1)));
    }

    [Fact]
    public void CancelAuthorization_ThenUse_Canceled()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.SignerMismatch, Run(l, new CancelAuthorization(coin.Number, Alice, Nonce1, Mallory)));
        Assert.Equal(ResultCode.Ok, Run(l, new CancelAuthorization(coin.Number, Alice, Nonce1, Alice)));
        Assert.Equal(ResultCode.AuthorizationCanceled, Run(l, Auth(l, coin, 1, Nonce1)));
        Assert.Equal(ResultCode.AuthorizationCanceled, Run(l, new CancelAuthorization(coin.Number, Alice, Nonce1, Alice)));
        Assert.Equal(AuthorizationState.Canceled, l.State.GetAuthorizationState(coin.Number, Alice, Nonce1));
    }

    [Fact]
    public void Nonces_ArePerCoin_SoCrossCoinReplayIsAFreshSpaceButNeedsItsOwnSignature()
    {
        var (l, coin) = Funded(100);
        var other = l.CreateCoin("JHKD", "HKD");
        Assert.Equal(ResultCode.Ok, Run(l, Auth(l, coin, 1, Nonce1)));
        Assert.Equal(AuthorizationState.Unused, l.State.GetAuthorizationState(other.Number, Alice, Nonce1));
    }

    [Fact]
    public void PermitAndTransferFrom_WithinAllowance_SpendsItDown()
    {
        var (l, coin) = Funded(100);
        var deadline = NowSeconds(l) + 60;
        Assert.Equal(ResultCode.NonceInvalid, Run(l, new Permit(coin.Number, Alice, Bob, 30, 1, deadline, Alice)));
        Assert.Equal(ResultCode.SignerMismatch, Run(l, new Permit(coin.Number, Alice, Bob, 30, 0, deadline, Mallory)));
        Assert.Equal(ResultCode.Ok, Run(l, new Permit(coin.Number, Alice, Bob, 30, 0, deadline, Alice)));
        Assert.Equal(1UL, l.State.GetPermitNonce(coin.Number, Alice));
        Assert.Equal((UInt128)30, l.State.GetAllowance(coin.Number, Alice, Bob));

        Assert.Equal(ResultCode.Ok, Run(l, new TransferFrom(coin.Number, Bob, Alice, Mallory, 20, Nonce1, deadline, Bob)));
        Assert.Equal((UInt128)10, l.State.GetAllowance(coin.Number, Alice, Bob));
        Assert.Equal(ResultCode.InsufficientAllowance, Run(l, new TransferFrom(coin.Number, Bob, Alice, Mallory, 11, Nonce2, deadline, Bob)));
        Assert.Equal(ResultCode.AuthorizationUsed, Run(l, new TransferFrom(coin.Number, Bob, Alice, Mallory, 1, Nonce1, deadline, Bob)));
        Assert.Equal(ResultCode.SignerMismatch, Run(l, new TransferFrom(coin.Number, Bob, Alice, Mallory, 1, Nonce2, deadline, Mallory)));
        l.State.TryGetAccount(coin.Number, Mallory, out var m);
        Assert.Equal((Int128)20, m.Balance);
    }

    [Fact]
    public void Permit_PastDeadline_Expired()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.PermitExpired, Run(l, new Permit(coin.Number, Alice, Bob, 30, 0, NowSeconds(l) - 1, Alice)));
        Assert.Equal(0UL, l.State.GetPermitNonce(coin.Number, Alice));
    }

    [Fact]
    public void Permit_Unlimited_IsNotSpentDown()
    {
        var (l, coin) = Funded(100);
        Assert.Equal(ResultCode.Ok, Run(l, new Permit(coin.Number, Alice, Bob, UInt128.MaxValue, 0, ulong.MaxValue, Alice)));
        Assert.Equal(ResultCode.Ok, Run(l, new TransferFrom(coin.Number, Bob, Alice, Bob, 40, Nonce1, ulong.MaxValue, Bob)));
        Assert.Equal(UInt128.MaxValue, l.State.GetAllowance(coin.Number, Alice, Bob));
    }

    [Fact]
    public void Snapshot_WithSignedState_RoundTripsAndEncodesCommands()
    {
        var (l, coin) = Funded(100);
        Run(l, Auth(l, coin, 5, Nonce1));
        Run(l, new CancelAuthorization(coin.Number, Alice, Nonce2, Alice));
        Run(l, new Permit(coin.Number, Alice, Bob, 7, 0, ulong.MaxValue, Alice));
        using var stream = new MemoryStream();
        l.State.WriteSnapshot(stream);
        stream.Position = 0;
        var copy = LedgerState.ReadSnapshot(stream);
        Assert.Equal(l.State.ComputeStateHash(), copy.ComputeStateHash());
        Assert.Equal(AuthorizationState.Canceled, copy.GetAuthorizationState(coin.Number, Alice, Nonce2));
        Assert.Equal((UInt128)7, copy.GetAllowance(coin.Number, Alice, Bob));

        foreach (CommandBody body in new CommandBody[] { Auth(l, coin, 5, Nonce1, receive: true, submitter: Bob), new CancelAuthorization(1, Alice, Nonce2, Alice),
                     new Permit(1, Alice, Bob, 7, 3, 9, Alice), new TransferFrom(1, Bob, Alice, Mallory, 5, Nonce1, 99, Bob) })
        {
            var command = Command.Of(body);
            var bytes = new byte[command.EncodedLength];
            command.WriteTo(bytes);
            Assert.Equal(body, Command.Read(bytes, out var consumed).Body);
            Assert.Equal(bytes.Length, consumed);
        }
    }
}
