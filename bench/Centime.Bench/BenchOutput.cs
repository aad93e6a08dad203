using Spectre.Console;

namespace Centime.Bench;

/// <summary>What every benchmark does at the end: print its figures as one table, remove its scratch data.</summary>
internal static class BenchOutput
{
    public static void PrintTable(IEnumerable<(string What, string Figure, string Conditions)> rows)
    {
        var table = new Table().AddColumns("measurement", "figure", "conditions");
        foreach (var (what, figure, conditions) in rows)
        {
            table.AddRow(Markup.Escape(what), "[bold]" + Markup.Escape(figure) + "[/]", Markup.Escape(conditions));
        }

        AnsiConsole.Write(table);
    }

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
