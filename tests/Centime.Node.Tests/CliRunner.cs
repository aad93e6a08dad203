using System.Diagnostics;

namespace Centime.Node.Tests;

/// <summary>
/// Runs the built `centime` CLI as a separate process with its own scratch keystore (deleted on dispose) and a
/// keystore password in the environment, as a user's shell would; answers the exit code and stdout + stderr.
/// </summary>
internal sealed class CliRunner(string password) : IDisposable
{
    private readonly string _dir = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "centime-cli-" + Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>The scratch directory (keystore under it); tests may write files here.</summary>
    public string Directory => _dir;

    public Task<(int Code, string Output)> RunAsync(params string[] args) => RunAsync(args, password);

    public Task<(int Code, string Output)> RunAsync(string[] args, string withPassword)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(NodeProcess.CliDll());
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["CENTIME_KEYSTORE"] = Path.Combine(_dir, "keystore");
        psi.Environment["CENTIME_PASSWORD"] = withPassword;
        psi.Environment["COLUMNS"] = "300";
        return RunProcessAsync(psi);
    }

    /// <summary>Runs any process to its end (two minutes at most).</summary>
    public static async Task<(int Code, string Output)> RunProcessAsync(ProcessStartInfo psi)
    {
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
