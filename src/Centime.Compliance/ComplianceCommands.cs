using Centime.Ledger;

namespace Centime.Compliance;

/// <summary>Where a sanctions list comes from (docs/compliance.md, "Sanctions lists"). Persisted: values never change.</summary>
public enum SanctionsSource : byte
{
    /// <summary>OFAC's Specially Designated Nationals list (sdn.xml), its "Digital Currency Address - ETH" ids.</summary>
    OfacSdn = 1,
    /// <summary>The EU consolidated financial sanctions list (XML export), addresses in its identification entries.</summary>
    EuConsolidated = 2,
    /// <summary>The issuer's own block list: one 0x address per line.</summary>
    Issuer = 3,
}

/// <summary>
/// A sanctions list as the node parsed it: replaces the previous load of the same source. The node parses the
/// published file and journals the result — the address set (sorted, distinct) with the file's SHA-256, version and
/// publish date — so replay takes the same decisions without the file. With <see cref="Freeze"/> every listed address
/// that holds an account of any coin is also frozen (and an alert recorded).
/// </summary>
public sealed record LoadSanctionsList(string Requester, SanctionsSource Source, string Version, string Published, Hash32 Sha256, bool Freeze,
    Address[] Addresses) : CommandBody
{
    public override CommandKind Kind => CommandKind.ComplianceLoadSanctionsList;

    protected override void Write(BodyWriter writer)
    {
        writer.String(Requester);
        writer.Byte((byte)Source);
        writer.String(Version);
        writer.String(Published);
        writer.Hash(Sha256);
        writer.Byte(Freeze ? (byte)1 : (byte)0);
        var bytes = new byte[Addresses.Length * Address.Size];
        for (var i = 0; i < Addresses.Length; i++)
        {
            Addresses[i].WriteTo(bytes.AsSpan(i * Address.Size, Address.Size));
        }

        writer.Bytes(bytes);
    }

    internal static LoadSanctionsList Read(BodyReader r)
    {
        var requester = r.String();
        var source = (SanctionsSource)r.Byte();
        var version = r.String();
        var published = r.String();
        var sha = r.Hash();
        var freeze = r.Byte() switch
        {
            0 => false,
            1 => true,
            _ => throw new FormatException("A list load's freeze flag is 0 or 1."),
        };
        var bytes = r.Bytes();
        if (bytes.Length % Address.Size != 0)
        {
            throw new FormatException("A list's addresses are 20 bytes each.");
        }

        var addresses = new Address[bytes.Length / Address.Size];
        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = Address.FromBytes(bytes.AsSpan(i * Address.Size, Address.Size));
        }

        return new LoadSanctionsList(requester, source, version, published, sha, freeze, addresses);
    }
}

/// <summary>One KYC tier's limits, in the coin's minor units; <see cref="UInt128.MaxValue"/> = no limit.</summary>
public readonly record struct KycTier(UInt128 PerTransfer, UInt128 PerDay, UInt128 PerMonth, UInt128 BalanceCap);

/// <summary>
/// Turns a coin's KYC limits on (or off). <see cref="Tiers"/>[0] is the unverified tier (most restrictive), higher
/// indexes are verified tiers; empty = the defaults of the coin's regime profile (docs/compliance.md). A self-hosted
/// wallet gets at most tier <see cref="SelfHostedMaxTier"/>.
/// </summary>
public sealed record ConfigureKycLimits(string Requester, uint Coin, bool Enabled, byte SelfHostedMaxTier, KycTier[] Tiers) : CommandBody
{
    public override CommandKind Kind => CommandKind.ComplianceConfigureKycLimits;

    protected override void Write(BodyWriter writer)
    {
        writer.String(Requester);
        writer.UInt32(Coin);
        writer.Byte(Enabled ? (byte)1 : (byte)0);
        writer.Byte(SelfHostedMaxTier);
        writer.UInt32((uint)Tiers.Length);
        foreach (var t in Tiers)
        {
            writer.UInt128(t.PerTransfer);
            writer.UInt128(t.PerDay);
            writer.UInt128(t.PerMonth);
            writer.UInt128(t.BalanceCap);
        }
    }

    internal static ConfigureKycLimits Read(BodyReader r)
    {
        var requester = r.String();
        var coin = r.UInt32();
        var enabled = r.Byte() != 0;
        var selfHosted = r.Byte();
        var count = r.UInt32();
        if (count > ComplianceModule.MaxTiers)
        {
            throw new FormatException("Too many KYC tiers.");
        }

        var tiers = new KycTier[count];
        for (var i = 0; i < tiers.Length; i++)
        {
            tiers[i] = new KycTier(r.UInt128(), r.UInt128(), r.UInt128(), r.UInt128());
        }

        return new ConfigureKycLimits(requester, coin, enabled, selfHosted, tiers);
    }
}

/// <summary>
/// Records (or replaces) a holder in the KYC registry: tier, jurisdiction (ISO 3166 alpha-2), verification date
/// (yyyy-MM-dd), hosted or self-hosted wallet, and a reference to the identity documents with their SHA-256 — never
/// the documents themselves.
/// </summary>
public sealed record RegisterHolder(string Requester, Address Holder, byte Tier, string Jurisdiction, string VerifiedOn, bool SelfHosted,
    string DocumentReference, Hash32 DocumentHash) : CommandBody
{
    public override CommandKind Kind => CommandKind.ComplianceRegisterHolder;

    protected override void Write(BodyWriter writer)
    {
        writer.String(Requester);
        writer.Address(Holder);
        writer.Byte(Tier);
        writer.String(Jurisdiction);
        writer.String(VerifiedOn);
        writer.Byte(SelfHosted ? (byte)1 : (byte)0);
        writer.String(DocumentReference);
        writer.Hash(DocumentHash);
    }

    internal static RegisterHolder Read(BodyReader r) =>
        new(r.String(), r.Address(), r.Byte(), r.String(), r.String(), r.Byte() != 0, r.String(), r.Hash());
}

internal static class ComplianceCommands
{
    public static void RegisterAll()
    {
        CommandBody.Register(CommandKind.ComplianceLoadSanctionsList, LoadSanctionsList.Read);
        CommandBody.Register(CommandKind.ComplianceConfigureKycLimits, ConfigureKycLimits.Read);
        CommandBody.Register(CommandKind.ComplianceRegisterHolder, RegisterHolder.Read);
    }
}
