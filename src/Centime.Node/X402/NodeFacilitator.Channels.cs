using System.Globalization;
using System.Text.Json;
using Centime.Agents.X402;
using Centime.Ledger;
using Centime.Node.Api;
using Centime.Node.Sequencing;

namespace Centime.Node.X402;

/// <summary>
/// <c>centime-hashchain</c> channels (docs/x402.md), kept by the ledger's <see cref="ChannelModule"/>: how far each
/// channel was paid (index and word) and whether it closed is journaled ledger state, so the node keeps no channel
/// state of its own and neither a resource server that forgets nor a node restart lets a word be paid twice.
/// Open settles the payer's EIP-3009 deposit into the channel's escrow (through the exact scheme's checks; the
/// authorization's nonce is the channel id, so the signature commits to the terms) and records the channel; opening
/// an open channel answers where it stands (a resource server that forgot it resumes there); a closed channel never
/// opens again. Settle pays the payee up to word <c>index</c> once it hashes to the last paid word; close also
/// refunds the rest to the payer, allowed once the channel expired or is spent.
/// </summary>
public sealed partial class NodeFacilitator
{
    /// <summary>Ledger <c>code</c> of channel transfers (deposit transfers carry EIP-3009's).</summary>
    public const ushort ChannelTransferCode = ChannelModule.ChannelTransferCode;

    public async Task<ChannelResponse> OpenChannelAsync(ChannelOpenRequest request, CancellationToken cancellationToken = default)
    {
        if (request?.Terms is null || request.Deposit?.Authorization is null)
        {
            return ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, "'terms' and 'deposit' are required");
        }

        var (channel, coin, error) = Resolve(request.Terms);
        if (error is not null)
        {
            return error;
        }

        if (channel.Deposit is not { } deposit)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidTerms, "unit × capacity overflows");
        }

        var a = request.Deposit.Authorization;
        if (!Hash32.TryParse(a.Nonce, out var nonce) || nonce != channel.Id || !Address.TryParse(a.From, out var from) || from != channel.Payer)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidTerms, $"the deposit must be authorized by the payer with nonce = channel id {channel.Id}");
        }

        // Known to the ledger: a closed channel stays closed; an open one answers where it stands.
        if (await ReadChannelAsync(channel.Id) is { } known)
        {
            return known.Closed
                ? ChannelResponse.Failed(HashChainErrorReasons.ChannelClosed, $"channel {channel.Id} was closed and refunded; it never opens again")
                : Answer(channel, known, []);
        }

        var now = (long)(Sequencer.NowNanoseconds() / 1_000_000_000UL);
        if (request.Terms.Expiry < now + 60)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.ChannelExpired, "expiry must be at least 60 s ahead");
        }

        // A channel whose payee cannot be paid (frozen in the coin) would lock the payer's deposit for words nobody can
        // settle: refuse it before anything moves, with the ledger's own answer (docs/invariants.md, "nothing moves on
        // failure"). A paused coin or frozen payer is refused by the deposit's transfer itself.
        ResultCode payable;
        using (var view = _node.Read())
        {
            payable = view.State.CheckMovable(coin.Number, channel.PayTo);
        }

        if (payable != ResultCode.Ok)
        {
            return ChannelResponse.Failed(X402ErrorReasons.InvalidTransactionState, "the ledger refused the transfer: " + payable.ToProblemCode());
        }

        // The deposit is an exact payment to the escrow: the same checks, the same one settlement. Settled before
        // (an open that stopped between the deposit and the record) counts as paid: the record follows.
        var requirements = new PaymentRequirements
        {
            Scheme = "exact",
            Network = Network,
            Amount = deposit.ToString(CultureInfo.InvariantCulture),
            Asset = request.Terms.Asset,
            PayTo = channel.Escrow.ToString(),
            MaxTimeoutSeconds = 60,
            Extra = new Dictionary<string, JsonElement> { ["name"] = JsonSerializer.SerializeToElement(coin.Name), ["version"] = JsonSerializer.SerializeToElement(coin.Version) },
        };
        var payment = new PaymentPayload { X402Version = 2, Accepted = requirements, Payload = JsonSerializer.SerializeToElement(request.Deposit, X402Headers.Json) };
        var (settled, alreadySettled) = await SettleOnceAsync(payment, requirements);
        if (!settled.Success && !alreadySettled)
        {
            return ChannelResponse.Failed(settled.ErrorReason ?? X402ErrorReasons.UnexpectedSettleError, settled.ErrorMessage);
        }

        var open = new OpenChannel(channel.Id, coin.Number, channel.Payer, channel.PayTo, channel.Escrow, channel.Unit, channel.Capacity, channel.Expiry, channel.Root);
        var (code, error2) = await SubmitOneAsync(open);
        if (error2 is not null)
        {
            return error2;
        }

        if (code is not (ResultCode.Ok or ResultCode.X402ChannelExists))
        {
            return Refused(code);
        }

        var record = await ReadChannelAsync(channel.Id);
        return record is { Closed: false } r
            ? Answer(channel, r, [TransactionOf(LedgerState.AuthorizationTransferId(coin.Number, channel.Payer, channel.Id))])
            : ChannelResponse.Failed(HashChainErrorReasons.ChannelClosed, $"channel {channel.Id} was closed");
    }

    public async Task<ChannelResponse> SettleChannelAsync(ChannelSettleRequest request, CancellationToken cancellationToken = default)
    {
        if (request?.Terms is null)
        {
            return ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, "'terms' is required");
        }

        var (channel, _, error) = Resolve(request.Terms);
        if (error is not null)
        {
            return error;
        }

        if (request.Index < 0 || (ulong)request.Index > channel.Capacity)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidIndex, $"index must be 0..{channel.Capacity}");
        }

        if (await ReadChannelAsync(channel.Id) is not { } known)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.UnknownChannel, $"channel {channel.Id} is not open: open it first");
        }

        if (known.Closed)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.ChannelClosed, $"channel {channel.Id} was closed and refunded");
        }

        var index = (ulong)request.Index;
        if (index < known.PaidIndex)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidIndex, $"words up to {known.PaidIndex} were already paid: word {index} was spent");
        }

        // Word i hashes (i − paid) times to the last paid word: proof that the payer released i units. Hashed here,
        // before the sequencer, from the ledger's last paid word (only the difference; a settle every second is cheap).
        if (!Hash32.TryParse(request.Word, out var word) || HashChain.Advance(word, (long)(index - known.PaidIndex)) != known.PaidWord)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidWord, $"word {request.Word} does not hash {request.Index} times to the channel's root");
        }

        var now = Sequencer.NowNanoseconds() / 1_000_000_000UL;
        if (request.Close && now < channel.Expiry && index != channel.Capacity)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.ChannelNotClosable, "a channel closes (refunding the payer) once it expired or is spent; settle without 'close' before");
        }

        var transactions = new List<string>(2);
        if (index > known.PaidIndex)
        {
            var (code, failed) = await SubmitOneAsync(new SettleChannel(channel.Id, index, word));
            if (failed is not null)
            {
                return failed;
            }

            if (code == ResultCode.Ok)
            {
                transactions.Add(TransactionOf(ChannelModule.TransferId(channel.Id, "pay", index)));
            }
            else if (code != ResultCode.X402ChannelWordSpent || (await ReadChannelAsync(channel.Id))?.PaidIndex < index)
            {
                // A concurrent settle that paid this far already is fine; anything else is a refusal.
                return Refused(code);
            }
        }

        if (request.Close)
        {
            var (code, failed) = await SubmitOneAsync(new CloseChannel(channel.Id));
            if (failed is not null)
            {
                return failed;
            }

            if (code != ResultCode.Ok)
            {
                return Refused(code);
            }

            var record = await ReadChannelAsync(channel.Id);
            if (record!.Value.PaidIndex < channel.Capacity)
            {
                transactions.Add(TransactionOf(ChannelModule.TransferId(channel.Id, "refund", 0)));
            }
        }

        return Answer(channel, (await ReadChannelAsync(channel.Id))!.Value, transactions);
    }

    private static ChannelResponse Answer(in ResolvedChannel channel, in ChannelRecord record, List<string> transactions) => new()
    {
        Success = true,
        ChannelId = channel.Id.ToString(),
        Escrow = channel.Escrow.ToString(),
        Transactions = transactions,
        Paid = record.Paid.ToString(CultureInfo.InvariantCulture),
        Remaining = record.Remaining.ToString(CultureInfo.InvariantCulture),
        Index = (long)record.PaidIndex,
        Word = record.PaidWord.ToString(),
        Closed = record.Closed,
    };

    private static ChannelResponse Refused(ResultCode code) => code switch
    {
        ResultCode.X402ChannelClosed => ChannelResponse.Failed(HashChainErrorReasons.ChannelClosed, "the channel was closed and refunded"),
        ResultCode.X402ChannelNotFound => ChannelResponse.Failed(HashChainErrorReasons.UnknownChannel, "open the channel first"),
        ResultCode.X402ChannelWordSpent => ChannelResponse.Failed(HashChainErrorReasons.InvalidIndex, "that word was already paid"),
        ResultCode.X402ChannelNotClosable => ChannelResponse.Failed(HashChainErrorReasons.ChannelNotClosable, "the channel is neither expired (ledger time) nor spent"),
        ResultCode.X402ChannelDepositMissing or ResultCode.X402ChannelTermsInvalid => ChannelResponse.Failed(HashChainErrorReasons.InvalidTerms, code.ToProblemCode()),
        _ => ChannelResponse.Failed(X402ErrorReasons.InvalidTransactionState, "the ledger refused the channel command: " + code.ToProblemCode()),
    };

    private async Task<(ResultCode Code, ChannelResponse? Error)> SubmitOneAsync(CommandBody body)
    {
        try
        {
            var receipt = await Endpoints.SubmitAsync(_node, [Command.Of(body)]);
            return (receipt.Results[0].Code, null);
        }
        catch (ProblemException ex)
        {
            return (ResultCode.Ok, ChannelResponse.Failed(X402ErrorReasons.UnexpectedSettleError, ex.Detail));
        }
    }

    /// <summary>The channel's ledger state, answered once the block it was read at is durable; null if never opened.</summary>
    private async Task<ChannelRecord?> ReadChannelAsync(Hash32 id)
    {
        ChannelRecord? found = null;
        ulong seen;
        using (var view = _node.ReadDeferred())
        {
            seen = view.Height;
            foreach (var module in view.State.Modules)
            {
                if (module is ChannelModule channels && channels.TryGet(id, out var record))
                {
                    found = record;
                }
            }
        }

        await _node.Sequencer.WaitDurableAsync(seen).ConfigureAwait(false);
        return found;
    }

    private (ResolvedChannel Channel, Coin Coin, ChannelResponse? Error) Resolve(ChannelTerms terms)
    {
        if (!terms.TryResolve(out var channel))
        {
            return (default, null!, ChannelResponse.Failed(HashChainErrorReasons.InvalidTerms, "payer/payTo/asset addresses, network eip155:<n>, unit > 0, capacity 1..1,000,000, root 32-byte hex, expiry"));
        }

        if (terms.Network != Network)
        {
            return (default, null!, ChannelResponse.Failed(X402ErrorReasons.InvalidNetwork, $"this facilitator settles on {Network}"));
        }

        if (!_checker.TryGetDomain(channel.Asset, out var domain))
        {
            return (default, null!, ChannelResponse.Failed(X402ErrorReasons.InvalidPaymentRequirements, $"asset {terms.Asset} is not a coin's verifying contract on {Network}"));
        }

        Coin coin;
        using (var view = _node.Read())
        {
            coin = view.State.GetCoin(domain.Number)!;
        }

        return (channel, coin, null);
    }

    /// <summary>The id of a channel's ledger transfer (<see cref="ChannelModule.TransferId"/>).</summary>
    internal static UInt128 TransferId(in Hash32 channelId, string what, ulong index) => ChannelModule.TransferId(channelId, what, index);
}
