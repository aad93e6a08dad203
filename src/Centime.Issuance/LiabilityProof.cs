using System.Text.Json.Serialization;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// The published commitment of a proof-of-liabilities tree: the root hash and the total it commits to (the sum of
/// every holder balance in the tree, in the coin's minor units).
/// </summary>
/// <param name="Hash">Root hash; <see cref="Hash32.Zero"/> for a tree without holders.</param>
/// <param name="Total">Total liabilities in minor units.</param>
[JsonConverter(typeof(LiabilitiesRootJsonConverter))]
public readonly record struct LiabilitiesRoot(Hash32 Hash, UInt128 Total);

/// <summary>One step of a holder's path to the root: the sibling's hash and sum and the side it sits on.</summary>
/// <param name="SiblingHash">Hash of the sibling subtree.</param>
/// <param name="SiblingSum">Liabilities total of the sibling subtree.</param>
/// <param name="SiblingOnLeft">True when the sibling is the left child (the path's node is then the right one).</param>
public readonly record struct LiabilityProofStep(Hash32 SiblingHash, UInt128 SiblingSum, bool SiblingOnLeft);

/// <summary>
/// A holder's inclusion proof: their leaf (address, balance, salt) and the path to the root. Verify it against the
/// root the issuer published independently with <see cref="LiabilityProofVerifier"/>; <see cref="Root"/> is only what
/// the tree that produced this proof had, carried for display. Serialise with <see cref="LiabilityProofJson"/>, or with
/// <see cref="System.Text.Json.JsonSerializer"/> directly (same form, via a converter).
/// </summary>
[JsonConverter(typeof(LiabilityProofJsonConverter))]
public sealed record LiabilityProof
{
    /// <summary>Version of the proof format; <see cref="CurrentVersion"/>.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Coin symbol of the tree (informational: not hashed).</summary>
    public required string Coin { get; init; }

    /// <summary>Block height whose balances the tree holds (informational: not hashed).</summary>
    public required ulong Height { get; init; }

    /// <summary>The holder.</summary>
    public required Address Address { get; init; }

    /// <summary>The holder's balance in minor units, as committed in the leaf.</summary>
    public required UInt128 Balance { get; init; }

    /// <summary>The leaf's 32-byte salt: without it nobody can recompute this leaf's hash from a guessed balance.</summary>
    public required Hash32 Salt { get; init; }

    /// <summary>Sibling steps from the leaf up to the root.</summary>
    public required IReadOnlyList<LiabilityProofStep> Path { get; init; }

    /// <summary>The root of the tree that produced this proof (informational: verify against the published root).</summary>
    public required LiabilitiesRoot Root { get; init; }
}
