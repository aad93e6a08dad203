using System.CommandLine;
using System.Text.Json;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>Options every command shares and the plumbing around them: client, output mode, errors, exit codes.</summary>
internal static class CliContext
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitCorrupt = 3;
    public const int ExitUnreachable = 4;

    public static readonly Option<string> NodeUrl = new("--node")
    {
        Description = "Node URL, or several comma-separated (a leader and its followers: each request goes to one that can take it) (env CENTIME_NODE)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CENTIME_NODE") ?? "http://127.0.0.1:8402",
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "Operator API key (env CENTIME_API_KEY; else ./centime-data/operator.key if present)",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON instead of tables (stdout is then pure JSON; errors go to stderr as JSON problems)",
    };

    public static IEnumerable<Option> GlobalOptions => [NodeUrl, ApiKey, Json];

    /// <summary>Adds the client options to a command and every command under it (the same option objects, so one value wherever given).</summary>
    public static void AddClientOptions(Command command)
    {
        foreach (var option in GlobalOptions)
        {
            command.Add(option);
        }

        foreach (var sub in command.Subcommands)
        {
            AddClientOptions(sub);
        }
    }

    public static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // terminal output, never HTML
    };

    /// <summary>
    /// The SDK client for the node named by <c>--node</c> / <c>CENTIME_NODE</c>, with the operator key found the one way
    /// every command shares: <c>--api-key</c>, else <c>CENTIME_API_KEY</c>, else <c>./centime-data/operator.key</c>.
    /// </summary>
    public static CentimeClient Client(ParseResult parse)
    {
        var url = parse.GetValue(NodeUrl)!;
        var nodes = NodeFailoverHandler.ParseList(url, out var bad) ?? throw new UsageException($"--node {bad}: not an http(s) URL");
        return nodes.Count == 1 ? new CentimeClient(nodes[0], OperatorKey(parse)) : CentimeClient.ForNodes(nodes, OperatorKey(parse));
    }

    /// <summary>The operator key, or null when none is given or found (reads are public).</summary>
    public static string? OperatorKey(ParseResult parse)
    {
        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("CENTIME_API_KEY");
        var file = Path.Combine("centime-data", "operator.key");
        if (key is null && File.Exists(file))
        {
            key = File.ReadAllText(file).Trim();
        }

        return key;
    }

    public static bool WantsJson(ParseResult parse) => parse.GetValue(Json);

    public static void PrintJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOut));

    /// <summary><c>--limit</c> of a list command (docs/cli.md "Lists"): items per page, 1–1000, the node's default 100.</summary>
    public static readonly Option<int?> Limit = new("--limit") { Description = "Items per page (1-1000; default 100)" };

    /// <summary><c>--cursor</c> of a list command: the <c>next</c> a previous page printed.</summary>
    public static readonly Option<string?> Cursor = new("--cursor") { Description = "Continue after a previous page: the 'next' it printed" };

    /// <summary>A list command: its options plus <see cref="Limit"/> and <see cref="Cursor"/>.</summary>
    public static Command ListCommand(string name, string description, params Option[] options)
    {
        var command = new Command(name, description);
        foreach (var option in options.Append(Limit).Append(Cursor))
        {
            command.Options.Add(option);
        }

        return command;
    }

    /// <summary>Under a page's table: the cursor of the next page (nothing on the last page). Under <c>--json</c> the page
    /// itself carries <c>next</c>.</summary>
    public static void PrintNext<T>(Page<T> page)
    {
        if (page.Next is { } next)
        {
            Console.Out.WriteLine("next: " + next);
        }
    }

    /// <summary>Every item of a list, all pages (for lookups such as coin decimals, not for printing).</summary>
    public static async Task<List<T>> AllAsync<T>(Func<string?, CancellationToken, Task<Page<T>>> page, CancellationToken ct)
    {
        var all = new List<T>();
        await foreach (var item in Pages.AllAsync(page, ct))
        {
            all.Add(item);
        }

        return all;
    }

    /// <summary>Every coin's decimals by symbol.</summary>
    public static async Task<Dictionary<string, int>> DecimalsAsync(CentimeClient client, CancellationToken ct) =>
        (await AllAsync((cursor, c) => client.ListCoinsAsync(MaxPageLimit, cursor, c), ct)).ToDictionary(c => c.Symbol, c => c.Decimals, StringComparer.Ordinal);

    /// <summary>The largest page the node gives (docs/api.md "Lists").</summary>
    private const int MaxPageLimit = 1000;

    /// <summary>Standard error as a Spectre console: every error and hint goes here, so stdout carries only results.</summary>
    public static IAnsiConsole Stderr { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Writes an error line (Spectre markup) to standard error.</summary>
    public static void Error(string markup) => Stderr.MarkupLine("[red]error[/] " + markup);

    /// <summary>
    /// Writes a problem to standard error: under <c>--json</c> as an RFC 7807 JSON object (so a script reads stdout as
    /// pure JSON and stderr as a problem), otherwise as one readable line.
    /// </summary>
    public static void PrintProblem(ParseResult parse, Problem problem)
    {
        if (WantsJson(parse))
        {
            Console.Error.WriteLine(JsonSerializer.Serialize(problem, JsonOut));
        }
        else
        {
            Error($"[bold]{Markup.Escape(problem.Code)}[/]{(problem.Status > 0 ? $" ({problem.Status})" : "")}: {Markup.Escape(problem.Detail ?? problem.Title)}");
        }
    }

    /// <summary>Runs a command body, turning API problems and connection failures into clear messages and exit codes.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CentimeApiException ex)
        {
            PrintProblem(parse, ex.Problem);
            return ExitFailed;
        }
        catch (HttpRequestException ex)
        {
            var url = parse.GetValue(NodeUrl) ?? "";
            PrintProblem(parse, new Problem("about:blank", "node unreachable", 0, $"cannot reach the node at {url}: {ex.Message}", "node_unreachable"));
            if (!WantsJson(parse))
            {
                Stderr.MarkupLine("Start one with [bold]centime node[/], or pass [bold]--node URL[/] (env [bold]CENTIME_NODE[/]).");
            }

            return ExitUnreachable;
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            PrintProblem(parse, new Problem("about:blank", "node did not answer", 0, $"no answer from {parse.GetValue(NodeUrl)} in time", "node_timeout"));
            return ExitUnreachable;
        }
        catch (UsageException ex)
        {
            PrintProblem(parse, new Problem("about:blank", "usage", 0, ex.Message, "usage"));
            return ExitUsage;
        }
    }
}

/// <summary>Bad command-line input detected after parsing (e.g. an amount with too many decimals).</summary>
internal sealed class UsageException(string message) : Exception(message);
