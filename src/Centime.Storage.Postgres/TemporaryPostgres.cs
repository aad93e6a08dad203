using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Centime.Storage.Postgres;

/// <summary>
/// A throw-away PostgreSQL server for tests and <c>centime bench ledger --store postgres</c>: initdb in a temporary
/// directory, the postmaster on a free 127.0.0.1 port, killed (with its directory removed) on dispose. Uses the
/// server binaries of the Debian <c>postgresql</c> package (/usr/lib/postgresql/&lt;version&gt;/bin, or
/// <c>CENTIME_PG_BIN</c>). PostgreSQL refuses to run as root: as root it runs as the <c>postgres</c> user (created by
/// the Debian package) through setpriv, which execs, so the process this object kills is the postmaster itself.
/// </summary>
public sealed class TemporaryPostgres : IDisposable
{
    private const string User = "centime";
    private readonly StringBuilder _log = new();
    private readonly string? _runAs;
    private readonly string[] _settings;
    private Process _server;
    private int _databases;

    private TemporaryPostgres(string directory, string binDirectory, string? runAs, string[] settings)
    {
        Directory = directory;
        BinDirectory = binDirectory;
        Port = FreePort();
        _runAs = runAs;
        _settings = settings;
        _server = StartPostmaster();
    }

    /// <summary>The cluster's data directory (temporary).</summary>
    public string Directory { get; }

    /// <summary>Where initdb, postgres and pg_basebackup are.</summary>
    public string BinDirectory { get; }

    public int Port { get; }

    /// <summary>The server's own log lines, for a failing test's message.</summary>
    public string ServerLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Connection string of the maintenance database <c>postgres</c> (superuser <c>centime</c>, trust auth on loopback).</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Pooling=true;Timeout=5;Command Timeout=60";

    /// <summary>The server binaries' directory, or null when PostgreSQL is not installed (run scripts/install-deps.sh).</summary>
    public static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("CENTIME_PG_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }

        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        return System.IO.Directory.EnumerateDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault();
    }

    /// <summary>Creates and starts a cluster; <paramref name="settings"/> are extra <c>-c name=value</c> server settings.
    /// Throws <see cref="InvalidOperationException"/> with the reason when PostgreSQL is missing or does not start within
    /// <paramref name="timeout"/>.</summary>
    public static TemporaryPostgres Start(TimeSpan timeout, params string[] settings)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL server binaries not found (/usr/lib/postgresql/<version>/bin): run scripts/install-deps.sh, or set CENTIME_PG_BIN");
        var directory = Path.Combine(Path.GetTempPath(), "centime-pg-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        if (runAs is not null)
        {
            Run("chown", timeout, runAs, directory);
        }

        Run(Wrap(runAs, Path.Combine(bin, "initdb")), timeout, [.. WrapArgs(runAs, Path.Combine(bin, "initdb")), "-D", directory, "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        return Launch(directory, bin, runAs, timeout, settings);
    }

    /// <summary>A streaming standby of this server made with <c>pg_basebackup -R</c> (its own directory and port),
    /// started; name it in <c>synchronous_standby_names</c> via <paramref name="applicationName"/>.</summary>
    public TemporaryPostgres StartStandby(string applicationName, TimeSpan timeout)
    {
        // pg_basebackup creates the directory itself (mode 0700, owned by the server's user).
        var directory = Directory + "-standby-" + applicationName;
        var runAs = Environment.UserName == "root" ? "postgres" : null;

        var basebackup = Path.Combine(BinDirectory, "pg_basebackup");
        Run(Wrap(runAs, basebackup), timeout, [.. WrapArgs(runAs, basebackup), "-D", directory, "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, "-R", "-X", "stream", "--no-sync",
            "-d", $"host=127.0.0.1 port={Port} user={User} application_name={applicationName}"]);
        return Launch(directory, BinDirectory, runAs, timeout, []);
    }

    private static TemporaryPostgres Launch(string directory, string bin, string? runAs, TimeSpan timeout, string[] settings)
    {
        var server = new TemporaryPostgres(directory, bin, runAs, settings);
        try
        {
            server.WaitReady(timeout);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private Process StartPostmaster()
    {
        var postgres = Path.Combine(BinDirectory, "postgres");
        var psi = new ProcessStartInfo(Wrap(_runAs, postgres))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in WrapArgs(_runAs, postgres))
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var a in new[] { "-D", Directory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-k", Directory, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=50", "-c", "shared_buffers=64MB", "-c", "wal_level=replica", "-c", "max_wal_senders=4" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var s in _settings)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(s);
        }

        var server = Process.Start(psi)!;
        server.OutputDataReceived += (_, e) => Log(e.Data);
        server.ErrorDataReceived += (_, e) => Log(e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        return server;
    }

    /// <summary>A database server crash and restart: SIGKILL of the postmaster and its backends, then a new postmaster
    /// on the same directory and port (crash recovery replays the WAL), waiting until it accepts connections.</summary>
    public void RestartAfterCrash(TimeSpan timeout)
    {
        KillHard();
        _server.Dispose();
        _server = StartPostmaster();
        WaitReady(timeout);
    }

    private void WaitReady(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"PostgreSQL exited with code {_server.ExitCode} while starting:\n{ServerLog}");
            }

            try
            {
                using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
                connection.Open();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                last = ex;
                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException($"PostgreSQL did not accept connections within {timeout.TotalSeconds} s: {last?.Message}\n{ServerLog}");
    }

    /// <summary>Creates an empty database with a fresh name and returns its connection string.</summary>
    public string CreateDatabase(string prefix = "centime")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..6]}";
        Execute($"CREATE DATABASE {name}");
        return ConnectionString(name);
    }

    /// <summary>Runs one statement in the maintenance database.</summary>
    public void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public bool HasExited => _server.HasExited;

    /// <summary>SIGKILL of the postmaster (a machine loss, for the database): no shutdown checkpoint.</summary>
    public void KillHard()
    {
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(10_000);
        }
    }

    /// <summary>Promotes a standby to primary (pg_ctl promote) and waits until it accepts writes.</summary>
    public void Promote(TimeSpan timeout)
    {
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var pgCtl = Path.Combine(BinDirectory, "pg_ctl");
        Run(Wrap(runAs, pgCtl), timeout, [.. WrapArgs(runAs, pgCtl), "promote", "-D", Directory, "-w"]);
    }

    public void Dispose()
    {
        KillHard();
        _server.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 64 << 10)
            {
                _log.AppendLine(line);
            }
        }
    }

    private static string Wrap(string? runAs, string program) => runAs is null ? program : "setpriv";

    /// <summary>setpriv execs the program under the user's ids (no fork, unlike su/runuser): the child is the server.</summary>
    private static string[] WrapArgs(string? runAs, string program) =>
        runAs is null ? [] : ["--reuid=" + runAs, "--regid=" + runAs, "--init-groups", "--", program];

    /// <summary>Runs a client program of this server's installation (<c>pgbench</c>, <c>psql</c>) as the current user and
    /// returns what it printed; throws <see cref="InvalidOperationException"/> with its error output when it fails or
    /// does not finish within <paramref name="timeout"/>.</summary>
    public string RunClientProgram(string name, TimeSpan timeout, params string[] arguments) =>
        Run(Path.Combine(BinDirectory, name), timeout, arguments);

    private static string Run(string program, TimeSpan timeout, params string[] arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }

        return stdout.Result;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
