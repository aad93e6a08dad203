using System.Globalization;
using System.Numerics;
using Centime.Agents.X402;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Api;
using Centime.Node.Sequencing;
using Centime.Node.Signing;

namespace Centime.Node.X402;

/// <summary>
/// The node's x402 facilitator for the <c>exact</c> scheme with EIP-3009 on this ledger's network
/// (<c>eip155:&lt;ChainId&gt;</c>). Verification runs the reference checks in the reference order
/// (docs/x402.md): version, scheme and EIP-712 name/version, network and asset, signature, recipient, validity
/// window, value, then state (nonce unused, funds). Settlement submits the signed
/// <c>TransferWithAuthorization</c> to the sequencer: the ledger's nonce is the replay guard, so a payment
/// (authorizer, nonce) moves money at most once however many settles race; settling the identical payment again
/// answers the first settlement (same <c>transaction</c>), a different payment with a used nonce is refused.
/// Usable in process (it is an <see cref="IX402Facilitator"/>) and over HTTP (<see cref="FacilitatorEndpoints"/>).
/// </summary>
public sealed partial class NodeFacilitator : IX402Facilitator, IX402ChannelFacilitator
{
    /// <summary>The facilitator refuses authorizations that expire within this many seconds (reference: 6).</summary>
    public const int ValidBeforeMarginSeconds = 6;

    private readonly NodeContext _node;
    private const int RecoveryCacheSize = 65_536;

    /// <summary>How long a successful verify holds its authorization for the resource server that asked.</summary>
    public const int VerifyLeaseSeconds = 300;

    private const int MaxVerifyLeases = 1_000_000;

    private readonly AuthorizationChecker _checker;

    /// <summary>
    /// Authorizations (coin, from, nonce) that verified and have not settled yet, with the Unix second their hold
    /// ends. A resource server runs its handler between verify and settle (the reference flow), so without this 50
    /// concurrent copies of one payment all verify, all run the handler, and only settle tells them apart.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(uint Coin, Address From, Hash32 Nonce), long> _verifyLeases = new();
    private long _lastLeaseSweep;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Hash32, (Signature Signature, Address Signer)> _recovered = new();

    public NodeFacilitator(NodeContext node)
    {
        _node = node;
        _checker = new AuthorizationChecker(node);
        Resources = new ResourceRegistry(node.Options.X402DiscoveryCapacity);
        Network = "eip155:" + node.Options.ChainId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>This ledger's CAIP-2 network.</summary>
    public string Network { get; }

    /// <summary>Listings registered by their payTo's signature (<c>GET /x402/discovery/resources</c>).</summary>
    public ResourceRegistry Resources { get; }

    /// <summary>The ledger transfer id as x402's <c>transaction</c>: 0x + 32 lowercase hex digits (the 128-bit id, big-endian).</summary>
    public static string TransactionOf(UInt128 transferId) => "0x" + transferId.ToString("x32", CultureInfo.InvariantCulture);

    public Task<SupportedResponse> GetSupportedAsync(CancellationToken cancellationToken = default) => Task.FromResult(Supported());

    internal SupportedResponse Supported() => new()
    {
        Kinds = [new SupportedKind { X402Version = 2, Scheme = "exact", Network = Network }, new SupportedKind { X402Version = 1, Scheme = "exact", Network = Network }],
        Extensions = [],
        Signers = [],
    };

    public async Task<VerifyResponse> VerifyAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default)
    {
        requirements = requirements?.Normalized()!;
        var c = Check(payload, requirements);
        if (c.Reason is not null)
        {
            return VerifyResponse.Invalid(c.Reason, c.Message, c.Payer);
        }

        // Check 8, the reference's simulation: what the ledger would say now.
        var command = c.Command!;
        AuthorizationState state;
        Int128 available = 0;
        ulong seen;
        using (var view = _node.ReadDeferred())
        {
            var st = view.State;
            seen = view.Height;
            state = st.GetAuthorizationState(command.Coin, command.From, command.Nonce);
            if (st.TryGetAccount(command.Coin, command.From, out var account))
            {
                available = account.Available;
            }
        }

        // Answer only from durable state, without holding a thread while the block we saw is fsynced.
        await _node.Sequencer.WaitDurableAsync(seen).ConfigureAwait(false);

        if (state != AuthorizationState.Unused)
        {
            return VerifyResponse.Invalid(X402ErrorReasons.NonceAlreadyUsed, $"authorization ({command.From}, {command.Nonce}) is {state.ToString().ToLowerInvariant()}", c.Payer);
        }

        if (available < (Int128)command.Value)
        {
            return VerifyResponse.Invalid(X402ErrorReasons.InsufficientFunds, $"available {available} < {command.Value}", c.Payer);
        }

        if (!TryLease(command))
        {
            return VerifyResponse.Invalid(X402ErrorReasons.NonceAlreadyUsed,
                $"authorization ({command.From}, {command.Nonce}) was already verified for another request and is awaiting settlement: a payment buys one response", c.Payer);
        }

        return VerifyResponse.Valid(c.Payer!);
    }

    /// <summary>
    /// Takes the one verify lease of an authorization: until it settles, or for <see cref="VerifyLeaseSeconds"/>
    /// (at most until validBefore, after which it cannot settle anyway), a second verify of it is refused.
    /// </summary>
    private bool TryLease(TransferWithAuthorization command)
    {
        var now = (long)(Sequencer.NowNanoseconds() / 1_000_000_000UL);
        var until = Math.Min(now + VerifyLeaseSeconds, (long)Math.Min(command.ValidBefore, (ulong)long.MaxValue));
        SweepLeases(now);
        var key = (command.Coin, command.From, command.Nonce);
        while (true)
        {
            if (_verifyLeases.TryAdd(key, until))
            {
                return true;
            }

            if (!_verifyLeases.TryGetValue(key, out var held))
            {
                continue;
            }

            if (held > now)
            {
                return false;
            }

            // An expired lease: take it over, unless another verify just did.
            if (_verifyLeases.TryUpdate(key, until, held))
            {
                return true;
            }
        }
    }

    private void SweepLeases(long now)
    {
        var last = Interlocked.Read(ref _lastLeaseSweep);
        if ((now - last < 1 && _verifyLeases.Count < MaxVerifyLeases) || Interlocked.CompareExchange(ref _lastLeaseSweep, now, last) != last)
        {
            return;
        }

        foreach (var (key, until) in _verifyLeases)
        {
            if (until <= now)
            {
                _verifyLeases.TryRemove(KeyValuePair.Create(key, until));
            }
        }
    }

    public async Task<SettleResponse> SettleAsync(PaymentPayload payload, PaymentRequirements requirements, CancellationToken cancellationToken = default)
    {
        var (response, _) = await SettleOnceAsync(payload, requirements);
        return response;
    }

    /// <summary>Settles a payment; <c>AlreadySettled</c> when this very payment had settled before (the answer is
    /// then a refusal: a payment buys one thing).</summary>
    private async Task<(SettleResponse Response, bool AlreadySettled)> SettleOnceAsync(PaymentPayload payload, PaymentRequirements requirements)
    {
        requirements = requirements?.Normalized()!;
        var c = Check(payload, requirements);
        var network = requirements.Network ?? "";
        if (c.Reason is not null)
        {
            return (SettleResponse.Failed(c.Reason, network, c.Message, c.Payer), false);
        }

        var command = c.Command!;
        var id = LedgerState.AuthorizationTransferId(command.Coin, command.From, command.Nonce);
        Receipt receipt;
        try
        {
            receipt = await Endpoints.SubmitAsync(_node, [Command.Of(command)]);
        }
        catch (ProblemException ex)
        {
            return (SettleResponse.Failed(X402ErrorReasons.UnexpectedSettleError, network, ex.Detail, c.Payer), false);
        }

        var code = receipt.Results[0].Code;
        // Settled or refused: the verify lease has done its work (from here the ledger's nonce answers).
        _verifyLeases.TryRemove((command.Coin, command.From, command.Nonce), out _);

        var success = new SettleResponse { Success = true, Transaction = TransactionOf(id), Network = network, Payer = c.Payer, Amount = requirements.Amount };
        switch (code)
        {
            case ResultCode.Ok:
                return (success, false);
            case ResultCode.AuthorizationUsed when IsSameTransfer(id, command):
                // A duplicate of a payment that already settled (or a concurrent copy that lost the race): the
                // money moved once, and a resource server that serves on success:true must not serve it again —
                // the reference chain refuses it the same way (the second transferWithAuthorization reverts).
                // A caller unsure whether its first settle went through looks the transaction up instead
                // (docs/x402.md, "Settle timed out?").
                return (SettleResponse.Failed(X402ErrorReasons.NonceAlreadyUsed, network,
                    $"this payment already settled as transaction {TransactionOf(id)}; it buys one response (GET /v1/transfers/{TransactionOf(id)})", c.Payer), true);
            case ResultCode.AuthorizationUsed or ResultCode.AuthorizationCanceled:
                return (SettleResponse.Failed(X402ErrorReasons.NonceAlreadyUsed, network, $"authorization ({command.From}, {command.Nonce}) was already used for another payment or canceled", c.Payer), false);
            case ResultCode.ExceedsBalance or ResultCode.DebitAccountNotFound:
                // The same reason verify gives for an unfunded payer (no account reads as balance 0).
                return (SettleResponse.Failed(X402ErrorReasons.InsufficientFunds, network, "the payer's available balance is smaller than the value", c.Payer), false);
            case ResultCode.AuthorizationExpired:
                return (SettleResponse.Failed(X402ErrorReasons.InvalidValidBefore, network, "ledger time is not before validBefore", c.Payer), false);
            case ResultCode.AuthorizationNotYetValid:
                return (SettleResponse.Failed(X402ErrorReasons.InvalidValidAfter, network, "ledger time is not after validAfter yet", c.Payer), false);
            default:
                return (SettleResponse.Failed(X402ErrorReasons.InvalidTransactionState, network, "the ledger refused the transfer: " + code.ToProblemCode(), c.Payer), false);
        }
    }

    /// <summary>What became of the payment (asset, from, nonce): its deterministic transaction id and the state of
    /// its authorization (<c>unused</c>: not settled, safe to settle; <c>used</c>: settled when the transfer exists;
    /// <c>canceled</c>). Null when the asset is not a coin here.</summary>
    public async Task<PaymentLookup?> LookUpAsync(Address asset, Address from, Hash32 nonce)
    {
        if (!_checker.TryGetDomain(asset, out var domain))
        {
            return null;
        }

        var id = LedgerState.AuthorizationTransferId(domain.Number, from, nonce);
        PaymentLookup found;
        ulong seen;
        using (var view = _node.ReadDeferred())
        {
            var st = view.State;
            seen = view.Height;
            var state = st.GetAuthorizationState(domain.Number, from, nonce);
            var settled = st.TryGetTransfer(id, out var t);
            found = new PaymentLookup(TransactionOf(id), state.ToString().ToLowerInvariant(), settled,
                settled ? t.Transfer.CreditAccount.ToString() : null, settled ? t.Transfer.Amount.ToString(CultureInfo.InvariantCulture) : null);
        }

        // What is shown is durable: answer once the block we read is fsynced.
        await _node.Sequencer.WaitDurableAsync(seen).ConfigureAwait(false);
        return found;
    }

    private bool IsSameTransfer(UInt128 id, TransferWithAuthorization command)
    {
        using (var view = _node.Read())
        {
            return view.State.TryGetTransfer(id, out var stored)
                   && stored.Transfer.Coin == command.Coin && stored.Transfer.DebitAccount == command.From
                   && stored.Transfer.CreditAccount == command.To && stored.Transfer.Amount == command.Value;
        }
    }

    /// <summary>Outcome of the stateless checks: the command to apply, or the x402 reason it is refused.</summary>
    private readonly record struct Checked(TransferWithAuthorization? Command, string? Reason, string? Message, string? Payer);

    private static Checked Refuse(string reason, string message, string? payer = null) => new(null, reason, message, payer);

    /// <summary>Checks 1-6 of the reference <c>verifyEIP3009</c>, in its order (7, the asset's code, is the coin lookup).</summary>
    private Checked Check(PaymentPayload payload, PaymentRequirements requirements)
    {
        if (payload is null || requirements is null)
        {
            return Refuse(X402ErrorReasons.InvalidPayload, "paymentPayload and paymentRequirements are required");
        }

        if (payload.X402Version is not (1 or 2))
        {
            return Refuse(X402ErrorReasons.InvalidX402Version, $"x402Version {payload.X402Version} is not supported (1, 2)");
        }

        var scheme = payload.X402Version == 2 ? payload.Accepted?.Scheme : payload.Scheme;
        var network = payload.X402Version == 2 ? payload.Accepted?.Network : payload.Network;
        if (scheme is null || network is null)
        {
            return Refuse(X402ErrorReasons.InvalidPayload, payload.X402Version == 2 ? "'accepted' with scheme and network is required" : "'scheme' and 'network' are required");
        }

        // 1. scheme, and the EIP-712 name/version the client signed with
        if (scheme != requirements.Scheme)
        {
            return Refuse(X402ErrorReasons.InvalidScheme, $"payment scheme '{scheme}' is not the required '{requirements.Scheme}'");
        }

        if (requirements.Scheme != "exact")
        {
            return Refuse(X402ErrorReasons.UnsupportedScheme, $"scheme '{requirements.Scheme}' is not supported (exact)");
        }

        if (requirements.ExtraString("name") is null || requirements.ExtraString("version") is null)
        {
            return Refuse(X402ErrorReasons.InvalidPaymentRequirements, "extra.name and extra.version (the asset's EIP-712 domain) are required");
        }

        // 2. network: the payment's, the requirements' and this ledger's
        if (network != requirements.Network || requirements.Network != Network)
        {
            return Refuse(X402ErrorReasons.InvalidNetwork, $"network '{network}' / '{requirements.Network}': this facilitator settles on {Network}");
        }

        if (!Address.TryParse(requirements.Asset, out var asset) || !_checker.TryGetDomain(asset, out var domain))
        {
            return Refuse(X402ErrorReasons.InvalidPaymentRequirements, $"asset '{requirements.Asset}' is not a coin's verifying contract on {Network}");
        }

        if (!Address.TryParse(requirements.PayTo, out var payTo) || !UInt128.TryParse(requirements.Amount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return Refuse(X402ErrorReasons.InvalidPaymentRequirements, "payTo must be an address and amount an unsigned decimal integer");
        }

        if (!TryReadPayload(payload, out var exact))
        {
            return Refuse(X402ErrorReasons.InvalidPayload, "payload must be {signature, authorization{from,to,value,validAfter,validBefore,nonce}}");
        }

        var a = exact.Authorization;
        if (!Address.TryParse(a.From, out var from) || !Address.TryParse(a.To, out var to)
            || !Uint256Text.TryParse(a.Value, out var value) || !Uint256Text.TryParse(a.ValidAfter, out var validAfter)
            || !Uint256Text.TryParse(a.ValidBefore, out var validBefore) || !Hash32.TryParse(a.Nonce, out var nonce)
            || value > Uint256Text.Max || validAfter > Uint256Text.Max || validBefore > Uint256Text.Max)
        {
            return Refuse(X402ErrorReasons.InvalidPayload, "authorization fields: from/to addresses, value/validAfter/validBefore uint256 decimals, nonce 32-byte 0x-hex");
        }

        var payer = from.ToString();

        // 3. the EIP-712 signature recovers to `from`
        if (!Signature.TryParse(exact.Signature, out var signature))
        {
            return Refuse(X402ErrorReasons.InvalidSignature, "signature must be 65 bytes (r‖s‖v) as 0x-hex", payer);
        }

        var digest = Eip712.Digest(domain.Separator, Eip3009.TransferWithAuthorization(from, to, value, validAfter, validBefore, nonce));
        if (!TryRecoverCached(digest, signature, out var signer) || signer != from)
        {
            return Refuse(X402ErrorReasons.InvalidSignature,
                $"the signature does not recover to {from} over TransferWithAuthorization in the {domain.Symbol} domain (name/version/chainId/verifyingContract)", payer);
        }

        // 4. recipient
        if (to != payTo)
        {
            return Refuse(X402ErrorReasons.RecipientMismatch, $"authorization pays {to}, the resource's payTo is {payTo}", payer);
        }

        // 5. validity window (wall clock; the ledger checks again against ledger time)
        var now = new BigInteger(Sequencer.NowNanoseconds() / 1_000_000_000UL);
        if (validBefore < now + ValidBeforeMarginSeconds)
        {
            return Refuse(X402ErrorReasons.InvalidValidBefore, $"validBefore {validBefore} is before now+{ValidBeforeMarginSeconds} ({now + ValidBeforeMarginSeconds})", payer);
        }

        if (validAfter > now)
        {
            return Refuse(X402ErrorReasons.InvalidValidAfter, $"validAfter {validAfter} is after now ({now})", payer);
        }

        // 6. value, exactly
        if (value != (BigInteger)amount)
        {
            return Refuse(X402ErrorReasons.ValueMismatch, $"authorization value {value} is not the required amount {amount}", payer);
        }

        if (amount == UInt128.Zero)
        {
            return Refuse(X402ErrorReasons.InvalidPaymentRequirements, "amount must be positive", payer);
        }

        var command = new TransferWithAuthorization(domain.Number, from, to, amount, AuthorizationChecker.Clamp(validAfter), AuthorizationChecker.Clamp(validBefore),
            nonce, signer, false, Address.Zero);
        return new Checked(command, null, null, payer);
    }

    /// <summary>
    /// A resource server verifies and then settles the same payment: the second recovery (~35 µs) is served from
    /// a small cache of successful recoveries keyed by digest. The digest binds every signed field and the
    /// domain, and the cached signature must be byte-equal, so a hit proves exactly what a recovery would.
    /// </summary>
    private bool TryRecoverCached(in Hash32 digest, in Signature signature, out Address signer)
    {
        if (_recovered.TryGetValue(digest, out var hit) && hit.Signature == signature)
        {
            signer = hit.Signer;
            return true;
        }

        if (!AuthorizationChecker.TryRecover(digest, signature, out signer))
        {
            return false;
        }

        if (_recovered.Count >= RecoveryCacheSize)
        {
            _recovered.Clear();
        }

        _recovered[digest] = (signature, signer);
        return true;
    }

    private static bool TryReadPayload(PaymentPayload payload, out ExactEvmPayload exact)
    {
        exact = null!;
        if (payload.Payload.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return false;
        }

        try
        {
            var e = System.Text.Json.JsonSerializer.Deserialize<ExactEvmPayload>(payload.Payload, X402Headers.Json);
            if (e?.Authorization is null || e.Signature is null)
            {
                return false;
            }

            exact = e;
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
