using System.Collections.Concurrent;
using System.Numerics;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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

    // keccak256("ReceiveSubmission(bytes32 authorization)"): what a payee signs to submit a receiveWithAuthorization.
    private static readonly byte[] ReceiveSubmissionTypeHash = Keccak256.Hash("ReceiveSubmission(bytes32 authorization)"u8);

    public static void Map(WebApplication app, NodeContext node)
    {
        var domains = new DomainCache(node);
        var coins = app.MapGroup("/v1/coins/{symbol}").WithTags("Holder-signed");

        coins.MapPost("/transfer-with-authorization", (string symbol, HttpContext http) => AuthorizationAsync(node, domains, symbol, http, receive: false))
            .WithName("TransferWithAuthorization").WithSummary("EIP-3009 transferWithAuthorization signed by the payer.");
        coins.MapPost("/receive-with-authorization", (string symbol, HttpContext http) => AuthorizationAsync(node, domains, symbol, http, receive: true))
            .WithName("ReceiveWithAuthorization").WithSummary("EIP-3009 receiveWithAuthorization; the payee co-signs the submission.");
        coins.MapPost("/authorized-transfers", (string symbol, HttpContext http) => AuthorizationBatchAsync(node, domains, symbol, http))
            .WithName("AuthorizedTransfers").WithSummary("Up to 8,189 transferWithAuthorization in one durable block.");
        coins.MapPost("/cancel-authorization", (string symbol, HttpContext http) => CancelAsync(node, domains, symbol, http))
            .WithName("CancelAuthorization").WithSummary("EIP-3009 cancelAuthorization signed by the authorizer.");
        coins.MapPost("/permit", (string symbol, HttpContext http) => PermitAsync(node, domains, symbol, http))
            .WithName("Permit").WithSummary("EIP-2612 permit: the owner sets a spender's allowance.");
        coins.MapPost("/transfer-from", (string symbol, HttpContext http) => TransferFromAsync(node, domains, symbol, http))
            .WithName("TransferFrom").WithSummary("A spender moves an owner's coins within its allowance (signed by the spender).");

        coins.MapGet("/authorizations/{authorizer}/{nonce}", (string symbol, string authorizer, string nonce) => GetAuthorizationState(node, domains, symbol, authorizer, nonce))
            .WithName("AuthorizationState").WithSummary("EIP-3009 authorizationState: unused, used or canceled.");
        coins.MapGet("/allowances/{owner}/{spender}", (string symbol, string owner, string spender) => GetAllowance(node, domains, symbol, owner, spender))
            .WithName("Allowance").WithSummary("ERC-20 allowance set by permit.");
        coins.MapGet("/nonces/{owner}", (string symbol, string owner) => GetPermitNonce(node, domains, symbol, owner))
            .WithName("PermitNonce").WithSummary("The owner's next EIP-2612 permit nonce.");
    }

    private static async Task<IResult> AuthorizationAsync(NodeContext node, DomainCache domains, string symbol, HttpContext http, bool receive)
    {
        var domain = domains.Get(symbol);
        var request = await Endpoints.ReadJsonAsync<AuthorizationRequest>(http);
        var checkedRequest = CheckAuthorization(node, domain, request, receive, index: null);
        if (checkedRequest.Error is { } error)
        {
            throw error;
        }

        return await SubmitOneAsync(node, checkedRequest.Command!, AuthorizationId(domain, checkedRequest.Command!));
    }

    private static async Task<IResult> AuthorizationBatchAsync(NodeContext node, DomainCache domains, string symbol, HttpContext http)
    {
        var domain = domains.Get(symbol);
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
                checkedItems[i] = CheckAuthorization(node, domain, items[i], receive: false, index: i);
            }
        }
        else
        {
            Parallel.For(0, items.Count, i => checkedItems[i] = CheckAuthorization(node, domain, items[i], receive: false, index: i));
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

    private static async Task<IResult> CancelAsync(NodeContext node, DomainCache domains, string symbol, HttpContext http)
    {
        var domain = domains.Get(symbol);
        var r = await Endpoints.ReadJsonAsync<CancelAuthorizationRequest>(http);
        ThrowIfWrongDomain(node, domain, r.ChainId, r.VerifyingContract);
        var authorizer = Field(r.Authorizer, "authorizer", null);
        var nonce = Nonce(r.Nonce, null);
        var signature = ParseSignature(r.Signature, r.V, r.R, r.S, null);
        var digest = Eip712.Digest(domain.Separator, Eip3009.CancelAuthorization(authorizer, nonce));
        var signer = Recover(digest, signature, authorizer, "authorizer", null);
        return await SubmitOneAsync(node, new CancelAuthorization(domain.Number, authorizer, nonce, signer), null);
    }

    private static async Task<IResult> PermitAsync(NodeContext node, DomainCache domains, string symbol, HttpContext http)
    {
        var domain = domains.Get(symbol);
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

    private static async Task<IResult> TransferFromAsync(NodeContext node, DomainCache domains, string symbol, HttpContext http)
    {
        var domain = domains.Get(symbol);
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

    private static IResult GetAuthorizationState(NodeContext node, DomainCache domains, string symbol, string authorizer, string nonce)
    {
        var domain = domains.Get(symbol);
        var a = Endpoints.ParseAddress(authorizer);
        var n = Nonce(nonce, null);
        AuthorizationState state;
        using (node.Sequencer.ReadLock())
        {
            state = node.Sequencer.State.GetAuthorizationState(domain.Number, a, n);
        }

        return Results.Json(new AuthorizationStateInfo(domain.Symbol, a.ToString(), n.ToString(), state.ToString().ToLowerInvariant()), JsonDefaults.Options);
    }

    private static IResult GetAllowance(NodeContext node, DomainCache domains, string symbol, string owner, string spender)
    {
        var domain = domains.Get(symbol);
        var o = Endpoints.ParseAddress(owner);
        var s = Endpoints.ParseAddress(spender);
        UInt128 value;
        using (node.Sequencer.ReadLock())
        {
            value = node.Sequencer.State.GetAllowance(domain.Number, o, s);
        }

        return Results.Json(new AllowanceInfo(domain.Symbol, o.ToString(), s.ToString(), Mapping.Dec(value)), JsonDefaults.Options);
    }

    private static IResult GetPermitNonce(NodeContext node, DomainCache domains, string symbol, string owner)
    {
        var domain = domains.Get(symbol);
        var o = Endpoints.ParseAddress(owner);
        ulong nonce;
        using (node.Sequencer.ReadLock())
        {
            nonce = node.Sequencer.State.GetPermitNonce(domain.Number, o);
        }

        return Results.Json(new PermitNonceInfo(domain.Symbol, o.ToString(), nonce.ToString(System.Globalization.CultureInfo.InvariantCulture)), JsonDefaults.Options);
    }

    /// <summary>A checked authorization: the command to apply, or why it was refused.</summary>
    private readonly record struct Checked(TransferWithAuthorization? Command, ProblemException? Error, bool IsSignatureVerdict);

    /// <summary>All stateless checks of one EIP-3009 authorization, without throwing (batches collect verdicts).</summary>
    private static Checked CheckAuthorization(NodeContext node, in CoinDomain domain, AuthorizationRequest r, bool receive, int? index)
    {
        try
        {
            if (CheckDomain(node, domain, r.ChainId, r.VerifyingContract, index) is { } wrongDomain)
            {
                return new Checked(null, wrongDomain, IsSignatureVerdict: true);
            }

            var from = Field(r.From, "from", index);
            var to = Field(r.To, "to", index);
            var value = Uint(r.Value, "value", index);
            var amount = Amount(value, "value", index);
            var validAfter = Uint(r.ValidAfter, "validAfter", index);
            var validBefore = Uint(r.ValidBefore, "validBefore", index);
            var nonce = Nonce(r.Nonce, index);
            var signature = ParseSignature(r.Signature, r.V, r.R, r.S, index);

            var structHash = receive
                ? Eip3009.ReceiveWithAuthorization(from, to, value, validAfter, validBefore, nonce)
                : Eip3009.TransferWithAuthorization(from, to, value, validAfter, validBefore, nonce);
            var digest = Eip712.Digest(domain.Separator, structHash);
            try
            {
                var signer = Recover(digest, signature, from, "from", index);
                var submitter = Address.Zero;
                if (receive)
                {
                    submitter = RecoverPayee(domain, digest, r.PayeeSignature, to);
                }

                return new Checked(new TransferWithAuthorization(domain.Number, from, to, amount, Clamp(validAfter), Clamp(validBefore), nonce, signer, receive, submitter), null, false);
            }
            catch (ProblemException verdict)
            {
                return new Checked(null, verdict, IsSignatureVerdict: true);
            }
        }
        catch (ProblemException malformed)
        {
            // Value out of range is a verdict on this item, not a malformed request.
            return new Checked(null, malformed, malformed.Code == ResultCode.ValueOutOfRange.ToProblemCode());
        }
    }

    private static Address RecoverPayee(in CoinDomain domain, in Hash32 authorizationDigest, string? payeeSignature, Address to)
    {
        if (payeeSignature is null)
        {
            throw Refused(ResultCode.CallerMustBePayee,
                "receiveWithAuthorization must be submitted by the payee: add 'payeeSignature', the payee's EIP-712 signature of ReceiveSubmission(bytes32 authorization)", null);
        }

        var signature = ParseSignature(payeeSignature, null, null, null, null);
        Span<byte> buffer = stackalloc byte[64];
        ReceiveSubmissionTypeHash.CopyTo(buffer);
        authorizationDigest.WriteTo(buffer[32..]);
        var digest = Eip712.Digest(domain.Separator, Hash32.FromBytes(Keccak256.Hash(buffer)));
        if (!signature.IsLowS)
        {
            throw Refused(ResultCode.SignatureHighS, "the payee signature's s is in the upper half of the curve order", null);
        }

        if (!Secp256k1.Default.TryRecover(digest, signature, out var payee) || payee != to)
        {
            throw Refused(ResultCode.CallerMustBePayee, $"receiveWithAuthorization must be submitted by the payee {to}; the submission was signed by someone else", null);
        }

        return payee;
    }

    private static ProblemException? CheckDomain(NodeContext node, in CoinDomain domain, string? chainId, string? verifyingContract, int? index)
    {
        if (chainId is not null && (!Uint256Text.TryParse(chainId, out var id) || id != node.Options.ChainId))
        {
            return Refused(ResultCode.WrongChainId, $"signed for chain {chainId}; this network is chain {node.Options.ChainId}", index);
        }

        if (verifyingContract is not null && (!Address.TryParse(verifyingContract, out var contract) || contract != domain.VerifyingContract))
        {
            return Refused(ResultCode.WrongVerifyingContract, $"signed for verifying contract {verifyingContract}; coin {domain.Symbol} is {domain.VerifyingContract}", index);
        }

        return null;
    }

    private static void ThrowIfWrongDomain(NodeContext node, in CoinDomain domain, string? chainId, string? verifyingContract)
    {
        if (CheckDomain(node, domain, chainId, verifyingContract, null) is { } wrong)
        {
            throw wrong;
        }
    }

    private static Address Recover(in Hash32 digest, in Signature signature, Address expected, string role, int? index)
    {
        if (!signature.IsLowS)
        {
            throw Refused(ResultCode.SignatureHighS, "the signature's s is in the upper half of the curve order (EIP-2): only low-s signatures are accepted", index);
        }

        if (!Secp256k1.Default.TryRecover(digest, signature, out var signer))
        {
            throw Refused(ResultCode.SignatureInvalid, "no public key recovers from this signature", index);
        }

        return signer == expected
            ? signer
            : throw Refused(ResultCode.SignerMismatch, $"signed by {signer}, not by the {role} {expected} (or signed over other fields or another domain)", index);
    }

    private static Signature ParseSignature(string? hex, int? v, string? r, string? s, int? index)
    {
        if (hex is not null)
        {
            return Signature.TryParse(hex, out var sig)
                ? sig
                : throw Refused(ResultCode.SignatureInvalid, "'signature' must be 65 bytes (r‖s‖v) as 0x-hex", index);
        }

        if (v is null || r is null || s is null)
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "give 'signature' (65 bytes, 0x-hex) or all of 'v', 'r' and 's'", index);
        }

        if (v is not (0 or 1 or 27 or 28) || !Hash32.TryParse(r, out var rr) || !Hash32.TryParse(s, out var ss))
        {
            throw Refused(ResultCode.SignatureInvalid, "'v' must be 27 or 28 and 'r', 's' 32-byte 0x-hex", index);
        }

        Span<byte> bytes = stackalloc byte[65];
        rr.WriteTo(bytes);
        ss.WriteTo(bytes[32..]);
        bytes[64] = (byte)(v < 27 ? v + 27 : v);
        return Signature.FromBytes(bytes);
    }

    private static Address Field(string? text, string name, int? index)
    {
        if (text is null)
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", $"'{name}' is required", index);
        }

        return Address.TryParse(text, out var a)
            ? a
            : throw new ProblemException(400, ProblemCodes.InvalidAddress, "Invalid address", $"'{name}': '{text}' is not a 0x-prefixed 20-byte address with a valid EIP-55 checksum", index);
    }

    private static Hash32 Nonce(string? text, int? index) => Hash32.TryParse(text, out var n)
        ? n
        : throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'nonce' must be 32 bytes as 0x-hex", index);

    private static BigInteger Uint(string? text, string name, int? index)
    {
        if (!Uint256Text.TryParse(text, out var value))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'{name}' must be an unsigned integer (decimal or 0x-hex)", index);
        }

        return value <= Uint256Text.Max
            ? value
            : throw Refused(ResultCode.ValueOutOfRange, $"'{name}' exceeds uint256", index);
    }

    private static UInt128 Amount(BigInteger value, string name, int? index)
    {
        if (value > (BigInteger)UInt128.MaxValue)
        {
            throw Refused(ResultCode.ValueOutOfRange, $"'{name}' {value} exceeds the ledger's range (2^128 - 1)", index);
        }

        return value.IsZero
            ? throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'{name}' must be positive", index)
            : (UInt128)value;
    }

    /// <summary>Times are uint256 when signed; beyond 2^64 - 1 seconds ledger time never reaches them, so
    /// clamping keeps their meaning.</summary>
    private static ulong Clamp(BigInteger seconds) => seconds > ulong.MaxValue ? ulong.MaxValue : (ulong)seconds;

    private static UInt128 AuthorizationId(in CoinDomain domain, TransferWithAuthorization c) =>
        LedgerState.AuthorizationTransferId(domain.Number, c.From, c.Nonce);

    private static ProblemException Refused(ResultCode code, string detail, int? index) =>
        new(Status(code), code.ToProblemCode(), "Command refused", detail, index);

    private static int Status(ResultCode code) => code switch
    {
        ResultCode.AuthorizationUsed or ResultCode.AuthorizationCanceled => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

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

    /// <summary>What a coin's signatures are checked against; coins never change once created.</summary>
    private readonly record struct CoinDomain(uint Number, string Symbol, Hash32 Separator, Address VerifyingContract);

    private sealed class DomainCache(NodeContext node)
    {
        private readonly ConcurrentDictionary<string, CoinDomain> _domains = new(StringComparer.Ordinal);

        public CoinDomain Get(string symbol)
        {
            if (_domains.TryGetValue(symbol, out var d))
            {
                return d;
            }

            using (node.Sequencer.ReadLock())
            {
                if (!node.Sequencer.State.TryGetCoin(symbol, out var coin))
                {
                    throw new ProblemException(404, ProblemCodes.CoinNotFound, "Unknown coin", $"no coin '{symbol}'");
                }

                var separator = new CryptoDomain(coin.Name, coin.Version, new BigInteger(node.Options.ChainId), coin.VerifyingContract, null).Separator();
                d = new CoinDomain(coin.Number, coin.Symbol, separator, coin.VerifyingContract);
            }

            return _domains.GetOrAdd(symbol, d);
        }
    }
}
