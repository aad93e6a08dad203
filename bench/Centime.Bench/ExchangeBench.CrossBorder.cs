namespace Centime.Bench;

public static partial class ExchangeBench
{
    private static Task<IReadOnlyList<(string, string, string)>> CrossBorderAsync(string dir, ExchangeBenchOptions options, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<(string, string, string)>>([]);
}
