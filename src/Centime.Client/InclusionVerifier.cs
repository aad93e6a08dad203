using Centime.Ledger;

namespace Centime.Client;

/// <summary>Outcome of checking an inclusion proof offline: every check with its verdict.</summary>
public sealed record InclusionVerification(bool Valid, IReadOnlyList<(string Check, bool Passed, string Detail)> Checks, string BlockHash);

/// <summary>
/// Checks an <see cref="InclusionProof"/> with no network: decode the command bytes and compare them with the
/// transfer shown; hash them to a leaf and follow the path to the header's commands root; do the same for
/// the result; hash the header. The proof is only as good as the block hash it ends in: compare that with
/// one you trust (another node, an anchor on a public chain) via <paramref name="trustedBlockHash"/>.
/// </summary>
public static class InclusionVerifier
{
    public static InclusionVerification Verify(InclusionProof proof, Hash32? trustedBlockHash = null)
    {
        var checks = new List<(string, bool, string)>();
        byte[] commandBytes;
        byte[] headerBytes;
        try
        {
            commandBytes = Convert.FromHexString(Strip(proof.Command));
            headerBytes = Convert.FromHexString(Strip(proof.Header));
        }
        catch (FormatException ex)
        {
            checks.Add(("hex encoding", false, ex.Message));
            return new InclusionVerification(false, checks, "");
        }

        BlockHeader header;
        Command command;
        try
        {
            header = BlockHeader.ReadFrom(headerBytes);
            command = Command.Read(commandBytes, out var consumed);
            if (consumed != commandBytes.Length)
            {
                throw new FormatException("trailing bytes after the command");
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            checks.Add(("decoding", false, ex.Message));
            return new InclusionVerification(false, checks, "");
        }

        var blockHash = header.ComputeHash();
        var t = command.Transfer;
        // Posts and voids may leave fields zero ("take them from the hold"); the transfer shown has them resolved.
        var twoPhase = (t.Flags & (TransferFlags.PostPending | TransferFlags.VoidPending)) != 0;
        var fieldsMatch = command.Kind == CommandKind.Transfer
            && t.Id.ToString() == proof.Transfer.Id
            && (t.Amount.ToString() == proof.Transfer.Amount || (twoPhase && t.Amount == UInt128.Zero))
            && (t.DebitAccount.ToString() == proof.Transfer.Debit || (twoPhase && t.DebitAccount.IsZero))
            && (t.CreditAccount.ToString() == proof.Transfer.Credit || (twoPhase && t.CreditAccount.IsZero));
        checks.Add(("command bytes encode the transfer shown", fieldsMatch, $"id {t.Id}, amount {t.Amount}"));

        var steps = proof.CommandPath.Select(s => new ProofStep(Hash32.Parse(s.Sibling), s.Left)).ToArray();
        var commandRoot = Merkle.RootFromProof(Merkle.Leaf(commandBytes), steps);
        checks.Add(("command path leads to the commands root", commandRoot == header.CommandsRoot, header.CommandsRoot.ToString()));

        var group = proof.ResultGroup?.Select(c => (ResultCode)c).ToArray() ?? [];
        var position = proof.Index - proof.ResultGroupStart;
        var inGroup = proof.ResultGroupStart % Merkle.ResultGroupSize == 0 && position >= 0 && position < group.Length
            && group.Length <= Merkle.ResultGroupSize && group[position].ToProblemCode() == proof.Result;
        checks.Add(($"result '{proof.Result}' is the transfer's code in its result group", inGroup, $"group from {proof.ResultGroupStart}"));
        var resultSteps = proof.ResultPath.Select(s => new ProofStep(Hash32.Parse(s.Sibling), s.Left)).ToArray();
        var resultRoot = group.Length is 0 or > Merkle.ResultGroupSize
            ? Hash32.Zero
            : Merkle.RootFromProof(Merkle.ResultGroupLeaf(proof.ResultGroupStart, group), resultSteps);
        checks.Add(("result group path leads to the results root", resultRoot == header.ResultsRoot, header.ResultsRoot.ToString()));
        checks.Add(("result timestamp is block time + index", proof.ResultTimestamp == header.Timestamp + (ulong)proof.Index, proof.ResultTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        checks.Add(("header hashes to the block hash shown", blockHash.ToString() == proof.Block.Hash, blockHash.ToString()));
        checks.Add(("block height matches", header.Height == proof.Transfer.Height && header.Height == proof.Block.Height, header.Height.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (trustedBlockHash is Hash32 trusted)
        {
            checks.Add(("block hash equals the trusted hash", trusted == blockHash, trusted.ToString()));
        }

        return new InclusionVerification(checks.TrueForAll(c => c.Item2), checks, blockHash.ToString());
    }

    private static string Strip(string hex) => hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
}
