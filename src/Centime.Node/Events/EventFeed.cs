using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Centime.Contracts;
using Centime.Ledger;
using Centime.Node.Api;
using Centime.Node.Sequencing;

namespace Centime.Node.Events;

/// <summary>
/// Contract and payment events derived from committed blocks (docs/events.md): the block's commands and results
/// from the journal, the transfers it made from the ledger state (each stored with its block height). Nothing is
/// recorded at commit time except the new head, so the sequencer is never slowed and the events of a block are the
/// same after any restart or replay.
/// <para>Order inside a block: for each command, its own event, then the transfers stored at its position
/// (deadline transfers made at the block's start carry position 0, so they follow the first command's event).</para>
/// </summary>
internal sealed class EventFeed
{
    private const int CachedBlocks = 64;

    private readonly Sequencer _sequencer;
    private readonly ConcurrentDictionary<ulong, NodeEvent[]> _cache = new();
    private ulong _head;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventFeed(Sequencer sequencer)
    {
        _sequencer = sequencer;
        using (sequencer.ReadLock())
        {
            _head = sequencer.State.Height;
        }

        // On the durability thread after each durable block: two writes, never a wait.
        sequencer.Committed += block =>
        {
            Volatile.Write(ref _head, block.Header.Height);
            Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        };
    }

    /// <summary>Height of the last durable block.</summary>
    public ulong Head => Volatile.Read(ref _head);

    /// <summary>Completes when a block above <paramref name="height"/> is durable, or after <paramref name="timeout"/>.</summary>
    public Task WaitAboveAsync(ulong height, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The signal is read before the head: a block committed in between completes this very signal.
        var advanced = Volatile.Read(ref _advanced);
        return Head > height ? Task.CompletedTask : advanced.Task.WaitAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// The matching events from <paramref name="from"/> on, for ever: committed blocks first, then each new block as
    /// it becomes durable. Yields null as a keep-alive after <paramref name="idle"/> without a new block.
    /// </summary>
    public async IAsyncEnumerable<NodeEvent?> FollowAsync(EventPosition from, EventFilter filter, TimeSpan idle, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (account, contract) = filter.Resolve();
        var position = from.Height == 0 ? new EventPosition(1, 0) : from;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (position.Height > Head)
            {
                var timedOut = false;
                try
                {
                    await WaitAboveAsync(position.Height - 1, idle, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    timedOut = true;
                }

                if (timedOut)
                {
                    yield return null;
                }

                continue;
            }

            var events = Read(position.Height);
            for (var i = position.Index; i < events.Length; i++)
            {
                if (filter.Matches(events[i], account, contract))
                {
                    yield return events[i];
                }
            }

            position = new EventPosition(position.Height + 1, 0);
        }
    }

    /// <summary>Every event of the durable block at <paramref name="height"/>.</summary>
    public NodeEvent[] Read(ulong height)
    {
        if (_cache.TryGetValue(height, out var cached))
        {
            return cached;
        }

        var events = Derive(height);
        _cache[height] = events;
        if (_cache.Count > CachedBlocks)
        {
            foreach (var old in _cache.Keys)
            {
                if (old + CachedBlocks < Head)
                {
                    _cache.TryRemove(old, out _);
                }
            }
        }

        return events;
    }

    private NodeEvent[] Derive(ulong height)
    {
        var block = _sequencer.Journal.ReadBlock(height); // waits for its commit; outside the state lock
        var events = new List<NodeEvent>();
        using (_sequencer.ReadLock())
        {
            var state = _sequencer.State;
            var contracts = state.Module<ContractModule>();
            var transfers = state.Transfers;
            var next = FirstTransferAt(transfers, height);
            var timestamp = block.Header.Timestamp;

            void TransfersUpTo(int position)
            {
                while (next < transfers.Length && transfers[next].Height == height && transfers[next].Index <= position)
                {
                    events.Add(TransferEvent(state, contracts, transfers[next], new EventPosition(height, events.Count)));
                    next++;
                }
            }

            for (var i = 0; i < block.Commands.Length; i++)
            {
                if (block.Results[i] == ResultCode.Ok && CommandEvent(contracts, block.Commands[i].Body, new EventPosition(height, events.Count), timestamp + (ulong)i) is { } e)
                {
                    events.Add(e);
                }

                TransfersUpTo(i);
            }

            TransfersUpTo(int.MaxValue);
        }

        return [.. events];
    }

    // Transfers are stored in application order, so their heights never decrease: binary search.
    private static int FirstTransferAt(TransferView transfers, ulong height)
    {
        int lo = 0, hi = transfers.Length;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (transfers[mid].Height < height)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static NodeEvent TransferEvent(LedgerState state, ContractModule? contracts, in StoredTransfer stored, EventPosition position)
    {
        var t = stored.Transfer;
        var info = Mapping.ToInfo(stored, state) with { Hold = null }; // a hold's state changes later: not part of the event
        var id = t.Id;
        if ((ulong)(id >> 64) == ContractModule.TransferIdPrefix && contracts?.Get(t.Memo) is { } contract && FindStep(contract, id) is { } step)
        {
            var body = new EventBody(position.ToString(), EventTypes.ContractStep, position.Height, t.Timestamp, Contract: Dec(contract.Id),
                Kind: ContractNames.Of(contract.Terms.Kind), Step: step.Step, Amount: Dec(step.Amount), Reason: step.Reason.Length == 0 ? null : step.Reason, Transfer: info);
            return Make(position, EventTypes.ContractStep, contract.Id, Parties(contract.Terms, t.DebitAccount, t.CreditAccount), body);
        }

        var plain = new EventBody(position.ToString(), EventTypes.Transfer, position.Height, t.Timestamp, Amount: Dec(t.Amount), Transfer: info);
        return Make(position, EventTypes.Transfer, UInt128.Zero, [t.DebitAccount, t.CreditAccount], plain);
    }

    private static ContractStep? FindStep(Contract contract, UInt128 transfer)
    {
        var steps = contract.Steps;
        for (var i = steps.Count - 1; i >= 0; i--)
        {
            if (steps[i].Transfer == transfer)
            {
                return steps[i];
            }
        }

        return null;
    }

    private static NodeEvent? CommandEvent(ContractModule? contracts, CommandBody? body, EventPosition position, ulong at)
    {
        switch (body)
        {
            case CreateContract c when contracts?.Get(c.Id) is { } contract:
                {
                    var t = contract.Terms;
                    var e = new EventBody(position.ToString(), EventTypes.ContractCreated, position.Height, at, Contract: Dec(c.Id), Kind: ContractNames.Of(t.Kind),
                        Amount: Dec(t.Amount), Payer: t.Payer.ToString(), Payee: t.Payee.IsZero ? null : t.Payee.ToString(), Reason: t.Reference.Length == 0 ? null : t.Reference);
                    return Make(position, EventTypes.ContractCreated, c.Id, Parties(t), e);
                }

            case ContractEvent ev when contracts?.Get(ev.Contract) is { } contract:
                {
                    var e = new EventBody(position.ToString(), EventTypes.ContractEvent, position.Height, at, Contract: Dec(ev.Contract),
                        Kind: ContractNames.Of(contract.Terms.Kind), Action: ContractNames.Of(ev.Action), Signer: ev.Signer.ToString(), Amount: Dec(ev.Amount),
                        Reason: ev.Reason.Length == 0 ? null : ev.Reason);
                    return Make(position, EventTypes.ContractEvent, ev.Contract, Parties(contract.Terms), e);
                }

            case OracleFact f:
                {
                    var e = new EventBody(position.ToString(), EventTypes.OracleFact, position.Height, at, Oracle: f.Oracle.ToString(), Key: f.Key, Value: f.Value, ObservedAt: f.ObservedAt);
                    return Make(position, EventTypes.OracleFact, UInt128.Zero, [f.Oracle], e);
                }

            default:
                return null;
        }
    }

    private static Address[] Parties(ContractTerms t, params Address[] more)
    {
        var list = new List<Address>(more);
        void Add(Address a)
        {
            if (!a.IsZero && !list.Contains(a))
            {
                list.Add(a);
            }
        }

        Add(t.Payer);
        Add(t.Payee);
        Add(t.Confirmer);
        Add(t.Arbiter);
        Add(t.Oracle);
        foreach (var r in t.Recipients)
        {
            Add(r.Address);
        }

        return [.. list];
    }

    private static NodeEvent Make(EventPosition position, string type, UInt128 contract, Address[] accounts, EventBody body) => new()
    {
        Position = position,
        Type = type,
        Contract = contract,
        Accounts = accounts,
        Json = JsonSerializer.SerializeToUtf8Bytes(body, JsonDefaults.Options),
    };

    private static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);
}
