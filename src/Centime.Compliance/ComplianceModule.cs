using System.Globalization;
using System.Runtime.InteropServices;
using Centime.Issuance;
using Centime.Ledger;

namespace Centime.Compliance;

/// <summary>A sanctions list as loaded (the addresses sorted and distinct).</summary>
public sealed record SanctionsList(SanctionsSource Source, string Version, string Published, Hash32 Sha256, string Requester, ulong Height, ulong Time,
    Address[] Addresses);

/// <summary>
/// An alert for the compliance officer (and the case queue): <c>sanctions_hit</c> — a listed address tried to send or
/// receive (refused; <see cref="Attempts"/> counts the tries, <see cref="LastHeight"/> the latest); <c>sanctions_holder_frozen</c>
/// — a list load froze an account that already held the coin. One alert per (kind, address, coin).
/// </summary>
public sealed record ComplianceAlert(ulong Sequence, string Kind, Address Address, uint Coin, string Lists, ulong FirstHeight, ulong FirstTime,
    ulong LastHeight, ulong Attempts);

/// <summary>A holder's KYC record. Identity documents stay off the ledger: only their reference and SHA-256.</summary>
public sealed record HolderRecord(Address Holder, byte Tier, string Jurisdiction, string VerifiedOn, bool SelfHosted, string DocumentReference,
    Hash32 DocumentHash, ulong Height);

/// <summary>A coin's KYC limits: the tiers (0 = unverified) and the highest tier a self-hosted wallet gets.</summary>
public sealed record KycLimits(uint Coin, byte SelfHostedMaxTier, KycTier[] Tiers);

/// <summary>
/// The compliance module (issue 15; docs/compliance.md): sanctions screening and KYC tier limits, as an
/// <see cref="IMovementScreen"/> the ledger consults on every movement of value, whichever path asks for it. Its state
/// (the loaded lists, the holder registry, each holder's turnover per ledger day and month, the alerts) changes only
/// through journaled commands and the movements themselves, so replay takes the same decisions.
/// </summary>
public sealed class ComplianceModule : LedgerModule, IMovementScreen
{
    /// <summary>Most tiers a coin's table may have.</summary>
    public const int MaxTiers = 16;

    private const ulong NanosPerDay = 86_400UL * 1_000_000_000UL;
    private const int MaxText = 256;

    private readonly SortedDictionary<SanctionsSource, SanctionsList> _lists = [];

    // Every listed address of every source: the one lookup on the hot path (a hash of three words, no allocation).
    private HashSet<Address> _blocked = [];

    // A bit per hash bucket of the listed addresses (16 buckets per address, so ~6% are set): most parties are not
    // listed, and one bit of a table that stays in cache says so without touching the large set. Derived from the
    // lists (never persisted); the answer is always the set's, the filter only skips looking.
    private ulong[] _filter = [];
    private ulong _filterMask;

    // The month of the last ledger day asked (a cache: ledger time → UTC month is the same for the whole day).
    private ulong _cachedDay = ulong.MaxValue;
    private ulong _cachedMonth;

    private readonly List<ComplianceAlert> _alerts = [];
    private readonly Dictionary<(string Kind, Address Address, uint Coin), int> _alertIndex = [];

    private readonly Dictionary<Address, HolderRecord> _holders = [];

    // Indexed by coin number; null = no limits on that coin.
    private KycLimits?[] _limits = [];
    private bool _anyLimits;

    private readonly Dictionary<AccountKey, Usage> _usage = [];

    /// <summary>A holder's turnover (sent plus received) in the current ledger day and month.</summary>
    private record struct Usage(ulong Day, UInt128 DayTotal, ulong Month, UInt128 MonthTotal);

    static ComplianceModule() => ComplianceCommands.RegisterAll();

    /// <inheritdoc/>
    public override string Name => "compliance";

    /// <inheritdoc/>
    public override bool Handles(CommandKind kind) => kind is >= CommandKind.ComplianceLoadSanctionsList and <= CommandKind.ComplianceRegisterHolder;

    /// <summary>The loaded lists, by source.</summary>
    public IReadOnlyCollection<SanctionsList> Lists => _lists.Values;

    /// <summary>How many distinct addresses all lists block together.</summary>
    public int BlockedCount => _blocked.Count;

    /// <summary>Alerts in the order they were raised.</summary>
    public IReadOnlyList<ComplianceAlert> Alerts => _alerts;

    /// <summary>True when a loaded list names <paramref name="address"/>.</summary>
    public bool IsSanctioned(Address address) => _blocked.Contains(address);

    /// <summary>The sources whose current list names <paramref name="address"/>.</summary>
    public IEnumerable<SanctionsSource> ListsNaming(Address address) =>
        _lists.Values.Where(l => Array.BinarySearch(l.Addresses, address) >= 0).Select(l => l.Source);

    /// <summary>The KYC record of a holder, or null (unverified).</summary>
    public HolderRecord? Holder(Address address) => _holders.GetValueOrDefault(address);

    /// <summary>The registered holders, in address order.</summary>
    public IEnumerable<HolderRecord> Holders => _holders.Values.OrderBy(h => h.Holder);

    /// <summary>A coin's KYC limits, or null when they are off.</summary>
    public KycLimits? LimitsOf(uint coin) => coin < _limits.Length ? _limits[coin] : null;

    /// <summary>The tier whose limits apply to <paramref name="holder"/> in <paramref name="coin"/> (0 = unverified), or -1 when the coin has no limits.</summary>
    public int EffectiveTier(uint coin, Address holder)
    {
        var limits = LimitsOf(coin);
        return limits is null ? -1 : TierIndex(limits, holder);
    }

    /// <summary>A holder's turnover today and this month (ledger time <paramref name="now"/>) in one coin.</summary>
    public (UInt128 Day, UInt128 Month) Turnover(uint coin, Address holder, ulong now) => TurnoverIn(coin, holder, now / NanosPerDay, ComputeMonth(now));

    private (UInt128 Day, UInt128 Month) TurnoverIn(uint coin, Address holder, ulong day, ulong month) =>
        _usage.TryGetValue(new AccountKey(coin, holder), out var u)
            ? (u.Day == day ? u.DayTotal : UInt128.Zero, u.Month == month ? u.MonthTotal : UInt128.Zero)
            : (UInt128.Zero, UInt128.Zero);

    /// <summary>The default tiers of a regime (docs/compliance.md, "KYC tiers"), in minor units of a coin with
    /// <paramref name="decimals"/>: unverified, basic, full.</summary>
    public static KycTier[] DefaultTiers(ReserveRegime regime, byte decimals)
    {
        var unit = UInt128.One;
        for (var i = 0; i < decimals; i++)
        {
            unit *= 10;
        }

        KycTier Whole(ulong perTransfer, ulong perDay, ulong perMonth, ulong cap) => new(perTransfer * unit, perDay * unit, perMonth * unit, cap * unit);
        var none = new KycTier(UInt128.MaxValue, UInt128.MaxValue, UInt128.MaxValue, UInt128.MaxValue);
        return regime switch
        {
            // HK AML: customer due diligence on occasional transactions from HK$8,000, so an unverified holder stays below it.
            ReserveRegime.HongKong => [new KycTier((8_000 * unit) - 1, (8_000 * unit) - 1, 20_000 * unit, 20_000 * unit), Whole(120_000, 120_000, 500_000, 500_000), none],
            // EU AMLD: anonymous e-money only up to EUR 150.
            ReserveRegime.Mica => [Whole(150, 150, 150, 150), Whole(1_000, 5_000, 15_000, 15_000), none],
            // US: the travel-rule threshold (USD 3,000) bounds what an unverified holder moves.
            _ => [Whole(1_000, 1_000, 3_000, 3_000), Whole(3_000, 10_000, 50_000, 50_000), none],
        };
    }

    // ------------------------------------------------------------------ commands

    /// <inheritdoc/>
    protected internal override ResultCode Apply(CommandBody body, in ModuleContext context) => body switch
    {
        LoadSanctionsList l => ApplyLoad(l, context),
        ConfigureKycLimits k => ApplyLimits(k, context),
        RegisterHolder h => ApplyHolder(h, context),
        _ => ResultCode.UnknownCommand,
    };

    private bool MayAct(string requester) =>
        (Ledger.Module<IssuanceModule>()?.RolesOf(requester) ?? OperatorRoles.None) is var roles && (roles & (OperatorRoles.Compliance | OperatorRoles.Admin)) != 0;

    private bool IsComplianceOfficer(string requester) =>
        ((Ledger.Module<IssuanceModule>()?.RolesOf(requester) ?? OperatorRoles.None) & OperatorRoles.Compliance) != 0;

    private ResultCode ApplyLoad(LoadSanctionsList l, in ModuleContext context)
    {
        if (!MayAct(l.Requester))
        {
            return ResultCode.ForbiddenRole;
        }

        if (!Enum.IsDefined(l.Source) || !IsText(l.Version) || l.Published.Length > MaxText || !IsSortedDistinct(l.Addresses))
        {
            return ResultCode.SanctionsListInvalid;
        }

        var list = new SanctionsList(l.Source, l.Version, l.Published, l.Sha256, l.Requester, context.Height, context.Now, l.Addresses);
        _lists[l.Source] = list;
        RebuildBlocked();
        var frozen = l.Freeze ? FreezeListed(list, context) : 0;
        Ledger.Module<IssuanceModule>()?.AuditModuleAction(context, "load_sanctions_list", 0, l.Requester, string.Create(CultureInfo.InvariantCulture,
            $"{SourceName(l.Source)} version {l.Version} published {l.Published}: {l.Addresses.Length} addresses, sha256 {l.Sha256}, {frozen} accounts frozen"));
        return ResultCode.Ok;
    }

    private static bool IsSortedDistinct(Address[] addresses)
    {
        for (var i = 0; i < addresses.Length; i++)
        {
            if (addresses[i].IsZero || (i > 0 && addresses[i - 1] >= addresses[i]))
            {
                return false;
            }
        }

        return true;
    }

    private void RebuildBlocked()
    {
        var blocked = new HashSet<Address>(_lists.Values.Sum(l => l.Addresses.Length));
        foreach (var list in _lists.Values)
        {
            blocked.UnionWith(list.Addresses);
        }

        _blocked = blocked;
        var bits = 64UL;
        while (bits < (ulong)blocked.Count * 16 && bits < (1UL << 30))
        {
            bits <<= 1;
        }

        var filter = new ulong[bits / 64];
        foreach (var address in blocked)
        {
            var bit = (ulong)unchecked((uint)address.GetHashCode()) & (bits - 1);
            filter[bit >> 6] |= 1UL << (int)(bit & 63);
        }

        _filter = filter;
        _filterMask = bits - 1;
    }

    /// <summary>Freezes every account (of any coin) a listed address already holds; returns how many.</summary>
    private int FreezeListed(SanctionsList list, in ModuleContext context)
    {
        var toFreeze = new List<AccountKey>();
        foreach (var account in Ledger.Accounts)
        {
            if (!account.IsFrozen && (account.Flags & (AccountFlags.Supply | AccountFlags.ModuleOwned | AccountFlags.Keyless)) == 0
                && Array.BinarySearch(list.Addresses, account.Key.Address) >= 0)
            {
                toFreeze.Add(account.Key);
            }
        }

        foreach (var key in toFreeze)
        {
            Ledger.SetFrozen(key.Coin, key.Address, true);
            Alert("sanctions_holder_frozen", key.Address, key.Coin, context.Height, context.Now);
        }

        return toFreeze.Count;
    }

    private ResultCode ApplyLimits(ConfigureKycLimits k, in ModuleContext context)
    {
        if (!MayAct(k.Requester))
        {
            return ResultCode.ForbiddenRole;
        }

        var coin = Ledger.GetCoin(k.Coin);
        if (coin is null)
        {
            return ResultCode.CoinNotFound;
        }

        var tiers = k.Tiers;
        if (tiers.Length == 0)
        {
            var regime = Ledger.Module<IssuanceModule>()?.Coin(k.Coin)?.Regime ?? ReserveRegime.Genius;
            tiers = DefaultTiers(regime, coin.Decimals);
        }

        if (tiers.Length > MaxTiers || k.SelfHostedMaxTier >= tiers.Length || !AreOrdered(tiers))
        {
            return ResultCode.KycTiersInvalid;
        }

        if (_limits.Length <= k.Coin)
        {
            Array.Resize(ref _limits, (int)k.Coin + 1);
        }

        _limits[k.Coin] = k.Enabled ? new KycLimits(k.Coin, k.SelfHostedMaxTier, tiers) : null;
        _anyLimits = Array.Exists(_limits, l => l is not null);
        Ledger.Module<IssuanceModule>()?.AuditModuleAction(context, "configure_kyc_limits", k.Coin, k.Requester,
            k.Enabled ? string.Create(CultureInfo.InvariantCulture, $"KYC limits on {coin.Symbol}: {tiers.Length} tiers, self-hosted at most tier {k.SelfHostedMaxTier}") : $"KYC limits off on {coin.Symbol}");
        return ResultCode.Ok;
    }

    // Each tier allows at least what the one below it allows, and no limit is zero (a zero would stop a tier entirely;
    // freezing is the tool for that).
    private static bool AreOrdered(KycTier[] tiers)
    {
        for (var i = 0; i < tiers.Length; i++)
        {
            var t = tiers[i];
            if (t.PerTransfer == 0 || t.PerDay == 0 || t.PerMonth == 0 || t.BalanceCap == 0)
            {
                return false;
            }

            if (i > 0)
            {
                var p = tiers[i - 1];
                if (t.PerTransfer < p.PerTransfer || t.PerDay < p.PerDay || t.PerMonth < p.PerMonth || t.BalanceCap < p.BalanceCap)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private ResultCode ApplyHolder(RegisterHolder h, in ModuleContext context)
    {
        if (!IsComplianceOfficer(h.Requester))
        {
            return ResultCode.ForbiddenRole;
        }

        if (h.Holder.IsZero || h.Tier >= MaxTiers || h.Jurisdiction is not { Length: 2 } || !h.Jurisdiction.All(char.IsAsciiLetterUpper)
            || !DateOnly.TryParseExact(h.VerifiedOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            || !IsText(h.DocumentReference) || h.DocumentHash.IsZero)
        {
            return ResultCode.KycHolderInvalid;
        }

        _holders[h.Holder] = new HolderRecord(h.Holder, h.Tier, h.Jurisdiction, h.VerifiedOn, h.SelfHosted, h.DocumentReference, h.DocumentHash, context.Height);
        Ledger.Module<IssuanceModule>()?.AuditModuleAction(context, "register_holder", 0, h.Requester, string.Create(CultureInfo.InvariantCulture,
            $"holder {h.Holder}: tier {h.Tier}, {h.Jurisdiction}, verified {h.VerifiedOn}, {(h.SelfHosted ? "self-hosted" : "hosted")}, documents {h.DocumentReference} sha256 {h.DocumentHash}"));
        return ResultCode.Ok;
    }

    private static bool IsText(string s) => !string.IsNullOrWhiteSpace(s) && s.Length <= MaxText;

    /// <summary>The wire name of a source: <c>ofac_sdn</c>, <c>eu_consolidated</c>, <c>issuer</c>.</summary>
    public static string SourceName(SanctionsSource source) => source switch
    {
        SanctionsSource.OfacSdn => "ofac_sdn",
        SanctionsSource.EuConsolidated => "eu_consolidated",
        SanctionsSource.Issuer => "issuer",
        _ => "unknown",
    };

    // ------------------------------------------------------------------ the screen

    /// <inheritdoc/>
    public ResultCode ScreenParty(uint coin, Address party)
    {
        if (_blocked.Count == 0)
        {
            return ResultCode.Ok;
        }

        var bit = (ulong)unchecked((uint)party.GetHashCode()) & _filterMask;
        return (_filter[bit >> 6] & (1UL << (int)(bit & 63))) != 0 && _blocked.Contains(party) ? ResultCode.SanctionedAddress : ResultCode.Ok;
    }

    /// <inheritdoc/>
    public ResultCode ScreenMovement(in Movement movement)
    {
        if (!_anyLimits || movement.Coin >= _limits.Length || _limits[movement.Coin] is not { } limits)
        {
            return ResultCode.Ok;
        }

        if ((movement.Sides & MovementSides.DebitIsSystem) == 0)
        {
            var code = CheckSide(limits, movement.Debit, movement, receiving: false);
            if (code != ResultCode.Ok)
            {
                return code;
            }
        }

        return (movement.Sides & MovementSides.CreditIsSystem) == 0 ? CheckSide(limits, movement.Credit, movement, receiving: true) : ResultCode.Ok;
    }

    private ResultCode CheckSide(KycLimits limits, Address holder, in Movement m, bool receiving)
    {
        var tier = limits.Tiers[TierIndex(limits, holder)];
        if (m.Amount > tier.PerTransfer)
        {
            return ResultCode.KycTransferLimitExceeded;
        }

        var (day, month) = TurnoverIn(m.Coin, holder, m.Now / NanosPerDay, MonthOf(m.Now));
        if (tier.PerDay - day < m.Amount)
        {
            return ResultCode.KycDailyLimitExceeded;
        }

        if (tier.PerMonth - month < m.Amount)
        {
            return ResultCode.KycMonthlyLimitExceeded;
        }

        // Day and month turnover never exceed their limits (checked above before every movement), so no overflow here.
        if (receiving && (m.CreditBalance < 0 ? UInt128.Zero : (UInt128)m.CreditBalance) is var balance && (tier.BalanceCap < balance || tier.BalanceCap - balance < m.Amount))
        {
            return ResultCode.KycBalanceCapExceeded;
        }

        return ResultCode.Ok;
    }

    private int TierIndex(KycLimits limits, Address holder)
    {
        if (!_holders.TryGetValue(holder, out var record))
        {
            return 0;
        }

        var tier = Math.Min((int)record.Tier, limits.Tiers.Length - 1);
        return record.SelfHosted ? Math.Min(tier, limits.SelfHostedMaxTier) : tier;
    }

    /// <inheritdoc/>
    public void Moved(in Movement movement) => Count(movement, +1);

    /// <inheritdoc/>
    public void Unmoved(in Movement movement) => Count(movement, -1);

    private void Count(in Movement m, int sign)
    {
        if (!_anyLimits || m.Coin >= _limits.Length || _limits[m.Coin] is null)
        {
            return;
        }

        if ((m.Sides & MovementSides.DebitIsSystem) == 0)
        {
            Count(m.Coin, m.Debit, m.Amount, m.Now, sign);
        }

        if ((m.Sides & MovementSides.CreditIsSystem) == 0)
        {
            Count(m.Coin, m.Credit, m.Amount, m.Now, sign);
        }
    }

    private void Count(uint coin, Address holder, UInt128 amount, ulong now, int sign)
    {
        ref var u = ref CollectionsMarshal.GetValueRefOrAddDefault(_usage, new AccountKey(coin, holder), out _);
        var day = now / NanosPerDay;
        var month = MonthOf(now);
        if (u.Day != day)
        {
            u.Day = day;
            u.DayTotal = UInt128.Zero;
        }

        if (u.Month != month)
        {
            u.Month = month;
            u.MonthTotal = UInt128.Zero;
        }

        // An undo always follows its own movement in the same block, so it never goes below zero.
        u.DayTotal = sign > 0 ? u.DayTotal + amount : u.DayTotal - amount;
        u.MonthTotal = sign > 0 ? u.MonthTotal + amount : u.MonthTotal - amount;
    }

    /// <summary>Months since 1970-01 (UTC) of a ledger time, cached per ledger day. Only on the writer's path
    /// (screening and counting movements); reads compute it (<see cref="ComputeMonth"/>).</summary>
    private ulong MonthOf(ulong now)
    {
        var day = now / NanosPerDay;
        if (day != _cachedDay)
        {
            _cachedMonth = ComputeMonth(now);
            _cachedDay = day;
        }

        return _cachedMonth;
    }

    private static ulong ComputeMonth(ulong now)
    {
        var date = DateTime.UnixEpoch.AddTicks((long)(now / 100));
        return (ulong)(((date.Year - 1970) * 12) + date.Month - 1);
    }

    /// <inheritdoc/>
    public void Refused(uint coin, Address party, ResultCode code, ulong height, ulong now)
    {
        if (code == ResultCode.SanctionedAddress)
        {
            Alert("sanctions_hit", party, coin, height, now);
        }
    }

    private void Alert(string kind, Address address, uint coin, ulong height, ulong now)
    {
        var key = (kind, address, coin);
        if (_alertIndex.TryGetValue(key, out var index))
        {
            var a = _alerts[index];
            _alerts[index] = a with { LastHeight = height, Attempts = a.Attempts + 1 };
            return;
        }

        var lists = string.Join(",", ListsNaming(address).Select(SourceName));
        _alertIndex.Add(key, _alerts.Count);
        _alerts.Add(new ComplianceAlert((ulong)_alerts.Count + 1, kind, address, coin, lists, height, now, height, 1));
    }

    // ------------------------------------------------------------------ snapshot

    /// <inheritdoc/>
    public override void WriteSnapshot(BinaryWriter writer)
    {
        writer.Write(1); // format version
        writer.Write(_lists.Count);
        foreach (var l in _lists.Values)
        {
            writer.Write((byte)l.Source);
            writer.Write(l.Version);
            writer.Write(l.Published);
            WriteHash(writer, l.Sha256);
            writer.Write(l.Requester);
            writer.Write(l.Height);
            writer.Write(l.Time);
            writer.Write(l.Addresses.Length);
            foreach (var a in l.Addresses)
            {
                WriteAddress(writer, a);
            }
        }

        writer.Write(_alerts.Count);
        foreach (var a in _alerts)
        {
            writer.Write(a.Kind);
            WriteAddress(writer, a.Address);
            writer.Write(a.Coin);
            writer.Write(a.Lists);
            writer.Write(a.FirstHeight);
            writer.Write(a.FirstTime);
            writer.Write(a.LastHeight);
            writer.Write(a.Attempts);
        }

        var holders = _holders.Values.OrderBy(h => h.Holder).ToList();
        writer.Write(holders.Count);
        foreach (var h in holders)
        {
            WriteAddress(writer, h.Holder);
            writer.Write(h.Tier);
            writer.Write(h.Jurisdiction);
            writer.Write(h.VerifiedOn);
            writer.Write(h.SelfHosted);
            writer.Write(h.DocumentReference);
            WriteHash(writer, h.DocumentHash);
            writer.Write(h.Height);
        }

        var limits = _limits.Where(l => l is not null).Select(l => l!).ToList();
        writer.Write(limits.Count);
        foreach (var l in limits)
        {
            writer.Write(l.Coin);
            writer.Write(l.SelfHostedMaxTier);
            writer.Write(l.Tiers.Length);
            foreach (var t in l.Tiers)
            {
                WriteU128(writer, t.PerTransfer);
                WriteU128(writer, t.PerDay);
                WriteU128(writer, t.PerMonth);
                WriteU128(writer, t.BalanceCap);
            }
        }

        var usage = _usage.OrderBy(u => u.Key.Coin).ThenBy(u => u.Key.Address).ToList();
        writer.Write(usage.Count);
        foreach (var (key, u) in usage)
        {
            writer.Write(key.Coin);
            WriteAddress(writer, key.Address);
            writer.Write(u.Day);
            WriteU128(writer, u.DayTotal);
            writer.Write(u.Month);
            WriteU128(writer, u.MonthTotal);
        }
    }

    /// <inheritdoc/>
    protected internal override void ReadSnapshot(BinaryReader reader)
    {
        if (reader.ReadInt32() != 1)
        {
            throw new InvalidDataException("Unknown compliance snapshot format.");
        }

        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var source = (SanctionsSource)reader.ReadByte();
            var version = reader.ReadString();
            var published = reader.ReadString();
            var sha = ReadHash(reader);
            var requester = reader.ReadString();
            var height = reader.ReadUInt64();
            var time = reader.ReadUInt64();
            var addresses = new Address[reader.ReadInt32()];
            for (var i = 0; i < addresses.Length; i++)
            {
                addresses[i] = ReadAddress(reader);
            }

            _lists[source] = new SanctionsList(source, version, published, sha, requester, height, time, addresses);
        }

        RebuildBlocked();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var alert = new ComplianceAlert((ulong)_alerts.Count + 1, reader.ReadString(), ReadAddress(reader), reader.ReadUInt32(), reader.ReadString(),
                reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
            _alertIndex.Add((alert.Kind, alert.Address, alert.Coin), _alerts.Count);
            _alerts.Add(alert);
        }

        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var h = new HolderRecord(ReadAddress(reader), reader.ReadByte(), reader.ReadString(), reader.ReadString(), reader.ReadBoolean(), reader.ReadString(),
                ReadHash(reader), reader.ReadUInt64());
            _holders.Add(h.Holder, h);
        }

        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var coin = reader.ReadUInt32();
            var selfHosted = reader.ReadByte();
            var tiers = new KycTier[reader.ReadInt32()];
            for (var i = 0; i < tiers.Length; i++)
            {
                tiers[i] = new KycTier(ReadU128(reader), ReadU128(reader), ReadU128(reader), ReadU128(reader));
            }

            if (_limits.Length <= coin)
            {
                Array.Resize(ref _limits, (int)coin + 1);
            }

            _limits[coin] = new KycLimits(coin, selfHosted, tiers);
            _anyLimits = true;
        }

        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            var key = new AccountKey(reader.ReadUInt32(), ReadAddress(reader));
            _usage.Add(key, new Usage(reader.ReadUInt64(), ReadU128(reader), reader.ReadUInt64(), ReadU128(reader)));
        }
    }

    private static void WriteAddress(BinaryWriter writer, Address address)
    {
        Span<byte> b = stackalloc byte[Address.Size];
        address.WriteTo(b);
        writer.Write(b);
    }

    private static Address ReadAddress(BinaryReader reader) => Address.FromBytes(reader.ReadBytes(Address.Size));

    private static void WriteHash(BinaryWriter writer, Hash32 hash)
    {
        Span<byte> b = stackalloc byte[32];
        hash.WriteTo(b);
        writer.Write(b);
    }

    private static Hash32 ReadHash(BinaryReader reader) => Hash32.FromBytes(reader.ReadBytes(32));

    private static void WriteU128(BinaryWriter writer, UInt128 value)
    {
        writer.Write((ulong)(value >> 64));
        writer.Write((ulong)value);
    }

    private static UInt128 ReadU128(BinaryReader reader) => new(reader.ReadUInt64(), reader.ReadUInt64());
}
