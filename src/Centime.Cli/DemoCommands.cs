using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Command = System.CommandLine.Command;

namespace Centime.Cli;

/// <summary>
/// `centime demo agents`: a throw-away node, a paid API (x402 middleware, the node as facilitator over HTTP) and N
/// agent wallets buying calls through <see cref="X402PaymentHandler"/> — half with the exact scheme, half with
/// hash-chain channels, one with a daily limit it runs into — and a live table of calls, spend and rate.
/// Everything listens on 127.0.0.1 and is deleted at the end.
/// </summary>
internal static class DemoCommands
{
    public static Command Create()
    {
        var demo = new Command("demo", "Demonstrations on a throw-away node.");
        var agents = new Option<int>("--agents") { Description = "Agent wallets", DefaultValueFactory = _ => 6 };
        var seconds = new Option<int>("--seconds") { Description = "How long the agents buy", DefaultValueFactory = _ => 15 };
        var price = new Option<string>("--price") { Description = "Price of one call in NUSD", DefaultValueFactory = _ => "0.001" };
        var agentsCommand = new Command("agents", "AI agents pay per API call with x402: live table of calls, spend and rate.") { agents, seconds, price };
        agentsCommand.SetAction((parse, ct) => RunAgentsAsync(Math.Clamp(parse.GetValue(agents), 1, 64), Math.Max(1, parse.GetValue(seconds)), parse.GetValue(price)!, ct));
        demo.Add(agentsCommand);
        return demo;
    }

    private sealed class Agent(int number, HolderSigner wallet, string scheme, SpendingLimits limits)
    {
        public int Number { get; } = number;
        public HolderSigner Wallet { get; } = wallet;
        public string Scheme { get; } = scheme;
        public SpendingLimits Limits { get; } = limits;
        public long Calls;
        public long Failures;
        public string Status = "starting";
        public X402PaymentHandler? Handler;
    }

    private static async Task<int> RunAgentsAsync(int agentCount, int seconds, string price, CancellationToken ct)
    {
        const string key = "ck_demo_operator_key_0000000000";
        var dir = Path.Combine(Path.GetTempPath(), "centime-demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var node = CentimeNode.Create(new NodeOptions { DataDirectory = dir, Urls = "http://127.0.0.1:0", OperatorKey = key, SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, Sandbox = true },
                l => l.SetMinimumLevel(LogLevel.Warning));
            await node.StartAsync(ct);
            var nodeUrl = node.Urls[0] + "/";
            using var operatorClient = new CentimeClient(new Uri(nodeUrl), key);
            var coin = await operatorClient.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD", 6, "Net Dollar", "1"), ct);
            if (!CoinUnits.TryParse(price, coin.Decimals, out var unit, out var error) || unit == UInt128.Zero)
            {
                CliContext.Stderr.MarkupLine($"[red]--price {Markup.Escape(price)}: {Markup.Escape(error ?? "must be positive")}[/]");
                return 2;
            }

            var merchant = new HolderSigner(Keccak256.Hash("demo merchant"u8)).Address;
            var agents = new List<Agent>();
            for (var i = 0; i < agentCount; i++)
            {
                var wallet = new HolderSigner(HolderSigner.NewNonce().ToBytes());
                // The last agent has a tight daily budget: it buys what fits, then shows a refusal instead of an overspend.
                var daily = i == agentCount - 1 && agentCount > 1 ? unit * 25 : unit * 1_000_000;
                var limits = new SpendingLimits { MaxPerPayment = unit * 10, MaxPerHostPerDay = daily, MaxPerDay = daily };
                agents.Add(new Agent(i + 1, wallet, i % 2 == 0 ? "exact" : HashChain.Scheme, limits));
            }

            await operatorClient.SubmitTransfersAsync(agents.Select(a => new TransferRequest
            {
                Id = a.Number.ToString(CultureInfo.InvariantCulture),
                Coin = "NUSD",
                Debit = coin.SupplyAccount,
                Credit = a.Wallet.Address.ToString(),
                Amount = "100000000",
            }).ToList(), ct);

            using var facilitator = new HttpFacilitatorClient(new Uri(nodeUrl + "x402"));
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            await using var api = builder.Build();
            var options = new X402Options
            {
                Facilitator = facilitator,
                Assets = new NodeAssetDirectory(new CentimeClient(new Uri(nodeUrl))),
                PayTo = merchant.ToString(),
                EnableHashChain = true,
            };
            api.UseX402(options);
            var forecasts = new[] { "sunny", "cloudy", "rain", "wind", "fog" };
            api.MapGet("/forecast", () => Results.Json(new { forecast = forecasts[Random.Shared.Next(forecasts.Length)] }))
                .RequirePayment(price, "NUSD", "Weather forecast for agents", "application/json");
            await api.StartAsync(ct);
            var apiUrl = api.Urls.First() + "/forecast";

            AnsiConsole.MarkupLine($"[bold]centime demo agents[/]: node {nodeUrl} (facilitator at /x402), paid API {apiUrl}, {agentCount} agents, {price} NUSD per call, {seconds} s");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            var clock = Stopwatch.StartNew();
            var workers = agents.Select(a => Task.Run(() => RunAgentAsync(a, apiUrl, stop.Token), CancellationToken.None)).ToArray();
            await AnsiConsole.Live(Render(agents, clock.Elapsed, unit, coin.Decimals, null)).StartAsync(async live =>
            {
                while (!workers.All(w => w.IsCompleted))
                {
                    await Task.Delay(500, CancellationToken.None);
                    live.UpdateTarget(Render(agents, clock.Elapsed, unit, coin.Decimals, null));
                }

                var settled = await options.Channels.SettleAsync(facilitator, cancellationToken: CancellationToken.None);
                var received = await BalanceAsync(operatorClient, merchant);
                live.UpdateTarget(Render(agents, clock.Elapsed, unit, coin.Decimals,
                    $"settled {settled} hash-chain channel(s); the merchant {merchant} holds {CoinUnits.Format(received.ToString(CultureInfo.InvariantCulture), coin.Decimals)} NUSD on the ledger"));
            });

            foreach (var a in agents)
            {
                a.Handler?.Dispose();
            }

            await api.StopAsync(CancellationToken.None);
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task RunAgentAsync(Agent agent, string url, CancellationToken ct)
    {
        agent.Handler = new X402PaymentHandler(agent.Wallet, agent.Limits) { HashChainCapacity = agent.Scheme == HashChain.Scheme ? 1000 : 0 };
        using var http = new HttpClient(agent.Handler, disposeHandler: false);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(url, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref agent.Calls);
                    agent.Status = "paying";
                }
                else
                {
                    Interlocked.Increment(ref agent.Failures);
                    agent.Status = "HTTP " + (int)response.StatusCode;
                }
            }
            catch (X402PaymentRefusedException refused)
            {
                agent.Status = "refused: " + refused.Reason;
                return;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (HttpRequestException ex)
            {
                Interlocked.Increment(ref agent.Failures);
                agent.Status = ex.Message;
            }
        }

        agent.Status = "done";
    }

    private static Table Render(List<Agent> agents, TimeSpan elapsed, UInt128 unit, int decimals, string? footer)
    {
        var table = new Table().AddColumns("agent", "wallet", "scheme", "calls", "spent (NUSD)", "calls/s", "status");
        long total = 0;
        foreach (var a in agents)
        {
            var calls = Interlocked.Read(ref a.Calls);
            total += calls;
            var spent = CoinUnits.Format((unit * (ulong)calls).ToString(CultureInfo.InvariantCulture), decimals);
            table.AddRow(a.Number.ToString(CultureInfo.InvariantCulture), a.Wallet.Address.ToString()[..10] + "…", a.Scheme, calls.ToString("N0", CultureInfo.InvariantCulture),
                spent, (calls / Math.Max(elapsed.TotalSeconds, 0.001)).ToString("N0", CultureInfo.InvariantCulture), Markup.Escape(a.Status));
        }

        table.Caption($"{total:N0} paid calls in {elapsed.TotalSeconds:F1} s = {total / Math.Max(elapsed.TotalSeconds, 0.001):N0}/s" + (footer is null ? "" : " · " + Markup.Escape(footer)));
        return table;
    }

    private static async Task<UInt128> BalanceAsync(CentimeClient client, Address address)
    {
        var account = await client.GetAccountAsync(address.ToString());
        var balance = account.Balances.FirstOrDefault(b => b.Coin == "NUSD");
        return balance is null ? UInt128.Zero : UInt128.Parse(balance.Balance, CultureInfo.InvariantCulture);
    }
}
