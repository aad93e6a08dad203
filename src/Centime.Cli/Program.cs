using System.CommandLine;
using Centime.Cli;

// `centime` — run a node, move money, inspect blocks, verify proofs, benchmark. See docs/cli.md.
// Results go to stdout, errors and hints to stderr; exit codes: 0 ok, 1 refused, 2 usage, 3 corrupt journal, 4 node unreachable.
CliConsole.Configure();
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
BankCommands.AddTo(root);
root.Add(ContractCommands.Create());
root.Add(ComplianceCommands.Create());
foreach (var command in ExchangeCommands.Create())
{
    root.Add(command);
}

root.Add(BenchCommands.Create());
root.Add(DemoCommands.Create());
root.Add(CompletionCommand.Create());

// The client options (--node, --api-key, --json) belong to the commands that talk to a node, so `node --help` lists
// only what a node takes. On the root they are accepted before any command too (`centime --node URL balance …`).
foreach (var command in root.Subcommands.Where(c => c.Name is not ("node" or "bench" or "completion")))
{
    CliContext.AddClientOptions(command);
}

var parse = root.Parse(args);
if (parse.Errors.Count > 0 && !(args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal)))
{
    // Usage errors exit 2 (docs/cli.md), on stderr, without the help text drowning the message.
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine("centime: " + error.Message);
    }

    Console.Error.WriteLine($"See: {CommandPath(parse.CommandResult.Command)} --help");
    return CliContext.ExitUsage;
}

return await parse.InvokeAsync();

static string CommandPath(Command command)
{
    var names = new Stack<string>();
    for (Symbol? s = command; s is Command c and not RootCommand; s = s.Parents.FirstOrDefault())
    {
        names.Push(s.Name);
    }

    return string.Join(' ', ["centime", .. names]);
}
