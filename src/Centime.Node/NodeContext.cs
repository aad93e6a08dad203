using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Centime.Ledger;
using Centime.Node.Projections;
using Centime.Node.Sequencing;

namespace Centime.Node;

/// <summary>What request handlers share: the sequencer (and through it the state and journal), projections, settings.</summary>
public sealed class NodeContext
{
    private readonly byte[] _operatorKey;

    // SHA-256 of the bootstrap admin's key once it was rotated (journaled: issuance RotateKey of "admin"); then the
    // configured key is refused. Set at start from the recovered state and after each committed rotation.
    private volatile byte[]? _rotatedOperatorKeyHash;
    private readonly ConcurrentDictionary<string, uint> _coinNumbers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<uint, (bool Sandbox, Address Supply)> _coinRules = new();
    private int _mappedCoins; // written only under the sequencer's read section (start, then the durability thread)

    public NodeContext(Sequencer sequencer, NodeOptions options, string operatorKey)
    {
        Sequencer = sequencer;
        Options = options;
        _operatorKey = Encoding.UTF8.GetBytes(operatorKey);
        using (sequencer.ReadLock())
        {
            MapNewCoins(sequencer.State);

            History.Add(sequencer.State, 0, sequencer.State.TransferCount);
            RefreshOperatorKey(sequencer.State);
        }

        // Projections run on the durability thread after each durable block (inside a read section), before callers
        // hear back; each on its own, so one that fails does not skip the other.
        sequencer.Committed += block => History.Add(sequencer.State, block.FirstTransferIndex, block.TransferCount);
        sequencer.Committed += block =>
        {
            MapNewCoins(sequencer.State);
            var commands = block.Commands.Span;
            var results = block.Results.Span;
            for (var i = 0; i < commands.Length; i++)
            {
                if (commands[i].Body is Centime.Issuance.RotateKey { OperatorId: Centime.Issuance.IssuanceModule.BootstrapAdmin } && results[i].Code == ResultCode.Ok)
                {
                    RefreshOperatorKey(sequencer.State);
                }
            }
        };
    }

    /// <summary>
    /// Maps the coins created since the last call (coins are only appended): by CreateCoin and by modules (a pool's LP
    /// share coin), so every coin's sandbox flag and supply account are known to the operator-key checks at the edge.
    /// Called under the read lock (at start, and on the durability thread after each block).
    /// </summary>
    private void MapNewCoins(LedgerState state)
    {
        var coins = state.Coins;
        for (var i = _mappedCoins; i < coins.Count; i++)
        {
            var coin = coins[i];
            _coinRules[coin.Number] = (coin.Sandbox, coin.SupplyAccount);
            _coinNumbers[coin.Symbol] = coin.Number;
        }

        _mappedCoins = coins.Count;
    }

    public Sequencer Sequencer { get; }

    /// <summary>The one read door: a read section on the state (lock now, durability fence on dispose) that hands out
    /// the read-only ledger and its modules. <c>using (var view = node.Read()) { var st = view.State; … }</c></summary>
    public Sequencer.ReadSection Read() => Sequencer.ReadLock();

    /// <summary>Like <see cref="Read"/>, for async paths: dispose leaves the lock only; <c>await
    /// node.Sequencer.WaitDurableAsync(view.Height)</c> before answering.</summary>
    public Sequencer.ReadSection ReadDeferred() => Sequencer.ReadLockDeferred();

    public NodeOptions Options { get; }

    public HistoryIndex History { get; } = new();

    /// <summary>Lock-free: whether a coin is a sandbox coin, and its supply account (both fixed at creation).</summary>
    public bool TryGetCoinRules(uint number, out bool sandbox, out Address supply)
    {
        var found = _coinRules.TryGetValue(number, out var rules);
        (sandbox, supply) = rules;
        return found;
    }

    /// <summary>Lock-free symbol → coin number map for request parsing.</summary>
    public uint? CoinNumber(string symbol) => _coinNumbers.TryGetValue(symbol, out var n) ? n : null;

    /// <summary>Constant-time check of a presented operator key (the bootstrap admin's): the configured key, or after a
    /// rotation only the new one.</summary>
    public bool IsOperatorKey(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(presented);
        if (_rotatedOperatorKeyHash is { } rotated)
        {
            return CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), rotated);
        }

        return bytes.Length == _operatorKey.Length && CryptographicOperations.FixedTimeEquals(bytes, _operatorKey);
    }

    // Call inside a read section or on the durability thread (the state is stable there).
    private void RefreshOperatorKey(LedgerState state)
    {
        if (state.Module<Centime.Issuance.IssuanceModule>() is { BootstrapKeyHash: { IsZero: false } hash })
        {
            var bytes = new byte[32];
            hash.WriteTo(bytes);
            _rotatedOperatorKeyHash = bytes;
        }
    }
}
