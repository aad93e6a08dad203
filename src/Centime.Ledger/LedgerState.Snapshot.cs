using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Centime.Ledger;

public sealed partial class LedgerState
{
    // Coin decimals are 0..18; the top bit of their byte in a snapshot is the sandbox flag.
    private const byte SandboxBit = 0x80;

    private const ulong SnapshotMagic = 0x3230_5041_4E53_5443; // "CTSNAP02" little-endian (02: signed-command state and module sections)

    /// <summary>
    /// Writes the whole state. The encoding is deterministic (creation order, failed ids sorted), so two
    /// states that applied the same blocks write the same bytes, whether they replayed from genesis or
    /// started from a snapshot.
    /// </summary>
    public void WriteSnapshot(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(SnapshotMagic);
        w.Write(Height);
        w.Write(Timestamp);
        w.Write(NextTimestamp);

        w.Write(_coins.Count);
        foreach (var c in _coins)
        {
            w.Write(c.Symbol);
            // Decimals are 0..18: the top bit carries the sandbox flag, so snapshots without sandboxes read unchanged.
            w.Write((byte)(c.Decimals | (c.Sandbox ? SandboxBit : 0)));
            w.Write(c.Currency);
            w.Write(c.Name);
            w.Write(c.Version);
        }

        w.Write(_accountCount);
        Span<byte> a = stackalloc byte[20];
        for (var i = 0; i < _accountCount; i++)
        {
            ref readonly var acc = ref _accounts[i];
            w.Write(acc.Key.Coin);
            acc.Key.Address.WriteTo(a);
            w.Write(a);
            w.Write((ushort)(acc.Flags & ~AccountFlags.Keyless)); // derived from the address: RestoreKeyless sets it again
            WriteU128(w, acc.DebitsPosted);
            WriteU128(w, acc.CreditsPosted);
            WriteU128(w, acc.DebitsPending);
            WriteU128(w, acc.CreditsPending);
        }

        w.Write(_transferCount);
        Span<byte> t = stackalloc byte[Transfer.EncodedSize];
        var run = 0;
        for (var i = 0; i < _transferCount; i++)
        {
            // The same bytes as before records were compacted: each transfer in full, then hold, height, position.
            TransferAt(i).WriteTo(t);
            w.Write(t);
            while (run + 1 < _heightRuns.Count && _heightRuns[run + 1].Start <= i)
            {
                run++;
            }

            ref readonly var s = ref _transfers[i];
            w.Write((byte)s.Hold);
            w.Write(_heightRuns[run].Height);
            w.Write(s.Position);
        }

        var failed = _failed.Keys.ToArray();
        Array.Sort(failed);
        w.Write(failed.Length);
        foreach (var id in failed)
        {
            WriteU128(w, id);
            w.Write((ushort)_failed[id]);
        }

        WriteSignedState(w);
        w.Write(_modules.Length);
        foreach (var module in _modules)
        {
            using var section = new MemoryStream();
            using (var mw = new BinaryWriter(section, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                module.WriteSnapshot(mw);
            }

            w.Write(module.Name);
            w.Write((int)section.Length);
            w.Write(section.GetBuffer(), 0, (int)section.Length);
        }

        w.Write(SnapshotMagic);
    }

    // Signed-command state, sorted so equal states write equal bytes.
    private void WriteSignedState(BinaryWriter w)
    {
        Span<byte> b = stackalloc byte[32];
        var auths = _authorizations.ToArray();
        Array.Sort(auths, (x, y) => CompareKeys(x.Key.Coin, x.Key.Authorizer, x.Key.Nonce, y.Key.Coin, y.Key.Authorizer, y.Key.Nonce));
        w.Write(auths.Length);
        foreach (var (key, state) in auths)
        {
            w.Write(key.Coin);
            key.Authorizer.WriteTo(b);
            w.Write(b[..20]);
            key.Nonce.WriteTo(b);
            w.Write(b);
            w.Write((byte)state);
        }

        var nonces = _permitNonces.ToArray();
        Array.Sort(nonces, (x, y) => x.Key.Coin != y.Key.Coin ? x.Key.Coin.CompareTo(y.Key.Coin) : x.Key.Owner.CompareTo(y.Key.Owner));
        w.Write(nonces.Length);
        foreach (var (key, nonce) in nonces)
        {
            w.Write(key.Coin);
            key.Owner.WriteTo(b);
            w.Write(b[..20]);
            w.Write(nonce);
        }

        var allowances = _allowances.ToArray();
        Array.Sort(allowances, (x, y) => x.Key.Coin != y.Key.Coin ? x.Key.Coin.CompareTo(y.Key.Coin)
            : x.Key.Owner != y.Key.Owner ? x.Key.Owner.CompareTo(y.Key.Owner) : x.Key.Spender.CompareTo(y.Key.Spender));
        w.Write(allowances.Length);
        foreach (var (key, value) in allowances)
        {
            w.Write(key.Coin);
            key.Owner.WriteTo(b);
            w.Write(b[..20]);
            key.Spender.WriteTo(b);
            w.Write(b[..20]);
            WriteU128(w, value);
        }
    }

    private static int CompareKeys(uint c1, Address a1, Hash32 n1, uint c2, Address a2, Hash32 n2)
    {
        if (c1 != c2)
        {
            return c1.CompareTo(c2);
        }

        if (a1 != a2)
        {
            return a1.CompareTo(a2);
        }

        Span<byte> x = stackalloc byte[32];
        Span<byte> y = stackalloc byte[32];
        n1.WriteTo(x);
        n2.WriteTo(y);
        return x.SequenceCompareTo(y);
    }

    private void ReadSignedState(BinaryReader r)
    {
        var auths = r.ReadInt32();
        for (var i = 0; i < auths; i++)
        {
            var key = new AuthorizationKey(r.ReadUInt32(), Address.FromBytes(r.ReadBytes(20)), Hash32.FromBytes(r.ReadBytes(32)));
            _authorizations.Add(key, (AuthorizationState)r.ReadByte());
        }

        var nonces = r.ReadInt32();
        for (var i = 0; i < nonces; i++)
        {
            _permitNonces.Add((r.ReadUInt32(), Address.FromBytes(r.ReadBytes(20))), r.ReadUInt64());
        }

        var allowances = r.ReadInt32();
        for (var i = 0; i < allowances; i++)
        {
            _allowances.Add(new AllowanceKey(r.ReadUInt32(), Address.FromBytes(r.ReadBytes(20)), Address.FromBytes(r.ReadBytes(20))), ReadU128(r));
        }
    }

    /// <summary>Reads a state written by <see cref="WriteSnapshot"/>.</summary>
    public static LedgerState ReadSnapshot(Stream stream, IEnumerable<LedgerModule>? modules = null)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadUInt64() != SnapshotMagic)
        {
            throw new InvalidDataException("Not a Centime ledger snapshot.");
        }

        var state = new LedgerState(modules)
        {
            Height = r.ReadUInt64(),
            Timestamp = r.ReadUInt64(),
            NextTimestamp = r.ReadUInt64(),
        };

        var coins = r.ReadInt32();
        for (var i = 0; i < coins; i++)
        {
            var symbol = r.ReadString();
            var decimals = r.ReadByte();
            var coin = new Coin
            {
                Number = (uint)(i + 1),
                Symbol = symbol,
                Decimals = (byte)(decimals & ~SandboxBit),
                Sandbox = (decimals & SandboxBit) != 0,
                Currency = r.ReadString(),
                Name = r.ReadString(),
                Version = r.ReadString(),
            };
            state._coins.Add(coin);
            state._coinsBySymbol.Add(coin.Symbol, coin);
        }

        // Accounts and transfers are fixed-size records: read them in large blocks and decode from spans (a
        // BinaryReader call per field and an array per transfer made loading take seconds at millions).
        var accounts = ReadCount(r, AccountRecordSize);
        state._accounts.EnsureCapacity(accounts);
        state._accountIndex.EnsureCapacity(accounts);
        ReadRecords(stream, accounts, AccountRecordSize, (rec, i) =>
        {
            var key = new AccountKey(BinaryPrimitives.ReadUInt32LittleEndian(rec), Address.FromBytes(rec.Slice(4, 20)));
            state._accounts[i] = new Account
            {
                Key = key,
                Flags = (AccountFlags)BinaryPrimitives.ReadUInt16LittleEndian(rec[24..]),
                DebitsPosted = ReadU128(rec[26..]),
                CreditsPosted = ReadU128(rec[42..]),
                DebitsPending = ReadU128(rec[58..]),
                CreditsPending = ReadU128(rec[74..]),
            };
            state._accountIndex.Add(key, i);
        });
        state._accountCount = accounts;
        state.RestoreKeyless();

        var transfers = ReadCount(r, TransferRecordSize);
        state._transfers.EnsureCapacity(transfers);
        state._transferIndex.EnsureCapacity(transfers);
        ReadRecords(stream, transfers, TransferRecordSize, (rec, i) =>
        {
            var t = Transfer.ReadFrom(rec[..Transfer.EncodedSize]);
            var hold = (HoldState)rec[Transfer.EncodedSize];
            var height = BinaryPrimitives.ReadUInt64LittleEndian(rec[(Transfer.EncodedSize + 1)..]);
            var position = BinaryPrimitives.ReadInt32LittleEndian(rec[(Transfer.EncodedSize + 9)..]);
            if (!state._accountIndex.TryGetValue(new AccountKey(t.Coin, t.DebitAccount), out var debit)
                || !state._accountIndex.TryGetValue(new AccountKey(t.Coin, t.CreditAccount), out var credit))
            {
                throw new InvalidDataException($"Snapshot transfer {t.Id} names an account the snapshot does not hold.");
            }

            if (((ushort)t.Flags & ~(ushort)0xF) != 0)
            {
                throw new InvalidDataException($"Snapshot transfer {t.Id} has reserved flags {t.Flags}.");
            }

            // Records must be stored in order and before their index entry (the index reads ids from them).
            state._transferCount = i;
            var index = state.AddTransfer(t, t.Amount, t.Timestamp, hold, height, position, debit, credit, inChain: false, ref Unsafe.NullRef<int>());
            if (hold == HoldState.Pending && t.Timeout != 0)
            {
                state._expiries.Enqueue(index, (state.ExpiresAt(state._transfers[index]), t.Id));
            }
        });
        state._transferCount = transfers;

        var failed = r.ReadInt32();
        for (var i = 0; i < failed; i++)
        {
            state._failed.Add(ReadU128(r), (ResultCode)r.ReadUInt16());
        }

        state.ReadSignedState(r);
        var sections = r.ReadInt32();
        for (var i = 0; i < sections; i++)
        {
            var name = r.ReadString();
            var bytes = r.ReadBytes(r.ReadInt32());
            var module = Array.Find(state._modules, m => m.Name == name)
                         ?? throw new InvalidDataException($"The snapshot holds state of module '{name}', which this node does not run.");
            using var mr = new BinaryReader(new MemoryStream(bytes), System.Text.Encoding.UTF8);
            module.ReadSnapshot(mr);
            if (mr.BaseStream.Position != bytes.Length)
            {
                throw new InvalidDataException($"Module '{name}' did not read its whole snapshot section.");
            }
        }

        if (r.ReadUInt64() != SnapshotMagic)
        {
            throw new InvalidDataException("Snapshot trailer missing: the file is truncated or corrupt.");
        }

        return state;
    }

    /// <summary>SHA-256 over the snapshot encoding: equal states have equal hashes.</summary>
    public Hash32 ComputeStateHash()
    {
        using var sha = new HashingStream();
        WriteSnapshot(sha);
        return sha.Finish();
    }

    private static void WriteU128(BinaryWriter w, UInt128 v)
    {
        // Low then high 64 bits. unchecked: the truncation to the low half is the point (the build is checked,
        // and a plain cast throws for every amount ≥ 2^64 — 18.4 whole units of an 18-decimal coin).
        w.Write(unchecked((ulong)v));
        w.Write((ulong)(v >> 64));
    }

    // coin u32, address 20, flags u16, four u128 balances.
    private const int AccountRecordSize = 4 + 20 + 2 + (4 * 16);

    // transfer, hold state u8, height u64, index i32.
    private const int TransferRecordSize = Transfer.EncodedSize + 1 + 8 + 4;

    private delegate void RecordReader(ReadOnlySpan<byte> record, int index);

    private static int ReadCount(BinaryReader r, int recordSize)
    {
        var count = r.ReadInt32();
        if (count < 0 || (r.BaseStream.CanSeek && (long)count * recordSize > r.BaseStream.Length - r.BaseStream.Position))
        {
            throw new InvalidDataException($"Snapshot record count {count} does not fit the file.");
        }

        return count;
    }

    /// <summary>Reads <paramref name="count"/> records of <paramref name="size"/> bytes straight from the
    /// stream (BinaryReader does not read ahead, so mixing the two is safe).</summary>
    private static void ReadRecords(Stream stream, int count, int size, RecordReader read)
    {
        var perBlock = Math.Max(1, (1 << 20) / size);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(perBlock * size);
        try
        {
            for (var done = 0; done < count;)
            {
                var n = Math.Min(perBlock, count - done);
                var block = buffer.AsSpan(0, n * size);
                stream.ReadExactly(block);
                for (var k = 0; k < n; k++)
                {
                    read(block.Slice(k * size, size), done + k);
                }

                done += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static UInt128 ReadU128(ReadOnlySpan<byte> s) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(s[8..]), BinaryPrimitives.ReadUInt64LittleEndian(s));

    private static UInt128 ReadU128(BinaryReader r)
    {
        var lo = r.ReadUInt64();
        var hi = r.ReadUInt64();
        return new UInt128(hi, lo);
    }

    /// <summary>A write-only stream that feeds SHA-256.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public Hash32 Finish() => Hash32.FromBytes(_hash.GetHashAndReset());

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _hash.AppendData(buffer);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
