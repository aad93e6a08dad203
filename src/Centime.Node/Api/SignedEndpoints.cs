using System.Collections.Concurrent;
using System.Numerics;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static Centime.Node.Signing.AuthorizationChecker;
using CryptoDomain = Centime.Crypto.Eip712Domain;

namespace Centime.Node.Api;

/// <summary>
/// Holder-signed commands: EIP-3009 transfer/receive/cancel, EIP-2612 permit, and spender pulls. No operator
/// key: the signature is the authority. Everything that does not depend on state is checked here, on the
/// request threads and so in parallel (parsing, domain, signature recovery, signer and payee checks); the
/// sequencer then applies the command with the recovered signer, checking nonce state, validity window against
/// ledger time, balances and allowances. A request refused here reaches neither the journal nor the state.
/// </summary>
public static class SignedEndpoints
{
    public const int MaxBatch = 8189;

    private const int ParallelThreshold = 32;

    public static void Map(WebApplication app, NodeContext node)
    {
        var checker = new AuthorizationChecker(node);
        var coins = app.MapGroup("/v1/coins/{symbol}").WithTags("Holder-signed");

        coins.MapPost("/transfer-with-authorization", (string symbol, HttpContext http) => AuthorizationAsync(node, checker, symbol, http, receive: false))
            .WithName("TransferWithAuthorization").WithSummary("EIP-3009 transferWithAuthorization signed by the payer.").Public();
        coins.MapPost("/receive-with-authorization", (string symbol, HttpContext http) => AuthorizationAsync(node, checker, symbol, http, receive: true))
            .WithName("ReceiveWithAuthorization").WithSummary("EIP-3009 receiveWithAuthorization; the payee co-signs the submission.").Public();
        coins.MapPost("/authorized-transfers", (string symbol, HttpContext http) => AuthorizationBatchAsync(node, checker, symbol, http))
            .WithName("AuthorizedTransfers").WithSummary("Up to 8,189 transferWithAuthorization in one durable block.").Public();
        coins.MapPost("/cancel-authorization", (string symbol, HttpContext http) => CancelAsync(node, checker, symbol, http))
            .WithName("CancelAuthorization").WithSummary("EIP-3009 cancelAuthorization signed by the authorizer.").Public();
        coins.MapPost("/permit", (string symbol, HttpContext http) => PermitAsync(node, checker, symbol, http))
            .WithName("Permit").WithSummary("EIP-2612 permit: the owner sets a spender's allowance.").Public();
        coins.MapPost("/transfer-from", (string symbol, HttpContext http) => TransferFromAsync(node, checker, symbol, http))
            .WithName("TransferFrom").WithSummary("A spender moves an owner's coins within its allowance (signed by the spender).").Public();

        coins.MapGet("/authorizations/{authorizer}/{nonce}", (string symbol, string authorizer, string nonce) => GetAuthorizationState(node, checker, symbol, authorizer, nonce))
            .WithName("AuthorizationState").WithSummary("EIP-3009 authorizationState: unused, used or canceled.").Public();
        coins.MapGet("/allowances/{owner}/{spender}", (string symbol, string owner, string spender) => GetAllowance(node, checker, symbol, owner, spender))
            .WithName("Allowance").WithSummary("ERC-20 allowance set by permit.").Public();
        coins.MapGet("/nonces/{owner}", (string symbol, string owner) => GetPermitNonce(node, checker, symbol, owner))
            .WithName("PermitNonce").WithSummary("The owner's next EIP-2612 permit nonce.").Public();
    }

    private static async Task<IResult> AuthorizationAsync(NodeContext node, AuthorizationChecker checker, string symbol, HttpContext http, bool receive)
    {
        var domain = checker.Domain(symbol);
        var request = await Endpoints.ReadJsonAsync<AuthorizationRequest>(http);
        var checkedRequest = checker.Check(domain, request, receive, index: null);
        if (checkedRequest.Error is { } error)
        {
            throw error;
        }

        return await SubmitOneAsync(node, checkedRequest.Command!, AuthorizationId(domain, checkedRequest.Command!));
    }

    private static async Task<IResult> AuthorizationBatchAsync(NodeContext node, AuthorizationChecker checker, string symbol, HttpContext http)
    {
        var domain = checker.Domain(symbol);
        var request = await Endpoints.ReadJsonAsync<AuthorizationBatchRequest>(http);
        var items = request.Authorizations ?? throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'authorizations' is required");
        if (items.Count == 0)
        {
            throw new ProblemException(400, ProblemCodes.BatchEmpty, "Empty batch", "'authorizations' is empty");
        }

        if (items.Count > MaxBatch)
        {
            throw new ProblemException(400, ProblemCodes.BatchTooLarge, "Batch too large", $"at most {MaxBatch} authorizations per request");
        }

        // Recovery is the expensive part (~35 µs each): spread it over the cores.
        var checkedItems = new Checked[items.Count];
        if (items.Count < ParallelThreshold)
        {
            for (var i = 0; i < items.Count; i++)
            {
                checkedItems[i] = checker.Check(domain, items[i], receive: false, index: i);
            }
        }
        else
        {
            Parallel.For(0, items.Count, i => checkedItems[i] = checker.Check(domain, items[i], receive: false, index: i));
        }

        // Malformed input refuses the whole request (nothing applied); signature verdicts are per item.
        var commands = new List<Command>(items.Count);
        foreach (var c in checkedItems)
        {
            if (c.Error is { } e && !c.IsSignatureVerdict)
            {
                throw e;
            }

            if (c.Command is not null)
            {
                commands.Add(Command.Of(c.Command));
            }
        }

        ulong height = 0;
        CommandResult[] results = [];
        if (commands.Count > 0)
        {
            var receipt = await Endpoints.SubmitAsync(node, [.. commands]);
            height = receipt.Height;
            results = receipt.Results;
        }

        var output = new SignedBatchResult[items.Count];
        var next = 0;
        var succeeded = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var c = checkedItems[i];
            if (c.Command is null)
            {
                output[i] = new SignedBatchResult(i, c.Error!.Code, null);
                continue;
            }

            var code = results[next++].Code;
            succeeded += code == ResultCode.Ok ? 1 : 0;
            output[i] = new SignedBatchResult(i, code == ResultCode.Ok ? "ok" : code.ToProblemCode(), code == ResultCode.Ok ? Mapping.Dec(AuthorizationId(domain, c.Command)) : null);
        }

        return Results.Json(new SignedBatchResponse(height, succeeded, items.Count - succeeded, output), JsonDefaults.Options);
    }

    private static async Task<IResult> CancelAsync(NodeContext node, AuthorizationChecker checker, string symbol, HttpContext http)
    {
        var domain = checker.Domain(symbol);
        var r = await Endpoints.ReadJsonAsync<CancelAuthorizationRequest>(http);
        ThrowIfWrongDomain(node, domain, r.ChainId, r.VerifyingContract);
        var authorizer = Field(r.Authorizer, "authorizer", null);
        var nonce = Nonce(r.Nonce, null);
        var signature = ParseSignature(r.Signature, r.V, r.R, r.S, null);
        var digest = Eip712.Digest(domain.Separator, Eip3009.CancelAuthorization(authorizer, nonce));
        var signer = Recover(digest, signature, authorizer, "authorizer", null);
        return await SubmitOneAsync(node, new CancelAuthorization(domain.Number, authorizer, nonce, signer), null);
    }

    private static async Task<IResult> PermitAsync(NodeContext node, AuthorizationChecker checker, string symbol, HttpContext http)
    {
        var domain = checker.Domain(symbol);
        var r = await Endpoints.ReadJsonAsync<PermitRequest>(http);
        ThrowIfWrongDomain(node, domain, r.ChainId, r.VerifyingContract);
        var owner = Field(r.Owner, "owner", null);
        var spender = Field(r.Spender, "spender", null);
        var value = Uint(r.Value, "value", null);
        var nonce = Uint(r.Nonce, "nonce", null);
        var deadline = Uint(r.Deadline, "deadline", null);

        // uint256 max is the conventional "unlimited" allowance; anything else must fit the ledger's 128 bits.
        var allowance = value == Uint256Text.Max ? UInt128.MaxValue : Amount(value, "value", null);
        if (nonce > ulong.MaxValue)
        {
            throw Refused(ResultCode.NonceInvalid, $"permit nonce {nonce} is not the owner's next nonce", null);
        }

        var signature = ParseSignature(r.Signature, r.V, r.R, r.S, null);
        var digest = Eip712.Digest(domain.Separator, Eip3009.Permit(owner, spender, value, nonce, deadline));
        var signer = Recover(digest, signature, owner, "owner", null);
        return await SubmitOneAsync(node, new Permit(domain.Number, owner, spender, allowance, (ulong)nonce, Clamp(deadline), signer), null);
    }

    private static async Task<IResult> TransferFromAsync(NodeContext node, AuthorizationChecker checker, string symbol, HttpContext http)
    {
        var domain = checker.Domain(symbol);
        var r = await Endpoints.ReadJsonAsync<TransferFromRequest>(http);
        ThrowIfWrongDomain(node, domain, r.ChainId, r.VerifyingContract);
        var spender = Field(r.Spender, "spender", null);
        var from = Field(r.From, "from", null);
        var to = Field(r.To, "to", null);
        var value = Uint(r.Value, "value", null);
        var amount = Amount(value, "value", null);
        var nonce = Nonce(r.Nonce, null);
        var validBefore = Uint(r.ValidBefore, "validBefore", null);
        var signature = ParseSignature(r.Signature, r.V, r.R, r.S, null);
        var digest = Eip712.Digest(domain.Separator, Eip3009.TransferFrom(spender, from, to, value, nonce, validBefore));
        var signer = Recover(digest, signature, spender, "spender", null);
        var command = new TransferFrom(domain.Number, spender, from, to, amount, nonce, Clamp(validBefore), signer);
        return await SubmitOneAsync(node, command, LedgerState.AuthorizationTransferId(domain.Number, spender, nonce));
    }

    private static IResult GetAuthorizationState(NodeContext node, AuthorizationChecker checker, string symbol, string authorizer, string nonce)
    {
        var domain = checker.Domain(symbol);
        var a = Endpoints.ParseAddress(authorizer);
        var n = Nonce(nonce, null);
        AuthorizationState state;
        using (var view = node.Read())
        {
            state = view.State.GetAuthorizationState(domain.Number, a, n);
        }

        return Results.Json(new AuthorizationStateInfo(domain.Symbol, a.ToString(), n.ToString(), state.ToString().ToLowerInvariant()), JsonDefaults.Options);
    }

    private static IResult GetAllowance(NodeContext node, AuthorizationChecker checker, string symbol, string owner, string spender)
    {
        var domain = checker.Domain(symbol);
        var o = Endpoints.ParseAddress(owner);
        var s = Endpoints.ParseAddress(spender);
        UInt128 value;
        using (var view = node.Read())
        {
            value = view.State.GetAllowance(domain.Number, o, s);
        }

        return Results.Json(new AllowanceInfo(domain.Symbol, o.ToString(), s.ToString(), Mapping.Dec(value)), JsonDefaults.Options);
    }

    private static IResult GetPermitNonce(NodeContext node, AuthorizationChecker checker, string symbol, string owner)
    {
        var domain = checker.Domain(symbol);
        var o = Endpoints.ParseAddress(owner);
        ulong nonce;
        using (var view = node.Read())
        {
            nonce = view.State.GetPermitNonce(domain.Number, o);
        }

        return Results.Json(new PermitNonceInfo(domain.Symbol, o.ToString(), nonce.ToString(System.Globalization.CultureInfo.InvariantCulture)), JsonDefaults.Options);
    }


    private static async Task<IResult> SubmitOneAsync(NodeContext node, CommandBody body, UInt128? transferId)
    {
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(body)]);
        var result = receipt.Results[0];
        if (result.Code != ResultCode.Ok)
        {
            throw new ProblemException(Status(result.Code), result.Code.ToProblemCode(), "Command refused", Describe(result.Code));
        }

        return Results.Json(new SignedOutcome("ok", transferId is { } id ? Mapping.Dec(id) : null, receipt.Height, result.Timestamp), JsonDefaults.Options);
    }

    private static string Describe(ResultCode code) => code switch
    {
        ResultCode.AuthorizationUsed => "this (authorizer, nonce) authorization was already used",
        ResultCode.AuthorizationCanceled => "this (authorizer, nonce) authorization was canceled",
        ResultCode.AuthorizationNotYetValid => "ledger time is not after validAfter yet",
        ResultCode.AuthorizationExpired => "ledger time is not before validBefore",
        ResultCode.PermitExpired => "ledger time is past the permit's deadline",
        ResultCode.NonceInvalid => "the permit nonce is not the owner's next nonce (see GET /v1/coins/{symbol}/nonces/{owner})",
        ResultCode.InsufficientAllowance => "the spender's allowance is smaller than the value",
        ResultCode.ExceedsBalance => "the payer's available balance is smaller than the value",
        _ => code.ToProblemCode(),
    };

}
