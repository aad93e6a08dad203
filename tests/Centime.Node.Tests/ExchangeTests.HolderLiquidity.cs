using System.Globalization;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>Liquidity providers add and remove their own liquidity with their EIP-712 signature (issue 12 item 10): no
/// operator key, signed here by ethers over the typed data the node publishes; replay, deadline, frozen provider,
/// paused pool and forged signatures are refused with nothing moved.</summary>
public sealed partial class ExchangeTests
{
    [Fact]
    public async Task HolderLiquidity_EthersSignedAddThenSignedRemove_NoOperatorKeyAndEveryBadRequestRefused()
    {
        await using var m = await Market.StartAsync();
        var provider = m.Payer.Address.ToString();
        var anonymous = m.Node.Anonymous;
        var deposit = new AddLiquidityRequest(provider, ["1000000000", "0"]);

        // Without a signature the route still needs the operator key.
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, deposit), 401, "unauthorized");

        // The node publishes the typed data; ethers signs it as a wallet would.
        var draft = await anonymous.AddLiquidityTypedDataAsync(1, deposit);
        var ethers = EthersBridge.Call(new JsonObject
        {
            ["op"] = "signTypedData",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(m.PayerKey),
            ["typedData"] = JsonNode.Parse(draft.TypedData.GetRawText()),
        });
        Assert.Equal(provider, ethers["address"]!.GetValue<string>());
        Assert.Equal(draft.Digest, ethers["digest"]!.GetValue<string>());
        Assert.Equal(HolderTypedData.AddLiquidityType, ethers["encodeType"]!.GetValue<string>());
        var signed = deposit with { Nonce = draft.Nonce, Deadline = ulong.Parse(draft.Deadline, CultureInfo.InvariantCulture), Signature = ethers["signature"]!.GetValue<string>() };

        var before = await m.SnapshotAsync();
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, signed with { Amounts = ["2000000000", "0"] }), 422, "signer_mismatch");
        var mallory = new HolderSigner(Secp256k1.NewPrivateKey());
        var forged = mallory.SignAddLiquidity(ChainId, 1, [1_000_000_000, 0], 0, Later) with { Provider = provider };
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, forged), 422, "signer_mismatch");
        Assert.Equal(before, await m.SnapshotAsync());

        await m.RateAsync("7.80");
        var added = await anonymous.AddLiquidityAsync(1, signed);
        Assert.Equal(provider, added.Provider);
        Assert.Equal(added.Minted, added.Shares);
        var shares = UInt128.Parse(added.Shares, CultureInfo.InvariantCulture);
        Assert.True(shares > 0);
        Assert.Equal(99_000_000_000UL, await m.BalanceAsync(provider, Usd));
        Assert.Equal(shares, await m.BalanceAsync(provider, Lp));
        await m.AssertPoolMatchesLedgerAsync();

        // Replay: the nonce is spent (in the provider's nonce space of the LP coin).
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, signed), 409, "authorization_used");
        Assert.Equal("used", (await anonymous.GetAuthorizationStateAsync(Lp, provider, draft.Nonce)).State);

        // Past its deadline, from a frozen provider, into a paused pool: refused, nothing moves.
        var snapshot = await m.SnapshotAsync();
        await m.RateAsync("7.80");
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, m.Payer.SignAddLiquidity(ChainId, 1, [1_000_000, 0], 0, Now - 1)), 422, "authorization_expired");
        await m.Node.FreezeAsync(provider, Usd, true);
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, m.Payer.SignAddLiquidity(ChainId, 1, [1_000_000, 0], 0, Later)), 422, "account_frozen");
        var frozenRemove = m.Payer.SignRemoveLiquidity(ChainId, 1, shares, [], null, 0, Later);
        await m.RefusedAsync(() => anonymous.RemoveLiquidityAsync(1, frozenRemove), 422, "account_frozen");
        await m.Node.FreezeAsync(provider, Usd, false);
        await m.Client.ConfigurePoolAsync(1, new ConfigurePoolRequest(Paused: true));
        await m.RefusedAsync(() => anonymous.AddLiquidityAsync(1, m.Payer.SignAddLiquidity(ChainId, 1, [1_000_000, 0], 0, Later)), 422, "pool_paused");
        Assert.Equal(snapshot, await m.SnapshotAsync());
        Assert.Equal("unused", (await anonymous.GetAuthorizationStateAsync(Lp, provider, frozenRemove.Nonce!)).State);

        // A proportional withdrawal needs no price, so a provider can always leave, even a paused pool: the refused
        // request (its nonce still unused) now applies, and the shares come back from and go to the signer only.
        var removed = await anonymous.RemoveLiquidityAsync(1, frozenRemove);
        Assert.Equal(provider, removed.Provider);
        Assert.Equal("0", removed.Shares);
        Assert.Equal(UInt128.Zero, await m.BalanceAsync(provider, Lp));
        Assert.InRange(await m.BalanceAsync(provider, Usd), 99_000_000_000UL, 100_000_000_000UL);
        Assert.True(await m.BalanceAsync(provider, Hkd) > 0);
        await m.AssertPoolMatchesLedgerAsync();
        await m.RefusedAsync(() => anonymous.RemoveLiquidityAsync(1, frozenRemove), 409, "authorization_used");
    }

    private static ulong Now => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static ulong Later => Now + 3600;
}
