using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace Centime.Ledger;

public sealed partial class LedgerState
{
    private readonly Dictionary<AuthorizationKey, AuthorizationState> _authorizations = [];
    private readonly Dictionary<(uint Coin, Address Owner), ulong> _permitNonces = [];
    private readonly Dictionary<AllowanceKey, UInt128> _allowances = [];

    /// <summary>EIP-3009 authorizationState(authorizer, nonce) for a coin.</summary>
    public AuthorizationState GetAuthorizationState(uint coin, Address authorizer, Hash32 nonce) =>
        _authorizations.TryGetValue(new AuthorizationKey(coin, authorizer, nonce), out var s) ? s : AuthorizationState.Unused;

    /// <summary>EIP-2612 nonces(owner) for a coin.</summary>
    public ulong GetPermitNonce(uint coin, Address owner) => _permitNonces.TryGetValue((coin, owner), out var n) ? n : 0;

    /// <summary>ERC-20 allowance(owner, spender) for a coin.</summary>
    public UInt128 GetAllowance(uint coin, Address owner, Address spender) =>
        _allowances.TryGetValue(new AllowanceKey(coin, owner, spender), out var v) ? v : UInt128.Zero;

    /// <summary>
    /// Id of the ledger transfer an authorization creates: the first 16 bytes (little-endian) of
    /// keccak256("centime:authorization" ‖ coin u32 ‖ authorizer ‖ nonce). Anyone holding the signed
    /// authorization can look its transfer up.
    /// </summary>
    public static UInt128 AuthorizationTransferId(uint coin, Address authorizer, Hash32 nonce)
    {
        Span<byte> data = stackalloc byte[21 + 4 + 20 + 32];
        "centime:authorization"u8.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data[21..], coin);
        authorizer.WriteTo(data[25..]);
        nonce.WriteTo(data[45..]);
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(data, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    private static ulong Seconds(ulong nanoseconds) => nanoseconds / 1_000_000_000UL;

    private ResultCode ApplyTransferWithAuthorization(TransferWithAuthorization a, ulong now, ulong height, int position)
    {
        if (GetCoin(a.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (a.Signer != a.From)
        {
            return ResultCode.SignerMismatch;
        }

        if (a.Receive && a.Submitter != a.To)
        {
            return ResultCode.CallerMustBePayee;
        }

        var key = new AuthorizationKey(a.Coin, a.From, a.Nonce);
        var check = CheckUnused(key);
        if (check != ResultCode.Ok)
        {
            return check;
        }

        var seconds = Seconds(now);
        if (seconds <= a.ValidAfter)
        {
            return ResultCode.AuthorizationNotYetValid;
        }

        if (seconds >= a.ValidBefore)
        {
            return ResultCode.AuthorizationExpired;
        }

        var code = MoveSigned(AuthorizationTransferId(a.Coin, a.From, a.Nonce), a.Coin, a.From, a.To, a.Value, a.Nonce,
            TransferWithAuthorization.TransferCode, now, height, position);
        if (code == ResultCode.Ok)
        {
            _authorizations[key] = AuthorizationState.Used;
        }

        return code;
    }

    private ResultCode ApplyCancelAuthorization(CancelAuthorization c)
    {
        if (GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (c.Signer != c.Authorizer)
        {
            return ResultCode.SignerMismatch;
        }

        var key = new AuthorizationKey(c.Coin, c.Authorizer, c.Nonce);
        var check = CheckUnused(key);
        if (check != ResultCode.Ok)
        {
            return check;
        }

        _authorizations[key] = AuthorizationState.Canceled;
        return ResultCode.Ok;
    }

    private ResultCode ApplyPermit(Permit p, ulong now)
    {
        if (GetCoin(p.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (p.Signer != p.Owner)
        {
            return ResultCode.SignerMismatch;
        }

        if (p.Spender.IsZero || p.Owner.IsZero)
        {
            return ResultCode.CreditAccountMustNotBeZero;
        }

        // A sanctioned owner or spender neither grants nor receives an allowance (screened first, as a transfer is).
        if (Screening && ScreenParties(p.Coin, p.Owner, p.Spender, _applyingHeight, now) is var screened && screened != ResultCode.Ok)
        {
            return screened;
        }

        // A frozen holder grants nothing and a frozen spender receives no allowance (the nonce stays unused).
        if (Rules >= LedgerRules.HolderProtections && (IsFrozen(p.Coin, p.Owner) || IsFrozen(p.Coin, p.Spender)))
        {
            return ResultCode.AccountFrozen;
        }

        if (Seconds(now) > p.Deadline)
        {
            return ResultCode.PermitExpired;
        }

        var nonce = GetPermitNonce(p.Coin, p.Owner);
        if (p.Nonce != nonce)
        {
            return ResultCode.NonceInvalid;
        }

        _permitNonces[(p.Coin, p.Owner)] = nonce + 1;
        _allowances[new AllowanceKey(p.Coin, p.Owner, p.Spender)] = p.Value;
        return ResultCode.Ok;
    }

    private ResultCode ApplyTransferFrom(TransferFrom t, ulong now, ulong height, int position)
    {
        if (GetCoin(t.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (t.Signer != t.Spender)
        {
            return ResultCode.SignerMismatch;
        }

        var key = new AuthorizationKey(t.Coin, t.Spender, t.Nonce);
        var check = CheckUnused(key);
        if (check != ResultCode.Ok)
        {
            return check;
        }

        if (Seconds(now) >= t.ValidBefore)
        {
            return ResultCode.AuthorizationExpired;
        }

        // The owner and recipient are checked by the transfer itself; the spender moves nobody's coins while sanctioned
        // or frozen.
        if (Screening && ScreenParty(t.Coin, t.Spender, height, now) is var screened && screened != ResultCode.Ok)
        {
            return screened;
        }

        if (Rules >= LedgerRules.HolderProtections && IsFrozen(t.Coin, t.Spender))
        {
            return ResultCode.AccountFrozen;
        }

        var allowanceKey = new AllowanceKey(t.Coin, t.From, t.Spender);
        var allowance = _allowances.TryGetValue(allowanceKey, out var a) ? a : UInt128.Zero;
        if (allowance < t.Value)
        {
            return ResultCode.InsufficientAllowance;
        }

        var code = MoveSigned(AuthorizationTransferId(t.Coin, t.Spender, t.Nonce), t.Coin, t.From, t.To, t.Value, t.Nonce,
            TransferFrom.TransferCode, now, height, position);
        if (code == ResultCode.Ok)
        {
            _authorizations[key] = AuthorizationState.Used;
            if (allowance != UInt128.MaxValue)
            {
                // An unlimited allowance (uint256 max on the wire) is never spent down, as in ERC-20.
                _allowances[allowanceKey] = allowance - t.Value;
            }
        }

        return code;
    }

    /// <summary>For a module's holder-signed command whose nonce lives in the holder's EIP-3009 nonce space of
    /// <paramref name="coin"/> (a redemption request, a liquidity deposit): Ok while the nonce is unused, else
    /// <see cref="ResultCode.AuthorizationUsed"/> or <see cref="ResultCode.AuthorizationCanceled"/>.</summary>
    public ResultCode CheckAuthorizationUnused(uint coin, Address authorizer, Hash32 nonce) => CheckUnused(new AuthorizationKey(coin, authorizer, nonce));

    /// <summary>Marks such a nonce used once the module's command applied (after <see cref="CheckAuthorizationUnused"/>).
    /// Call only from a module's Apply.</summary>
    public void UseAuthorization(uint coin, Address authorizer, Hash32 nonce)
    {
        if (GetCoin(coin) is null)
        {
            throw new ArgumentOutOfRangeException(nameof(coin), $"No coin {coin}.");
        }

        _authorizations[new AuthorizationKey(coin, authorizer, nonce)] = AuthorizationState.Used;
    }

    private bool IsFrozen(uint coin, Address address) => TryGetAccount(coin, address, out var account) && account.IsFrozen;

    private ResultCode CheckUnused(AuthorizationKey key) => GetAuthorizationState(key.Coin, key.Authorizer, key.Nonce) switch
    {
        AuthorizationState.Used => ResultCode.AuthorizationUsed,
        AuthorizationState.Canceled => ResultCode.AuthorizationCanceled,
        _ => ResultCode.Ok,
    };

    /// <summary>
    /// The ledger transfer behind a signed command. Unlike client transfers, a failure is not remembered by
    /// id: the authorization stays unused and may be submitted again once it can succeed.
    /// </summary>
    private ResultCode MoveSigned(UInt128 id, uint coin, Address from, Address to, UInt128 value, Hash32 nonce, ushort code, ulong now, ulong height, int position)
    {
        if (_transferIndex.ContainsKey(id))
        {
            return ResultCode.AuthorizationUsed;
        }

        Span<byte> memo = stackalloc byte[32];
        nonce.WriteTo(memo);
        var transfer = new Transfer
        {
            Id = id,
            DebitAccount = from,
            CreditAccount = to,
            Amount = value,
            Coin = coin,
            Code = code,
            Memo = BinaryPrimitives.ReadUInt128BigEndian(memo),
        };
        return ApplySingle(transfer, now, height, position, inChain: false, ref Unsafe.NullRef<int>());
    }
}
