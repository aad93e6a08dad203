using System.Runtime.InteropServices;

namespace Centime.Ledger;

/// <summary>
/// A stored transfer as kept in memory: 64 bytes instead of the 160 of a <see cref="StoredTransfer"/>.
/// Every field of the stored transfer is kept (idempotency compares them all; lookups, history and proofs
/// return them), but in cheaper forms: both accounts by their position in the account store (each carries
/// its coin and address: 4 bytes instead of 24 per side, plus the coin), the fields most transfers leave
/// zero (pending id, memo, timeout) in a side store, and the block height in a run table
/// (<see cref="LedgerState"/>'s height runs: one entry per block that stored transfers).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct TransferRecord
{
    public ulong IdLow;
    public ulong IdHigh;
    public ulong AmountLow;
    public ulong AmountHigh;
    public ulong Timestamp;
    public int Debit;    // account position
    public int Credit;   // account position
    public int Position; // command position in its block
    public int Extra;    // position + 1 in the extras store; 0 = pending id, memo and timeout all zero
    public ushort Code;
    public TransferFlags Flags;
    public HoldState Hold;

    public readonly UInt128 Id => new(IdHigh, IdLow);

    public readonly UInt128 Amount => new(AmountHigh, AmountLow);
}

/// <summary>The rarely-set fields of a stored transfer (see <see cref="TransferRecord.Extra"/>).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct TransferExtra
{
    public ulong PendingIdLow;
    public ulong PendingIdHigh;
    public ulong MemoLow;
    public ulong MemoHigh;
    public uint Timeout;

    public readonly UInt128 PendingId => new(PendingIdHigh, PendingIdLow);

    public readonly UInt128 Memo => new(MemoHigh, MemoLow);
}

/// <summary>Ids of the stored transfers, for the id index (hashed under the state's secret <see cref="IndexHashKey"/>).</summary>
internal readonly struct TransferIds(ChunkedArray<TransferRecord> records, IndexHashKey key) : IKeySource<UInt128>
{
    public uint Hash(in UInt128 id) => key.Hash(unchecked((ulong)id), (ulong)(id >> 64)); // unchecked: the low half

    public bool Holds(int value, in UInt128 id)
    {
        ref readonly var r = ref records[value];
        return r.IdLow == unchecked((ulong)id) && r.IdHigh == (ulong)(id >> 64); // unchecked: the low half
    }
}

/// <summary>Keys of the stored accounts, for the account index (hashed under the state's secret <see cref="IndexHashKey"/>).</summary>
internal readonly struct AccountKeys(ChunkedArray<Account> accounts, IndexHashKey key) : IKeySource<AccountKey>
{
    public uint Hash(in AccountKey k) => k.Address.Hash(k.Coin, key);

    public bool Holds(int value, in AccountKey k) => accounts[value].Key == k;
}

/// <summary>A read-only view of the stored transfers in application order.</summary>
public readonly struct TransferView
{
    private readonly LedgerState _state;

    internal TransferView(LedgerState state, int length)
    {
        _state = state;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The transfer at <paramref name="index"/>, rebuilt from its compact record.</summary>
    public StoredTransfer this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            return _state.StoredAt(index);
        }
    }

    public Enumerator GetEnumerator() => new(this);

    /// <summary>Copies the transfers into a new array.</summary>
    public StoredTransfer[] ToArray()
    {
        var array = new StoredTransfer[Length];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = _state.StoredAt(i);
        }

        return array;
    }

    public struct Enumerator
    {
        private readonly TransferView _view;
        private int _index;

        internal Enumerator(TransferView view)
        {
            _view = view;
            _index = -1;
        }

        public readonly StoredTransfer Current => _view[_index];

        public bool MoveNext() => ++_index < _view.Length;
    }
}
