using System.Globalization;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// How wide stdout is. A terminal gives its own width; <c>COLUMNS</c> overrides it (as in every Unix tool); when stdout
/// is a pipe or a file and <c>COLUMNS</c> is not set, tables are laid out without wrapping, however long the rows.
/// </summary>
internal static class CliConsole
{
    /// <summary>Wide enough that no table of this CLI wraps (a 0x address row is about 250 characters).</summary>
    internal const int UnwrappedWidth = 4096;

    public static void Configure()
    {
        var columns = Environment.GetEnvironmentVariable("COLUMNS");
        if (Width(columns, Console.IsOutputRedirected) is int width)
        {
            AnsiConsole.Profile.Width = width;
        }

        if (Width(columns, Console.IsErrorRedirected) is int errorWidth)
        {
            CliContext.Stderr.Profile.Width = errorWidth;
        }
    }

    /// <summary>The width to force, or null to keep the terminal's own.</summary>
    internal static int? Width(string? columns, bool redirected) =>
        int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > 0 ? c
        : redirected ? UnwrappedWidth
        : null;
}
