using System.Diagnostics;
using System.Globalization;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>
/// The built `centime` CLI against real ethers keystores and a real node: a keystore written by ethers opens in
/// `centime wallet`, one written by `centime wallet` opens in ethers, and `centime pay` moves the holder's coins
/// with an EIP-3009 signature.
/// </summary>
public sealed class WalletCliTests : IDisposable
{
    private const string Password = "correct horse battery staple";
    private readonly CliRunner _cli = new(Password);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task EthersKeystore_OpensInCentimeWallet()
    {
        // A fixed key: ethers derives the address, Centime must agree after decrypting ethers' file.
        const string key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        var json = await Ethers("""
            const w = new ethers.Wallet(process.argv[1]);
            const json = await ethers.encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, process.argv[2], { scrypt: { N: 1024 } });
            console.log(JSON.stringify({ address: w.address, json }));
            """, key, Password);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var ethersAddress = doc.RootElement.GetProperty("address").GetString()!;
        var file = Path.Combine(_cli.Directory, "ethers.json");
        await File.WriteAllTextAsync(file, doc.RootElement.GetProperty("json").GetString());

        var import = await Cli("wallet", "import", "--keystore", file, "--name", "from-ethers");
        Assert.True(import.Code == 0, import.Output);
        var address = await Cli("wallet", "address", "from-ethers");
        Assert.Equal(ethersAddress, address.Output.Trim());

        // The imported key signs typed data that ethers attributes to the same address.
        var typed = Path.Combine(_cli.Directory, "note.json");
        await File.WriteAllTextAsync(typed, """
            {"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"chainId","type":"uint256"}],"Note":[{"name":"text","type":"string"},{"name":"amount","type":"uint256"}]},
             "primaryType":"Note","domain":{"name":"Centime test","chainId":8402},"message":{"text":"hello","amount":"12500000"}}
            """);
        var signed = await Cli("wallet", "sign", "from-ethers", "--typed-data", typed);
        Assert.True(signed.Code == 0, signed.Output);
        var recovered = await Ethers("""
            const d = JSON.parse(await fs.readFile(process.argv[1], "utf8"));
            delete d.types.EIP712Domain;
            console.log(ethers.verifyTypedData(d.domain, d.types, d.message, process.argv[2]));
            """, typed, signed.Output.Trim());
        Assert.Equal(ethersAddress, recovered.Trim());

        var wrong = await Cli(["wallet", "sign", "from-ethers", "--typed-data", typed], password: "not the password");
        Assert.NotEqual(0, wrong.Code);
        Assert.Contains("MAC mismatch", wrong.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CentimeKeystore_OpensInEthers()
    {
        var created = await Cli("wallet", "new", "--name", "mine", "--scrypt-n", "1024");
        Assert.True(created.Code == 0, created.Output);
        var address = (await Cli("wallet", "address", "mine")).Output.Trim();
        var file = Directory.GetFiles(Path.Combine(_cli.Directory, "keystore"), "UTC--*").Single();
        Assert.DoesNotContain(Password, await File.ReadAllTextAsync(file), StringComparison.Ordinal);

        var opened = await Ethers("""
            const w = await ethers.Wallet.fromEncryptedJson(await fs.readFile(process.argv[1], "utf8"), process.argv[2]);
            console.log(w.address);
            """, file, Password);
        Assert.Equal(address, opened.Trim());
    }

    [Fact]
    public async Task Pay_SignsAndSubmits_HolderCoinsMove()
    {
        await using var node = await TestNode.StartSandboxAsync();
        Assert.Equal(0, (await Cli("wallet", "new", "--name", "payer", "--scrypt-n", "1024")).Code);
        var payer = (await Cli("wallet", "address", "payer")).Output.Trim();
        await node.CoinWithHoldersAsync("NUSD", 5_000_000, payer);
        var payee = Address.Derive("wallet-cli-payee").ToString();

        var paid = await Cli("--node", node.BaseUrl, "pay", "--wallet", "payer", "--coin", "NUSD", "--to", payee, "--amount", "1.25", "--json");
        Assert.True(paid.Code == 0, paid.Output);
        Assert.Contains("\"result\": \"ok\"", paid.Output, StringComparison.Ordinal);
        var balance = (await node.Anonymous.GetAccountAsync(payee)).Balances.Single();
        Assert.Equal("1250000", balance.Balance);

        var tooMuch = await Cli("--node", node.BaseUrl, "pay", "--wallet", "payer", "--coin", "NUSD", "--to", payee, "--amount", "100");
        Assert.Equal(1, tooMuch.Code);
        Assert.Contains("exceeds_balance", tooMuch.Output, StringComparison.Ordinal);
        Assert.Equal("3750000", (await node.Anonymous.GetAccountAsync(payer)).Balances.Single().Balance);
    }

    private Task<(int Code, string Output)> Cli(params string[] args) => _cli.RunAsync(args);

    private Task<(int Code, string Output)> Cli(string[] args, string password) => _cli.RunAsync(args, password);

    /// <summary>Runs an ES module snippet with ethers (from interop/node_modules) and returns its stdout.</summary>
    private static async Task<string> Ethers(string body, params string[] args)
    {
        var interop = Path.Combine(NodeProcess.RepoRoot(), "interop");
        Assert.True(Directory.Exists(Path.Combine(interop, "node_modules", "ethers")), "npm packages missing: run scripts/install-deps.sh");
        var psi = new ProcessStartInfo("node") { WorkingDirectory = interop, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--input-type=module");
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add("import { ethers } from \"ethers\"; import fs from \"node:fs/promises\";\n" + body);
        psi.ArgumentList.Add("--");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var (code, output) = await CliRunner.RunProcessAsync(psi);
        Assert.True(code == 0, "node failed: " + output);
        return output;
    }
}
