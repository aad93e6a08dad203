using System.Text;
using Centime.Ledger;
using Centime.Node.Api;

namespace Centime.Node.Tests;

/// <summary>
/// The batch parser's shortcuts (property names compared as bytes, one checksum per distinct address, the last coin
/// symbol compared before a lookup) must decide exactly as the plain reading would.
/// </summary>
public sealed class TransferBatchParserTests
{
    private static uint? Coins(string symbol) => symbol switch { "NUSD" => 1, "NHKD" => 2, _ => null };

    private static string Item(int id, string debit, string credit, string coin = "NUSD") =>
        $"{{\"id\":\"{id}\",\"coin\":\"{coin}\",\"debit\":\"{debit}\",\"credit\":\"{credit}\",\"amount\":\"{id}\"}}";

    private static Command[] Parse(params string[] items) =>
        TransferBatchParser.Parse(Encoding.UTF8.GetBytes("{\"transfers\":[" + string.Join(",", items) + "]}"), Coins);

    [Fact]
    public void RepeatedAddress_WithAOneLetterTypoLaterInTheBatch_RefusedAtThatIndex()
    {
        var alice = Holders.Alice; // checksummed, mixed case
        var letter = alice.IndexOfAny("abcdef".ToCharArray(), 2);
        var typo = alice[..letter] + char.ToUpperInvariant(alice[letter]) + alice[(letter + 1)..];

        var ok = Parse(Item(1, alice, Holders.Bob), Item(2, alice, Holders.Bob));
        Assert.Equal(Address.Parse(alice), ok[1].Transfer.DebitAccount);

        var e = Assert.Throws<ProblemException>(() => Parse(Item(1, alice, Holders.Bob), Item(2, typo, Holders.Bob)));
        Assert.Equal((ProblemCodes.InvalidAddress, 1), (e.Code, e.Index));

        // All-lower and all-upper carry no checksum and are the same address.
        var lower = Parse(Item(1, alice.ToLowerInvariant(), Holders.Bob), Item(2, "0x" + alice[2..].ToUpperInvariant(), Holders.Bob));
        Assert.Equal(lower[0].Transfer.DebitAccount, lower[1].Transfer.DebitAccount);
    }

    [Fact]
    public void EscapedNamesAndValues_ReadAsTheirText_RepeatsStillRefused()
    {
        var escapedAlice = "\\u0030x" + Holders.Alice[2..]; // "0x…" with the 0 escaped
        var c = Parse("{\"\\u0069d\":\"7\",\"co\\u0069n\":\"N\\u0055SD\",\"debit\":\"" + escapedAlice + "\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"5\"}");
        Assert.Equal((UInt128)7, c[0].Transfer.Id);
        Assert.Equal(1u, c[0].Transfer.Coin);
        Assert.Equal(Address.Parse(Holders.Alice), c[0].Transfer.DebitAccount);

        var e = Assert.Throws<ProblemException>(() => Parse("{\"id\":\"7\",\"\\u0069d\":\"8\",\"coin\":\"NUSD\",\"debit\":\"" + Holders.Alice + "\",\"credit\":\"" + Holders.Bob + "\",\"amount\":\"5\"}"));
        Assert.Equal(ProblemCodes.DuplicateField, e.Code);
    }

    [Fact]
    public void CoinChangesWithinTheBatch_EachTransferGetsItsOwn_UnknownRefusedAtItsIndex()
    {
        var c = Parse(Item(1, Holders.Alice, Holders.Bob), Item(2, Holders.Alice, Holders.Bob, "NHKD"), Item(3, Holders.Alice, Holders.Bob));
        Assert.Equal([1u, 2u, 1u], c.Select(x => x.Transfer.Coin));

        var e = Assert.Throws<ProblemException>(() => Parse(Item(1, Holders.Alice, Holders.Bob), Item(2, Holders.Alice, Holders.Bob, "NOPE")));
        Assert.Equal((ProblemCodes.CoinNotFound, 1), (e.Code, e.Index));
    }
}
