using System.Collections.Concurrent;
using Centime.Ledger;

namespace Centime.Agents.X402;

/// <summary>
/// A resource server's open <c>centime-hashchain</c> channels: the last word each payer released, checked in
/// memory (one keccak per unit), and settled on the ledger through the facilitator by <see cref="SettleAsync"/> —
/// periodically (<see cref="X402Options.SettleChannelsEvery"/>) or when the application calls it (e.g. at
/// shutdown). Unsettled words are lost if the server forgets them past the channel's expiry: settle before.
/// </summary>
public sealed class ChannelBook
{
    private readonly ConcurrentDictionary<Hash32, ServerChannel> _channels = new();

    public int Count => _channels.Count;

    internal ServerChannel? Get(in Hash32 id) => _channels.TryGetValue(id, out var c) ? c : null;

    internal ServerChannel Add(ServerChannel channel) => _channels.GetOrAdd(channel.Id, channel);

    /// <summary>Units released but not settled yet, over all channels.</summary>
    public long UnsettledUnits => _channels.Values.Sum(c => c.Index - c.SettledIndex);

    /// <summary>Settles every channel with unsettled words; with <paramref name="close"/>, also closes (refunds) the
    /// channels that expired or are spent, and forgets them. Returns the number of channels settled.</summary>
    public async Task<int> SettleAsync(IX402ChannelFacilitator facilitator, bool close = false, CancellationToken cancellationToken = default)
    {
        var settled = 0;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var channel in _channels.Values)
        {
            long index;
            Hash32 word;
            lock (channel)
            {
                index = channel.Index;
                word = channel.Word;
            }

            var closing = close && (now >= channel.Terms.Expiry || index == channel.Terms.Capacity);
            if (index == channel.SettledIndex && !closing)
            {
                continue;
            }

            var response = await facilitator.SettleChannelAsync(new ChannelSettleRequest { Terms = channel.Terms, Index = index, Word = word.ToString(), Close = closing }, cancellationToken);
            if (response.Success)
            {
                channel.SettledIndex = index;
                settled++;
                if (closing)
                {
                    _channels.TryRemove(channel.Id, out _);
                }
            }
            else if (response.ErrorReason == HashChainErrorReasons.ChannelClosed)
            {
                // Closed on the ledger (by another replica, or before a restart): nothing more to settle or serve.
                _channels.TryRemove(channel.Id, out _);
            }
        }

        return settled;
    }
}

/// <summary>One channel as the server sees it. <see cref="Index"/> and <see cref="Word"/> change under its lock.</summary>
internal sealed class ServerChannel(Hash32 id, ChannelTerms terms, ResolvedChannel resolved)
{
    public Hash32 Id { get; } = id;
    public ChannelTerms Terms { get; } = terms;
    public ResolvedChannel Resolved { get; } = resolved;
    public long Index { get; set; }
    public Hash32 Word { get; set; } = resolved.Root;
    public long SettledIndex { get; set; }
}
