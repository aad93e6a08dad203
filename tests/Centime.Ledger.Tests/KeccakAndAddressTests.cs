using System.Text;
using CsCheck;

namespace Centime.Ledger.Tests;

/// <summary>Golden vectors for Keccak-256 (Ethereum's, with the original 0x01 padding) and EIP-55 addresses.</summary>
public sealed class KeccakAndAddressTests
{
    [Theory]
    // Ethereum's well-known values: keccak256("") is the empty-code hash; "abc" and the fox sentence are the
    // usual Keccak-256 (not SHA3-256) test strings.
    [InlineData("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")]
    [InlineData("The quick brown fox jumps over the lazy dog", "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")]
    public void Hash_KnownStrings_MatchEthereumKeccak(string input, string expectedHex)
    {
        Assert.Equal(expectedHex, Convert.ToHexStringLower(Keccak256.Hash(Encoding.ASCII.GetBytes(input))));
    }

    /// <summary>
    /// Inputs around and beyond the 136-byte rate, so absorption of full blocks and padding into an otherwise
    /// empty block are both exercised. Values computed independently with BouncyCastle's KeccakDigest(256) and
    /// a from-the-spec Python Keccak; both agree.
    /// </summary>
    [Theory]
    [InlineData('a', 135, "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446")]
    [InlineData('a', 136, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e")]
    [InlineData('a', 137, "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39")]
    [InlineData('a', 200, "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d")]
    [InlineData('a', 272, "cf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8")]
    public void Hash_MultiBlockInput_MatchesIndependentImplementations(char fill, int length, string expectedHex)
    {
        Assert.Equal(expectedHex, Convert.ToHexStringLower(Keccak256.Hash(Encoding.ASCII.GetBytes(new string(fill, length)))));
    }

    [Fact]
    public void Hash_768BytesCountingUp_MatchesIndependentImplementations()
    {
        var data = new byte[768];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = unchecked((byte)i);
        }

        Assert.Equal("00e77ce2c4f77212a0d5df106b08157b77058479357a98a6039b457c469723e4", Convert.ToHexStringLower(Keccak256.Hash(data)));
    }

    [Fact]
    public void Hash_SpanOverloadAndArrayOverload_Agree()
    {
        Gen.Byte.Array[0, 600].Sample(data =>
        {
            Span<byte> output = stackalloc byte[40];
            output.Fill(0xEE);
            Keccak256.Hash(data, output);
            Assert.True(output[..32].SequenceEqual(Keccak256.Hash(data)));
            Assert.True(output[32..].ToArray().All(b => b == 0xEE)); // writes exactly 32 bytes
        }, iter: 200);
    }

    [Fact]
    public void Hash_OutputTooSmall_Throws()
    {
        Assert.Throws<ArgumentException>(() => Keccak256.Hash([1, 2, 3], new byte[31]));
    }

    /// <summary>The examples of the EIP-55 specification: mixed case, all caps and all lower are each the correct checksum form of their address.</summary>
    [Theory]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")]
    [InlineData("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB")]
    [InlineData("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")]
    [InlineData("0x52908400098527886E0F7030069857D2E4169EE7")]
    [InlineData("0x8617E340B3D01FA5F11F306F4090FD50E238070D")]
    [InlineData("0xde709f2102306220921060314715629080e2fb77")]
    [InlineData("0x27b1fdb04752bbc536007a920d24acb045561c26")]
    public void ToString_Eip55Examples_ProduceTheChecksummedForm(string checksummed)
    {
        var fromLower = Address.Parse(checksummed.ToLowerInvariant());
        var fromUpper = Address.Parse("0x" + checksummed[2..].ToUpperInvariant());
        Assert.Equal(checksummed, fromLower.ToString());
        Assert.Equal(fromLower, fromUpper);
        Assert.True(Address.TryParse(checksummed, out var parsed));
        Assert.Equal(fromLower, parsed);
        Assert.Equal(Convert.FromHexString(checksummed[2..]), parsed.ToBytes());
    }

    [Theory]
    // One letter's case flipped in each EIP-55 example: a typo that the checksum must catch.
    [InlineData("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0xfb6916095ca1df60bB79Ce92cE3Ea74c37c5d359")]
    [InlineData("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6Fb")]
    [InlineData("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9ADb")]
    public void TryParse_WrongChecksumMixedCase_IsRejected(string text)
    {
        Assert.False(Address.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Address.Parse(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe")]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd")]
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg")]
    [InlineData("1x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")]
    public void TryParse_Malformed_IsRejected(string? text)
    {
        Assert.False(Address.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_ToString_RoundTripsEveryAddress()
    {
        Gen.Byte.Array[20].Sample(bytes =>
        {
            var a = Address.FromBytes(bytes);
            var text = a.ToString();
            Assert.True(Address.TryParse(text, out var back));
            Assert.Equal(a, back);
            Assert.Equal(bytes, back.ToBytes());
            Assert.Equal(a, Address.Parse(text.ToLowerInvariant()));
        }, iter: 500);
    }

    /// <summary>
    /// The batch parser checks each address's checksum once (<see cref="Address.TryParseDigits"/> + a cached
    /// <see cref="Address.ChecksumUpperLetters"/>); it must decide exactly as <see cref="Address.TryParse"/> does for any
    /// casing, including every single-letter typo of a checksummed address.
    /// </summary>
    [Fact]
    public void TryParseDigits_WithChecksumMask_DecidesLikeTryParse_ForAnyCasing()
    {
        Gen.Select(Gen.Byte.Array[20], Gen.Bool.Array[40]).Sample((bytes, flips) =>
        {
            var text = Address.FromBytes(bytes).ToString();
            var chars = text.ToCharArray();
            for (var i = 0; i < 40; i++)
            {
                if (flips[i] && char.IsLetter(chars[2 + i]))
                {
                    chars[2 + i] = char.IsUpper(chars[2 + i]) ? char.ToLowerInvariant(chars[2 + i]) : char.ToUpperInvariant(chars[2 + i]);
                }
            }

            var cased = new string(chars);
            var expected = Address.TryParse(cased, out var viaString);
            Assert.True(Address.TryParseDigits(Encoding.ASCII.GetBytes(cased[2..]), out var parsed, out var upper, out var mixed));
            Assert.Equal(Address.FromBytes(bytes), parsed);
            Assert.Equal(expected, !mixed || upper == parsed.ChecksumUpperLetters());
            if (expected)
            {
                Assert.Equal(parsed, viaString);
            }
        }, iter: 2000);
    }

    [Fact]
    public void TryParseDigits_OneLetterTypo_MaskDiffers()
    {
        var text = Address.Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").ToString()[2..];
        Assert.True(Address.TryParseDigits(Encoding.ASCII.GetBytes(text), out var a, out var upper, out var mixed));
        Assert.True(mixed);
        Assert.Equal(a.ChecksumUpperLetters(), upper);
        var typo = text[..1] + char.ToUpperInvariant(text[1]) + text[2..]; // 'a' -> 'A' at digit 1
        Assert.True(Address.TryParseDigits(Encoding.ASCII.GetBytes(typo), out _, out var typoUpper, out _));
        Assert.NotEqual(a.ChecksumUpperLetters(), typoUpper);
        Assert.False(Address.TryParseDigits("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg"u8, out _, out _, out _));
        Assert.False(Address.TryParseDigits("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe"u8, out _, out _, out _));
    }

    /// <summary>The Ethereum address of private key 1 (public key = the secp256k1 generator G).</summary>
    [Fact]
    public void FromPublicKey_Generator_IsTheAddressOfPrivateKeyOne()
    {
        var g = Convert.FromHexString(
            "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798" +
            "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8");
        Assert.Equal("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", Address.FromPublicKey(g).ToString());
    }

    [Fact]
    public void Derive_IsLast20BytesOfKeccakOfPrefixedPurpose()
    {
        var hash = Keccak256.Hash(Encoding.UTF8.GetBytes("centime:supply:NUSD"));
        Assert.Equal(Address.FromBytes(hash.AsSpan(12)), Coin.SupplyAccountOf("NUSD"));
        Assert.NotEqual(Coin.SupplyAccountOf("NUSD"), Coin.SupplyAccountOf("JHKD"));
    }

    [Fact]
    public void CompareTo_OrdersLikeTheBytes()
    {
        Gen.Select(Gen.Byte.Array[20], Gen.Byte.Array[20]).Sample((x, y) =>
        {
            var expected = Math.Sign(x.AsSpan().SequenceCompareTo(y));
            Assert.Equal(expected, Math.Sign(Address.FromBytes(x).CompareTo(Address.FromBytes(y))));
        }, iter: 500);
    }
}
