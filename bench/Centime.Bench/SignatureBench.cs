using System.Diagnostics;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Bench;

/// <summary>Signature-recovery throughput, for <c>centime bench signed</c>.</summary>
public static class SignatureBench
{
    /// <summary>
    /// Recovers signers of pre-made signatures (1,024 distinct keys and digests) on <paramref name="threads"/>
    /// threads for about <paramref name="duration"/>, after a short warm-up, checking every result, and reports
    /// the count, the wall time and the CPU time the process used meanwhile: on a shared machine
    /// <see cref="RecoveryMeasurement.PerCpuSecond"/> shows the backend's own speed when wall-clock rates are cut
    /// by other load.
    /// </summary>
    public static RecoveryMeasurement Measure(ISecp256k1Backend backend, TimeSpan duration, int threads)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var cases = MakeCases(backend, 1024);
        RunFor(backend, cases, TimeSpan.FromMilliseconds(200), 1); // warm-up: JIT, caches
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var count = RunFor(backend, cases, duration, threads);
        sw.Stop();
        process.Refresh();
        return new RecoveryMeasurement(backend.Name, threads, count, sw.Elapsed, process.TotalProcessorTime - cpuBefore);
    }

    internal static (Hash32 Digest, Signature Signature, Address Signer)[] MakeCases(ISecp256k1Backend backend, int n)
    {
        var cases = new (Hash32, Signature, Address)[n];
        for (var i = 0; i < n; i++)
        {
            var key = Secp256k1.NewPrivateKey();
            var digest = Hash32.FromBytes(Keccak256.Hash(BitConverter.GetBytes(i)));
            cases[i] = (digest, backend.Sign(key, digest), backend.AddressOf(key));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        }

        return cases;
    }

    private static long RunFor(ISecp256k1Backend backend, (Hash32 Digest, Signature Signature, Address Signer)[] cases, TimeSpan duration, int threads)
    {
        long total = 0;
        var failed = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var offset = t * 97;
            workers[t] = new Thread(() =>
            {
                long local = 0;
                var i = offset;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    for (var k = 0; k < 64; k++)
                    {
                        ref readonly var c = ref cases[i & (cases.Length - 1)];
                        if (!backend.TryRecover(c.Digest, c.Signature, out var signer) || signer != c.Signer)
                        {
                            Interlocked.Exchange(ref failed, 1);
                            return;
                        }

                        i++;
                    }

                    local += 64;
                }

                Interlocked.Add(ref total, local);
            })
            { IsBackground = true, Name = "recover-bench-" + t };
            workers[t].Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        return failed == 0 ? total : throw new InvalidOperationException($"{backend.Name} recovered a wrong signer");
    }
}

/// <summary>One recovery measurement: wall-clock and CPU time for <see cref="Count"/> recoveries.</summary>
public sealed record RecoveryMeasurement(string Backend, int Threads, long Count, TimeSpan Elapsed, TimeSpan CpuTime)
{
    /// <summary>Recoveries per wall-clock second.</summary>
    public double PerSecond => Count / Elapsed.TotalSeconds;

    /// <summary>Recoveries per second of CPU time used by the whole process (an upper bound on per-core speed).</summary>
    public double PerCpuSecond => CpuTime > TimeSpan.Zero ? Count / CpuTime.TotalSeconds : 0;
}
