using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Centime.Issuance;
using Centime.Ledger;

namespace Centime.Bench;

/// <summary>
/// Benchmark of the proof-of-liabilities tree (DESIGN.md §6: 10,000,000 accounts in ≤ 10 s; one proof verifies in
/// ≤ 1 ms). Builds a tree over <c>accounts</c> synthetic holders (ascending addresses, balances 1 … 10^12 minor
/// units), then times proof extraction and offline verification averaged over many proofs. Meant for
/// <c>centime bench</c>; not run by the tests.
/// </summary>
public static class ProofOfLiabilitiesBench
{
    private const int SampledHolders = 1_000;
    private static readonly TimeSpan VerifyPhase = TimeSpan.FromSeconds(2);

    /// <summary>Runs the benchmark and returns every figure with its unit and conditions (rows of <see cref="BenchOutput"/>).</summary>
    public static List<(string What, string Figure, string Conditions)> Run(int accounts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(accounts, 1);
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<(string What, string Figure, string Conditions)>();
        BenchOutput.Note(string.Create(inv, $"proof of liabilities: {accounts:N0} holders, {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}"));
        var secret = new byte[32];
        Random.Shared.NextBytes(secret);

        // Warm-up on a small tree so JIT and thread-pool start-up stay out of the figures.
        _ = LiabilitiesTree.Build("BENCH", 1, Holders(50_000, seed: 1), secret);

        // The input is generated before the clock starts: the figure is the tree, not the test data.
        var holders = Holders(accounts, seed: 2).ToArray();
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var tree = LiabilitiesTree.Build("BENCH", 1, holders, secret);
        clock.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        rows.Add((string.Create(inv, $"tree build, {tree.LeafCount:N0} holders"), string.Create(inv, $"{clock.Elapsed.TotalSeconds:F2} s"),
            string.Create(inv, $"wall; {cpu.TotalSeconds:F2} s CPU, {tree.LeafCount / clock.Elapsed.TotalSeconds:N0} leaves/s, input materialised beforehand, {allocated / (1024.0 * 1024):N0} MiB allocated; root {tree.Root.Hash} total {tree.Root.Total} (target ≤ 10 s for 10,000,000)")));

        // Proofs for holders spread over the whole tree.
        var rng = new Random(3);
        var proofs = new LiabilityProof[Math.Min(SampledHolders, accounts)];
        clock.Restart();
        for (var i = 0; i < proofs.Length; i++)
        {
            proofs[i] = tree.GetProof(HolderAddress(rng.Next(accounts)));
        }

        clock.Stop();
        rows.Add(("proof extraction", string.Create(inv, $"{clock.Elapsed.TotalMicroseconds / proofs.Length:F1} µs per proof"),
            string.Create(inv, $"{proofs.Length:N0} holders spread over the tree, {proofs[0].Path.Count} steps")));

        // Verification, averaged: whole passes over the sampled proofs for about two seconds.
        foreach (var proof in proofs)
        {
            Require(LiabilityProofVerifier.Verify(proof, tree.Root));
        }

        var verified = 0;
        clock.Restart();
        while (clock.Elapsed < VerifyPhase)
        {
            foreach (var proof in proofs)
            {
                Require(LiabilityProofVerifier.Verify(proof, tree.Root));
                verified++;
            }
        }

        clock.Stop();
        rows.Add(("proof verification", string.Create(inv, $"{clock.Elapsed.TotalMicroseconds / verified:F1} µs per proof"),
            string.Create(inv, $"C# verifier, one thread, average of {verified:N0} verifications (target ≤ 1 ms)")));

        var json = LiabilityProofJson.Serialize(proofs[0]);
        verified = 0;
        clock.Restart();
        while (clock.Elapsed < VerifyPhase / 2)
        {
            Require(LiabilityProofVerifier.VerifyJson(json, tree.Root));
            verified++;
        }

        clock.Stop();
        rows.Add(("proof verification from JSON", string.Create(inv, $"{clock.Elapsed.TotalMicroseconds / verified:F1} µs per proof"),
            string.Create(inv, $"{json.Length:N0} bytes, parse included, average of {verified:N0}")));
        GC.KeepAlive(tree);
        GC.KeepAlive(holders);
        return rows;
    }

    private static void Require(LiabilityProofVerdict verdict)
    {
        if (!verdict.IsValid)
        {
            throw new InvalidOperationException($"benchmark proof failed: {verdict.Code}: {verdict.Reason}");
        }
    }

    // Holder i has address 0x00000000 ‖ i (u64 BE) ‖ 0x…01, so addresses ascend with i without a sort.
    private static Address HolderAddress(int i)
    {
        Span<byte> bytes = stackalloc byte[Address.Size];
        bytes.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(bytes[4..], (ulong)i);
        bytes[^1] = 1;
        return Address.FromBytes(bytes);
    }

    private static IEnumerable<(Address Address, UInt128 Balance)> Holders(int count, int seed)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            yield return (HolderAddress(i), (UInt128)rng.NextInt64(1, 1_000_000_000_001));
        }
    }
}
