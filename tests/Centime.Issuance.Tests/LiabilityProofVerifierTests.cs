using Centime.Ledger;

namespace Centime.Issuance.Tests;

public sealed class LiabilityProofVerifierTests
{
    public static TheoryData<string> CaseNames() => [.. ProofCases.All().Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void VerifyJson_Case_ReturnsExpectedCode(string name)
    {
        var @case = ProofCases.All().Single(c => c.Name == name);
        var verdict = LiabilityProofVerifier.VerifyJson(@case.ProofJson, @case.PublishedRoot);
        Assert.True(@case.ExpectedCode == verdict.Code, $"{name}: expected {@case.ExpectedCode}, got {verdict.Code} ({verdict.Reason})");
        Assert.Equal(@case.ExpectedCode == "valid", verdict.IsValid);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
    }

    [Fact]
    public void Verify_ChangedBalance_FailsWithRootHashMismatch()
    {
        var (tree, proof) = ProofCases.Sample();
        var verdict = LiabilityProofVerifier.Verify(proof with { Balance = proof.Balance + 1 }, tree.Root);
        Assert.False(verdict.IsValid);
        Assert.Equal(LiabilityProofVerdict.RootHashMismatch, verdict.Code);
    }

    [Fact]
    public void Verify_ChangedSiblingHashOrSum_Fails()
    {
        var (tree, proof) = ProofCases.Sample();
        for (var i = 0; i < proof.Path.Count; i++)
        {
            var step = proof.Path[i];
            var otherHash = proof with { Path = proof.Path.Select((s, j) => j == i ? s with { SiblingHash = Hash32.Sha256(s.SiblingHash.ToBytes()) } : s).ToList() };
            var otherSum = proof with { Path = proof.Path.Select((s, j) => j == i ? s with { SiblingSum = s.SiblingSum + 1 } : s).ToList() };
            Assert.Equal(LiabilityProofVerdict.RootHashMismatch, LiabilityProofVerifier.Verify(otherHash, tree.Root).Code);
            Assert.Equal(LiabilityProofVerdict.RootHashMismatch, LiabilityProofVerifier.Verify(otherSum, tree.Root).Code);
        }
    }

    [Fact]
    public void Verify_SumsThatWouldWrap_FailWithOutOfRangeOrOverflow()
    {
        var (tree, proof) = ProofCases.Sample();

        // A sibling sum of 2^128 − balance would wrap the running sum back to 0 in plain u128 arithmetic.
        var wrapping = proof with { Path = [new LiabilityProofStep(Hash32.Zero, UInt128.MaxValue - proof.Balance + 1, true), .. proof.Path] };
        Assert.Equal(LiabilityProofVerdict.AmountOutOfRange, LiabilityProofVerifier.Verify(wrapping, tree.Root).Code);

        var overflowing = proof with { Path = [new LiabilityProofStep(Hash32.Zero, LedgerState.MaxSupply, true), .. proof.Path] };
        Assert.Equal(LiabilityProofVerdict.SumOverflow, LiabilityProofVerifier.Verify(overflowing, tree.Root).Code);

        Assert.Equal(LiabilityProofVerdict.AmountOutOfRange, LiabilityProofVerifier.Verify(proof with { Balance = LedgerState.MaxSupply + 1 }, tree.Root).Code);
        Assert.Equal(LiabilityProofVerdict.AmountOutOfRange, LiabilityProofVerifier.Verify(proof, tree.Root with { Total = UInt128.MaxValue }).Code);
    }

    [Fact]
    public void Verify_WrongRoot_FailsWithHashOrTotalMismatch()
    {
        var (tree, proof) = ProofCases.Sample();
        Assert.Equal(LiabilityProofVerdict.RootTotalMismatch, LiabilityProofVerifier.Verify(proof, tree.Root with { Total = tree.Root.Total - 1 }).Code);
        Assert.Equal(LiabilityProofVerdict.RootHashMismatch, LiabilityProofVerifier.Verify(proof, tree.Root with { Hash = Hash32.Zero }).Code);
    }

    [Fact]
    public void Verify_SingleHolderTree_ProofHasNoStepsAndVerifies()
    {
        var holder = Address.FromBytes(Enumerable.Repeat((byte)9, 20).ToArray());
        var tree = LiabilitiesTree.Build("NUSD", 1, [(holder, 5)], LiabilitiesTreeTests.Secret);
        var proof = tree.GetProof(holder);
        Assert.Empty(proof.Path);
        Assert.True(LiabilityProofVerifier.Verify(proof, tree.Root).IsValid);
    }

    [Fact]
    public void Json_RoundTrip_PreservesProof()
    {
        var (_, proof) = ProofCases.Sample();
        var json = LiabilityProofJson.Serialize(proof);
        var back = LiabilityProofJson.Parse(json);
        Assert.Equal(proof.Address, back.Address);
        Assert.Equal(proof.Balance, back.Balance);
        Assert.Equal(proof.Salt, back.Salt);
        Assert.Equal(proof.Root, back.Root);
        Assert.Equal(proof.Coin, back.Coin);
        Assert.Equal(proof.Height, back.Height);
        Assert.Equal(proof.Path, back.Path);
        Assert.Equal(json, LiabilityProofJson.Serialize(back));
    }

    [Fact]
    public void Json_Serialize_UsesCamelCaseAndDecimalStrings()
    {
        var (_, proof) = ProofCases.Sample();
        var json = LiabilityProofJson.Serialize(proof);
        Assert.StartsWith("{\"version\":1,\"coin\":\"NUSD\",\"height\":\"42\",\"address\":\"0x", json, StringComparison.Ordinal);
        Assert.Contains($"\"balance\":\"{proof.Balance}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"path\":[{\"side\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonSerializer_ProofAndRoot_UseTheSameForm()
    {
        var (tree, proof) = ProofCases.Sample();
        var json = System.Text.Json.JsonSerializer.Serialize(proof);
        Assert.Equal(LiabilityProofJson.Serialize(proof), json);
        var back = System.Text.Json.JsonSerializer.Deserialize<LiabilityProof>(json)!;
        Assert.True(LiabilityProofVerifier.Verify(back, tree.Root).IsValid);
        Assert.Equal(LiabilityProofJson.SerializeRoot(tree.Root), System.Text.Json.JsonSerializer.Serialize(tree.Root));
        Assert.Equal(tree.Root, System.Text.Json.JsonSerializer.Deserialize<LiabilitiesRoot>(System.Text.Json.JsonSerializer.Serialize(tree.Root)));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<LiabilityProof>("{\"version\":1}"));
    }

    [Fact]
    public void Json_Root_RoundTrips()
    {
        var (tree, _) = ProofCases.Sample();
        var text = LiabilityProofJson.SerializeRoot(tree.Root);
        Assert.True(LiabilityProofJson.TryParseRoot(text, out var back, out var error), error);
        Assert.Equal(tree.Root, back);
        Assert.False(LiabilityProofJson.TryParseRoot("{\"hash\":\"0x00\",\"total\":\"1\"}", out _, out error));
        Assert.Contains("hash", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => LiabilityProofJson.Parse("{"));
        Assert.Equal(LiabilityProofVerdict.MalformedProof, LiabilityProofVerifier.VerifyJson("nope", default).Code);
    }
}
