using System.Globalization;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// Outcome of verifying an inclusion proof. <see cref="Code"/> is stable and identical to what
/// <c>wwwroot/pol-verify.js</c> returns for the same input: <c>valid</c>, <c>malformed_proof</c>,
/// <c>amount_out_of_range</c>, <c>sum_overflow</c>, <c>path_too_long</c>, <c>root_hash_mismatch</c>,
/// <c>root_total_mismatch</c>.
/// </summary>
/// <param name="IsValid">True only when the path leads from the leaf to exactly the published hash and total.</param>
/// <param name="Code">Stable machine-readable outcome.</param>
/// <param name="Reason">What was found, for people.</param>
public readonly record struct LiabilityProofVerdict(bool IsValid, string Code, string Reason)
{
    /// <summary>The proof holds.</summary>
    public const string Valid = "valid";
    /// <summary>A field is missing or not of the expected form.</summary>
    public const string MalformedProof = "malformed_proof";
    /// <summary>A balance, sum or total is negative or above 2^127 − 1.</summary>
    public const string AmountOutOfRange = "amount_out_of_range";
    /// <summary>Adding a sibling's sum goes above 2^127 − 1.</summary>
    public const string SumOverflow = "sum_overflow";
    /// <summary>More than 64 steps.</summary>
    public const string PathTooLong = "path_too_long";
    /// <summary>The recomputed root hash differs from the published one (a balance, salt, sibling hash, sibling sum or side was changed).</summary>
    public const string RootHashMismatch = "root_hash_mismatch";
    /// <summary>The hash matches but the recomputed total differs from the published total.</summary>
    public const string RootTotalMismatch = "root_total_mismatch";

    internal static LiabilityProofVerdict Fail(string code, string reason) => new(false, code, reason);
}

/// <summary>
/// Offline verification of a holder's inclusion proof against a published <see cref="LiabilitiesRoot"/>. Needs no
/// server and no secret. Checks, in this order (pol-verify.js does the same): form; the balance and every sibling sum
/// are within 0 … 2^127 − 1; at most 64 steps; each running sum stays within range; the recomputed hash equals the
/// published hash; the recomputed total equals the published total.
/// </summary>
public static class LiabilityProofVerifier
{
    /// <summary>Verifies a typed proof.</summary>
    public static LiabilityProofVerdict Verify(LiabilityProof proof, LiabilitiesRoot publishedRoot)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (proof.Path is null)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.MalformedProof, "the proof has no path");
        }

        if (publishedRoot.Total > LiabilityHashing.MaxAmount)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.AmountOutOfRange, $"published total {publishedRoot.Total} is above 2^127 − 1");
        }

        if (proof.Balance > LiabilityHashing.MaxAmount)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.AmountOutOfRange, $"balance {proof.Balance} is above 2^127 − 1");
        }

        for (var i = 0; i < proof.Path.Count; i++)
        {
            if (proof.Path[i].SiblingSum > LiabilityHashing.MaxAmount)
            {
                return LiabilityProofVerdict.Fail(LiabilityProofVerdict.AmountOutOfRange, $"step {i}: sibling sum {proof.Path[i].SiblingSum} is above 2^127 − 1");
            }
        }

        if (proof.Path.Count > LiabilityHashing.MaxPathLength)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.PathTooLong, $"the path has {proof.Path.Count} steps; at most {LiabilityHashing.MaxPathLength} are possible");
        }

        Span<byte> salt = stackalloc byte[LiabilityHashing.SaltSize];
        proof.Salt.WriteTo(salt);
        var hash = LiabilityHashing.Leaf(proof.Address, proof.Balance, salt);
        var sum = proof.Balance;
        for (var i = 0; i < proof.Path.Count; i++)
        {
            var step = proof.Path[i];
            if (!LiabilityHashing.TryAdd(sum, step.SiblingSum, out var parentSum))
            {
                return LiabilityProofVerdict.Fail(LiabilityProofVerdict.SumOverflow, $"step {i}: {sum} + {step.SiblingSum} is above 2^127 − 1");
            }

            hash = step.SiblingOnLeft
                ? LiabilityHashing.Node(step.SiblingHash, step.SiblingSum, hash, sum)
                : LiabilityHashing.Node(hash, sum, step.SiblingHash, step.SiblingSum);
            sum = parentSum;
        }

        if (hash != publishedRoot.Hash)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.RootHashMismatch, $"the path leads to root {hash}, not the published {publishedRoot.Hash}");
        }

        if (sum != publishedRoot.Total)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.RootTotalMismatch, $"the path adds up to {sum}, not the published total {publishedRoot.Total}");
        }

        return new LiabilityProofVerdict(true, LiabilityProofVerdict.Valid,
            string.Create(CultureInfo.InvariantCulture, $"{proof.Address} holds {proof.Balance} in a tree totalling {sum}, root {hash}"));
    }

    /// <summary>Parses a proof as written by <see cref="LiabilityProofJson.Serialize"/> and verifies it; a parse failure is a verdict, not an exception.</summary>
    public static LiabilityProofVerdict VerifyJson(string proofJson, LiabilitiesRoot publishedRoot)
    {
        ArgumentNullException.ThrowIfNull(proofJson);

        // Same order as pol-verify.js: the published root first, then the proof's form, then the path.
        if (publishedRoot.Total > LiabilityHashing.MaxAmount)
        {
            return LiabilityProofVerdict.Fail(LiabilityProofVerdict.AmountOutOfRange, $"published total {publishedRoot.Total} is above 2^127 − 1");
        }

        return LiabilityProofJson.TryParse(proofJson, out var proof, out var failure)
            ? Verify(proof, publishedRoot)
            : failure;
    }
}
