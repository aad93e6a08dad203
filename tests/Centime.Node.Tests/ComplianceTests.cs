using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Centime.Client;
using Centime.Compliance;
using Centime.Ledger;
using Xunit.Abstractions;

namespace Centime.Node.Tests;

/// <summary>
/// Sanctions screening over REST on a real node (issue 15; docs/compliance.md): lists loaded from files in the
/// published formats (written here), REST transfers to and from a listed address refused with nothing moved, the
/// listed holder frozen and an alert raised, and the same decisions and state hash after a restart (replay and
/// snapshot). The other paths (contracts, x402, swaps, signed transfers, permits, redemptions) are the sanctioned
/// columns of <see cref="PromiseMatrixTests"/>.
/// </summary>
public sealed class ComplianceTests(ITestOutputHelper output)
{
    private static readonly Address Listed = Address.Parse("0x8589427373D6D84E98730D7795D8f6f8731FDA16"); // an address OFAC listed (Tornado Cash)
    private static readonly Address EuListed = Address.Parse("0x19Aa5Fe80D33a56D56c78e82eA5E50E5d80b4Dff");

    [Fact]
    public void OfacSdnXml_GivesItsDigitalCurrencyAddresses_DateAndTheFilesHash()
    {
        var file = SanctionsFixtures.OfacSdn("12/05/2026", (Listed, "Digital Currency Address - ETH"), (EuListed, "Digital Currency Address - USDT"));
        var parsed = SanctionsListParser.Parse(SanctionsSource.OfacSdn, file);
        Assert.Equal(new[] { EuListed, Listed }.Order(), parsed.Addresses);
        Assert.Equal("2026-12-05", parsed.Published);
        Assert.Equal(Hash32.FromBytes(SHA256.HashData(file)), parsed.Sha256);
        Assert.Equal(3, parsed.Entries); // the fixture's person entry with a passport id adds no address
    }

    [Fact]
    public void EuConsolidatedXml_GivesAddressesInIdentificationsAndRemarks()
    {
        var file = SanctionsFixtures.EuConsolidated("2026-12-04T18:00:00.000+01:00", "151213", EuListed, Listed);
        var parsed = SanctionsListParser.Parse(SanctionsSource.EuConsolidated, file);
        Assert.Equal(new[] { EuListed, Listed }.Order(), parsed.Addresses);
        Assert.Equal("151213", parsed.Version);
        Assert.Equal("2026-12-04", parsed.Published);
    }

    [Theory]
    [InlineData("ofac", "<sdnList><notPublished/></sdnList>")]
    [InlineData("ofac", "<export generationDate=\"2026-01-01\"/>")]
    [InlineData("eu", "<sdnList/>")]
    [InlineData("eu", "<export")]
    [InlineData("ofac", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><sdnList>&e;</sdnList>")]
    [InlineData("issuer", "0x8589427373D6D84E98730D7795D8f6f8731FDA16\nnot-an-address\n")]
    public async Task AMalformedOrWrongFormatFile_Is422SanctionsListInvalid_AndLoadsNothing(string source, string text)
    {
        await using var node = await TestNode.StartAsync();
        var problem = await Assert.ThrowsAsync<CentimeApiException>(() => node.Client.LoadSanctionsListAsync(source, Encoding.UTF8.GetBytes(text)));
        output.WriteLine($"{source}: {problem.Problem.Status} {problem.Problem.Code}: {problem.Problem.Detail}");
        Assert.Equal((422, "sanctions_list_invalid"), (problem.Problem.Status, problem.Problem.Code));
        Assert.Empty((await node.Client.GetSanctionsAsync()).Lists);
    }

    [Fact]
    public async Task LoadingIsForComplianceOrAdmin_AnAuditorReadsButCannotLoad()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.SingleOperator = true);
        var auditor = await node.Client.AddOperatorAsync(new AddOperatorRequest("aud", ["auditor"]));
        using var asAuditor = new CentimeClient(new Uri(node.BaseUrl), auditor.Key!);
        var refused = await Assert.ThrowsAsync<CentimeApiException>(() => asAuditor.LoadSanctionsListAsync("issuer", Encoding.UTF8.GetBytes(Listed + "\n")));
        Assert.Equal((403, "forbidden_role"), (refused.Problem.Status, refused.Problem.Code));
        Assert.Empty((await asAuditor.GetSanctionsAsync()).Lists);
        var anonymous = await Assert.ThrowsAsync<CentimeApiException>(() => node.Anonymous.GetSanctionsAsync());
        Assert.Equal(401, anonymous.Problem.Status);
    }

    /// <summary>
    /// All three formats load (journaled with source, version, date and the file's SHA-256, in the audit trail); a REST
    /// transfer to or from a listed address is refused with sanctioned_address and moves nothing; the listed holder's
    /// account is frozen and alerts recorded; a restart (snapshot, then replay alone) gives the same state hash and the
    /// same refusals.
    /// </summary>
    [Fact]
    public async Task ListedAddress_NeitherSendsNorReceivesOverRest_IsFrozenAndAlerted_SameAfterRestart()
    {
        var data = Path.Combine(Path.GetTempPath(), "centime-test-" + Guid.NewGuid().ToString("N"));
        var issuerListed = Address.Parse(Holders.Carol);
        Hash32 hash;
        var node = await TestNode.StartSandboxAsync(data);
        try
        {
            var coin = await node.CoinWithHoldersAsync("SUSD", 1_000_000, Holders.Alice, Holders.Bob, Holders.Carol);
            var ofac = SanctionsFixtures.OfacSdn("12/05/2026", (Listed, "Digital Currency Address - ETH"));
            var eu = SanctionsFixtures.EuConsolidated("2026-12-04T18:00:00.000+01:00", "151213", EuListed);
            var issuer = Encoding.UTF8.GetBytes($"# version: 2026-12-07.1\n# published: 2026-12-07\n{Holders.Carol}, fraud case 17\n");
            var loadedOfac = await node.Client.LoadSanctionsListAsync("ofac", ofac);
            await node.Client.LoadSanctionsListAsync("eu", eu);
            var loadedIssuer = await node.Client.LoadSanctionsListAsync("issuer", issuer);
            Assert.Equal(Hash32.FromBytes(SHA256.HashData(ofac)).ToString(), loadedOfac.List.Sha256);
            Assert.Equal(("ofac_sdn", "2026-12-05", 1), (loadedOfac.List.Source, loadedOfac.List.Published, loadedOfac.List.Addresses));
            Assert.Equal(("2026-12-07.1", 1), (loadedIssuer.List.Version, loadedIssuer.Frozen)); // Carol held SUSD: frozen
            var status = await node.Client.GetSanctionsAsync();
            Assert.Equal(3, status.BlockedAddresses);
            Assert.Equal(["eu_consolidated"], (await node.Client.ScreenAddressAsync(EuListed.ToString())).Lists);

            // Fund the OFAC-listed address before it was listed? It cannot be credited now: both directions are refused.
            var before = Balances(node);
            foreach (var (debit, credit) in new[] { (Holders.Alice, Listed.ToString()), (Holders.Carol, Holders.Bob), (Holders.Bob, EuListed.ToString()), (coin.SupplyAccount, Listed.ToString()) })
            {
                var result = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "SUSD", Debit = debit, Credit = credit, Amount = "10" }]);
                output.WriteLine($"{debit} → {credit}: {result.Results[0].Result}");
                Assert.Equal("sanctioned_address", result.Results[0].Result);
            }

            Assert.Equal(before, Balances(node));
            var ok = await node.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "SUSD", Debit = Holders.Alice, Credit = Holders.Bob, Amount = "10" }]);
            Assert.Equal("ok", ok.Results[0].Result);

            var alerts = (await node.Client.ListComplianceAlertsAsync()).Items;
            Assert.Contains(alerts, a => a is { Kind: "sanctions_holder_frozen", Coin: "SUSD" } && a.Address == issuerListed.ToString() && a.Lists == "issuer");
            Assert.Contains(alerts, a => a is { Kind: "sanctions_hit", Attempts: 2 } && a.Address == Listed.ToString() && a.Lists == "ofac_sdn");
            Assert.Contains(alerts, a => a is { Kind: "sanctions_hit" } && a.Address == issuerListed.ToString());
            var audit = (await node.Client.GetAuditAsync()).Items;
            Assert.Contains(audit, e => e.Name == "load_sanctions_list" && e.Detail.Contains(loadedOfac.List.Sha256, StringComparison.Ordinal));
            hash = StateHash(node);
        }
        finally
        {
            await node.StopAsync();
        }

        foreach (var fromSnapshot in new[] { true, false })
        {
            if (!fromSnapshot)
            {
                foreach (var snapshot in Directory.GetFiles(data, "snapshot-*.snap", SearchOption.AllDirectories))
                {
                    File.Delete(snapshot);
                }
            }

            var again = await TestNode.StartSandboxAsync(data);
            try
            {
                Assert.True(hash == StateHash(again), fromSnapshot ? "after a snapshot" : "after a replay");
                Assert.True((await again.Client.ScreenAddressAsync(Listed.ToString())).Sanctioned);
                if (fromSnapshot)
                {
                    continue; // a transfer here would be in the journal the replay below reads: its hash would differ
                }

                var result = await again.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = "SUSD", Debit = Holders.Alice, Credit = Listed.ToString(), Amount = "10" }]);
                Assert.Equal("sanctioned_address", result.Results[0].Result);
            }
            finally
            {
                await again.StopAsync();
            }
        }

        Directory.Delete(data, recursive: true);
    }

    private static Hash32 StateHash(TestNode node)
    {
        using var view = node.Node.Context.Read();
        return view.State.ComputeStateHash();
    }

    private static string Balances(TestNode node)
    {
        using var view = node.Node.Context.Read();
        var text = new StringBuilder();
        foreach (ref readonly var a in view.State.Accounts)
        {
            text.Append(CultureInfo.InvariantCulture, $"{a.Key.Coin}:{a.Key.Address}:{a.DebitsPosted}:{a.CreditsPosted}:{a.DebitsPending}:{a.CreditsPending};");
        }

        return text.ToString();
    }
}

/// <summary>Small files in the published sanctions formats (element names as OFAC and the EU publish them).</summary>
internal static class SanctionsFixtures
{
    /// <summary>An OFAC SDN list (sdn.xml) with one entity per address, plus an individual with a passport (no address).</summary>
    public static byte[] OfacSdn(string publishDate, params (Address Address, string IdType)[] addresses)
    {
        var xml = new StringBuilder();
        xml.Append(CultureInfo.InvariantCulture, $"""
            <?xml version="1.0" standalone="yes"?>
            <sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
              <publshInformation>
                <Publish_Date>{publishDate}</Publish_Date>
                <Record_Count>{addresses.Length + 1}</Record_Count>
              </publshInformation>
              <sdnEntry>
                <uid>36</uid>
                <lastName>AEROCARIBBEAN AIRLINES</lastName>
                <sdnType>Entity</sdnType>
                <programList><program>CUBA</program></programList>
                <idList><id><uid>4</uid><idType>Passport</idType><idNumber>A1234567</idNumber><idCountry>Cuba</idCountry></id></idList>
              </sdnEntry>

            """);
        var uid = 40000;
        foreach (var (address, type) in addresses)
        {
            xml.Append(CultureInfo.InvariantCulture, $"""
                  <sdnEntry>
                    <uid>{uid++}</uid>
                    <lastName>TORNADO CASH</lastName>
                    <sdnType>Entity</sdnType>
                    <programList><program>CYBER2</program><program>DPRK3</program></programList>
                    <idList>
                      <id><uid>{uid++}</uid><idType>Website</idType><idNumber>www.tornado.cash</idNumber></id>
                      <id><uid>{uid++}</uid><idType>{type}</idType><idNumber>{address.ToString().ToLowerInvariant()}</idNumber></id>
                    </idList>
                  </sdnEntry>

                """);
        }

        xml.Append("</sdnList>\n");
        return Encoding.UTF8.GetBytes(xml.ToString());
    }

    /// <summary>An EU consolidated list export: the first address in an identification, the others in a remark.</summary>
    public static byte[] EuConsolidated(string generationDate, string fileId, Address identified, params Address[] inRemark) =>
        Encoding.UTF8.GetBytes($"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <export xmlns="http://eu.europa.eu/fsd/export" generationDate="{generationDate}" globalFileId="{fileId}">
              <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.9999.12" logicalId="170001">
                <regulation regulationType="amendment" organisationType="council" publicationDate="2026-05-20" entryIntoForceDate="2026-05-20" numberTitle="2026/1234 (OJ L 2026/1234)" programme="RUS" logicalId="170002" />
                <subjectType code="enterprise" classificationCode="E" />
                <nameAlias firstName="" middleName="" lastName="" wholeName="Garantex Europe OU" function="" gender="" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="170003" />
                <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" issuedBy="" issuedDate="" validFrom="" validTo="" latinNumber="" nameOnDocument="" identificationTypeCode="other" identificationTypeDescription="Other identification number" number="{identified.ToString().ToLowerInvariant()}" region="" countryIso2Code="00" countryDescription="UNKNOWN" regulationLanguage="en" logicalId="170004">
                  <remark>Ethereum wallet address</remark>
                </identification>
                <remark>Digital currency addresses: {string.Join(", ", inRemark.Select(a => a.ToString()))}</remark>
              </sanctionEntity>
              <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.1.1" logicalId="13">
                <subjectType code="person" classificationCode="P" />
                <nameAlias wholeName="Saddam Hussein Al-Tikriti" strong="true" regulationLanguage="en" logicalId="17" />
              </sanctionEntity>
            </export>
            """);
}
