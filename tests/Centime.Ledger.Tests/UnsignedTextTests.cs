using System.Numerics;
using System.Text;
using CsCheck;

namespace Centime.Ledger.Tests;

/// <summary>
/// The one grammar of 128-bit unsigned integers (ids and amounts on every route). Short decimals take a 64-bit fast
/// path and long ones a constant-bound check, so the edges of both paths are pinned here against BigInteger.
/// </summary>
public sealed class UnsignedTextTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("9999999999999999999", "9999999999999999999")] // 19 digits: the largest run the 64-bit path takes
    [InlineData("18446744073709551615", "18446744073709551615")] // 2^64 - 1: 20 digits, the 128-bit path
    [InlineData("18446744073709551616", "18446744073709551616")] // 2^64
    [InlineData("340282366920938463463374607431768211455", "340282366920938463463374607431768211455")] // 2^128 - 1
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000000000000000042", "42")] // 79 digits
    [InlineData("0xffffffffffffffffffffffffffffffff", "340282366920938463463374607431768211455")]
    public void TryParse_Accepted(string text, string expected)
    {
        Assert.Equal(UnsignedTextError.None, UnsignedText.TryParse(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(UInt128.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.Equal(UnsignedTextError.None, UnsignedText.TryParse(text.AsSpan(), out var viaChars));
        Assert.Equal(value, viaChars);
    }

    [Theory]
    [InlineData("340282366920938463463374607431768211456", UnsignedTextError.TooLarge)] // 2^128
    [InlineData("340282366920938463463374607431768211460", UnsignedTextError.TooLarge)]
    [InlineData("999999999999999999999999999999999999999", UnsignedTextError.TooLarge)]
    [InlineData("0x1ffffffffffffffffffffffffffffffff", UnsignedTextError.TooLarge)]
    [InlineData("-1", UnsignedTextError.Negative)]
    [InlineData("", UnsignedTextError.Malformed)]
    [InlineData("12a", UnsignedTextError.Malformed)]
    [InlineData("1 ", UnsignedTextError.Malformed)]
    public void TryParse_Refused(string text, UnsignedTextError error)
    {
        Assert.Equal(error, UnsignedText.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void TryParse_AnyDecimalUpTo40Digits_AgreesWithBigInteger()
    {
        Gen.Int[1, 40].SelectMany(n => Gen.Char['0', '9'].Array[n]).Sample(digits =>
        {
            var text = new string(digits);
            var big = BigInteger.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            var error = UnsignedText.TryParse(Encoding.ASCII.GetBytes(text), out var value);
            if (big <= (BigInteger)UInt128.MaxValue)
            {
                Assert.Equal(UnsignedTextError.None, error);
                Assert.Equal((UInt128)big, value);
            }
            else
            {
                Assert.Equal(UnsignedTextError.TooLarge, error);
            }
        }, iter: 5000);
    }
}
