namespace Centime.Ledger.Tests;

public sealed class CoinFormatTests
{
    [Theory]
    [InlineData("300000000", 6, "300.000000")]
    [InlineData("1", 6, "0.000001")]
    [InlineData("0", 6, "0.000000")]
    [InlineData("1250", 2, "12.50")]
    [InlineData("7", 0, "7")]
    [InlineData("170141183460469231731687303715884105727", 18, "170141183460469231731.687303715884105727")]
    public void FormatWhole_IsExact(string minor, int decimals, string expected) =>
        Assert.Equal(expected, Coin.FormatWhole(UInt128.Parse(minor, System.Globalization.CultureInfo.InvariantCulture), decimals));
}
