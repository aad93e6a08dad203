using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Centime.Agents.X402;
using Centime.Ledger;
using Centime.Node.Api;
using Centime.Node.Sequencing;

namespace Centime.Node.X402;

/// <summary>
/// <c>centime-hashchain</c> channels (docs/x402.md). Open settles the payer's EIP-3009 deposit into the channel's
/// escrow (through the exact scheme's checks; the authorization's nonce is the channel id, so the signature
/// commits to the terms). Settle pays the payee <c>index × unit</c> minus what it was already paid, once word
/// <c>index</c> hashes to the root; close also refunds the rest to the payer, and is allowed once the channel
/// expired or is spent. Everything a channel is lives in the ledger (escrow balance and transfers with
/// deterministic ids), so the node keeps no channel state and a restart loses nothing.
/// </summary>
public sealed partial class NodeFacilitator
{
    /// <summary>Ledger <c>code</c> of channel transfers (deposit transfers carry EIP-3009's).</summary>
    public const ushort ChannelTransferCode = 402;

    /// <summary>Settlements of one node run one at a time: each reads what was paid, then pays the difference.</summary>
    private readonly SemaphoreSlim _channelGate = new(1, 1);

    private const int VerifiedWordsCacheSize = 100_000;

    /// <summary>The highest word verified per channel: a later settle hashes only from there.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Hash32, (long Index, Hash32 Word)> _verifiedWords = new();

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

        var now = (long)(Sequencer.NowNanoseconds() / 1_000_000_000UL);
        if (request.Terms.Expiry < now + 60)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.ChannelExpired, "expiry must be at least 60 s ahead");
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

        // A channel whose payee cannot be paid (frozen in the coin) would lock the payer's deposit for words nobody can
        // settle: refuse it before anything moves, with the ledger's own answer (docs/invariants.md, "nothing moves on
        // failure"). A paused coin or frozen payer is refused by the deposit's transfer itself.
        ResultCode payable;
        using (_node.Sequencer.ReadLock())
        {
            payable = _node.Sequencer.State.CheckMovable(coin.Number, channel.PayTo);
        }

        if (payable != ResultCode.Ok)
        {
            return ChannelResponse.Failed(X402ErrorReasons.InvalidTransactionState, "the ledger refused the transfer: " + payable.ToProblemCode());
        }

        // The deposit is an exact payment to the escrow: the same checks, the same idempotent settlement.
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
        if (alreadySettled)
        {
            settled = settled with { Success = true, ErrorReason = null, ErrorMessage = null, Transaction = TransactionOf(LedgerState.AuthorizationTransferId(coin.Number, from, nonce)) };
        }

        if (!settled.Success)
        {
            return ChannelResponse.Failed(settled.ErrorReason ?? X402ErrorReasons.UnexpectedSettleError, settled.ErrorMessage);
        }

        var (paid, remaining, _) = Balances(channel, coin.Number);
        return new ChannelResponse
        {
            Success = true,
            ChannelId = channel.Id.ToString(),
            Escrow = channel.Escrow.ToString(),
            Transactions = [settled.Transaction],
            Paid = paid.ToString(CultureInfo.InvariantCulture),
            Remaining = remaining.ToString(CultureInfo.InvariantCulture),
        };
    }

    public async Task<ChannelResponse> SettleChannelAsync(ChannelSettleRequest request, CancellationToken cancellationToken = default)
    {
        if (request?.Terms is null)
        {
            return ChannelResponse.Failed(X402ErrorReasons.InvalidPayload, "'terms' is required");
        }

        var (channel, coin, error) = Resolve(request.Terms);
        if (error is not null)
        {
            return error;
        }

        if (request.Index < 0 || (ulong)request.Index > channel.Capacity)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidIndex, $"index must be 0..{channel.Capacity}");
        }

        // A channel that was never funded costs no hashing (this endpoint is public).
        if (!Balances(channel, coin.Number).Exists)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.UnknownChannel, $"no deposit in escrow {channel.Escrow}: open the channel first");
        }

        // Word i hashes i times to the root: proof that the payer released i units. From the last word this node
        // verified for the channel, only the difference is hashed (a channel settled every second is cheap to
        // settle however long it is).
        if (!Hash32.TryParse(request.Word, out var word) || !IsWordOf(channel, request.Index, word))
        {
            return ChannelResponse.Failed(HashChainErrorReasons.InvalidWord, $"word {request.Word} does not hash {request.Index} times to the channel's root");
        }

        var now = Sequencer.NowNanoseconds() / 1_000_000_000UL;
        var closable = now >= channel.Expiry || (ulong)request.Index == channel.Capacity;
        if (request.Close && !closable)
        {
            return ChannelResponse.Failed(HashChainErrorReasons.ChannelNotClosable, "a channel closes (refunding the payer) once it expired or is spent; settle without 'close' before");
        }

        await _channelGate.WaitAsync(CancellationToken.None);
        try
        {
            var (paid, remaining, exists) = Balances(channel, coin.Number);
            if (!exists)
            {
                return ChannelResponse.Failed(HashChainErrorReasons.UnknownChannel, $"no deposit in escrow {channel.Escrow}: open the channel first");
            }

            var due = channel.Unit * (ulong)request.Index;
            var delta = due > paid ? due - paid : UInt128.Zero;
            var refund = request.Close && remaining > delta ? remaining - delta : UInt128.Zero;
            var transfers = new List<Transfer>(2);
            if (delta > UInt128.Zero)
            {
                if (delta > remaining)
                {
                    return ChannelResponse.Failed(HashChainErrorReasons.ChannelExhausted, $"the escrow holds {remaining}; {delta} is due (the channel was closed?)");
                }

                transfers.Add(new Transfer
                {
                    Id = TransferId(channel.Id, "pay", (ulong)request.Index),
                    DebitAccount = channel.Escrow,
                    CreditAccount = channel.PayTo,
                    Amount = delta,
                    Coin = coin.Number,
                    Code = ChannelTransferCode,
                    Flags = refund > UInt128.Zero ? TransferFlags.Linked : TransferFlags.None,
                });
            }

            if (refund > UInt128.Zero)
            {
                transfers.Add(new Transfer
                {
                    Id = TransferId(channel.Id, "refund", 0),
                    DebitAccount = channel.Escrow,
                    CreditAccount = channel.Payer,
                    Amount = refund,
                    Coin = coin.Number,
                    Code = ChannelTransferCode,
                });
            }

            var ids = new List<string>(2);
            if (transfers.Count > 0)
            {
                Receipt receipt;
                try
                {
                    receipt = await Endpoints.SubmitAsync(_node, [.. transfers.Select(t => Command.Of(t))]);
                }
                catch (ProblemException ex)
                {
                    return ChannelResponse.Failed(X402ErrorReasons.UnexpectedSettleError, ex.Detail);
                }

                for (var i = 0; i < transfers.Count; i++)
                {
                    var code = receipt.Results[i].Code;
                    if (code is not (ResultCode.Ok or ResultCode.Exists))
                    {
                        return ChannelResponse.Failed(X402ErrorReasons.InvalidTransactionState, "the ledger refused the channel transfer: " + code.ToProblemCode());
                    }

                    ids.Add(TransactionOf(transfers[i].Id));
                }
            }

            (paid, remaining, _) = Balances(channel, coin.Number);
            return new ChannelResponse
            {
                Success = true,
                ChannelId = channel.Id.ToString(),
                Escrow = channel.Escrow.ToString(),
                Transactions = ids,
                Paid = paid.ToString(CultureInfo.InvariantCulture),
                Remaining = remaining.ToString(CultureInfo.InvariantCulture),
            };
        }
        finally
        {
            _channelGate.Release();
        }
    }

    private bool IsWordOf(in ResolvedChannel channel, long index, Hash32 word)
    {
        var known = _verifiedWords.TryGetValue(channel.Id, out var k) ? k : (Index: 0L, Word: channel.Root);
        var ok = index >= known.Index
            ? HashChain.Advance(word, index - known.Index) == known.Word
            : HashChain.Advance(known.Word, known.Index - index) == word;
        if (ok && index > known.Index)
        {
            if (_verifiedWords.Count >= VerifiedWordsCacheSize)
            {
                _verifiedWords.Clear();
            }

            _verifiedWords.AddOrUpdate(channel.Id, (index, word), (_, old) => old.Index >= index ? old : (index, word));
        }

        return ok;
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
        using (_node.Sequencer.ReadLock())
        {
            coin = _node.Sequencer.State.GetCoin(domain.Number)!;
        }

        return (channel, coin, null);
    }

    /// <summary>What the payee was paid (escrow debits other than the refund) and what is left in escrow.</summary>
    private (UInt128 Paid, UInt128 Remaining, bool Exists) Balances(in ResolvedChannel channel, uint coin)
    {
        using (_node.Sequencer.ReadLock())
        {
            var st = _node.Sequencer.State;
            if (!st.TryGetAccount(coin, channel.Escrow, out var escrow))
            {
                return (UInt128.Zero, UInt128.Zero, false);
            }

            var refunded = st.TryGetTransfer(TransferId(channel.Id, "refund", 0), out var r) ? r.Transfer.Amount : UInt128.Zero;
            var remaining = escrow.CreditsPosted >= escrow.DebitsPosted ? escrow.CreditsPosted - escrow.DebitsPosted : UInt128.Zero;
            return (escrow.DebitsPosted - refunded, remaining, true);
        }
    }

    /// <summary>First 16 bytes (little-endian) of keccak256("centime:x402-channel:" + what ‖ channel id ‖ index u64).</summary>
    internal static UInt128 TransferId(in Hash32 channelId, string what, ulong index)
    {
        var tag = System.Text.Encoding.UTF8.GetBytes("centime:x402-channel:" + what);
        var data = new byte[tag.Length + 32 + 8];
        tag.CopyTo(data, 0);
        channelId.WriteTo(data.AsSpan(tag.Length));
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(tag.Length + 32), index);
        return BinaryPrimitives.ReadUInt128LittleEndian(Keccak256.Hash(data));
    }
}
