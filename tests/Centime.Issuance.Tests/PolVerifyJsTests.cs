using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Centime.Issuance.Tests;

/// <summary>
/// Runs the browser verifier (src/Centime.Issuance/wwwroot/pol-verify.js) under Node through
/// pol-verify-harness.mjs and checks it returns, case for case, the same verdict code as the C# verifier.
/// </summary>
public sealed class PolVerifyJsTests(ITestOutputHelper output)
{
    [Fact]
    public void VerifyLiabilityProof_ValidAndTamperedProofs_SameVerdictsAsCSharp()
    {
        var cases = ProofCases.All().ToList();
        var input = new JsonArray([.. cases.Select(c => (JsonNode)new JsonObject
        {
            ["proof"] = JsonNode.Parse(c.ProofJson),
            ["root"] = JsonNode.Parse(LiabilityProofJson.SerializeRoot(c.PublishedRoot)),
        })]);

        var verdicts = RunHarness(input.ToJsonString()).AsArray();

        Assert.Equal(cases.Count, verdicts.Count);
        for (var i = 0; i < cases.Count; i++)
        {
            var js = verdicts[i]!.AsObject();
            var code = js["code"]!.GetValue<string>();
            var csharp = LiabilityProofVerifier.VerifyJson(cases[i].ProofJson, cases[i].PublishedRoot);
            output.WriteLine($"{cases[i].Name}: js {code}, c# {csharp.Code} — {js["reason"]}");
            Assert.True(cases[i].ExpectedCode == code, $"{cases[i].Name}: pol-verify.js said {code} ({js["reason"]}), expected {cases[i].ExpectedCode}");
            Assert.Equal(csharp.Code, code);
            Assert.Equal(code == "valid", js["valid"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void VerifyLiabilityProof_SingleProofOnStdin_Accepts()
    {
        var (tree, proof) = ProofCases.Sample();
        var input = new JsonObject
        {
            ["proof"] = JsonNode.Parse(LiabilityProofJson.Serialize(proof)),
            ["root"] = JsonNode.Parse(LiabilityProofJson.SerializeRoot(tree.Root)),
        };
        var verdict = RunHarness(input.ToJsonString()).AsObject();
        Assert.True(verdict["valid"]!.GetValue<bool>(), verdict.ToJsonString());
        Assert.Equal("valid", verdict["code"]!.GetValue<string>());
    }

    [Fact]
    public void VerifyLiabilityProof_HoldersOfRandomTree_AllValidAndBalanceTamperRejected()
    {
        var seed = TestSeeds.Next(output, nameof(VerifyLiabilityProof_HoldersOfRandomTree_AllValidAndBalanceTamperRejected));
        var rng = new Random(seed);
        var holders = LiabilitiesTreeTests.RandomHolders(rng, rng.Next(1, 2_000));
        var tree = LiabilitiesTree.Build("JHKD", (ulong)rng.NextInt64(), holders, LiabilitiesTreeTests.Secret);
        var root = JsonNode.Parse(LiabilityProofJson.SerializeRoot(tree.Root));
        var sample = Enumerable.Range(0, 40).Select(_ => holders[rng.Next(holders.Count)].Address).ToList();
        var input = new JsonArray();
        foreach (var address in sample)
        {
            var proof = tree.GetProof(address);
            input.Add(new JsonObject { ["proof"] = JsonNode.Parse(LiabilityProofJson.Serialize(proof)), ["root"] = root!.DeepClone() });
            var tampered = proof with { Balance = proof.Balance == 0 ? 1 : proof.Balance - 1 };
            input.Add(new JsonObject { ["proof"] = JsonNode.Parse(LiabilityProofJson.Serialize(tampered)), ["root"] = root!.DeepClone() });
        }

        var verdicts = RunHarness(input.ToJsonString()).AsArray();
        for (var i = 0; i < sample.Count; i++)
        {
            Assert.True(verdicts[2 * i]!["code"]!.GetValue<string>() == "valid", $"{TestSeeds.Tag(seed)} {sample[i]}: {verdicts[2 * i]!.ToJsonString()}");
            Assert.True(verdicts[(2 * i) + 1]!["code"]!.GetValue<string>() == "root_hash_mismatch", $"{TestSeeds.Tag(seed)} {sample[i]} tampered: {verdicts[(2 * i) + 1]!.ToJsonString()}");
        }
    }

    private static JsonNode RunHarness(string stdin)
    {
        var root = RepositoryRoot();
        var start = new ProcessStartInfo("node", [Path.Combine(root, "tests", "Centime.Issuance.Tests", "pol-verify-harness.mjs")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("These tests need Node.js ≥ 20 on PATH (`node`).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                throw new TimeoutException("pol-verify-harness.mjs did not finish in 30 s");
            }

            Assert.True(process.ExitCode == 0, $"node exited with {process.ExitCode}: {stderr.Result}");
            return JsonNode.Parse(stdout.Result) ?? throw new JsonException("empty output");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Centime.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Centime.slnx not found above " + AppContext.BaseDirectory);
    }
}
