using System.CommandLine;
using Centime.Bench;

namespace Centime.Cli;

internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks that print figures with their conditions (see docs/benchmarks.md).");
        // --json: stdout gets one JSON document of every figure (value, unit, conditions); progress goes to stderr.
        var json = new Option<bool>("--json") { Description = "Print one JSON document of the figures (value, unit, conditions) on stdout; progress goes to stderr", Recursive = true };
        bench.Add(json);
        var seconds = new Option<int>("--seconds") { Description = "Seconds per measured phase", DefaultValueFactory = _ => 5 };
        var accounts = new Option<int>("--accounts") { Description = "Funded accounts for the memory measurement", DefaultValueFactory = _ => 1_000_000 };
        var store = new Option<string>("--store") { Description = "embedded: every ledger phase; postgres: durable batches on the embedded journal and on a PostgreSQL the bench starts, side by side, with pgbench TPC-B as the ceiling", DefaultValueFactory = _ => "embedded" };
        store.AcceptOnlyFromAmong("embedded", "postgres");
        var ledger = new Command("ledger", "Ledger: in-memory apply, durable node, single-transfer latency, replay, memory per account.") { seconds, accounts, store };
        ledger.SetAction((parse, ct) => Run(parse, json, "ledger", () => LedgerBench.RunAsync(new LedgerBenchOptions { Seconds = parse.GetValue(seconds), Accounts = parse.GetValue(accounts), Store = parse.GetValue(store)! }, ct)));
        bench.Add(ledger);
        var listSize = new Option<int>("--list") { Description = "Addresses on the sanctions list", DefaultValueFactory = _ => 1_000_000 };
        var compliance = new Command("compliance", "Durable transfers/s with sanctions screening against a large list and KYC limits on, beside compliance off, same run.") { seconds, listSize };
        compliance.SetAction((parse, ct) => Run(parse, json, "compliance", () => ComplianceBench.RunAsync(parse.GetValue(seconds), parse.GetValue(listSize), ct)));
        bench.Add(compliance);
        var signed = new Command("signed", "Holder-signed (EIP-3009) transfers end to end over HTTP, and signature recovery per backend.") { seconds };
        signed.SetAction((parse, ct) => Run(parse, json, "signed", () => SignedBench.RunAsync(new SignedBenchOptions { Seconds = parse.GetValue(seconds) }, ct)));
        bench.Add(signed);
        var clients = new Option<int>("--clients") { Description = "Concurrent HTTP clients", DefaultValueFactory = _ => 64 };
        var x402 = new Command("x402", "x402 paid HTTP requests: unpaid vs exact-scheme and hash-chain paid req/s, added latency, over loopback.") { seconds, clients };
        x402.SetAction((parse, ct) => Run(parse, json, "x402", () => X402Bench.RunAsync(new X402BenchOptions { Seconds = parse.GetValue(seconds), Concurrency = parse.GetValue(clients) }, ct)));
        bench.Add(x402);
        var holders = new Option<int[]>("--accounts") { Description = "Holders in the tree (repeatable)", DefaultValueFactory = _ => [1_000_000, 10_000_000], AllowMultipleArgumentsPerToken = true };
        var proof = new Command("proof", "Proof of liabilities: Merkle-sum tree build time, proof extraction and verification.") { holders };
        proof.SetAction((parse, ct) => Run(parse, json, "proof", () =>
        {
            foreach (var n in parse.GetValue(holders)!)
            {
                BenchOutput.PrintTable(ProofOfLiabilitiesBench.Run(n));
            }

            return Task.FromResult(0);
        }));
        bench.Add(proof);
        var escrows = new Option<int>("--escrows") { Description = "Escrows created and released", DefaultValueFactory = _ => 100_000 };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams", DefaultValueFactory = _ => 100_000 };
        var contracts = new Command("contracts", "Contracts: escrow create+release steps/s; withdrawals and deadlines with 100,000 concurrent streams.") { escrows, streams };
        contracts.SetAction((parse, ct) => Run(parse, json, "contracts", () =>
        {
            BenchOutput.PrintTable(ContractBench.Run(parse.GetValue(escrows), parse.GetValue(streams)));
            return Task.FromResult(0);
        }));
        bench.Add(contracts);
        var payers = new Option<int>("--clients") { Description = "Concurrent HTTP clients paying cross-border", DefaultValueFactory = _ => 16 };
        var exchange = new Command("exchange", "Exchange: swaps/s in the state machine (1 and 2 hops), route quotes/s, cross-border payments/s end to end over HTTP.") { seconds, payers };
        exchange.SetAction((parse, ct) => Run(parse, json, "exchange", () => ExchangeBench.RunAsync(new ExchangeBenchOptions { Seconds = parse.GetValue(seconds), Clients = parse.GetValue(payers) }, ct)));
        bench.Add(exchange);
        return bench;
    }

    private static async Task<int> Run(ParseResult parse, Option<bool> json, string name, Func<Task<int>> bench)
    {
        BenchOutput.Begin(name, parse.GetValue(json));
        var code = await bench();
        BenchOutput.End();
        return code;
    }
}
