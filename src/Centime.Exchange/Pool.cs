using System.Numerics;
using static Centime.Exchange.StableSwapMath;
using static Centime.Exchange.U256;

namespace Centime.Exchange;

/// <summary>
/// A StableSwap-NG pool: balances, LP share supply, the amplification ramp, fees and admin balances, with the
/// operations of <c>CurveStableSwapNG.vy</c> ported exactly (docs/exchange.md). Deterministic: time is passed in
/// (ledger time, seconds), nothing else is read. Every operation either succeeds whole or returns an
/// <see cref="ExchangeError"/> and leaves the pool untouched. Not thread-safe: the ledger module owns it.
/// </summary>
/// <remarks>
/// <see cref="StoredBalance"/> is what the pool holds (the ledger's pool account, as Vyper's <c>stored_balances</c>);
/// <see cref="Balance"/> = stored − admin is what belongs to LPs (Vyper's <c>_balances()</c>). LP share holdings per
/// account live on the ledger; the pool only tracks <see cref="TotalSupply"/>.
/// </remarks>
public sealed partial class Pool
{
    /// <summary>Fewest coins in a pool.</summary>
    public const int MinCoins = 2;
    /// <summary>Most coins in a pool (Vyper's MAX_COINS).</summary>
    public const int MaxCoins = 8;
    /// <summary>Shortest A ramp and shortest gap between ramps, seconds (MIN_RAMP_TIME).</summary>
    public const ulong MinRampTime = 86_400;
    /// <summary>A ramp changes A by at most this factor (MAX_A_CHANGE).</summary>
    public const int MaxAChange = 10;

    /// <summary>Largest fee, 1e10 scale (50%).</summary>
    public static readonly BigInteger MaxFee = 5_000_000_000;
    /// <summary>A (not A_PRECISION-scaled) must stay below this.</summary>
    public static readonly BigInteger MaxA = 1_000_000;
    /// <summary>The admin share of fees a new pool starts with (50%, as NG).</summary>
    public static readonly BigInteger DefaultAdminFee = 5_000_000_000;

    private readonly byte[] _decimals;
    private readonly BigInteger[] _rateMultipliers;
    private readonly BigInteger[] _oracleRates;
    private readonly BigInteger[] _stored;
    private readonly BigInteger[] _admin;

    private Pool(byte[] decimals)
    {
        _decimals = decimals;
        _rateMultipliers = new BigInteger[decimals.Length];
        _oracleRates = new BigInteger[decimals.Length];
        _stored = new BigInteger[decimals.Length];
        _admin = new BigInteger[decimals.Length];
        for (var i = 0; i < decimals.Length; i++)
        {
            _rateMultipliers[i] = BigInteger.Pow(10, 36 - decimals[i]);
            _oracleRates[i] = Precision;
        }
    }

    /// <summary>Number of coins.</summary>
    public int CoinCount => _decimals.Length;

    /// <summary>LP shares outstanding (18 decimals, as D).</summary>
    public BigInteger TotalSupply { get; private set; }

    /// <summary>A·A_PRECISION at the start of the current ramp.</summary>
    public BigInteger InitialA { get; private set; }

    /// <summary>A·A_PRECISION at the end of the current ramp.</summary>
    public BigInteger FutureA { get; private set; }

    /// <summary>Start of the current ramp (seconds).</summary>
    public ulong InitialATime { get; private set; }

    /// <summary>End of the current ramp (seconds); A is <see cref="FutureA"/> from then on.</summary>
    public ulong FutureATime { get; private set; }

    /// <summary>Swap fee, 1e10 scale.</summary>
    public BigInteger Fee { get; private set; }

    /// <summary>Off-peg fee multiplier, 1e10 scale (≤ 1e10 turns the dynamic fee off).</summary>
    public BigInteger OffpegFeeMultiplier { get; private set; }

    /// <summary>Admin share of fees, 1e10 scale.</summary>
    public BigInteger AdminFee { get; private set; }

    /// <summary>Decimals of coin i.</summary>
    public int Decimals(int i) => _decimals[i];

    /// <summary>The oracle rate of coin i (1e18 = 1; e.g. USD per HKD for an HKD coin in a USD-valued pool).</summary>
    public BigInteger OracleRate(int i) => _oracleRates[i];

    /// <summary>What the pool holds of coin i, admin fees included.</summary>
    public BigInteger StoredBalance(int i) => _stored[i];

    /// <summary>Admin fees of coin i not yet withdrawn.</summary>
    public BigInteger AdminBalance(int i) => _admin[i];

    /// <summary>The LPs' balance of coin i (stored − admin).</summary>
    public BigInteger Balance(int i) => _stored[i] - _admin[i];

    /// <summary>Creates an empty pool (Vyper's constructor: A·A_PRECISION, no ramp, admin fee 50%).</summary>
    /// <param name="decimals">Decimals of each coin (2 to 8 coins, each ≤ 18).</param>
    /// <param name="amplification">A (1 ≤ A &lt; MAX_A).</param>
    /// <param name="fee">Swap fee, 1e10 scale (1,000,000 = 1 bp).</param>
    /// <param name="offpegFeeMultiplier">Dynamic fee multiplier, 1e10 scale (2e10 = up to 2× the fee off peg).</param>
    public static PoolOutcome<Pool> Create(IReadOnlyList<int> decimals, BigInteger amplification, BigInteger fee, BigInteger offpegFeeMultiplier)
    {
        if (decimals.Count is < MinCoins or > MaxCoins)
        {
            return PoolOutcome<Pool>.Refused(ExchangeError.InvalidCoinCount);
        }

        var d = new byte[decimals.Count];
        for (var i = 0; i < d.Length; i++)
        {
            if (decimals[i] is < 0 or > 18)
            {
                return PoolOutcome<Pool>.Refused(ExchangeError.InvalidDecimals);
            }

            d[i] = (byte)decimals[i];
        }

        if (amplification <= 0 || amplification >= MaxA)
        {
            return PoolOutcome<Pool>.Refused(ExchangeError.AmplificationOutOfRange);
        }

        var feeCheck = CheckFee(fee, offpegFeeMultiplier);
        if (feeCheck != ExchangeError.None)
        {
            return PoolOutcome<Pool>.Refused(feeCheck);
        }

        var pool = new Pool(d)
        {
            InitialA = amplification * APrecision,
            FutureA = amplification * APrecision,
            Fee = fee,
            OffpegFeeMultiplier = offpegFeeMultiplier,
            AdminFee = DefaultAdminFee,
        };
        return PoolOutcome<Pool>.Ok(pool);
    }

    // ------------------------------------------------------------------ views

    /// <summary><c>_A()</c>: A·A_PRECISION at time <paramref name="now"/>, linear along the ramp.</summary>
    public PoolOutcome<BigInteger> AmplificationPrecise(ulong now) => Run(() => Amp(now));

    /// <summary><c>stored_rates()</c>: rate_i = 10^(36−decimals_i) · oracle_i / 1e18.</summary>
    public IReadOnlyList<BigInteger> Rates() => StoredRates();

    /// <summary><c>get_D</c> of the LP balances at time <paramref name="now"/>.</summary>
    public PoolOutcome<BigInteger> Invariant(ulong now) => Run(() => GetD(Xp(StoredRates(), LpBalances()), Amp(now)));

    /// <summary><c>get_virtual_price</c>: D·1e18 / supply.</summary>
    public PoolOutcome<BigInteger> VirtualPrice(ulong now) =>
        Run(() => Div(Mul(GetD(Xp(StoredRates(), LpBalances()), Amp(now)), Precision), TotalSupply));

    /// <summary><c>get_p</c>: state price of coins 1..n−1 in coin 0 (normalised units, 1e18 = 1).</summary>
    public PoolOutcome<IReadOnlyList<BigInteger>> SpotPrices(ulong now) => Run<IReadOnlyList<BigInteger>>(() =>
    {
        var amp = Amp(now);
        var xp = Xp(StoredRates(), LpBalances());
        return GetP(xp, amp, GetD(xp, amp));
    });

    /// <summary><c>dynamic_fee(i, j)</c>: the fee for a marginal swap between i and j now, 1e10 scale.</summary>
    public PoolOutcome<BigInteger> DynamicFee(int i, int j) => Run(() =>
    {
        CheckIndex(i);
        CheckIndex(j);
        var xp = Xp(StoredRates(), LpBalances());
        return StableSwapMath.DynamicFee(xp[i], xp[j], Fee, OffpegFeeMultiplier);
    });

    /// <summary><c>get_dy</c>: what <see cref="Exchange"/> would pay for <paramref name="dx"/> of coin i.</summary>
    public PoolOutcome<BigInteger> GetDy(int i, int j, BigInteger dx, ulong now) => Run(() => ComputeSwap(i, j, dx, now).Out);

    /// <summary><c>get_dx</c> (views contract): the input of coin i needed for <paramref name="dy"/> of coin j.</summary>
    public PoolOutcome<BigInteger> GetDx(int i, int j, BigInteger dy, ulong now) => Run(() =>
    {
        CheckPair(i, j);
        var rates = StoredRates();
        var xp = Xp(rates, LpBalances());
        var amp = Amp(now);
        var d = GetD(xp, amp);
        var dyWithFee = Add(Div(Mul(dy, rates[j]), Precision), 1);
        var fee = StableSwapMath.DynamicFee(xp[i], xp[j], Fee, OffpegFeeMultiplier);
        var y = Sub(xp[j], Div(Mul(dyWithFee, FeeDenominator), Sub(FeeDenominator, fee)));
        var x = GetY(j, i, y, xp, amp, d);
        return Div(Mul(Sub(x, xp[i]), Precision), rates[i]);
    });

    /// <summary>A quote for swapping <paramref name="dx"/> of coin i into coin j: output, fee and price impact.</summary>
    public PoolOutcome<Quote> Quote(int i, int j, BigInteger dx, ulong now) => Run(() =>
    {
        var s = ComputeSwap(i, j, dx, now);
        var rates = s.Rates;
        var p = GetP(s.Xp, s.Amp, s.D);
        var pi = i == 0 ? Precision : p[i - 1];
        var pj = j == 0 ? Precision : p[j - 1];
        var dxNorm = Div(Mul(dx, rates[i]), Precision);
        var ideal = Div(Mul(Div(Mul(dxNorm, pi), pj), Precision), rates[j]);
        var beforeFee = Div(Mul(s.DyNormalised, Precision), rates[j]);
        var fee = Div(Mul(s.DyFee, Precision), rates[j]);
        return new Quote(i, j, dx, s.Out, beforeFee, fee, ideal, s.FeeRate, ShortfallRate(ideal, beforeFee), ShortfallRate(ideal, s.Out));
    });

    /// <summary><c>calc_token_amount</c> (views contract): LP shares minted by a deposit, or burned by a withdrawal, of <paramref name="amounts"/>.</summary>
    public PoolOutcome<BigInteger> CalcTokenAmount(IReadOnlyList<BigInteger> amounts, bool isDeposit, ulong now) => Run(() =>
    {
        CheckCount(amounts);
        var amp = Amp(now);
        var rates = StoredRates();
        var oldBalances = LpBalances();
        var d0 = GetD(Xp(rates, oldBalances), amp);
        var totalSupply = TotalSupply;
        var newBalances = (BigInteger[])oldBalances.Clone();
        for (var i = 0; i < newBalances.Length; i++)
        {
            newBalances[i] = isDeposit ? Add(newBalances[i], amounts[i]) : Sub(newBalances[i], amounts[i]);
        }

        var d1 = GetD(Xp(rates, newBalances), amp);
        if (totalSupply.IsZero)
        {
            return d1; // take the dust if there was any
        }

        var fees = ImbalanceFees(rates, oldBalances, newBalances, d0, d1);
        for (var i = 0; i < newBalances.Length; i++)
        {
            newBalances[i] = Sub(newBalances[i], fees[i]);
        }

        var d2 = GetD(Xp(rates, newBalances), amp);
        var diff = isDeposit ? Sub(d2, d0) : Sub(d0, d2);
        return Div(Mul(diff, totalSupply), d0);
    });

    /// <summary><c>calc_withdraw_one_coin</c>: what burning <paramref name="burnAmount"/> shares for coin i alone pays.</summary>
    public PoolOutcome<OneCoinWithdrawalResult> CalcWithdrawOneCoin(BigInteger burnAmount, int i, ulong now) => Run(() =>
    {
        CheckIndex(i);
        var (dy, fee) = WithdrawOneCoin(burnAmount, i, now);
        return new OneCoinWithdrawalResult(dy, fee);
    });

    // -------------------------------------------------------------- mutations

    /// <summary><c>exchange</c>: swap <paramref name="dx"/> of coin i for at least <paramref name="minDy"/> of coin j.</summary>
    public PoolOutcome<SwapResult> Exchange(int i, int j, BigInteger dx, BigInteger minDy, ulong now) => Run(() =>
    {
        var s = ComputeSwap(i, j, dx, now);
        if (s.Out < minDy)
        {
            U256.Fail(ExchangeError.Slippage);
        }

        var stored = (BigInteger[])_stored.Clone();
        var admin = (BigInteger[])_admin.Clone();
        stored[i] = Add(stored[i], dx);
        stored[j] = Liquidity(stored[j], s.Out);
        admin[j] = Add(admin[j], s.AdminFee);
        CheckSolvent(stored, admin);
        Commit(stored, admin, TotalSupply);
        return new SwapResult(dx, s.Out, Div(Mul(s.DyFee, Precision), s.Rates[j]), s.AdminFee);
    });

    /// <summary><c>add_liquidity</c>: deposit <paramref name="amounts"/> for at least <paramref name="minMintAmount"/> LP shares.</summary>
    public PoolOutcome<DepositResult> AddLiquidity(IReadOnlyList<BigInteger> amounts, BigInteger minMintAmount, ulong now) => Run(() =>
    {
        CheckCount(amounts);
        var amp = Amp(now);
        var oldBalances = LpBalances();
        var rates = StoredRates();
        var d0 = GetD(Xp(rates, oldBalances), amp);
        var totalSupply = TotalSupply;
        var newBalances = (BigInteger[])oldBalances.Clone();
        for (var i = 0; i < newBalances.Length; i++)
        {
            if (amounts[i].Sign < 0)
            {
                U256.Fail(ExchangeError.Underflow);
            }

            if (amounts[i] > 0)
            {
                newBalances[i] = Add(newBalances[i], amounts[i]);
            }
            else if (totalSupply.IsZero)
            {
                U256.Fail(ExchangeError.InitialDepositRequiresAllCoins);
            }
        }

        var d1 = GetD(Xp(rates, newBalances), amp);
        if (d1 <= d0)
        {
            U256.Fail(ExchangeError.InvariantNotIncreased);
        }

        var fees = new BigInteger[CoinCount];
        var admin = (BigInteger[])_admin.Clone();
        BigInteger mint;
        if (totalSupply > 0)
        {
            fees = ImbalanceFees(rates, oldBalances, newBalances, d0, d1);
            for (var i = 0; i < newBalances.Length; i++)
            {
                admin[i] = Add(admin[i], Div(Mul(fees[i], AdminFee), FeeDenominator));
                newBalances[i] = Sub(newBalances[i], fees[i]);
            }

            d1 = GetD(Xp(rates, newBalances), amp);
            mint = Div(Mul(totalSupply, Sub(d1, d0)), d0);
        }
        else
        {
            mint = d1; // take the dust if there was any
        }

        if (mint < minMintAmount)
        {
            U256.Fail(ExchangeError.Slippage);
        }

        var stored = (BigInteger[])_stored.Clone();
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = Add(stored[i], amounts[i]);
        }

        CheckSolvent(stored, admin);
        Commit(stored, admin, Add(totalSupply, mint));
        return new DepositResult(mint, fees);
    });

    /// <summary><c>remove_liquidity</c>: burn shares for a proportional part of every coin, no fee (admin fees stay; see <see cref="WithdrawAdminFees"/>).</summary>
    public PoolOutcome<IReadOnlyList<BigInteger>> RemoveLiquidity(BigInteger burnAmount, IReadOnlyList<BigInteger> minAmounts) => Run<IReadOnlyList<BigInteger>>(() =>
    {
        var totalSupply = TotalSupply;
        if (burnAmount.IsZero)
        {
            U256.Fail(ExchangeError.ZeroAmount);
        }

        CheckCount(minAmounts);
        CheckBurn(burnAmount);
        var balances = LpBalances();
        var amounts = new BigInteger[CoinCount];
        var stored = (BigInteger[])_stored.Clone();
        for (var i = 0; i < amounts.Length; i++)
        {
            amounts[i] = Div(Mul(balances[i], burnAmount), totalSupply);
            if (amounts[i] < minAmounts[i])
            {
                U256.Fail(ExchangeError.Slippage);
            }

            stored[i] = Liquidity(stored[i], amounts[i]);
        }

        CheckSolvent(stored, _admin);
        Commit(stored, _admin, totalSupply - burnAmount);
        return amounts;
    });

    /// <summary><c>remove_liquidity_imbalance</c>: withdraw exactly <paramref name="amounts"/>, burning at most <paramref name="maxBurnAmount"/> shares.</summary>
    public PoolOutcome<ImbalancedWithdrawalResult> RemoveLiquidityImbalance(IReadOnlyList<BigInteger> amounts, BigInteger maxBurnAmount, ulong now) => Run(() =>
    {
        CheckCount(amounts);
        var amp = Amp(now);
        var rates = StoredRates();
        var oldBalances = LpBalances();
        var d0 = GetD(Xp(rates, oldBalances), amp);
        var newBalances = (BigInteger[])oldBalances.Clone();
        for (var i = 0; i < newBalances.Length; i++)
        {
            if (amounts[i].Sign < 0)
            {
                U256.Fail(ExchangeError.Underflow);
            }

            newBalances[i] = Liquidity(newBalances[i], amounts[i]);
        }

        var d1 = GetD(Xp(rates, newBalances), amp);
        var fees = ImbalanceFees(rates, oldBalances, newBalances, d0, d1);
        var admin = (BigInteger[])_admin.Clone();
        for (var i = 0; i < newBalances.Length; i++)
        {
            admin[i] = Add(admin[i], Div(Mul(fees[i], AdminFee), FeeDenominator));
            newBalances[i] = Sub(newBalances[i], fees[i]);
        }

        d1 = GetD(Xp(rates, newBalances), amp);
        var totalSupply = TotalSupply;
        var burn = Add(Div(Mul(Sub(d0, d1), totalSupply), d0), 1);
        if (burn <= 1)
        {
            U256.Fail(ExchangeError.ZeroBurn);
        }

        if (burn > maxBurnAmount)
        {
            U256.Fail(ExchangeError.Slippage);
        }

        CheckBurn(burn);
        var stored = (BigInteger[])_stored.Clone();
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = Liquidity(stored[i], amounts[i]);
        }

        CheckSolvent(stored, admin);
        Commit(stored, admin, totalSupply - burn);
        return new ImbalancedWithdrawalResult(burn, fees);
    });

    /// <summary><c>remove_liquidity_one_coin</c>: burn shares for coin i alone, receiving at least <paramref name="minReceived"/>.</summary>
    public PoolOutcome<OneCoinWithdrawalResult> RemoveLiquidityOneCoin(BigInteger burnAmount, int i, BigInteger minReceived, ulong now) => Run(() =>
    {
        if (burnAmount.IsZero)
        {
            U256.Fail(ExchangeError.ZeroAmount);
        }

        CheckIndex(i);
        CheckBurn(burnAmount);
        var (dy, fee) = WithdrawOneCoin(burnAmount, i, now);
        if (dy < minReceived)
        {
            U256.Fail(ExchangeError.Slippage);
        }

        var stored = (BigInteger[])_stored.Clone();
        var admin = (BigInteger[])_admin.Clone();
        admin[i] = Add(admin[i], Div(Mul(fee, AdminFee), FeeDenominator));
        stored[i] = Liquidity(stored[i], dy);
        CheckSolvent(stored, admin);
        Commit(stored, admin, TotalSupply - burnAmount);
        return new OneCoinWithdrawalResult(dy, fee);
    });

    /// <summary><c>_withdraw_admin_fees</c>: pays out and zeroes the admin balances.</summary>
    public IReadOnlyList<BigInteger> WithdrawAdminFees()
    {
        var paid = (BigInteger[])_admin.Clone();
        for (var i = 0; i < paid.Length; i++)
        {
            _stored[i] -= paid[i];
            _admin[i] = BigInteger.Zero;
        }

        return paid;
    }

    /// <summary><c>ramp_A</c>: move A linearly to <paramref name="futureA"/> (not scaled) by <paramref name="futureTime"/>.</summary>
    public ExchangeError RampA(BigInteger futureA, ulong futureTime, ulong now)
    {
        var outcome = Run(() =>
        {
            if (now < InitialATime + MinRampTime)
            {
                U256.Fail(ExchangeError.RampTooSoon);
            }

            if (futureTime < now + MinRampTime)
            {
                U256.Fail(ExchangeError.RampTooShort);
            }

            var initial = Amp(now);
            if (futureA <= 0 || futureA >= MaxA)
            {
                U256.Fail(ExchangeError.AmplificationOutOfRange);
            }

            var futureAp = futureA * APrecision;
            if (futureAp < initial ? futureAp * MaxAChange < initial : futureAp > initial * MaxAChange)
            {
                U256.Fail(ExchangeError.RampChangeTooLarge);
            }

            InitialA = initial;
            FutureA = futureAp;
            InitialATime = now;
            FutureATime = futureTime;
            return true;
        });
        return outcome.Error;
    }

    /// <summary><c>stop_ramp_A</c>: freeze A at its value now.</summary>
    public ExchangeError StopRampA(ulong now)
    {
        var current = AmplificationPrecise(now);
        if (!current.IsSuccess)
        {
            return current.Error;
        }

        InitialA = current.Value;
        FutureA = current.Value;
        InitialATime = now;
        FutureATime = now;
        return ExchangeError.None;
    }

    /// <summary><c>set_new_fee</c>.</summary>
    public ExchangeError SetFee(BigInteger fee, BigInteger offpegFeeMultiplier)
    {
        var error = CheckFee(fee, offpegFeeMultiplier);
        if (error == ExchangeError.None)
        {
            Fee = fee;
            OffpegFeeMultiplier = offpegFeeMultiplier;
        }

        return error;
    }

    /// <summary><c>set_new_admin_fee</c>.</summary>
    public ExchangeError SetAdminFee(BigInteger adminFee)
    {
        if (adminFee.Sign < 0 || adminFee > MaxFee)
        {
            return ExchangeError.AdminFeeTooHigh;
        }

        AdminFee = adminFee;
        return ExchangeError.None;
    }

    /// <summary>Sets the oracle rate of coin i (1e18 scale), the asset-type-1 multiplier of NG (the FX oracle feeds this).</summary>
    public ExchangeError SetOracleRate(int i, BigInteger rate)
    {
        if ((uint)i >= (uint)CoinCount)
        {
            return ExchangeError.CoinIndexOutOfRange;
        }

        if (rate <= 0 || rate > U256.Max)
        {
            return ExchangeError.InvalidRate;
        }

        _oracleRates[i] = rate;
        return ExchangeError.None;
    }

    // ------------------------------------------------------------- internals

    /// <summary>Test and bench seam: a pool in an arbitrary state (Vyper test fixtures set storage directly).</summary>
    internal void SetState(IReadOnlyList<BigInteger> stored, IReadOnlyList<BigInteger> admin, BigInteger totalSupply)
    {
        for (var i = 0; i < CoinCount; i++)
        {
            _stored[i] = stored[i];
            _admin[i] = admin[i];
        }

        TotalSupply = totalSupply;
    }

    private readonly record struct SwapComputation(
        BigInteger Out, BigInteger DyNormalised, BigInteger DyFee, BigInteger FeeRate, BigInteger AdminFee,
        BigInteger[] Rates, BigInteger[] Xp, BigInteger Amp, BigInteger D);

    /// <summary><c>_exchange</c> + <c>__exchange</c> up to the transfers.</summary>
    private SwapComputation ComputeSwap(int i, int j, BigInteger dx, ulong now)
    {
        CheckPair(i, j);
        if (dx.IsZero)
        {
            U256.Fail(ExchangeError.ZeroAmount);
        }

        if (dx.Sign < 0)
        {
            U256.Fail(ExchangeError.Underflow);
        }

        var rates = StoredRates();
        var xp = Xp(rates, LpBalances());
        var x = Add(xp[i], Div(Mul(dx, rates[i]), Precision));
        var amp = Amp(now);
        var d = GetD(xp, amp);
        var y = GetY(i, j, x, xp, amp, d);
        var dy = Sub(Sub(xp[j], y), 1); // -1 just in case there were some rounding errors
        var feeRate = StableSwapMath.DynamicFee(Div(Add(xp[i], x), 2), Div(Add(xp[j], y), 2), Fee, OffpegFeeMultiplier);
        var dyFee = Div(Mul(dy, feeRate), FeeDenominator);
        var output = Div(Mul(Sub(dy, dyFee), Precision), rates[j]);
        var adminFee = Div(Mul(Div(Mul(dyFee, AdminFee), FeeDenominator), Precision), rates[j]);
        return new SwapComputation(output, dy, dyFee, feeRate, adminFee, rates, xp, amp, d);
    }

    /// <summary>The per-coin imbalance fee of add_liquidity / remove_liquidity_imbalance / calc_token_amount.</summary>
    private BigInteger[] ImbalanceFees(BigInteger[] rates, BigInteger[] oldBalances, BigInteger[] newBalances, BigInteger d0, BigInteger d1)
    {
        var n = new BigInteger(CoinCount);
        var ys = Div(Add(d0, d1), n);
        var baseFee = Div(Mul(Fee, n), Mul(4, n - 1));
        var fees = new BigInteger[CoinCount];
        for (var i = 0; i < fees.Length; i++)
        {
            var ideal = Div(Mul(d1, oldBalances[i]), d0);
            var newBalance = newBalances[i];
            var difference = ideal > newBalance ? ideal - newBalance : newBalance - ideal;
            var xs = Div(Mul(rates[i], Add(oldBalances[i], newBalance)), Precision);
            var dynamicFee = StableSwapMath.DynamicFee(xs, ys, baseFee, OffpegFeeMultiplier);
            fees[i] = Div(Mul(dynamicFee, difference), FeeDenominator);
        }

        return fees;
    }

    /// <summary><c>_calc_withdraw_one_coin</c>: (dy, fee) in raw units of coin i.</summary>
    private (BigInteger Dy, BigInteger Fee) WithdrawOneCoin(BigInteger burnAmount, int i, ulong now)
    {
        var amp = Amp(now);
        var rates = StoredRates();
        var xp = Xp(rates, LpBalances());
        var d0 = GetD(xp, amp);
        var totalSupply = TotalSupply;
        var d1 = Sub(d0, Div(Mul(burnAmount, d0), totalSupply));
        var newY = GetYD(amp, i, xp, d1);

        var n = new BigInteger(CoinCount);
        var baseFee = Div(Mul(Fee, n), Mul(4, n - 1));
        var xpReduced = (BigInteger[])xp.Clone();
        var ys = Div(Add(d0, d1), Mul(2, n));
        for (var j = 0; j < CoinCount; j++)
        {
            BigInteger dxExpected;
            BigInteger xavg;
            var xpJ = xp[j];
            if (j == i)
            {
                dxExpected = Sub(Div(Mul(xpJ, d1), d0), newY);
                xavg = Div(Add(xpJ, newY), 2);
            }
            else
            {
                dxExpected = Sub(xpJ, Div(Mul(xpJ, d1), d0));
                xavg = xpJ;
            }

            var dynamicFee = StableSwapMath.DynamicFee(xavg, ys, baseFee, OffpegFeeMultiplier);
            xpReduced[j] = Sub(xpJ, Div(Mul(dynamicFee, dxExpected), FeeDenominator));
        }

        var dy = Sub(xpReduced[i], GetYD(amp, i, xpReduced, d1));
        var dy0 = Div(Mul(Sub(xp[i], newY), Precision), rates[i]); // without fees
        dy = Div(Mul(Sub(dy, 1), Precision), rates[i]); // withdraw less to account for rounding errors
        return (dy, Sub(dy0, dy));
    }

    /// <summary><c>_A()</c>.</summary>
    private BigInteger Amp(ulong now)
    {
        var t1 = FutureATime;
        var a1 = FutureA;
        if (now < t1)
        {
            var a0 = InitialA;
            var t0 = InitialATime;
            var elapsed = Sub(now, t0);
            var span = Sub(t1, t0);
            return a1 > a0
                ? Add(a0, Div(Mul(a1 - a0, elapsed), span))
                : Sub(a0, Div(Mul(a0 - a1, elapsed), span));
        }

        return a1;
    }

    private BigInteger[] StoredRates()
    {
        var rates = new BigInteger[CoinCount];
        for (var i = 0; i < rates.Length; i++)
        {
            rates[i] = Div(Mul(_rateMultipliers[i], _oracleRates[i]), Precision);
        }

        return rates;
    }

    private BigInteger[] LpBalances()
    {
        var balances = new BigInteger[CoinCount];
        for (var i = 0; i < balances.Length; i++)
        {
            balances[i] = Sub(_stored[i], _admin[i]);
        }

        return balances;
    }

    private static BigInteger ShortfallRate(BigInteger reference, BigInteger actual)
    {
        if (reference <= actual || reference.IsZero)
        {
            return BigInteger.Zero;
        }

        // Ceiling: a quoted cost never understates what the trader gives up.
        var numerator = Mul(reference - actual, FeeDenominator);
        return Div(Add(numerator, reference - 1), reference);
    }

    private static ExchangeError CheckFee(BigInteger fee, BigInteger offpegFeeMultiplier)
    {
        if (fee.Sign < 0 || fee > MaxFee)
        {
            return ExchangeError.FeeTooHigh;
        }

        if (offpegFeeMultiplier.Sign < 0 || offpegFeeMultiplier * fee > MaxFee * FeeDenominator)
        {
            return ExchangeError.OffpegMultiplierTooHigh;
        }

        return ExchangeError.None;
    }

    private void CheckIndex(int i)
    {
        if ((uint)i >= (uint)CoinCount)
        {
            U256.Fail(ExchangeError.CoinIndexOutOfRange);
        }
    }

    private void CheckPair(int i, int j)
    {
        CheckIndex(i);
        CheckIndex(j);
        if (i == j)
        {
            U256.Fail(ExchangeError.SameCoin);
        }
    }

    private void CheckCount(IReadOnlyList<BigInteger> amounts)
    {
        if (amounts.Count != CoinCount)
        {
            U256.Fail(ExchangeError.AmountCountMismatch);
        }
    }

    private void CheckBurn(BigInteger burnAmount)
    {
        if (burnAmount.Sign < 0 || burnAmount > TotalSupply || TotalSupply.IsZero)
        {
            U256.Fail(ExchangeError.InsufficientShares);
        }
    }

    /// <summary>A payment out of the pool: refused as insufficient liquidity rather than a bare underflow.</summary>
    private static BigInteger Liquidity(BigInteger held, BigInteger paid)
    {
        if (paid > held)
        {
            U256.Fail(ExchangeError.InsufficientLiquidity);
        }

        return held - paid;
    }

    private static void CheckSolvent(BigInteger[] stored, BigInteger[] admin)
    {
        for (var i = 0; i < stored.Length; i++)
        {
            if (stored[i] < admin[i])
            {
                U256.Fail(ExchangeError.InsufficientLiquidity);
            }
        }
    }

    private void Commit(BigInteger[] stored, BigInteger[] admin, BigInteger totalSupply)
    {
        Array.Copy(stored, _stored, stored.Length);
        Array.Copy(admin, _admin, admin.Length);
        TotalSupply = totalSupply;
    }

    private static PoolOutcome<T> Run<T>(Func<T> operation)
    {
        try
        {
            return PoolOutcome<T>.Ok(operation());
        }
        catch (PoolMathException e)
        {
            return PoolOutcome<T>.Refused(e.Error);
        }
        catch (OverflowException)
        {
            // checked ulong time arithmetic (ramp bounds near ulong.MaxValue)
            return PoolOutcome<T>.Refused(ExchangeError.Overflow);
        }
    }
}
