using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Centime.Ledger;

namespace Centime.Issuance.Tests;

/// <summary>A proof JSON, the root it is checked against, and the verdict code both verifiers must return.</summary>
internal sealed record ProofCase(string Name, string ProofJson, LiabilitiesRoot PublishedRoot, string ExpectedCode);

/// <summary>
/// A valid proof and every tampering the verifiers must catch, as JSON, so the C# and the JavaScript verifier are
/// fed byte-identical input.
/// </summary>
internal static class ProofCases
{
    private static readonly string Max = LedgerState.MaxSupply.ToString(CultureInfo.InvariantCulture);
    private static readonly string MaxPlusOne = (LedgerState.MaxSupply + 1).ToString(CultureInfo.InvariantCulture);
    private static readonly string TwoTo128 = "340282366920938463463374607431768211456";

    public static (LiabilitiesTree Tree, LiabilityProof Proof) Sample()
    {
        var holders = LiabilitiesTreeTests.RandomHolders(new Random(1234), 37);
        var tree = LiabilitiesTree.Build("NUSD", 42, holders, LiabilitiesTreeTests.Secret);

        // Holder 13: its path has steps on both sides.
        return (tree, tree.GetProof(holders[13].Address));
    }

    public static IEnumerable<ProofCase> All()
    {
        var (tree, proof) = Sample();
        var root = tree.Root;
        var json = LiabilityProofJson.Serialize(proof);
        ProofCase Edit(string name, string code, Action<JsonObject> edit, LiabilitiesRoot? against = null)
        {
            var node = JsonNode.Parse(json)!.AsObject();
            edit(node);
            return new ProofCase(name, node.ToJsonString(), against ?? root, code);
        }

        JsonObject Step(JsonObject p, int i) => p["path"]!.AsArray()[i]!.AsObject();
        string Plus(string amount, long delta) => (BigInteger.Parse(amount, CultureInfo.InvariantCulture) + delta).ToString(CultureInfo.InvariantCulture);
        string FlipHex(string hex) => hex[..^1] + (hex[^1] == '0' ? '1' : '0');

        yield return new ProofCase("valid", json, root, "valid");
        yield return Edit("valid, address in lower case", "valid", p => p["address"] = p["address"]!.GetValue<string>().ToLowerInvariant());
        yield return Edit("valid, unknown field ignored", "valid", p => p["note"] = "hello");

        // Changed data: the root no longer matches.
        yield return Edit("balance raised by 1", "root_hash_mismatch", p => p["balance"] = Plus(p["balance"]!.GetValue<string>(), 1));
        yield return Edit("balance lowered by 1", "root_hash_mismatch", p => p["balance"] = Plus(p["balance"]!.GetValue<string>(), -1));
        yield return Edit("balance set to 0", "root_hash_mismatch", p => p["balance"] = "0");
        yield return Edit("salt changed", "root_hash_mismatch", p => p["salt"] = FlipHex(p["salt"]!.GetValue<string>()));
        yield return Edit("address changed", "root_hash_mismatch", p => p["address"] = FlipHex(p["address"]!.GetValue<string>().ToLowerInvariant()));
        yield return Edit("sibling hash changed", "root_hash_mismatch", p => Step(p, 0)["hash"] = FlipHex(Step(p, 0)["hash"]!.GetValue<string>()));
        yield return Edit("top sibling hash changed", "root_hash_mismatch", p => Step(p, p["path"]!.AsArray().Count - 1)["hash"] = FlipHex(Step(p, p["path"]!.AsArray().Count - 1)["hash"]!.GetValue<string>()));
        yield return Edit("sibling sum lowered", "root_hash_mismatch", p => Step(p, 1)["sum"] = Plus(Step(p, 1)["sum"]!.GetValue<string>(), -1));
        yield return Edit("sibling sum raised", "root_hash_mismatch", p => Step(p, 1)["sum"] = Plus(Step(p, 1)["sum"]!.GetValue<string>(), 1));
        yield return Edit("sibling side flipped", "root_hash_mismatch", p => Step(p, 0)["side"] = Step(p, 0)["side"]!.GetValue<string>() == "left" ? "right" : "left");
        yield return Edit("step removed", "root_hash_mismatch", p => p["path"]!.AsArray().RemoveAt(0));
        yield return Edit("balance moved into a sibling sum", "root_hash_mismatch", p =>
        {
            p["balance"] = Plus(p["balance"]!.GetValue<string>(), -1);
            Step(p, 0)["sum"] = Plus(Step(p, 0)["sum"]!.GetValue<string>(), 1);
        });

        // Published root differs.
        yield return Edit("published hash differs", "root_hash_mismatch", _ => { }, root with { Hash = Hash32.Sha256("other"u8) });
        yield return Edit("published total differs", "root_total_mismatch", _ => { }, root with { Total = root.Total + 1 });

        // Negative and overflowing amounts, crafted.
        yield return Edit("negative sibling sum", "amount_out_of_range", p => Step(p, 0)["sum"] = "-5");
        yield return Edit("negative balance", "amount_out_of_range", p => p["balance"] = "-1");
        yield return Edit("sibling sum 2^127 (negative as Int128)", "amount_out_of_range", p => Step(p, 0)["sum"] = MaxPlusOne);
        yield return Edit("sibling sum 2^128", "amount_out_of_range", p => Step(p, 0)["sum"] = TwoTo128);
        yield return Edit("balance 2^128 + 5 (wraps to 5 in u128)", "amount_out_of_range", p => p["balance"] = "340282366920938463463374607431768211461");
        yield return Edit("sibling sum that overflows the running sum", "sum_overflow", p => Step(p, 0)["sum"] = Max);
        yield return Edit("root total negative", "amount_out_of_range", p => ((JsonObject)p["root"]!)["total"] = "-1");

        // Form.
        yield return Edit("path too long", "path_too_long", p =>
        {
            var path = p["path"]!.AsArray();
            while (path.Count <= 64)
            {
                path.Add(new JsonObject { ["side"] = "left", ["hash"] = "0x" + new string('0', 64), ["sum"] = "0" });
            }
        });
        yield return Edit("amount as JSON number", "malformed_proof", p => p["balance"] = 5);
        yield return Edit("amount with leading zero", "malformed_proof", p => p["balance"] = "0" + p["balance"]!.GetValue<string>());
        yield return Edit("amount with plus sign", "malformed_proof", p => p["balance"] = "+" + p["balance"]!.GetValue<string>());
        yield return Edit("amount with exponent", "malformed_proof", p => p["balance"] = "1e3");
        yield return Edit("amount with spaces", "malformed_proof", p => p["balance"] = " 1");
        yield return Edit("amount missing", "malformed_proof", p => p.Remove("balance"));
        yield return Edit("short hash", "malformed_proof", p => Step(p, 0)["hash"] = Step(p, 0)["hash"]!.GetValue<string>()[..^2]);
        yield return Edit("hash without 0x", "malformed_proof", p => Step(p, 0)["hash"] = Step(p, 0)["hash"]!.GetValue<string>()[2..] + "00");
        yield return Edit("hash with non-hex digit", "malformed_proof", p => Step(p, 0)["hash"] = Step(p, 0)["hash"]!.GetValue<string>()[..^1] + "g");
        yield return Edit("side unknown", "malformed_proof", p => Step(p, 0)["side"] = "up");
        yield return Edit("address short", "malformed_proof", p => p["address"] = "0x1234");
        yield return Edit("version 2", "malformed_proof", p => p["version"] = 2);
        yield return Edit("path not an array", "malformed_proof", p => p["path"] = "none");
        yield return Edit("root missing", "malformed_proof", p => p.Remove("root"));
        yield return Edit("height negative", "malformed_proof", p => p["height"] = "-1");
        yield return new ProofCase("not an object", "[1,2,3]", root, "malformed_proof");
    }
}
