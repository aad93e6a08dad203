using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Centime.Client;
using Centime.Contracts;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Api;

/// <summary>
/// Programmable payments under /v1/contracts (docs/contracts.md). Creating a contract moves the payer's coins: the payer
/// signs it (X-Centime-Payer-Signature), or an ERP system's key the payer granted by its own signature does (the same
/// header; <see cref="ErpKeyGrant"/>) — no credential the operator holds funds a contract; the operator key alone creates contracts
/// only of sandbox coins on a sandbox node (<see cref="Endpoints.RequireHolderSignatureUnlessSandbox"/>); events are authenticated by the designated party's EIP-712
/// signature (<see cref="ContractEventSignature"/>), recovered here, before the sequencer, and journaled with the
/// recovered signer. Reads are public.
/// </summary>
public static class ContractEndpoints
{

    public static void Map(WebApplication app, NodeContext node)
    {
        var g = app.MapGroup("/v1/contracts").WithTags("Contracts");
        g.MapGet("/schema", () => Results.Text(ContractDocument.Schema, "application/schema+json")).WithName("ContractSchema")
            .WithSummary("The JSON Schema of a contract document.").Public();
        g.MapPost("", (Caller caller, HttpContext http) => CreateAsync(node, caller, http)).WithName("CreateContract")
            .WithSummary("Validate, fund (from the payer) and start a contract (operator key).").Produces<ContractInfo>()
            .RequiresOperatorKeyOrHolderSignature();
        g.MapPost("/erp-keys", (HttpRequest request) => ErpKeyAsync(node, request.HttpContext)).WithName("GrantErpKey")
            .WithSummary("A party's own EIP-712 grant (or revocation, validUntil 0) of an ERP system's key: it may fund contracts the party pays and send events as the party.")
            .Accepts<ErpKeyRequest>("application/json").Produces<ErpKeyInfo>().Public();
        g.MapPost("/erp-keys/typed-data", (HttpRequest request) => ErpKeyTypedDataAsync(node, request.HttpContext)).WithName("ErpKeyTypedData")
            .WithSummary("The EIP-712 ErpKey typed data a party signs (a random nonce when absent).").Accepts<ErpKeyDraft>("application/json").Produces<TypedDataToSign>().Public();
        g.MapGet("/erp-keys", (string? party, [AsParameters] PageParameters page) => ListErpKeys(node, party, page)).WithName("ListErpKeys")
            .WithSummary("The ERP keys a party granted (?party=0x…), by key address, with their validity (a page).").Produces<Page<ErpKeyInfo>>().Public();
        g.MapPost("/funding/typed-data", (HttpRequest request) => FundingTypedDataAsync(node, request.HttpContext)).WithName("ContractFundingTypedData")
            .WithSummary("The EIP-712 ContractFunding typed data of a contract document (the body, exactly as it will be posted) for its payer or the payer's ERP key to sign.")
            .Produces<TypedDataToSign>().Public();
        g.MapPost("/facts", (HttpRequest request) => FactAsync(node, request.HttpContext)).WithName("OracleFact")
            .WithSummary("An oracle's EIP-712 attestation of a fact (key, value, observedAt, nonce); fires the contracts waiting on it.")
            .Accepts<OracleFactRequest>("application/json").Produces<OracleFactOutcome>().Public();
        g.MapGet("", (string? party, string? status, [AsParameters] PageParameters page) => List(node, party, status, page)).WithName("ListContracts")
            .WithSummary("Contracts by id, ascending; ?party=0x… (any role), ?status=open|disputed|closed (a page).").Produces<Page<ContractInfo>>().Public();
        g.MapGet("/{id}", (string id) => Get(node, id)).WithName("GetContract").WithSummary("A contract: terms, status, amounts and every movement.").Public();
        g.MapPost("/{id}/events", (string id, HttpContext http) => EventAsync(node, id, http)).WithName("ContractEvent")
            .WithSummary("An event (confirm, dispute, decide, slash, milestone, withdraw, cancel, charge) signed by the designated party (EIP-712).")
            .Accepts<ContractEventRequest>("application/json").Produces<ContractInfo>().Public();
    }

    private static ContractModule Module(Sequencer.ReadSection view) =>
        view.State.Module<ContractModule>() ?? throw new ProblemException(404, "route_not_found", "Not found", "this node does not run the contracts module");

    private static async Task<IResult> CreateAsync(NodeContext node, Caller caller, HttpContext http)
    {
        var payerSignature = http.Request.Headers["X-Centime-Payer-Signature"].ToString();
        caller.RequireOperatorKeyUnlessSigned(payerSignature.Length > 0);

        var body = await Endpoints.ReadBodyBytesAsync(http);
        if (payerSignature.Length == 0)
        {
            return await CreateFromAsync(node, body, "admin", null);
        }

        // Payer-signed (or signed by an ERP key the payer granted): EIP-712 ContractFunding(contract id, keccak256(body));
        // the id must be in the document, so a replayed request answers the same contract and never funds twice.
        var id = DocumentId(body);
        var payer = Signing.AuthorizationChecker.RecoverField(ContractEventSignature.FundingDigest(id, body), payerSignature, "X-Centime-Payer-Signature",
            $"the low-s EIP-712 signature of {ContractEventSignature.FundingType} (document = keccak256 of the exact body) by the payer or an ERP key the payer granted");

        return await CreateFromAsync(node, body, "payer", payer);
    }

    /// <summary>The id a payer-signed document names (the signature covers it), or a problem.</summary>
    private static UInt128 DocumentId(byte[] body)
    {
        try
        {
            using var parsed = JsonDocument.Parse(body);
            return parsed.RootElement.ValueKind == JsonValueKind.Object && parsed.RootElement.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
                ? ContractDocument.Id(idElement.GetString()!, "id")
                : throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "a payer-signed contract names its 'id' (the signature covers it)");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new ProblemException(400, ProblemCodes.MalformedJson, "Malformed JSON", ex.Message);
        }
        catch (ContractDocumentException ex)
        {
            throw new ProblemException(ex.Status, ex.Code, "Invalid contract", ex.Message);
        }
    }

    private static async Task<IResult> FundingTypedDataAsync(NodeContext node, HttpContext http)
    {
        var body = await Endpoints.ReadBodyBytesAsync(http);
        var id = DocumentId(body);
        var digest = ContractEventSignature.FundingDigest(id, body);
        var typed = new System.Text.Json.Nodes.JsonObject
        {
            ["types"] = new System.Text.Json.Nodes.JsonObject
            {
                ["EIP712Domain"] = new System.Text.Json.Nodes.JsonArray(Member("name", "string"), Member("version", "string")),
                ["ContractFunding"] = new System.Text.Json.Nodes.JsonArray(Member("contract", "bytes32"), Member("document", "bytes32")),
            },
            ["primaryType"] = "ContractFunding",
            ["domain"] = new System.Text.Json.Nodes.JsonObject { ["name"] = ContractEventSignature.Domain.Name, ["version"] = ContractEventSignature.Domain.Version },
            ["message"] = new System.Text.Json.Nodes.JsonObject { ["contract"] = ContractWord(id), ["document"] = Hash32.FromBytes(Keccak256.Hash(body)).ToString() },
        };
        using var document = JsonDocument.Parse(typed.ToJsonString());
        return Results.Json(new TypedDataToSign(document.RootElement.Clone(), "", "", digest.ToString()), JsonDefaults.Options);

        static System.Text.Json.Nodes.JsonObject Member(string name, string type) => new() { ["name"] = name, ["type"] = type };
    }

    /// <summary>A contract id as the bytes32 of its EIP-712 messages: big-endian in the low 16 bytes.</summary>
    private static string ContractWord(UInt128 id)
    {
        var word = new byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(word.AsSpan(16), id);
        return "0x" + Convert.ToHexStringLower(word);
    }

    private static async Task<IResult> ErpKeyAsync(NodeContext node, HttpContext http)
    {
        var request = await Endpoints.ReadJsonAsync<ErpKeyRequest>(http);
        var party = FieldGrammar.Address(request.Party, "party");
        var erp = FieldGrammar.Address(request.Erp, "erp");
        var validUntil = ValidUntil(request.ValidUntil);
        if (!Hash32.TryParse(request.Nonce, out var nonce))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'nonce' is a 0x-prefixed 32-byte hex value, fresh for each grant");
        }

        var digest = HolderTypedData.Digest(HolderTypedData.ErpKey(node.Options.ChainId, party, erp, validUntil, nonce));
        var signer = Signing.AuthorizationChecker.RecoverField(digest, request.Signature, "signature",
            $"the party's EIP-712 signature of {HolderTypedData.ErpKeyType} under the \"Centime Contracts\" domain, version 1, chainId {node.Options.ChainId}");
        if (signer != party)
        {
            throw Signing.AuthorizationChecker.SignerMismatch($"signed by {signer}, not by the party {party} (or signed over other fields or another chain)");
        }

        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(new ErpKeyGrant(party, erp, validUntil, nonce))]);
        var code = receipt.Results[0].Code;
        if (code != ResultCode.Ok)
        {
            throw Refused(code, $"ERP key {erp} of {party}");
        }

        return Results.Json(new ErpKeyInfo(party.ToString(), erp.ToString(), validUntil.ToString(CultureInfo.InvariantCulture), validUntil != 0, receipt.Height), JsonDefaults.Options);
    }

    /// <summary>Unix seconds through which a grant is valid; 0 revokes.</summary>
    private static ulong ValidUntil(string? text)
    {
        var value = FieldGrammar.Unsigned(text, "validUntil", null, ProblemCodes.InvalidField);
        return value <= ulong.MaxValue ? (ulong)value : throw FieldGrammar.Invalid("validUntil", "Unix seconds below 2^64 (0 revokes)", null);
    }

    private static async Task<IResult> ErpKeyTypedDataAsync(NodeContext node, HttpContext http)
    {
        var request = await Endpoints.ReadJsonAsync<ErpKeyDraft>(http);
        var party = FieldGrammar.Address(request.Party, "party");
        var erp = FieldGrammar.Address(request.Erp, "erp");
        var validUntil = ValidUntil(request.ValidUntil);
        var nonce = request.Nonce is null ? HolderSigner.NewNonce()
            : Hash32.TryParse(request.Nonce, out var given) ? given
            : throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'nonce' is a 0x-prefixed 32-byte hex value");
        return Results.Json(IssuanceEndpoints.TypedDataView(HolderTypedData.ErpKey(node.Options.ChainId, party, erp, validUntil, nonce), nonce, validUntil), JsonDefaults.Options);
    }

    private static IResult ListErpKeys(NodeContext node, string? partyText, PageParameters page)
    {
        var party = FieldGrammar.Address(partyText, "party");
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var now = view.State.Timestamp / 1_000_000_000UL;
            return Results.Json(Paging.ByPosition(Module(view).ErpKeysOf(party), query,
                k => new ErpKeyInfo(party.ToString(), k.Erp.ToString(), k.ValidUntil.ToString(CultureInfo.InvariantCulture), k.ValidUntil >= now, null)), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> CreateFromAsync(NodeContext node, byte[] body, string requester, Address? requiredPayer)
    {
        JsonElement doc;
        try
        {
            using var parsed = JsonDocument.Parse(body);
            doc = parsed.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ProblemException(400, ProblemCodes.MalformedJson, "Malformed JSON", ex.Message);
        }

        ParsedContract contract;
        try
        {
            contract = ContractDocument.Parse(doc, node.CoinNumber);
        }
        catch (ContractDocumentException ex)
        {
            throw new ProblemException(ex.Status, ex.Code, ex.Status == 422 ? "Contract refused" : "Invalid contract", ex.Message);
        }

        if (requiredPayer is { } signer && contract.Terms.Payer != signer)
        {
            // Not the payer's own signature: it must be an ERP key the payer granted, valid now (the module checks it
            // again when it applies the create, so a revocation sequenced first wins).
            using (var view = node.Read())
            {
                if (!Module(view).IsErpKeyOf(contract.Terms.Payer, signer, view.State.Timestamp / 1_000_000_000UL))
                {
                    throw new ProblemException(403, ResultCode.ErpKeyNotAuthorized.ToProblemCode(), "Contract refused",
                        $"the signature recovers to {signer}, which is neither the contract's payer {contract.Terms.Payer} nor an ERP key the payer granted and that is still valid (POST /v1/contracts/erp-keys)");
                }
            }

            requester = ErpKeyGrant.RequesterPrefix + signer.ToString();
        }

        if (requester == "admin")
        {
            Endpoints.RequireHolderSignatureUnlessSandbox(node, [contract.Terms.Coin], "a contract funded by its payer",
                "the payer signs the contract (EIP-712 ContractFunding of the exact body, header X-Centime-Payer-Signature)");
        }

        var id = contract.Id != UInt128.Zero ? contract.Id : NewId();
        if (contract.Id != UInt128.Zero && IsSameContract(node, id, contract.Terms) is { } existing)
        {
            return existing; // an identical retry: the contract as it stands, nothing journaled, nothing moved
        }

        var command = new CreateContract(id, requester, contract.Terms);
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(command)]);
        var code = receipt.Results[0].Code;
        if (code == ResultCode.ContractExists && contract.Id != UInt128.Zero && IsSameContract(node, id, contract.Terms) is { } raced)
        {
            return raced; // an identical create that won the race to the sequencer
        }

        if (code != ResultCode.Ok)
        {
            throw Refused(code, $"contract {id}");
        }

        return Results.Json(View(node, id), JsonDefaults.Options);
    }

    /// <summary>The existing contract's view when <paramref name="id"/> exists with exactly these terms; otherwise null.</summary>
    private static IResult? IsSameContract(NodeContext node, UInt128 id, ContractTerms terms)
    {
        using (var view = node.Read())
        {
            var existing = Module(view).Get(id);
            return existing is not null && existing.Terms.SameAs(terms)
                ? Results.Json(ToView(view.State, existing, view.State.Timestamp), JsonDefaults.Options)
                : null;
        }
    }

    private static async Task<IResult> FactAsync(NodeContext node, HttpContext http)
    {
        var request = await Endpoints.ReadJsonAsync<OracleFactRequest>(http);
        var key = request.Key ?? throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'key' is required, e.g. \"delivered:order-42\"");
        var value = request.Value ?? throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'value' is required, e.g. \"true\"");
        if (!ulong.TryParse(request.ObservedAt, NumberStyles.None, CultureInfo.InvariantCulture, out var observedAt))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'observedAt' is Unix seconds as a decimal string");
        }

        if (!Hash32.TryParse(request.Nonce, out var nonce))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'nonce' is a 0x-prefixed 32-byte hex value, fresh for each attestation");
        }

        var chainId = node.Options.ChainId;
        var oracle = Signing.AuthorizationChecker.RecoverField(OracleFactSignature.Digest(chainId, key, value, observedAt, nonce), request.Signature, "signature",
            $"a low-s EIP-712 signature of {OracleFactSignature.Type} under the \"Centime Contracts\" domain, version 1, chainId {chainId}");
        if (request.Oracle is { } claimed && Address.TryParse(claimed, out var claimedAddress) && claimedAddress != oracle)
        {
            throw Signing.AuthorizationChecker.SignerMismatch($"the signature recovers to {oracle}, not {claimed} (another key signed, or other terms were signed)");
        }

        IReadOnlyList<UInt128> waiting;
        using (var view = node.Read())
        {
            waiting = Module(view).AwaitingFact(key);
        }

        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(new OracleFact(oracle, key, value, observedAt, nonce))]);
        var result = receipt.Results[0];
        if (result.Code != ResultCode.Ok)
        {
            throw Refused(result.Code, $"fact '{key}' from {oracle}");
        }

        // The contracts it fired moved money at the command's ledger time.
        var fired = new List<string>();
        using (var view = node.Read())
        {
            foreach (var id in waiting)
            {
                if (Module(view).Get(id) is { } c && c.Steps.Any(s => s.At == result.Timestamp))
                {
                    fired.Add(Dec(id));
                }
            }
        }

        return Results.Json(new OracleFactOutcome("ok", receipt.Height, oracle.ToString(), fired), JsonDefaults.Options);
    }

    private static async Task<IResult> EventAsync(NodeContext node, string idText, HttpContext http)
    {
        var id = ParseId(idText);
        var request = await Endpoints.ReadJsonAsync<ContractEventRequest>(http);

        if (!ContractNames.TryParseAction(request.Action, out var action))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'action': one of confirm, dispute, decide, slash, milestone, withdraw, cancel, charge, trigger");
        }

        var amount = UInt128.Zero;
        if (request.Amount is { } amountText && amountText != "0")
        {
            try
            {
                amount = ContractDocument.Amount(amountText, "amount");
            }
            catch (ContractDocumentException ex)
            {
                throw new ProblemException(ex.Status, ex.Code, "Invalid field", ex.Message);
            }
        }

        if (!Hash32.TryParse(request.Nonce, out var nonce))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'nonce' is a 0x-prefixed 32-byte hex value, fresh for each event");
        }

        // The designated party's signature, or an ERP key it granted (the module checks which, at apply).
        var signer = Signing.AuthorizationChecker.RecoverField(ContractEventSignature.Digest(id, action, amount, nonce), request.Signature, "signature",
            $"a low-s EIP-712 signature of {ContractEventSignature.Type} under the \"Centime Contracts\" domain, version 1");

        if (request.Signer is { } claimed && Address.TryParse(claimed, out var claimedAddress) && claimedAddress != signer)
        {
            throw Signing.AuthorizationChecker.SignerMismatch($"the signature recovers to {signer}, not {claimed} (another key signed, or other terms were signed)");
        }

        var command = new ContractEvent(id, action, amount, nonce, signer, request.Reason ?? "");
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(command)]);
        var code = receipt.Results[0].Code;
        if (code != ResultCode.Ok)
        {
            throw Refused(code, $"{ContractNames.Of(action)} on contract {id} by {signer}");
        }

        return Results.Json(View(node, id), JsonDefaults.Options);
    }

    private static IResult Get(NodeContext node, string idText)
    {
        var id = ParseId(idText);
        return Results.Json(View(node, id), JsonDefaults.Options);
    }

    private static IResult List(NodeContext node, string? party, string? status, PageParameters page)
    {
        Address? who = party is null ? null : Endpoints.ParseAddress(party);
        if (status is not (null or "open" or "disputed" or "closed"))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'status' is open, disputed or closed");
        }

        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var now = view.State.Timestamp;
            var matching = Module(view).Contracts.Where(c => (who is not { } a || Involves(c.Terms, a))
                && (status is null || string.Equals(StatusName(c.Status), status, StringComparison.Ordinal)));
            return Results.Json(Paging.ByNumber(matching, c => c.Id, query, c => ToView(view.State, c, now)), JsonDefaults.Options);
        }
    }

    private static bool Involves(ContractTerms t, Address a) =>
        t.Payer == a || t.Payee == a || t.Confirmer == a || t.Arbiter == a || t.Oracle == a || t.Recipients.Any(r => r.Address == a);

    private static ContractInfo View(NodeContext node, UInt128 id)
    {
        using (var view = node.Read())
        {
            var contract = Module(view).Get(id) ?? throw new ProblemException(404, ResultCode.ContractNotFound.ToProblemCode(), "Not found", $"no contract {id}");
            return ToView(view.State, contract, view.State.Timestamp);
        }
    }

    private static ContractInfo ToView(LedgerState st, Contract c, ulong now)
    {
        var t = c.Terms;
        var symbol = st.GetCoin(t.Coin)?.Symbol ?? "";
        string? Addr(Address a) => a.IsZero ? null : a.ToString();
        var milestones = t.Milestones.Count == 0
            ? null
            : t.Milestones.Select((m, i) => new ContractMilestoneInfo(i, m.Name, Dec(m.Amount), (c.MilestonesDone & (1UL << i)) != 0)).ToList();
        return new ContractInfo(
            Dec(c.Id),
            ContractNames.Of(t.Kind),
            symbol,
            StatusName(c.Status),
            Dec(t.Amount),
            Addr(t.Payer),
            Addr(t.Payee),
            t.Kind is ContractKind.Escrow or ContractKind.Milestones ? Addr(t.Confirmer) : null,
            t.Kind is ContractKind.Bond ? Addr(t.Confirmer) : null,
            Addr(t.Arbiter),
            t.Kind is ContractKind.Refund ? null : ContractModule.AccountOf(c.Id).ToString(),
            Dec(c.CreatedAt),
            c.Deadline == 0 ? null : Dec(c.Deadline),
            c.ClosedAt == 0 ? null : Dec(c.ClosedAt),
            Dec(c.Released),
            Dec(c.Returned),
            t.Kind is ContractKind.Bond ? Dec(c.Slashed) : null,
            t.Kind is ContractKind.Bond ? Dec(t.Cap) : null,
            Dec(c.Remaining),
            t.Kind is ContractKind.Stream ? Dec(t.RatePerSecond) : null,
            t.Kind is ContractKind.Stream ? Dec(c.AccruedAt(now)) : null,
            t.Kind is ContractKind.Refund ? Dec(t.RefundOf) : null,
            t.Recipients.Count == 0 ? null : t.Recipients.Select(r => new ContractRecipientInfo(r.Address.ToString(), r.BasisPoints)).ToList(),
            milestones,
            t.Reference.Length == 0 ? null : t.Reference,
            c.Steps.Select(s => new ContractStepInfo(Dec(s.Transfer), s.Step, s.To.ToString(), Dec(s.Amount), Dec(s.At), s.Reason.Length == 0 ? null : s.Reason)).ToList(),
            t.Kind is ContractKind.Subscription ? t.PeriodSeconds : null,
            t.Kind is ContractKind.Subscription ? Dec(c.Period == (now - c.CreatedAt) / (t.PeriodSeconds * 1_000_000_000UL) ? t.Amount - c.ChargedInPeriod : t.Amount) : null)
        {
            Trigger = t.Kind is ContractKind.StandingOrder ? Addr(t.Confirmer) : null,
            Oracle = Addr(t.Oracle),
            FactKey = t.FactKey.Length == 0 ? null : t.FactKey,
            FactValue = t.FactValue.Length == 0 ? null : t.FactValue,
            MaxExecutions = t.Kind is ContractKind.StandingOrder ? t.MaxExecutions : null,
            Executions = t.Kind is ContractKind.StandingOrder ? c.Executions : null,
            Funded = t.Kind is ContractKind.StandingOrder ? Dec(t.Funded) : null,
        };
    }

    private static string StatusName(ContractStatus status) => status switch
    {
        ContractStatus.Open => "open",
        ContractStatus.Disputed => "disputed",
        _ => "closed",
    };

    private static ProblemException Refused(ResultCode code, string what)
    {
        var status = code switch
        {
            ResultCode.ContractNotFound or ResultCode.CoinNotFound => 404,
            ResultCode.ContractExists or ResultCode.ContractClosed or ResultCode.ContractNonceUsed => 409,
            ResultCode.NotDesignatedParty or ResultCode.ErpKeyNotAuthorized => 403,
            _ => 422,
        };
        return new ProblemException(status, code.ToProblemCode(), "Contract refused", $"{what}: {code.ToProblemCode()}");
    }

    private static UInt128 ParseId(string text)
    {
        try
        {
            return ContractDocument.Id(text, "id");
        }
        catch (ContractDocumentException ex)
        {
            throw new ProblemException(400, ex.Code, "Invalid id", ex.Message);
        }
    }

    // 1 … 2^48 − 1: short enough to type; a collision is refused (contract_exists), never applied.
    private static UInt128 NewId() =>
        (UInt128)RandomNumberGenerator.GetInt32(1, 1 << 24) << 24 | (UInt128)(uint)RandomNumberGenerator.GetInt32(0, 1 << 24);

    private static string Dec(UInt128 value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Dec(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a party asks to sign to grant an ERP key (POST /v1/contracts/erp-keys/typed-data).</summary>
public sealed record ErpKeyDraft(string? Party, string? Erp, string? ValidUntil, string? Nonce = null);

/// <summary>An event on a contract, signed by the designated party (EIP-712, docs/contracts.md).</summary>
public sealed record ContractEventRequest(string? Action, string? Amount, string? Nonce, string? Signature, string? Reason, string? Signer);


/// <summary>An oracle's attestation (EIP-712 <c>OracleFact</c>, docs/contracts.md). <c>oracle</c>, when given, must equal the recovered signer.</summary>
public sealed record OracleFactRequest(string? Key, string? Value, string? ObservedAt, string? Nonce, string? Signature, string? Oracle);

/// <summary>An accepted attestation: its block, the recovered oracle, and the contracts it fired (released or executed).</summary>
public sealed record OracleFactOutcome(string Result, ulong Height, string Oracle, List<string> Fired);
