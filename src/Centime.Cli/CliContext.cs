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
        Description = "Node URL (env CENTIME_NODE)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CENTIME_NODE") ?? "http://127.0.0.1:8402",
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "Operator API key (env CENTIME_API_KEY; else ./centime-data/operator.key if present)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON instead of tables",
        Recursive = true,
    };

    public static IEnumerable<Option> GlobalOptions => [NodeUrl, ApiKey, Json];

    public static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // terminal output, never HTML
    };

    public static CentimeClient Client(ParseResult parse)
    {
        var url = parse.GetValue(NodeUrl)!;
        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("CENTIME_API_KEY");
        if (key is null && File.Exists(Path.Combine("centime-data", "operator.key")))
        {
            key = File.ReadAllText(Path.Combine("centime-data", "operator.key")).Trim();
        }

        return new CentimeClient(new Uri(url.EndsWith('/') ? url : url + "/"), key);
    }

    public static bool WantsJson(ParseResult parse) => parse.GetValue(Json);

    public static void PrintJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOut));

    /// <summary>Runs a command body, turning API problems and connection failures into clear messages and exit codes.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CentimeApiException ex)
        {
            if (WantsJson(parse))
            {
                PrintJson(ex.Problem);
            }
            else
            {
                AnsiConsole.MarkupLine($"[red]error[/] [bold]{Markup.Escape(ex.Code)}[/] ({ex.Status}): {Markup.Escape(ex.Problem.Detail ?? ex.Problem.Title)}");
            }

            return ExitFailed;
        }
        catch (HttpRequestException ex)
        {
            AnsiConsole.MarkupLine($"[red]error[/] cannot reach the node at {Markup.Escape(parse.GetValue(NodeUrl) ?? "")}: {Markup.Escape(ex.Message)}");
            AnsiConsole.MarkupLine("Start one with [bold]centime node[/], or pass [bold]--node URL[/].");
            return ExitUnreachable;
        }
        catch (UsageException ex)
        {
            AnsiConsole.MarkupLine($"[red]error[/] {Markup.Escape(ex.Message)}");
            return ExitUsage;
        }
    }
}

/// <summary>Bad command-line input detected after parsing (e.g. an amount with too many decimals).</summary>
internal sealed class UsageException(string message) : Exception(message);
