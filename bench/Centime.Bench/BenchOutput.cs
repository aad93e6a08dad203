using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Centime.Bench;

/// <summary>
/// What every benchmark does at the end: print its figures, remove its scratch data. Figures are rows of
/// (measurement, figure with its unit, conditions). By default they are printed as one table; with
/// <c>centime bench … --json</c> (<see cref="Begin"/>) progress and notes go to stderr and, at <see cref="End"/>, stdout
/// gets one JSON document of every figure with its value and unit split apart, for tracking runs over time.
/// </summary>
public static partial class BenchOutput
{
    private static readonly List<(string What, string Figure, string Conditions)> Collected = [];
    private static string? _bench;

    /// <summary>True inside a <c>--json</c> run.</summary>
    public static bool Json { get; private set; }

    /// <summary>Starts a run of the benchmark <paramref name="bench"/>; in JSON mode everything but the final document
    /// is written to stderr so stdout stays pure JSON.</summary>
    public static void Begin(string bench, bool json)
    {
        _bench = bench;
        Json = json;
        Collected.Clear();
        if (json)
        {
            var width = AnsiConsole.Profile.Width; // as the CLI set it (COLUMNS, or unwrapped when redirected)
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            AnsiConsole.Profile.Width = Console.IsErrorRedirected ? Math.Max(width, 4096) : AnsiConsole.Profile.Width;
        }
    }

    /// <summary>Ends the run: in JSON mode writes the document of every figure printed since <see cref="Begin"/>.</summary>
    public static void End()
    {
        if (!Json)
        {
            return;
        }

        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("bench", _bench);
            w.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteNumber("cores", Environment.ProcessorCount);
            w.WriteString("dotnet", Environment.Version.ToString());
            // The build that measured (as `centime --version` prints it: version + commit).
            w.WriteString("version", (System.Reflection.Assembly.GetEntryAssembly() ?? typeof(BenchOutput).Assembly)
                .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion);
            w.WriteStartArray("figures");
            foreach (var (what, figure, conditions) in Collected)
            {
                w.WriteStartObject();
                w.WriteString("measurement", what);
                var (value, unit) = Split(figure);
                if (value is { } v)
                {
                    w.WriteNumber("value", v);
                }
                else
                {
                    w.WriteNull("value");
                }

                w.WriteString("unit", unit);
                w.WriteString("figure", figure);
                w.WriteString("conditions", conditions);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }

    /// <summary>A line about the run (machine, sizes): shown above the table, on stderr in JSON mode.</summary>
    public static void Note(string text) => AnsiConsole.MarkupLine("[grey]" + Markup.Escape(text) + "[/]");

    public static void PrintTable(IEnumerable<(string What, string Figure, string Conditions)> rows)
    {
        if (Json)
        {
            Collected.AddRange(rows);
            return;
        }

        var table = new Table().AddColumns("measurement", "figure", "conditions");
        foreach (var (what, figure, conditions) in rows)
        {
            table.AddRow(Markup.Escape(what), "[bold]" + Markup.Escape(figure) + "[/]", Markup.Escape(conditions));
        }

        AnsiConsole.Write(table);
    }

    /// <summary>"1,052,774 transfers/s" → (1052774, "transfers/s"); a figure that does not start with a number keeps
    /// no value and its whole text as the unit.</summary>
    internal static (decimal? Value, string Unit) Split(string figure)
    {
        var m = LeadingNumber().Match(figure);
        return m.Success && decimal.TryParse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var v)
            ? (v, m.Groups[2].Value.Trim())
            : (null, figure);
    }

    [GeneratedRegex(@"^\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(.*)$")]
    private static partial Regex LeadingNumber();

    /// <summary>Deletes a scratch directory; a failure leaves it behind rather than hiding the figures.</summary>
    public static void DeleteScratch(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, true);
        }
        catch (IOException)
        {
        }
    }
}
