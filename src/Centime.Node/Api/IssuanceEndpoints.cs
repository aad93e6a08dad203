using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Centime.Client;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Api;

/// <summary>
/// The issuance API under /v1/issuance (docs/issuance.md): operators, approvals, deposits, mints, redemptions, pause,
/// reserves, audit. Every write authenticates an operator (<c>Authorization: Bearer &lt;key&gt;</c>; the node's
/// operator key is the bootstrap admin) and becomes one journaled command carrying the operator id. Reserves and a
/// coin's issuance figures are public; the rest needs an operator.
/// </summary>
public static partial class IssuanceEndpoints
{

    public static void Map(WebApplication app, NodeContext node)
    {
        var g = app.MapGroup("/v1/issuance").WithTags("Issuance");
        var checker = new Signing.AuthorizationChecker(node);
        var holder = app.MapGroup("/v1/coins/{symbol}").WithTags("Holder-signed");
        holder.MapPost("/redeem", (string symbol, HttpContext http) => HolderRedeemAsync(node, checker, symbol, http)).WithName("HolderRedeem")
            .WithSummary("A holder's own redemption (EIP-712 Redemption signed by the holder): burns the amount and creates a payout instruction with a deadline.")
            .Accepts<HolderRedeemRequest>("application/json").Produces<HolderRedemptionOutcome>().Public();
        holder.MapPost("/redeem/typed-data", (string symbol, HttpContext http) => HolderRedeemTypedDataAsync(node, checker, symbol, http)).WithName("HolderRedeemTypedData")
            .WithSummary("The EIP-712 Redemption a holder signs for these terms (nonce and deadline filled in when absent).")
            .Accepts<HolderRedeemDraft>("application/json").Produces<TypedDataToSign>().Public();

        g.MapGet("/whoami", (Caller caller) => WhoAmIResult(caller)).WithName("IssuanceWhoAmI").WithSummary("The operator and roles of the presented key.").RequiresAnyOperator();
        g.MapGet("/operators", ([AsParameters] PageParameters page) => ListOperators(node, page)).WithName("ListOperators")
            .WithSummary("Operators and roles, by id (admin, auditor; a page).").Produces<Page<OperatorInfo>>().RequiresRole(OperatorRoles.Admin | OperatorRoles.Auditor);
        g.MapPost("/operators", (Caller caller, HttpContext http) => AddOperatorAsync(node, caller, http)).WithName("AddOperator")
            .WithSummary("Add an operator (admin); the answer carries their new API key, shown once.").Accepts<AddOperatorRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Admin);
        g.MapPost("/operators/{id}/roles", (string id, Caller caller, HttpContext http) => SetRolesAsync(node, caller, id, http)).WithName("SetOperatorRoles")
            .WithSummary("Replace an operator's roles (admin); [] disables.").Accepts<SetRolesRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Admin);
        g.MapPost("/operators/{id}/key", (string id, Caller caller, HttpContext http) => RotateKeyAsync(node, caller, id, http)).WithName("RotateOperatorKey")
            .WithSummary("Replace an operator's API key (its own: any operator; another's: admin, a privileged change). The new key is shown once; the old one is refused from then on.")
            .Accepts<RotateKeyRequest>("application/json").Produces<ActionOutcome>().RequiresAnyOperator();
        g.MapGet("/policy", () => GetPolicy(node)).WithName("GetIssuancePolicy").WithSummary("Governance mode: multi- or single-operator, sandbox, whether admin changes need a second admin (public).").Public();
        g.MapPost("/policy", (Caller caller, HttpContext http) => SetPolicyAsync(node, caller, http)).WithName("SetIssuancePolicy")
            .WithSummary("Whether administrative changes need a second admin (admin).").Accepts<PolicyRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Admin);

        g.MapGet("/coins/{coin}", (string coin) => GetCoin(node, coin)).WithName("GetCoinIssuance").WithSummary("A coin's issuance settings, supply, reserves and coverage.").Public();
        g.MapPost("/coins/{coin}/config", (string coin, Caller caller, HttpContext http) => ConfigureCoinAsync(node, caller, coin, http)).WithName("ConfigureCoinIssuance")
            .WithSummary("Regime, redemption window and approval thresholds of a coin (admin).").Accepts<CoinConfigRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Admin);
        g.MapPost("/coins/{coin}/minters", (string coin, Caller caller, HttpContext http) => ConfigureMinterAsync(node, caller, coin, http)).WithName("ConfigureMinter")
            .WithSummary("Set a minter's allowance and rate limit (minter_manager).").Accepts<MinterRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.MinterManager);
        g.MapGet("/coins/{coin}/deposits", (string coin, [AsParameters] PageParameters page) => ListDeposits(node, coin, page)).WithName("ListDeposits")
            .WithSummary("Recorded fiat deposits, oldest first (operators; a page).").Produces<Page<DepositInfo>>().RequiresAnyOperator();
        g.MapPost("/coins/{coin}/deposits", (string coin, Caller caller, HttpContext http) => RecordDepositAsync(node, caller, coin, http)).WithName("RecordDeposit")
            .WithSummary("Record a fiat deposit (reserve_manager).").Accepts<DepositRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapPost("/coins/{coin}/mints", (string coin, Caller caller, HttpContext http) => MintAsync(node, caller, coin, http)).WithName("Mint")
            .WithSummary("Mint against a deposit through the mint gate (minter); may need a second approval.").Accepts<MintRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Minter);
        g.MapGet("/coins/{coin}/redemptions", (string coin, string? status, [AsParameters] PageParameters page) => ListRedemptions(node, coin, status, page)).WithName("ListRedemptions")
            .WithSummary("Redemptions and payout instructions, oldest first; ?status=pending|overdue|paid (operators; a page).").Produces<Page<RedemptionInfo>>().RequiresAnyOperator();
        // No route burns a holder's coins on an operator's word: the holder signs (POST /v1/coins/{coin}/redeem). The
        // issuer's side of a redemption — the payout list, deadlines, marking it paid — stays here for its roles.
        g.MapPost("/redemptions/{id}/paid", (string id, Caller caller, HttpContext http) => MarkPaidAsync(node, caller, id, http)).WithName("MarkPayoutPaid")
            .WithSummary("Mark a payout paid with its bank reference (reserve_manager).").Accepts<PayoutPaidRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapPost("/coins/{coin}/pause", (string coin, Caller caller, HttpContext http) => SetPausedAsync(node, caller, coin, true, http)).WithName("Pause").WithSummary("Pause a coin (pauser).").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Pauser);
        g.MapPost("/coins/{coin}/unpause", (string coin, Caller caller, HttpContext http) => SetPausedAsync(node, caller, coin, false, http)).WithName("Unpause").WithSummary("Unpause a coin (pauser).").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Pauser);

        // Freeze, unfreeze, seize and burn are lawful orders only (docs/compliance.md): one asset_protection operator
        // requests, a different one approves, and the order takes effect in the approving block.
        g.MapPost("/coins/{coin}/orders", (string coin, Caller caller, HttpContext http) => RequestOrderAsync(node, caller, coin, http)).WithName("RequestLawfulOrder")
            .WithSummary("Request a lawful order — freeze, unfreeze, seize (to a designated account) or burn — with its order reference and reason code (asset_protection); it takes effect when a different asset_protection operator approves it.")
            .Accepts<LawfulOrderRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.AssetProtection);
        g.MapGet("/coins/{coin}/orders", (string coin, string? status, [AsParameters] PageParameters page) => ListOrders(node, coin, status, page)).WithName("ListLawfulOrders")
            .WithSummary("Lawful orders of a coin, oldest first; ?status=pending|effective|rejected (asset_protection, admin, auditor; a page).")
            .Produces<Page<LawfulOrderInfo>>().RequiresRole(OperatorRoles.AssetProtection | OperatorRoles.Admin | OperatorRoles.Auditor);
        holder.MapGet("/accounts/{address}/freeze", (string symbol, string address) => GetFreezeStatus(node, symbol, address)).WithName("GetFreezeStatus")
            .WithSummary("Whether an account is frozen in a coin and why: the lawful order's reason code and reference, and the block it took effect in (public).")
            .Produces<FreezeStatusInfo>().Public();

        g.MapGet("/coins/{coin}/reserves", (string coin, string? asOf) => GetReserves(node, coin, asOf)).WithName("GetReserves")
            .WithSummary("The reserve book with each holding's eligibility and reason under the coin's regime (public).").Public();
        g.MapPost("/coins/{coin}/reserves", (string coin, Caller caller, HttpContext http) => AddHoldingAsync(node, caller, coin, http)).WithName("AddHolding")
            .WithSummary("Add a holding (reserve_manager).").Accepts<HoldingInfo>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapPost("/coins/{coin}/reserves/{id}/value", (string coin, string id, Caller caller, HttpContext http) => ValueHoldingAsync(node, caller, coin, id, http)).WithName("ValueHolding")
            .WithSummary("Valuation update of a holding (reserve_manager).").Accepts<ValuationRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapDelete("/coins/{coin}/reserves/{id}", (string coin, string id, Caller caller, HttpContext http) => RemoveHoldingAsync(node, caller, coin, id, http)).WithName("RemoveHolding")
            .WithSummary("Remove a holding (reserve_manager).").Produces<ActionOutcome>().RequiresRole(OperatorRoles.ReserveManager);

        g.MapGet("/approvals", (string? status, [AsParameters] PageParameters page) => ListActions(node, status ?? "pending", page)).WithName("ListApprovals")
            .WithSummary("Actions waiting for approval (?status=pending, default) or all actions (?status=all), oldest first (operators; a page).").Produces<Page<ActionInfo>>().RequiresAnyOperator();
        g.MapGet("/actions/{id}", (string id) => GetAction(node, id)).WithName("GetAction").WithSummary("One action (operators).").RequiresAnyOperator();
        g.MapPost("/approvals/{id}/approve", (string id, Caller caller, HttpContext http) => DecideAsync(node, caller, id, true, http)).WithName("Approve")
            .WithSummary("Approve a pending action, which executes now (a different operator with a qualifying role).").Produces<ActionOutcome>().RequiresAnyOperator();
        g.MapPost("/approvals/{id}/reject", (string id, Caller caller, HttpContext http) => DecideAsync(node, caller, id, false, http)).WithName("Reject")
            .WithSummary("Reject a pending action (a different operator with a qualifying role).").Accepts<DecisionRequest>("application/json").Produces<ActionOutcome>().RequiresAnyOperator();
        MapBank(g, node);
        g.MapGet("/audit", ([AsParameters] PageParameters page) => GetAudit(node, page)).WithName("GetAudit")
            .WithSummary("The audit trail, oldest first (admin, auditor; a page).").Produces<Page<AuditEntryInfo>>().RequiresRole(OperatorRoles.Admin | OperatorRoles.Auditor);
    }

    private static IssuanceModule Module(Sequencer.ReadSection view) =>
        view.State.Module<IssuanceModule>() ?? throw new ProblemException(404, "route_not_found", "Not found", "this node does not run the issuance module");

    private static IResult WhoAmIResult(Caller caller) => Results.Json(new WhoAmI(caller.Id, OperatorRoleNames.ToNames(caller.Roles)), JsonDefaults.Options);

    // ------------------------------------------------------------------ operators and policy

    private static IResult ListOperators(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            // Operators is a sorted dictionary: ordinal order by id.
            var list = Paging.ByName(Module(view).Operators, o => o.Id, query,
                o => new OperatorInfo(o.Id, OperatorRoleNames.ToNames(o.Roles), o.KeyHash.ToString(), o.AddedAt, o.CreatedBy, o.ControlledBy.Length == 0 ? null : o.ControlledBy));
            return Results.Json(list, JsonDefaults.Options);
        }
    }

    private static async Task<IResult> AddOperatorAsync(NodeContext node, Caller caller, HttpContext http)
    {
        var request = await ReadAsync<AddOperatorRequest>(http);
        if (!IssuanceModule.IsValidOperatorId(request.Id))
        {
            throw Invalid("id", "an operator id is 1–32 of a–z, 0–9, '_', '-', '.', starting with a letter or digit");
        }

        var roles = ParseRoles(request.Roles);
        if (roles == OperatorRoles.None)
        {
            throw Invalid("roles", "give at least one role");
        }

        // The key is made here and shown once; only its SHA-256 is journaled.
        var key = "ck_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var command = new AddOperator(ActionIdOf(request.ActionId), caller.Id, request.Id, Hash32.Sha256(Encoding.UTF8.GetBytes(key)), roles);
        return Results.Json(await SubmitAsync(node, command, key), JsonDefaults.Options);
    }

    private static async Task<IResult> SetRolesAsync(NodeContext node, Caller caller, string id, HttpContext http)
    {
        var request = await ReadAsync<SetRolesRequest>(http);
        var command = new SetOperatorRoles(ActionIdOf(request.ActionId), caller.Id, id, ParseRoles(request.Roles));
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static async Task<IResult> RotateKeyAsync(NodeContext node, Caller caller, string id, HttpContext http)
    {
        if (caller.Id != id && (caller.Roles & OperatorRoles.Admin) == 0)
        {
            throw new ProblemException(403, ResultCode.ForbiddenRole.ToProblemCode(), "Forbidden", $"operator '{caller.Id}' may rotate only its own key; another's needs the admin role");
        }

        var request = await ReadOptionalAsync<RotateKeyRequest>(http) ?? new RotateKeyRequest();
        // Made here and shown once to the caller; only its SHA-256 is journaled.
        var key = "ck_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var command = new RotateKey(ActionIdOf(request.ActionId), caller.Id, id, Hash32.Sha256(Encoding.UTF8.GetBytes(key)));
        var outcome = await SubmitAsync(node, command, key);
        if (id == IssuanceModule.BootstrapAdmin && node.Options.OperatorKey is null)
        {
            // The node's key file follows the journal: after a restart only the new key works.
            OperatorKey.Replace(node.Options.DataDirectory, key);
        }

        return Results.Json(outcome, JsonDefaults.Options);
    }

    private static IResult GetPolicy(NodeContext node)
    {
        using (var view = node.Read())
        {
            var module = Module(view);
            return Results.Json(new GovernanceInfo(module.SingleOperator ? "single_operator" : "multi_operator", module.SingleOperator, node.Options.Sandbox, module.AdminChangesNeedApproval), JsonDefaults.Options);
        }
    }

    // ------------------------------------------------------------------ lawful orders

    private static async Task<IResult> RequestOrderAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<LawfulOrderRequest>(http);
        if (!LawfulOrderNames.TryParseKind(Required(request.Kind, "kind"), out var kind))
        {
            throw Invalid("kind", "one of freeze, unfreeze, seize, burn");
        }

        if (!LawfulOrderNames.TryParseReason(Required(request.Reason, "reason"), out var reason))
        {
            throw Invalid("reason", "one of " + string.Join(", ", LawfulOrderNames.ReasonCodes));
        }

        var moves = kind is LawfulOrderKind.Seize or LawfulOrderKind.Burn;
        if (!moves && request.Amount is not null)
        {
            throw Invalid("amount", $"a {LawfulOrderNames.Name(kind)} order moves nothing: leave 'amount' out");
        }

        if (kind != LawfulOrderKind.Seize && request.To is not null)
        {
            throw Invalid("to", "only a seize order designates a receiving account");
        }

        var command = new LawfulOrder(ActionIdOf(request.ActionId), caller.Id, number, kind, AddressField(request.Account, "account"),
            kind == LawfulOrderKind.Seize ? AddressField(request.To, "to") : default,
            moves ? Amount(request.Amount, "amount") : UInt128.Zero, Text(request.Reference, "reference"), reason);
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static IResult ListOrders(NodeContext node, string symbol, string? status, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        LawfulOrderStatus? wanted = status switch
        {
            null or "all" => null,
            "pending" => LawfulOrderStatus.Pending,
            "effective" => LawfulOrderStatus.Effective,
            "rejected" => LawfulOrderStatus.Rejected,
            _ => throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'status' is one of pending, effective, rejected, all"),
        };
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var list = Paging.ByPosition(Module(view).LawfulOrders(number).ToList(), query, o => ToInfo(o, symbol), o => wanted is null || o.Status == wanted);
            return Results.Json(list, JsonDefaults.Options);
        }
    }

    private static LawfulOrderInfo ToInfo(LawfulOrderRecord r, string symbol)
    {
        var o = r.Order;
        var effective = r.Status == LawfulOrderStatus.Effective;
        return new LawfulOrderInfo(Dec(o.ActionId), symbol, LawfulOrderNames.Name(o.Order), o.Account.ToString(), o.To.IsZero ? null : o.To.ToString(),
            o.Amount == UInt128.Zero ? null : Dec(o.Amount), o.Reference, LawfulOrderNames.Name(o.Reason),
            r.Status switch { LawfulOrderStatus.Pending => "pending", LawfulOrderStatus.Effective => "effective", _ => "rejected" },
            o.Requester, r.RequestedHeight, r.RequestedAt, r.Decider, effective ? r.EffectiveHeight : null, effective ? r.EffectiveAt : null,
            r.TransferId == UInt128.Zero ? null : Dec(r.TransferId));
    }

    private static IResult GetFreezeStatus(NodeContext node, string symbol, string address)
    {
        var number = CoinOf(node, symbol);
        var account = AddressField(address, "address");
        using (var view = node.Read())
        {
            view.State.TryGetAccount(number, account, out var state);
            var freeze = state.IsFrozen ? Module(view).FreezeOf(number, account) : null;
            return Results.Json(new FreezeStatusInfo(symbol, account.ToString(), state.IsFrozen, Dec((UInt128)Int128.Max(state.Balance, Int128.Zero)),
                freeze is null ? null : LawfulOrderNames.Name(freeze.Reason), freeze?.Reference, freeze is null ? null : Dec(freeze.OrderAction),
                freeze?.SinceHeight, freeze?.SinceTime), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> SetPolicyAsync(NodeContext node, Caller caller, HttpContext http)
    {
        var request = await ReadAsync<PolicyRequest>(http);
        return Results.Json(await SubmitAsync(node, new SetPolicy(ActionIdOf(request.ActionId), caller.Id, request.AdminChangesNeedApproval)), JsonDefaults.Options);
    }

    // ------------------------------------------------------------------ coins

    private static IResult GetCoin(NodeContext node, string symbol)
    {
        var number = CoinOf(node, symbol);
        using (var view = node.Read())
        {
            var module = Module(view);
            var coin = module.Coin(number);
            var coverage = module.CoverageOf(number);
            var now = view.State.Timestamp;
            var minters = coin?.Minters.Select(m => new MinterInfo(m.Minter, Dec(m.Allowance), Dec(m.RateLimit), m.RateWindowSeconds, Dec(m.WindowUsed))).ToList() ?? [];
            return Results.Json(new CoinIssuanceInfo(
                symbol,
                coin is not null,
                coin?.Paused ?? false,
                RegimeName(coin?.Regime ?? ReserveRegime.Genius),
                coin?.RedemptionWindowSeconds ?? 0,
                coin is null || coin.MintApprovalAbove == UInt128.MaxValue ? "never" : Dec(coin.MintApprovalAbove),
                coin?.PauseNeedsApproval ?? false,
                Dec(coverage.Supply),
                Dec(coin?.Minted ?? UInt128.Zero),
                Dec(coin?.Redeemed ?? UInt128.Zero),
                Dec(coverage.EligibleReserves),
                CoveragePercent(coverage),
                minters,
                coin?.Redemptions.Count(r => r.Status == RedemptionStatus.Pending) ?? 0,
                coin?.Redemptions.Count(r => r.IsOverdue(now)) ?? 0)
            {
                FrozenBalance = Dec(module.FrozenBalance(number)),
                BurnedByOrder = Dec(module.BurnedByOrder(number)),
            }, JsonDefaults.Options);
        }
    }

    private static async Task<IResult> ConfigureCoinAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<CoinConfigRequest>(http);
        ReserveRegime regime;
        ulong window;
        UInt128 above;
        bool pause;
        using (var view = node.Read())
        {
            var current = Module(view).Coin(number);
            regime = current?.Regime ?? ReserveRegime.Genius;
            window = current?.RedemptionWindowSeconds ?? 0;
            above = current?.MintApprovalAbove ?? UInt128.MaxValue;
            pause = current?.PauseNeedsApproval ?? false;
        }

        if (request.Regime is not null)
        {
            regime = request.Regime switch
            {
                "genius" => ReserveRegime.Genius,
                "hong_kong" => ReserveRegime.HongKong,
                "mica" => ReserveRegime.Mica,
                _ => throw Invalid("regime", "regime is one of genius, hong_kong, mica"),
            };
        }

        if (request.RedemptionWindowSeconds is ulong w)
        {
            window = w <= 366UL * 86_400UL ? w : throw Invalid("redemptionWindowSeconds", "at most 366 days (0 = one business day)");
        }

        if (request.MintApprovalAbove is not null)
        {
            above = request.MintApprovalAbove == "never" ? UInt128.MaxValue : Amount(request.MintApprovalAbove, "mintApprovalAbove", allowZero: true);
        }

        pause = request.PauseNeedsApproval ?? pause;
        var command = new ConfigureCoin(ActionIdOf(request.ActionId), caller.Id, number, regime, window, above, pause);
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static async Task<IResult> ConfigureMinterAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<MinterRequest>(http);
        var minter = Required(request.Minter, "minter");
        var allowance = Amount(request.Allowance, "allowance", allowZero: true);
        var rate = request.RateLimit is null ? UInt128.Zero : Amount(request.RateLimit, "rateLimit", allowZero: true);
        var windowSeconds = request.RateWindowSeconds ?? 0;
        if (rate > UInt128.Zero && windowSeconds is 0 or > 366UL * 86_400UL)
        {
            throw Invalid("rateWindowSeconds", "a rate limit needs a window of 1 second to 366 days");
        }

        var command = new ConfigureMinter(ActionIdOf(request.ActionId), caller.Id, number, minter, allowance, rate, windowSeconds);
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    // ------------------------------------------------------------------ deposits, mints, redemptions

    private static IResult ListDeposits(NodeContext node, string symbol, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var deposits = Module(view).Coin(number)?.Deposits ?? [];
            return Results.Json(Paging.ByPosition(deposits, query, d => new DepositInfo(d.Reference, d.Bank, Dec(d.Amount), Dec(d.Minted), Dec(d.Unminted), Date(d.ValueDate),
                d.Holding.Length == 0 ? null : d.Holding, d.RecordedAt, d.RecordedBy)), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> RecordDepositAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<DepositRequest>(http);
        var command = new RecordDeposit(ActionIdOf(request.ActionId), caller.Id, number, Text(request.Bank, "bank"), Text(request.Reference, "reference"),
            Amount(request.Amount, "amount"), DateField(request.ValueDate, "valueDate"), OptionalText(request.Holding, "holding"));
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static async Task<IResult> MintAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<MintRequest>(http);
        var command = new Mint(ActionIdOf(request.ActionId), caller.Id, number, Text(request.Deposit, "deposit"), AddressField(request.To, "to"), Amount(request.Amount, "amount"));
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    // ------------------------------------------------------------------ holder-signed redemption

    private static async Task<IResult> HolderRedeemAsync(NodeContext node, Signing.AuthorizationChecker checker, string symbol, HttpContext http)
    {
        var domain = checker.Domain(symbol);
        var r = await ReadAsync<HolderRedeemRequest>(http);
        Signing.AuthorizationChecker.ThrowIfWrongDomain(node, domain, r.ChainId, r.VerifyingContract);
        var holder = Signing.AuthorizationChecker.Field(r.Holder, "holder", null);
        var amount = Signing.AuthorizationChecker.Amount(Signing.AuthorizationChecker.Uint(r.Amount, "amount", null), "amount", null);
        var payTo = Text(r.PayTo, "payTo");
        var nonce = Signing.AuthorizationChecker.Nonce(r.Nonce, null);
        var deadline = Seconds(Signing.AuthorizationChecker.Uint(r.Deadline, "deadline", null), "deadline");
        var signature = Signing.AuthorizationChecker.ParseSignature(r.Signature, r.V, r.R, r.S, null);
        var digest = HolderTypedData.Digest(HolderTypedData.Redemption(CoinDomainOf(node, symbol), holder, amount, payTo, nonce, deadline));
        var signer = Signing.AuthorizationChecker.Recover(digest, signature, holder, "holder", null);

        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(new HolderRedeem(domain.Number, signer, amount, payTo, nonce, deadline))]);
        var result = receipt.Results[0];
        if (result.Code != ResultCode.Ok)
        {
            throw new ProblemException(Signing.AuthorizationChecker.Status(result.Code), result.Code.ToProblemCode(), "Redemption refused", RedeemRefusal(result.Code));
        }

        using (var view = node.Read())
        {
            var redemption = Module(view).RedemptionById(HolderRedeem.IdOf(domain.Number, signer, nonce))!;
            return Results.Json(new HolderRedemptionOutcome(ToInfo(redemption, symbol, view.State.Timestamp), receipt.Height), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> HolderRedeemTypedDataAsync(NodeContext node, Signing.AuthorizationChecker checker, string symbol, HttpContext http)
    {
        checker.Domain(symbol);
        var r = await ReadAsync<HolderRedeemDraft>(http);
        var holder = Signing.AuthorizationChecker.Field(r.Holder, "holder", null);
        var amount = Signing.AuthorizationChecker.Amount(Signing.AuthorizationChecker.Uint(r.Amount, "amount", null), "amount", null);
        var payTo = Text(r.PayTo, "payTo");
        var nonce = r.Nonce is null ? HolderSigner.NewNonce() : Signing.AuthorizationChecker.Nonce(r.Nonce, null);
        var deadline = r.Deadline is null
            ? (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600
            : Seconds(Signing.AuthorizationChecker.Uint(r.Deadline, "deadline", null), "deadline");
        var typed = HolderTypedData.Redemption(CoinDomainOf(node, symbol), holder, amount, payTo, nonce, deadline);
        return Results.Json(TypedDataView(typed, nonce, deadline), JsonDefaults.Options);
    }

    /// <summary>The typed data a holder signs, with its nonce, deadline and digest (shared by the holder-signed routes).</summary>
    internal static TypedDataToSign TypedDataView(string typed, Hash32 nonce, ulong deadline)
    {
        using var document = JsonDocument.Parse(typed);
        return new TypedDataToSign(document.RootElement.Clone(), nonce.ToString(), deadline.ToString(CultureInfo.InvariantCulture), HolderTypedData.Digest(typed).ToString());
    }

    /// <summary>A signed deadline in Unix seconds: it must fit 64 bits, since the digest is recomputed from the value.</summary>
    internal static ulong Seconds(BigInteger value, string field) => value <= ulong.MaxValue
        ? (ulong)value
        : throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'{field}' must be Unix seconds below 2^64");

    private static Client.Eip712Domain CoinDomainOf(NodeContext node, string symbol)
    {
        using (var view = node.Read())
        {
            var coin = view.State.TryGetCoin(symbol, out var c) ? c : throw new ProblemException(404, "coin_not_found", "Not found", $"no coin {symbol}");
            return new Client.Eip712Domain(coin.Name, coin.Version, node.Options.ChainId, coin.VerifyingContract.ToString());
        }
    }

    private static string RedeemRefusal(ResultCode code) => code switch
    {
        ResultCode.AuthorizationUsed => "this (holder, nonce) was already used: by this redemption or by another signed command",
        ResultCode.AuthorizationCanceled => "the holder canceled this nonce (cancel-authorization)",
        ResultCode.AuthorizationExpired => "ledger time is past the request's deadline",
        ResultCode.ExceedsBalance => "the holder's available balance is smaller than the amount",
        ResultCode.AccountFrozen => "the holder's account is frozen in this coin",
        ResultCode.Paused => "the coin is paused",
        _ => code.ToProblemCode(),
    };

    private static IResult ListRedemptions(NodeContext node, string symbol, string? status, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        if (status is not (null or "all" or "pending" or "overdue" or "paid"))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'status' is one of pending, overdue, paid, all");
        }

        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var now = view.State.Timestamp;
            var list = Paging.ByPosition(Module(view).Redemptions(number), query, r => ToInfo(r, symbol, now), r => status switch
            {
                "pending" => r.Status == RedemptionStatus.Pending,
                "overdue" => r.IsOverdue(now),
                "paid" => r.Status == RedemptionStatus.Paid,
                _ => true,
            });
            return Results.Json(list, JsonDefaults.Options);
        }
    }

    private static async Task<IResult> MarkPaidAsync(NodeContext node, Caller caller, string id, HttpContext http)
    {
        var redemption = ParseActionId(id, "id");
        var request = await ReadAsync<PayoutPaidRequest>(http);
        var command = new MarkPayoutPaid(ActionIdOf(request.ActionId), caller.Id, redemption, Text(request.Reference, "reference"), OptionalText(request.Holding, "holding"));
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static async Task<IResult> SetPausedAsync(NodeContext node, Caller caller, string symbol, bool paused, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadOptionalAsync<DecisionRequest>(http);
        return Results.Json(await SubmitAsync(node, new SetPaused(ActionIdOf(request?.ActionId), caller.Id, number, paused)), JsonDefaults.Options);
    }

    // ------------------------------------------------------------------ reserves

    private static IResult GetReserves(NodeContext node, string symbol, string? asOfText)
    {
        var number = CoinOf(node, symbol);
        DateOnly? asOf = asOfText is null ? null : DateOnly.TryParseExact(asOfText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'asOf' is a date, yyyy-MM-dd");
        using (var view = node.Read())
        {
            var module = Module(view);
            var coin = module.Coin(number);
            var date = asOf ?? Today(module);
            var supply = module.Supply(number);
            var regime = coin?.Regime ?? ReserveRegime.Genius;
            var evaluation = module.EvaluateReserves(number, date);
            var coverage = module.CoverageOf(number, date);
            var holdings = evaluation?.Holdings.Select(a => ToInfo(a.Holding) with { Value = Dec(a.Value), Eligible = a.IsEligible, Code = a.Code, Reason = a.Reason }).ToList() ?? [];
            var categories = evaluation?.Categories.Select(c => new CategoryInfo(CategoryName(c.Category), c.Holdings, Dec(c.Total), Dec(c.Eligible))).ToList() ?? [];
            return Results.Json(new ReservesInfo(symbol, RegimeName(regime), Date(date), Dec(supply), Dec(evaluation?.Total ?? UInt128.Zero),
                Dec(evaluation?.EligibleTotal ?? UInt128.Zero), CoveragePercent(coverage), holdings, categories,
                evaluation?.Violations.Select(v => v.Code + ": " + v.Message).ToList() ?? []), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> AddHoldingAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<HoldingInfo>(http);
        if (request.Value is not null || request.Eligible is not null || request.Code is not null || request.Reason is not null)
        {
            throw new ProblemException(400, ProblemCodes.UnknownField, "Unknown field", "value, eligible, code and reason are computed by the node; do not send them");
        }

        string currency;
        DateOnly today;
        using (var view = node.Read())
        {
            currency = view.State.GetCoin(number)!.Currency;
            today = Today(Module(view));
        }

        var holding = FromRequest(request, currency, today);
        if (!HoldingCodec.TryValidate(holding, out var error))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", error);
        }

        return Results.Json(await SubmitAsync(node, new AddHolding(ActionIdOf(request.ActionId), caller.Id, number, holding)), JsonDefaults.Options);
    }

    private static async Task<IResult> ValueHoldingAsync(NodeContext node, Caller caller, string symbol, string id, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<ValuationRequest>(http);
        ReserveHolding? existing = null;
        DateOnly today;
        using (var view = node.Read())
        {
            var coin = Module(view).Coin(number);
            existing = coin?.Holdings.FirstOrDefault(h => h.Id == id);
            today = Today(Module(view));
        }

        if (existing is null)
        {
            throw new ProblemException(404, ResultCode.HoldingNotFound.ToProblemCode(), "Not found", $"{symbol} reserves have no holding '{id}'");
        }

        var valuedOn = request.ValuedOn is null ? today : DateField(request.ValuedOn, "valuedOn");
        ReserveHolding updated = existing switch
        {
            BankDeposit b when request.Amount is not null => b with { Amount = Amount(request.Amount, "amount", allowZero: true) },
            TreasuryBill t when request.Price is not null => t with { Price = PriceField(request.Price, "price") },
            OvernightRepo o when request.CollateralValue is not null => o with { CollateralValue = Amount(request.CollateralValue, "collateralValue", allowZero: true) },
            GovernmentMoneyMarketFund f when request.NavPerUnit is not null => f with { NavPerUnit = Amount(request.NavPerUnit, "navPerUnit") },
            BankDeposit => throw Missing("amount"),
            TreasuryBill => throw Missing("price"),
            OvernightRepo => throw Missing("collateralValue"),
            _ => throw Missing("navPerUnit"),
        };
        updated = updated with { ValuedOn = valuedOn };
        if (!HoldingCodec.TryValidate(updated, out var error))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", error);
        }

        return Results.Json(await SubmitAsync(node, new UpdateHolding(ActionIdOf(request.ActionId), caller.Id, number, updated)), JsonDefaults.Options);
    }

    private static async Task<IResult> RemoveHoldingAsync(NodeContext node, Caller caller, string symbol, string id, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        return Results.Json(await SubmitAsync(node, new RemoveHolding(ActionIdOf(null), caller.Id, number, id)), JsonDefaults.Options);
    }

    // ------------------------------------------------------------------ approvals and audit

    private static IResult ListActions(NodeContext node, string status, PageParameters page)
    {
        if (status is not ("pending" or "all"))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'status' is pending or all");
        }

        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var list = Paging.ByPosition(Module(view).Actions, query, a => ToInfo(node, a), a => status == "all" || a.Status == ActionStatus.Pending);
            return Results.Json(list, JsonDefaults.Options);
        }
    }

    private static IResult GetAction(NodeContext node, string id)
    {
        var actionId = ParseActionId(id, "id");
        using (var view = node.Read())
        {
            return Module(view).Action(actionId) is { } a
                ? Results.Json(ToInfo(node, a), JsonDefaults.Options)
                : ProblemResults.NotFound(ResultCode.ApprovalNotFound.ToProblemCode(), $"no action {id}");
        }
    }

    private static async Task<IResult> DecideAsync(NodeContext node, Caller caller, string id, bool approve, HttpContext http)
    {
        var target = ParseActionId(id, "id");
        var request = await ReadOptionalAsync<DecisionRequest>(http);
        var reason = request?.Reason ?? "";
        if (reason.Length > 200)
        {
            throw Invalid("reason", "at most 200 characters");
        }

        IssuanceCommand command = approve
            ? new Approve(ActionIdOf(request?.ActionId), caller.Id, target)
            : new Reject(ActionIdOf(request?.ActionId), caller.Id, target, reason);
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static IResult GetAudit(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            return Results.Json(Paging.ByPosition(Module(view).Audit, query,
                e => new AuditEntryInfo(e.Sequence, e.Time, e.Height, Dec(e.Action), e.Event, e.Name, SymbolOf(node, e.Coin), e.Requester, e.Approver, e.Detail)), JsonDefaults.Options);
        }
    }

    // ------------------------------------------------------------------ submission

    internal static async Task<ActionOutcome> SubmitAsync(NodeContext node, IssuanceCommand command, string? key = null)
    {
        var receipt = await Endpoints.SubmitAsync(node, [global::Centime.Ledger.Command.Of(command)]);
        var code = receipt.Results[0].Code;
        using (var view = node.Read())
        {
            var module = Module(view);
            if (code == ResultCode.Ok)
            {
                var action = module.Action(command.ActionId)!;
                var target = command is Approve or Reject ? module.Action(command is Approve a ? a.Target : ((Reject)command).Target) : null;
                return new ActionOutcome(
                    Dec(command.ActionId),
                    target is not null ? (command is Approve ? "approved" : "rejected") : action.Status == ActionStatus.Pending ? "pending_approval" : "executed",
                    command.ActionName,
                    target?.Summary ?? action.Summary,
                    receipt.Height,
                    target?.Requester ?? command.Requester,
                    target is not null ? command.Requester : null,
                    key);
            }

            if (code == ResultCode.ActionExists && module.Action(command.ActionId) is { } existing && Equals(existing.Command, command) && key is null)
            {
                // A retry of the same action: answer as the first time did (nothing applied twice).
                return new ActionOutcome(Dec(existing.Id), existing.Status switch
                {
                    ActionStatus.Pending => "pending_approval",
                    ActionStatus.Rejected => "rejected",
                    _ => "executed",
                }, existing.Command.ActionName, existing.Summary, existing.RequestedHeight, existing.Requester, existing.Decider);
            }

            throw Refused(node, module, command, code);
        }
    }

    private static ProblemException Refused(NodeContext node, IssuanceModule module, IssuanceCommand command, ResultCode code)
    {
        var status = code switch
        {
            ResultCode.ForbiddenRole or ResultCode.SelfApproval or ResultCode.ApproverNotIndependent or ResultCode.OwnAllowance => 403,
            ResultCode.OperatorNotFound or ResultCode.DepositNotFound or ResultCode.ApprovalNotFound or ResultCode.HoldingNotFound
                or ResultCode.RedemptionNotFound or ResultCode.CoinNotFound or ResultCode.ReconciliationItemNotFound => 404,
            ResultCode.OperatorExists or ResultCode.DepositExists or ResultCode.HoldingExists or ResultCode.ActionExists or ResultCode.IssuerKeyNotCurrent
                or ResultCode.AccountAlreadyFrozen or ResultCode.AccountNotFrozen or ResultCode.BankStatementAlreadyImported or ResultCode.ReconciliationItemNotOpen => 409,
            _ => 422,
        };
        var detail = $"{module.Describe(command)}: {code.ToProblemCode()}";
        var inv = CultureInfo.InvariantCulture;
        var mint = command as Mint ?? (command is Approve ap ? module.Action(ap.Target)?.Command as Mint : null);
        if (code is ResultCode.ReservesInsufficient or ResultCode.SupplyOverflow && mint is not null)
        {
            var coin = module.Coin(mint.Coin);
            var evaluation = module.EvaluateReserves(mint.Coin);
            var decision = MintGate.Check(module.Supply(mint.Coin), mint.Amount, evaluation?.EligibleTotal ?? UInt128.Zero);
            detail = string.Create(inv, $"mint of {mint.Amount} refused by the mint gate: {decision.Reason} ({coin?.Profile.Name ?? "GENIUS"} eligibility as of {Date(module.LedgerDate)}; see GET /v1/issuance/coins/{SymbolOf(node, mint.Coin)}/reserves)");
        }
        else if (code == ResultCode.SelfApproval)
        {
            detail = $"operator '{command.Requester}' requested this action and cannot approve or reject it; another operator must";
        }
        else if (code == ResultCode.ApproverNotIndependent && (command is Approve or Reject))
        {
            detail = $"operator '{command.Requester}' is not independent of the requester or of the operator this action changes (one controls the other's key, or one operator controls both); an operator outside that chain must decide";
        }
        else if (code == ResultCode.OwnAllowance && command is ConfigureMinter own)
        {
            detail = $"operator '{own.Requester}' may not set the allowance of '{own.Minter}': it is itself or an operator it controls";
        }
        else if (code == ResultCode.SingleOperatorModeOff)
        {
            detail = "administrative changes always need a second admin in multi-operator mode; start the node with --single-operator to turn approvals off";
        }
        else if (code == ResultCode.ForbiddenRole)
        {
            var target = command is Approve a2 ? module.Action(a2.Target) : command is Reject r2 ? module.Action(r2.Target) : null;
            detail = target is not null
                ? $"operator '{command.Requester}' may not decide '{target.Command.ActionName}': needs one of [{string.Join(", ", OperatorRoleNames.ToNames(IssuanceModule.ApproverRoles(target.Command)))}]"
                : $"operator '{command.Requester}' lacks the role '{string.Join(", ", OperatorRoleNames.ToNames(IssuanceModule.RequiredRole(command)))}'";
        }
        else if (code == ResultCode.ExceedsDeposit && mint is not null && module.Coin(mint.Coin)?.Deposits.FirstOrDefault(d => d.Reference == mint.DepositReference) is { } deposit)
        {
            detail = string.Create(inv, $"mint of {mint.Amount} exceeds the unminted remainder {deposit.Unminted} of deposit {deposit.Reference}");
        }
        else if (code == ResultCode.ExceedsMinterAllowance && mint is not null)
        {
            var allowance = module.Coin(mint.Coin)?.Minters.FirstOrDefault(m => m.Minter == mint.Requester)?.Allowance ?? UInt128.Zero;
            detail = string.Create(inv, $"mint of {mint.Amount} exceeds minter '{mint.Requester}''s remaining allowance {allowance}");
        }

        return new ProblemException(status, code.ToProblemCode(), status switch { 403 => "Forbidden", 404 => "Not found", 409 => "Conflict", _ => "Command refused" }, detail);
    }

    // ------------------------------------------------------------------ parsing

    private static async Task<T> ReadAsync<T>(HttpContext http)
        where T : class =>
        await ReadOptionalAsync<T>(http) ?? throw new ProblemException(400, ProblemCodes.MalformedJson, "Malformed JSON", "the body must be a JSON object");

    private static async Task<T?> ReadOptionalAsync<T>(HttpContext http)
        where T : class
    {
        if (http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }

        // The one body reader (media type, UTF-8 only, size limit, duplicate keys, invalid UTF-8).
        return await Endpoints.ReadJsonAsync<T>(http);
    }

    private static ProblemException Invalid(string field, string detail) => new(400, ProblemCodes.InvalidField, "Invalid field", $"'{field}': {detail}");

    private static ProblemException Missing(string field) => new(400, ProblemCodes.MissingField, "Missing field", $"'{field}' is required");

    private static string Required(string? value, string field) => value ?? throw Missing(field);

    private static string Text(string? value, string field)
    {
        var text = Required(value, field);
        return !string.IsNullOrWhiteSpace(text) && text.Length <= 200 ? text : throw Invalid(field, "1–200 characters, not blank");
    }

    private static string OptionalText(string? value, string field) => value is null ? "" : Text(value, field);

    private static UInt128 Amount(string? value, string field, bool allowZero = false) => FieldGrammar.Amount(value, field, allowZero);

    private static DateOnly DateField(string? value, string field) => FieldGrammar.Date(value, field);

    private static DateOnly? OptionalDate(string? value, string field) => value is null ? null : DateField(value, field);

    private static Address AddressField(string? value, string field) => FieldGrammar.Address(value, field);

    private static Price PriceField(string? value, string field)
    {
        // An exact decimal fraction of face: "0.99125" = 99125/100000. No floating point.
        var text = Required(value, field);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (whole.Length is 0 or > 3 || fraction.Length > 12 || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit) || (dot >= 0 && fraction.Length == 0))
        {
            throw Invalid(field, "a decimal fraction of face value, e.g. \"0.9950\" (up to 12 decimals)");
        }

        var denominator = (ulong)BigInteger.Pow(10, fraction.Length);
        var numerator = ulong.Parse(whole + fraction, NumberStyles.None, CultureInfo.InvariantCulture);
        return numerator == 0 ? throw Invalid(field, "a price must be positive") : Price.Of(numerator, denominator);
    }

    private static OperatorRoles ParseRoles(IReadOnlyList<string>? names)
    {
        var roles = OperatorRoles.None;
        foreach (var name in names ?? throw Missing("roles"))
        {
            roles |= OperatorRoleNames.TryParse(name, out var r)
                ? r
                : throw Invalid("roles", $"unknown role '{name}'; roles are admin, minter_manager, minter, pauser, asset_protection, reserve_manager, auditor");
        }

        return roles;
    }

    internal static UInt128 ActionIdOf(string? text)
    {
        if (text is not null)
        {
            return ParseActionId(text, "actionId");
        }

        // 1 … 2^48 − 1: at most 15 digits, short enough to type in `centime approve <id>`. A collision with an earlier
        // action is refused by the module (action_exists), never applied; the caller retries.
        return (UInt128)RandomNumberGenerator.GetInt32(1, 1 << 24) << 24 | (UInt128)(uint)RandomNumberGenerator.GetInt32(0, 1 << 24);
    }

    private static UInt128 ParseActionId(string text, string field) => FieldGrammar.Id(text, field);

    private static uint CoinOf(NodeContext node, string symbol) =>
        node.CoinNumber(symbol) ?? throw new ProblemException(404, ProblemCodes.CoinNotFound, "Not found", $"no coin '{symbol}'");

    private static ReserveHolding FromRequest(HoldingInfo h, string coinCurrency, DateOnly today)
    {
        var id = Text(h.Id, "id");
        var currency = h.Currency ?? coinCurrency;
        var valuedOn = OptionalDate(h.ValuedOn, "valuedOn") ?? today;
        ReserveHolding holding = h.Type switch
        {
            "bank_deposit" => new BankDeposit
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Bank = Text(h.Bank, "bank"),
                AccountReference = Text(h.AccountReference, "accountReference"),
                Amount = Amount(h.Amount, "amount", allowZero: true),
                Kind = h.Kind switch
                {
                    null or "demand" => DepositKind.Demand,
                    "term" => DepositKind.Term,
                    "central_bank" => DepositKind.CentralBank,
                    _ => throw Invalid("kind", "demand, term or central_bank"),
                },
                InsuredInstitution = h.Insured ?? false,
                PlacedOn = OptionalDate(h.PlacedOn, "placedOn"),
                Maturity = OptionalDate(h.Maturity, "maturity"),
            },
            "treasury_bill" => new TreasuryBill
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Identifier = SecurityIdentifier.TryParse(Required(h.Identifier, "identifier"), out var identifier) ? identifier : throw Invalid("identifier", "a CUSIP or ISIN with a valid check digit"),
                IssuingGovernment = h.IssuingGovernment ?? "US",
                IssueDate = DateField(h.IssueDate, "issueDate"),
                MaturityDate = DateField(h.MaturityDate, "maturityDate"),
                FaceValue = Amount(h.FaceValue, "faceValue"),
                Price = h.Price is null ? Price.Par : PriceField(h.Price, "price"),
            },
            "overnight_repo" => new OvernightRepo
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Counterparty = Text(h.Counterparty, "counterparty"),
                Principal = Amount(h.Principal, "principal"),
                CollateralDescription = Text(h.CollateralDescription, "collateralDescription"),
                Collateral = h.CollateralKind switch
                {
                    "treasury_bills" => CollateralKind.TreasuryBills,
                    "other_government_securities" => CollateralKind.OtherGovernmentSecurities,
                    "other" => CollateralKind.Other,
                    null => throw Missing("collateralKind"),
                    _ => throw Invalid("collateralKind", "treasury_bills, other_government_securities or other"),
                },
                CollateralValue = Amount(h.CollateralValue, "collateralValue", allowZero: true),
                TradeDate = DateField(h.TradeDate, "tradeDate"),
                MaturityDate = DateField(h.MaturityDate, "maturityDate"),
            },
            "money_market_fund" => new GovernmentMoneyMarketFund
            {
                Id = id,
                Currency = currency,
                ValuedOn = valuedOn,
                Name = Text(h.Name, "name"),
                Units = Amount(h.Units, "units"),
                UnitDecimals = h.UnitDecimals is int ud ? (ud is >= 0 and <= 18 ? (byte)ud : throw Invalid("unitDecimals", "0–18")) : (byte)0,
                NavPerUnit = Amount(h.NavPerUnit, "navPerUnit"),
                HoldsOnlyEligibleAssets = h.HoldsOnlyEligibleAssets ?? false,
            },
            null => throw Missing("type"),
            _ => throw Invalid("type", "bank_deposit, treasury_bill, overnight_repo or money_market_fund"),
        };
        return holding with { Custodian = h.Custodian, Segregated = h.Segregated ?? false, Rehypothecated = h.Rehypothecated ?? false };
    }

    // ------------------------------------------------------------------ output

    /// <summary>The date new valuations default to and reserves are shown at: the ledger date, or today (UTC) when the
    /// ledger has not yet sealed a block today (the next block's ledger time is the wall clock).</summary>
    private static DateOnly Today(IssuanceModule module)
    {
        var wall = DateOnly.FromDateTime(DateTime.UtcNow);
        return module.LedgerDate > wall ? module.LedgerDate : wall;
    }

    private static string Dec(UInt128 value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string? CoveragePercent(Coverage c) => c.CoverageBasisPoints is UInt128 bp
        ? string.Create(CultureInfo.InvariantCulture, $"{bp / 100}.{(int)(bp % 100):D2}%")
        : null;

    private static string RegimeName(ReserveRegime regime) => regime switch
    {
        ReserveRegime.HongKong => "hong_kong",
        ReserveRegime.Mica => "mica",
        _ => "genius",
    };

    private static string CategoryName(ReserveCategory category) => category switch
    {
        ReserveCategory.BankDeposit => "bank_deposit",
        ReserveCategory.TreasuryBill => "treasury_bill",
        ReserveCategory.OvernightRepo => "overnight_repo",
        _ => "money_market_fund",
    };

    private static string SymbolOf(NodeContext node, uint coin) => coin == 0 ? "" : node.Sequencer.State.GetCoin(coin)?.Symbol ?? "";

    private static HoldingInfo ToInfo(ReserveHolding h)
    {
        var info = new HoldingInfo
        {
            Type = CategoryName(h.Category),
            Id = h.Id,
            Currency = h.Currency,
            ValuedOn = Date(h.ValuedOn),
            Custodian = h.Custodian,
            Segregated = h.Segregated,
            Rehypothecated = h.Rehypothecated,
        };
        return h switch
        {
            BankDeposit b => info with
            {
                Bank = b.Bank,
                AccountReference = b.AccountReference,
                Amount = Dec(b.Amount),
                Kind = b.Kind switch { DepositKind.Term => "term", DepositKind.CentralBank => "central_bank", _ => "demand" },
                Insured = b.InsuredInstitution,
                PlacedOn = b.PlacedOn is { } p ? Date(p) : null,
                Maturity = b.Maturity is { } m ? Date(m) : null,
            },
            TreasuryBill t => info with
            {
                Identifier = t.Identifier.Value,
                IssuingGovernment = t.IssuingGovernment,
                IssueDate = Date(t.IssueDate),
                MaturityDate = Date(t.MaturityDate),
                FaceValue = Dec(t.FaceValue),
                Price = t.Price.ToString(),
            },
            OvernightRepo o => info with
            {
                Counterparty = o.Counterparty,
                Principal = Dec(o.Principal),
                CollateralDescription = o.CollateralDescription,
                CollateralKind = o.Collateral switch { CollateralKind.TreasuryBills => "treasury_bills", CollateralKind.OtherGovernmentSecurities => "other_government_securities", _ => "other" },
                CollateralValue = Dec(o.CollateralValue),
                TradeDate = Date(o.TradeDate),
                MaturityDate = Date(o.MaturityDate),
            },
            GovernmentMoneyMarketFund f => info with
            {
                Name = f.Name,
                Units = Dec(f.Units),
                UnitDecimals = f.UnitDecimals,
                NavPerUnit = Dec(f.NavPerUnit),
                HoldsOnlyEligibleAssets = f.HoldsOnlyEligibleAssets,
            },
            _ => info,
        };
    }

    private static RedemptionInfo ToInfo(Redemption r, string symbol, ulong now) => new(
        Dec(r.Id), symbol, r.Holder.ToString(), Dec(r.Amount), r.PayTo,
        r.Status == RedemptionStatus.Paid ? (r.PaidOnTime ? "paid" : "paid_late") : r.IsOverdue(now) ? "overdue" : "pending",
        r.RequestedAt, r.Deadline, Dec(r.BurnTransferId), r.RequestedBy,
        r.OverdueAt == 0 ? null : r.OverdueAt, r.PaidAt == 0 ? null : r.PaidAt, r.PaidReference.Length == 0 ? null : r.PaidReference, r.PaidBy.Length == 0 ? null : r.PaidBy);

    private static ActionInfo ToInfo(NodeContext node, IssuanceAction a) => new(
        Dec(a.Id), a.Command.ActionName,
        a.Status switch { ActionStatus.Pending => "pending_approval", ActionStatus.Rejected => "rejected", _ => "executed" },
        SymbolOf(node, a.Command.CoinNumber), a.Requester, a.Decider, a.RequestedAt, a.RequestedHeight, a.DecidedAt, a.Summary, a.Note);
}
