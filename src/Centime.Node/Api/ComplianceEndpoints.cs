using System.Globalization;
using Centime.Client;
using Centime.Compliance;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Centime.Node.Api;

/// <summary>
/// Compliance routes (docs/api.md, "Compliance"; docs/compliance.md): sanctions list loads and status, alerts, KYC tier
/// limits and the holder registry. Every change is one journaled command of the compliance module, applied under the
/// caller's operator id and written to the audit trail; the decisions themselves are taken in the ledger, not here.
/// </summary>
internal static class ComplianceEndpoints
{
    private const OperatorRoles Officers = OperatorRoles.Compliance | OperatorRoles.Admin;
    private const OperatorRoles Readers = OperatorRoles.Compliance | OperatorRoles.Admin | OperatorRoles.Auditor;

    public static void Map(WebApplication app, NodeContext node)
    {
        var g = app.MapGroup("/v1/compliance").WithTags("Compliance");
        g.MapPost("/sanctions/{source}", (string source, Caller caller, HttpContext http) => LoadListAsync(node, caller, source, http)).WithName("LoadSanctionsList")
            .WithSummary("Load a published sanctions file: ofac (SDN XML), eu (consolidated list XML) or issuer (one address per line); replaces that source's list (compliance, admin; audited).")
            .Accepts<SanctionsLoadRequest>("application/json").Produces<SanctionsLoadResult>().RequiresRole(Officers);
        g.MapGet("/sanctions", () => GetStatus(node)).WithName("GetSanctions")
            .WithSummary("The loaded sanctions lists: source, version, publish date, SHA-256, addresses (compliance, admin, auditor).").Produces<SanctionsStatus>().RequiresRole(Readers);
        g.MapGet("/screening/{address}", (string address) => Screen(node, address)).WithName("ScreenAddress")
            .WithSummary("Whether a loaded list names an address, and which (compliance, admin, auditor).").Produces<AddressScreening>().RequiresRole(Readers);
        g.MapGet("/alerts", ([AsParameters] PageParameters page) => ListAlerts(node, page)).WithName("ListComplianceAlerts")
            .WithSummary("Compliance alerts, oldest first (compliance, admin, auditor; a page).").Produces<Page<ComplianceAlertInfo>>().RequiresRole(Readers);
        g.MapPut("/coins/{symbol}/kyc-limits", (string symbol, Caller caller, HttpContext http) => ConfigureLimitsAsync(node, caller, symbol, http)).WithName("ConfigureKycLimits")
            .WithSummary("Turn a coin's KYC tier limits on (regime defaults unless tiers are given) or off (compliance, admin; audited).")
            .Accepts<KycLimitsRequest>("application/json").Produces<KycLimitsInfo>().RequiresRole(Officers);
        g.MapGet("/coins/{symbol}/kyc-limits", (string symbol) => GetLimits(node, symbol)).WithName("GetKycLimits")
            .WithSummary("A coin's KYC tier limits (compliance, admin, auditor).").Produces<KycLimitsInfo>().RequiresRole(Readers);
        g.MapPut("/holders/{address}", (string address, Caller caller, HttpContext http) => RegisterHolderAsync(node, caller, address, http)).WithName("RegisterHolder")
            .WithSummary("Record a holder's KYC tier, jurisdiction, verification date, wallet kind and document hash (compliance; audited).")
            .Accepts<HolderRequest>("application/json").Produces<HolderInfo>().RequiresRole(OperatorRoles.Compliance);
        g.MapGet("/holders/{address}", (string address) => GetHolder(node, address)).WithName("GetHolder")
            .WithSummary("A holder's KYC record (compliance, admin, auditor).").Produces<HolderInfo>().RequiresRole(Readers);
    }

    private static ComplianceModule Module(Sequencer.ReadSection view) =>
        view.State.Module<ComplianceModule>() ?? throw new ProblemException(404, "route_not_found", "Not found", "this node does not run the compliance module");

    // ------------------------------------------------------------------ sanctions

    private static async Task<IResult> LoadListAsync(NodeContext node, Caller caller, string sourceText, HttpContext http)
    {
        var source = sourceText switch
        {
            "ofac" => SanctionsSource.OfacSdn,
            "eu" => SanctionsSource.EuConsolidated,
            "issuer" => SanctionsSource.Issuer,
            _ => throw new ProblemException(404, "route_not_found", "Not found", $"no list source '{sourceText}': ofac, eu or issuer"),
        };
        var request = await Endpoints.ReadJsonAsync<SanctionsLoadRequest>(http);
        byte[] content;
        try
        {
            content = Convert.FromBase64String(request.Content ?? throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'content' is required"));
        }
        catch (FormatException)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'content': the file's bytes in base64");
        }

        ParsedSanctionsList parsed;
        try
        {
            parsed = SanctionsListParser.Parse(source, content);
        }
        catch (SanctionsListFormatException ex)
        {
            throw new ProblemException(422, ResultCode.SanctionsListInvalid.ToProblemCode(), "Sanctions list invalid", ex.Message);
        }

        var command = new LoadSanctionsList(caller.Id, source, parsed.Version, parsed.Published, parsed.Sha256, request.Freeze ?? true, parsed.Addresses);
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(command)]);
        var code = receipt.Results[0].Code;
        if (code != ResultCode.Ok)
        {
            throw Refused(code);
        }

        using var view = node.Read();
        var module = Module(view);
        var list = module.Lists.First(l => l.Source == source);
        var frozen = module.Alerts.Count(a => a.Kind == "sanctions_holder_frozen" && a.FirstHeight == receipt.Height);
        return Results.Json(new SanctionsLoadResult(ToInfo(list), parsed.Entries, frozen, receipt.Height), JsonDefaults.Options);
    }

    private static IResult GetStatus(NodeContext node)
    {
        using var view = node.Read();
        var module = Module(view);
        return Results.Json(new SanctionsStatus([.. module.Lists.Select(ToInfo)], module.BlockedCount), JsonDefaults.Options);
    }

    private static IResult Screen(NodeContext node, string addressText)
    {
        var address = FieldGrammar.Address(addressText, "address");
        using var view = node.Read();
        var lists = Module(view).ListsNaming(address).Select(ComplianceModule.SourceName).ToList();
        return Results.Json(new AddressScreening(address.ToString(), lists.Count > 0, lists), JsonDefaults.Options);
    }

    private static IResult ListAlerts(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        using var view = node.Read();
        var state = view.State;
        return Results.Json(Paging.ByPosition(Module(view).Alerts, query, a => new ComplianceAlertInfo(a.Sequence, a.Kind, a.Address.ToString(),
            state.GetCoin(a.Coin)?.Symbol ?? "", a.Lists, a.FirstHeight, a.FirstTime, a.LastHeight, a.Attempts)), JsonDefaults.Options);
    }

    private static SanctionsListInfo ToInfo(SanctionsList l) =>
        new(ComplianceModule.SourceName(l.Source), l.Version, l.Published, l.Sha256.ToString(), l.Addresses.Length, l.Height, l.Requester);

    // ------------------------------------------------------------------ KYC

    private static async Task<IResult> ConfigureLimitsAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var coin = CoinOf(node, symbol);
        var request = await Endpoints.ReadJsonAsync<KycLimitsRequest>(http);
        var tiers = (request.Tiers ?? []).Select((t, i) => new KycTier(Limit(t.PerTransfer, $"tiers[{i}].perTransfer"), Limit(t.PerDay, $"tiers[{i}].perDay"),
            Limit(t.PerMonth, $"tiers[{i}].perMonth"), Limit(t.BalanceCap, $"tiers[{i}].balanceCap"))).ToArray();
        var selfHosted = request.SelfHostedMaxTier ?? 1;
        if (selfHosted is < 0 or >= ComplianceModule.MaxTiers)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'selfHostedMaxTier': 0 to {ComplianceModule.MaxTiers - 1}");
        }

        await SubmitAsync(node, new ConfigureKycLimits(caller.Id, coin, request.Enabled ?? true, (byte)selfHosted, tiers));
        return GetLimits(node, symbol);
    }

    private static UInt128 Limit(string? text, string field) => text is null ? UInt128.MaxValue : FieldGrammar.Amount(text, field);

    private static IResult GetLimits(NodeContext node, string symbol)
    {
        var coin = CoinOf(node, symbol);
        using var view = node.Read();
        var limits = Module(view).LimitsOf(coin);
        return Results.Json(new KycLimitsInfo(symbol, limits is not null, limits?.SelfHostedMaxTier ?? 0, limits?.Tiers.Select(ToInfo).ToList() ?? []),
            JsonDefaults.Options);
    }

    private static KycTierInfo ToInfo(KycTier t) => new(Text(t.PerTransfer), Text(t.PerDay), Text(t.PerMonth), Text(t.BalanceCap));

    private static string? Text(UInt128 limit) => limit == UInt128.MaxValue ? null : limit.ToString(CultureInfo.InvariantCulture);

    private static async Task<IResult> RegisterHolderAsync(NodeContext node, Caller caller, string addressText, HttpContext http)
    {
        var address = FieldGrammar.Address(addressText, "address");
        var request = await Endpoints.ReadJsonAsync<HolderRequest>(http);
        var tier = request.Tier ?? throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'tier' is required");
        if (tier is < 0 or >= ComplianceModule.MaxTiers)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'tier': 0 to {ComplianceModule.MaxTiers - 1}");
        }

        var verifiedOn = FieldGrammar.Date(request.VerifiedOn, "verifiedOn").ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var hash = Hash32.TryParse(request.DocumentHash, out var h) ? h
            : throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'documentHash': the SHA-256 of the identity documents, 0x + 64 hex digits");
        var command = new RegisterHolder(caller.Id, address, (byte)tier, FieldGrammar.Required(request.Jurisdiction, "jurisdiction", null), verifiedOn,
            request.SelfHosted ?? false, FieldGrammar.Required(request.DocumentReference, "documentReference", null), hash);
        await SubmitAsync(node, command);
        return GetHolder(node, addressText);
    }

    private static IResult GetHolder(NodeContext node, string addressText)
    {
        var address = FieldGrammar.Address(addressText, "address");
        using var view = node.Read();
        var h = Module(view).Holder(address);
        return Results.Json(h is null
            ? new HolderInfo(address.ToString(), false, 0, null, null, false, null, null, 0)
            : new HolderInfo(address.ToString(), true, h.Tier, h.Jurisdiction, h.VerifiedOn, h.SelfHosted, h.DocumentReference, h.DocumentHash.ToString(), h.Height),
            JsonDefaults.Options);
    }

    // ------------------------------------------------------------------ helpers

    private static async Task SubmitAsync(NodeContext node, CommandBody command)
    {
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(command)]);
        var code = receipt.Results[0].Code;
        if (code != ResultCode.Ok)
        {
            throw Refused(code);
        }
    }

    private static ProblemException Refused(ResultCode code) => code switch
    {
        ResultCode.ForbiddenRole => new ProblemException(403, code.ToProblemCode(), "Forbidden", "the compliance module refused the caller's role"),
        ResultCode.CoinNotFound => new ProblemException(404, code.ToProblemCode(), "Not found", "no such coin"),
        _ => new ProblemException(422, code.ToProblemCode(), "Command refused", code.ToProblemCode()),
    };

    private static uint CoinOf(NodeContext node, string symbol) =>
        node.CoinNumber(symbol) ?? throw new ProblemException(404, ProblemCodes.CoinNotFound, "Not found", $"no coin '{symbol}'");
}
