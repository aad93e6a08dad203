using System.CommandLine;
using Centime.Cli;

// `centime` — run a node, move money, inspect blocks, verify proofs, benchmark. See docs/cli.md.
var root = new RootCommand("Centime: issue and run a fiat-backed stablecoin ledger.");
foreach (var option in CliContext.GlobalOptions)
{
    root.Add(option);
}

root.Add(NodeCommand.Create());
root.Add(CoinCommands.Create());
root.Add(TransferCommands.CreateTransfer());
root.Add(QueryCommands.CreateBalance());
root.Add(QueryCommands.CreateHistory());
root.Add(QueryCommands.CreateBlocks());
root.Add(ProofCommands.CreateProof());
root.Add(ProofCommands.CreateVerifyInclusion());
root.Add(PayCommand.Create());
root.Add(WalletCommands.Create());
root.Add(LiabilityCommands.CreateLiabilities());
root.Add(LiabilityCommands.CreateVerifyProof());
root.Add(LiabilityCommands.CreateReport());
IssuanceCommands.AddTo(root);
root.Add(ContractCommands.Create());
foreach (var command in ExchangeCommands.Create())
{
    root.Add(command);
}

root.Add(BenchCommands.Create());
root.Add(DemoCommands.Create());
return await root.Parse(args).InvokeAsync();
