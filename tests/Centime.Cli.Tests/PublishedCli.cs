using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Centime.Cli.Tests;

/// <summary>
/// The `centime` binary as a user gets it: <c>scripts/publish.sh</c> (self-contained single file, linux-x64) run once
/// per test run into <c>artifacts/test-bin</c>, then reused by every test. Nothing here runs `dotnet`: the binary must
/// stand alone.
/// </summary>
internal static class PublishedCli
{
    private static readonly Lazy<Task<string>> Binary = new(PublishAsync);

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Path of the published binary (publishes on first use).</summary>
    public static Task<string> PathAsync() => Binary.Value;

    /// <summary>How long the one publish of this run took (for the suite's log).</summary>
    public static TimeSpan PublishTime { get; private set; }

    private static async Task<string> PublishAsync()
    {
        var output = Path.Combine(RepoRoot, "artifacts", "test-bin");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "scripts", "publish.sh"));
        psi.ArgumentList.Add(output);
        var watch = Stopwatch.StartNew();
        var result = await RunAsync(psi, TimeSpan.FromMinutes(15));
        PublishTime = watch.Elapsed;
        var binary = Path.Combine(output, "centime");
        if (result.Code != 0 || !File.Exists(binary))
        {
            throw new InvalidOperationException($"scripts/publish.sh failed ({result.Code}):\n{result.Stdout}\n{result.Stderr}");
        }

        Console.WriteLine($"[cli-tests] published {binary} in {PublishTime.TotalSeconds:F0} s");
        return binary;
    }

    /// <summary>Runs <c>centime args…</c> (the published binary) in <paramref name="workDirectory"/> with extra environment.</summary>
    public static async Task<CliResult> RunAsync(string workDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(await PathAsync()) { WorkingDirectory = workDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("COLUMNS"); // as in a pipe from a script, unless a test sets it
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[name] = value;
        }

        return await RunAsync(psi, TimeSpan.FromMinutes(2));
    }

    /// <summary>Runs a process to its end with stdout and stderr kept apart.</summary>
    public static async Task<CliResult> RunAsync(ProcessStartInfo psi, TimeSpan timeout)
    {
        psi.StandardOutputEncoding = Encoding.UTF8;
        psi.StandardErrorEncoding = Encoding.UTF8;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} ran longer than {timeout}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Centime.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Centime.slnx) above " + AppContext.BaseDirectory);
    }
}

internal sealed record CliResult(int Code, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {Code}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// `centime node` from the published binary in its own scratch directory (data in <c>./centime-data</c>, as the README
/// runs it), on a free loopback port; killed and deleted on dispose.
/// </summary>
internal sealed class PublishedNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private PublishedNode(Process process, string directory, string url)
    {
        _process = process;
        Directory = directory;
        Url = url;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The node's working directory: the README's "repository root", where ./centime-data lives.</summary>
    public string Directory { get; }

    public string Url { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public string OperatorKey => File.ReadAllText(Path.Combine(Directory, "centime-data", "operator.key")).Trim();

    public static async Task<PublishedNode> StartAsync(params string[] extra)
    {
        var binary = await PublishedCli.PathAsync();
        var directory = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "centime-cli-tests-" + Guid.NewGuid().ToString("N"))).FullName;
        var url = $"http://127.0.0.1:{PublishedCli.FreePort()}";
        var psi = new ProcessStartInfo(binary) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "node", "--urls", url }.Concat(extra))
        {
            psi.ArgumentList.Add(a);
        }

        var node = new PublishedNode(Process.Start(psi)!, directory, url);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && !node._process.HasExited)
        {
            try
            {
                if ((await http.GetAsync(url + "/v1/health")).IsSuccessStatusCode)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        var log = node.Log;
        await node.DisposeAsync();
        throw new InvalidOperationException("the published node did not become healthy:\n" + log);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
