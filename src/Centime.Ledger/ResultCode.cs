namespace Centime.Ledger;

/// <summary>
/// Every way a command can end. Values are persisted in the journal and in block result roots, so a value
/// never changes and is never reused: add new codes at the end of their range. The API's problem
/// <c>code</c> is <see cref="ResultCodes.ToProblemCode"/> of this (snake_case of the name), 1:1.
/// A test freezes the numbers.
/// </summary>
public enum ResultCode : ushort
{
    /// <summary>Applied.</summary>
    Ok = 0,

    // --- chains (1..9)
    /// <summary>Another event in the same linked chain failed, so this one was rolled back.</summary>
    LinkedEventFailed = 1,
    /// <summary>The batch ended with a linked chain still open (the last event had the linked flag).</summary>
    LinkedEventChainOpen = 2,

    // --- validation (10..49)
    IdMustNotBeZero = 10,
    IdMustNotBeMax = 11,
    AmountMustNotBeZero = 12,
    AccountsMustBeDifferent = 13,
    DebitAccountMustNotBeZero = 14,
    CreditAccountMustNotBeZero = 15,
    CoinNotFound = 16,
    FlagsAreMutuallyExclusive = 17,
    TimeoutReservedForPendingTransfer = 18,
    PendingIdMustBeZero = 19,
    PendingIdMustNotBeZero = 20,
    PendingIdMustBeDifferent = 21,
    ReservedFlag = 22,
    CodeMustNotBeZero = 23,
    CoinSymbolInvalid = 24,
    CoinDecimalsInvalid = 25,
    CoinCurrencyInvalid = 26,
    CoinExists = 27,
    CoinNameInvalid = 28,
    TooManyCoins = 29,

    // --- idempotency (50..69)
    /// <summary>The same id with the same fields was already applied; the original result stands.</summary>
    Exists = 50,
    ExistsWithDifferentFlags = 51,
    ExistsWithDifferentPendingId = 52,
    ExistsWithDifferentTimeout = 53,
    ExistsWithDifferentDebitAccount = 54,
    ExistsWithDifferentCreditAccount = 55,
    ExistsWithDifferentAmount = 56,
    ExistsWithDifferentMemo = 57,
    ExistsWithDifferentCoin = 58,
    ExistsWithDifferentCode = 59,
    /// <summary>The id was already used by an event that failed; retry with a new id.</summary>
    IdAlreadyFailed = 60,

    // --- accounts and balances (70..89)
    DebitAccountNotFound = 70,
    ExceedsBalance = 71,
    AccountFrozen = 72,
    OverflowsDebits = 73,
    OverflowsCredits = 74,
    OverflowsDebitsPending = 75,
    OverflowsCreditsPending = 76,
    OverflowsTimeout = 77,
    DebitAccountMustNotBeSupply = 78,
    AmountOutOfRange = 79,

    // --- holds (90..109)
    PendingTransferNotFound = 90,
    PendingTransferNotPending = 91,
    PendingTransferAlreadyPosted = 92,
    PendingTransferAlreadyVoided = 93,
    PendingTransferExpired = 94,
    PendingTransferHasDifferentDebitAccount = 95,
    PendingTransferHasDifferentCreditAccount = 96,
    PendingTransferHasDifferentCoin = 97,
    ExceedsPendingTransferAmount = 98,
    PendingTransferHasDifferentAmount = 99,

    // --- signatures and authorizations (110..149), used by holder-signed commands
    SignatureInvalid = 110,
    SignatureHighS = 111,
    SignerMismatch = 112,
    AuthorizationUsed = 113,
    AuthorizationNotYetValid = 114,
    AuthorizationExpired = 115,
    AuthorizationCanceled = 116,
    CallerMustBePayee = 117,
    WrongChainId = 118,
    WrongVerifyingContract = 119,
    ValueOutOfRange = 120,
    InsufficientAllowance = 121,
    PermitExpired = 122,
    NonceInvalid = 123,
    /// <summary>A client transfer into or out of an account a module owns (an exchange pool): use the module's commands.</summary>
    ModuleOwnedAccount = 124,
    /// <summary>The credit account is an address nobody holds a key to (a coin's verifying contract, another coin's
    /// supply account): coins sent there could never be spent again (docs/architecture.md, "Address derivation").</summary>
    CreditAccountIsSystemAddress = 125,

    // --- administration (150..199)
    Unauthorized = 150,
    Forbidden = 151,
    Paused = 152,
    UnknownCommand = 153,
    /// <summary>A sandbox coin (unbacked test money) asked of a node not started in sandbox mode (<c>centime node --sandbox</c>).</summary>
    SandboxModeOff = 154,
    /// <summary>An operator transfer out of a coin's supply account: coins are minted through issuance (deposit, mint gate), except sandbox coins on a sandbox node.</summary>
    MintRequiresIssuance = 155,
    /// <summary>An operator transfer debiting a holder: only the holder's signature, or a lawful order approved by two operators (seize), moves a holder's coins.</summary>
    HolderSignatureRequired = 156,

    // --- issuance (200..249; src/Centime.Issuance, docs/issuance.md)
    /// <summary>The operator lacks the role this action needs.</summary>
    ForbiddenRole = 200,
    /// <summary>The requester of a pending action tried to approve or reject it.</summary>
    SelfApproval = 201,
    /// <summary>The mint would push supply above eligible reserves (the mint gate).</summary>
    ReservesInsufficient = 202,
    /// <summary>The mint would push supply above 2^127 − 1 minor units.</summary>
    SupplyOverflow = 203,
    OperatorNotFound = 204,
    OperatorExists = 205,
    DepositNotFound = 206,
    DepositExists = 207,
    /// <summary>The mint is larger than the deposit's unminted remainder.</summary>
    ExceedsDeposit = 208,
    /// <summary>The mint is larger than the minter's remaining allowance.</summary>
    ExceedsMinterAllowance = 209,
    /// <summary>The mint would pass the minter's limit for the current ledger-time window.</summary>
    MintRateLimited = 210,
    ApprovalNotFound = 211,
    ApprovalNotPending = 212,
    HoldingNotFound = 213,
    HoldingExists = 214,
    HoldingInvalid = 215,
    RedemptionNotFound = 216,
    RedemptionAlreadyPaid = 217,
    /// <summary>The action id was used before.</summary>
    ActionExists = 218,
    /// <summary>A plain transfer into or out of the supply account of a coin the issuance module manages: mint and burn go through it.</summary>
    SupplyManaged = 219,
    /// <summary>A field of an issuance command is empty, too long or out of range.</summary>
    IssuanceFieldInvalid = 220,
    /// <summary>The approver is the requester's controller, is controlled by it, shares a controller with it, or controls the operator the action changes (multi-operator mode).</summary>
    ApproverNotIndependent = 221,
    /// <summary>A minter manager set the allowance of itself or of an operator it controls.</summary>
    OwnAllowance = 222,
    /// <summary>Turning approvals of administrative changes off needs a node started in single-operator mode.</summary>
    SingleOperatorModeOff = 223,
    /// <summary>A seizure names the coin's supply account, the holder as its own recipient, or an account the module cannot debit.</summary>
    SeizeTargetInvalid = 224,
    /// <summary>An issuer-key rotation names a previous key that is not the current one (another rotation ran first).</summary>
    IssuerKeyNotCurrent = 225,
    /// <summary>An issuer-key rotation names a key that signed reports before, or the current one: a key is used for one period only.</summary>
    IssuerKeyReused = 226,

    // --- contracts: ERP keys (issue 12; numbered in this range by assignment, raised by src/Centime.Contracts)
    /// <summary>A contract funded or an event sent by a key that is neither the party's own nor an ERP key the party registered and that is still valid.</summary>
    ErpKeyNotAuthorized = 227,
    /// <summary>An ERP key grant names no key, the party itself, or a validity already past.</summary>
    ErpKeyInvalid = 228,
    /// <summary>A mint through issuance onto a sandbox coin (unbacked test money: minted only by operator transfers on a sandbox node).</summary>
    SandboxCoinNotIssued = 229,

    // --- issuance: bank files, reconciliation, payout batches (issue 15; 230..249)
    /// <summary>This bank file (same SHA-256), or a statement with the same account, kind and id, was imported before: nothing changes.</summary>
    BankStatementAlreadyImported = 230,
    /// <summary>The statement's account is not the account reference of any bank holding in the coin's reserve book.</summary>
    BankAccountUnknown = 231,
    /// <summary>The reconciliation queue has no such item.</summary>
    ReconciliationItemNotFound = 232,
    /// <summary>The reconciliation item is already resolved.</summary>
    ReconciliationItemNotOpen = 233,
    /// <summary>A resolution that does not fit the item: wrong direction, an amount different from the deposit's remainder or the payout, or an unknown or paid redemption.</summary>
    ReconciliationMismatch = 234,
    /// <summary>A redemption in a payout batch is not pending, belongs to another coin, was exported before, or cannot be paid in the currency's minor units.</summary>
    PayoutNotExportable = 235,

    // --- programmable payments (300..349; src/Centime.Contracts, docs/contracts.md)
    /// <summary>A contract with this id exists.</summary>
    ContractExists = 300,
    ContractNotFound = 301,
    /// <summary>The amounts of a contract (milestones, split shares, cap) do not add up to its total.</summary>
    AmountsDoNotAddUp = 302,
    /// <summary>A role names a party the contract does not declare, or a party has no address.</summary>
    UnknownParty = 303,
    /// <summary>The basis points of a split do not sum to 10,000.</summary>
    SplitNot100Percent = 304,
    /// <summary>The event's signer is not the party the contract designates for that action.</summary>
    NotDesignatedParty = 305,
    /// <summary>The contract is settled, refunded, returned or cancelled: nothing more can happen (e.g. a second confirmation).</summary>
    ContractClosed = 306,
    /// <summary>The action does not apply to this kind of contract or to its current state.</summary>
    ContractActionInvalid = 307,
    /// <summary>A slash above the bond's remaining cap.</summary>
    ExceedsSlashCap = 308,
    /// <summary>A refund above what is left to refund of the original payment.</summary>
    ExceedsRefundable = 309,
    /// <summary>The milestone index is out of range or the milestone was confirmed before.</summary>
    MilestoneInvalid = 310,
    /// <summary>The event nonce was used before for this contract.</summary>
    ContractNonceUsed = 311,
    /// <summary>A term of a contract is missing or out of range (kind, deadline, rate, …).</summary>
    ContractTermsInvalid = 312,
    /// <summary>The payment a refund refers to does not exist or is not between the same parties in the same coin.</summary>
    OriginalPaymentNotFound = 313,
    /// <summary>A subscription charge above what is left of this period's limit.</summary>
    ExceedsPeriodLimit = 314,
    /// <summary>No open contract waits on this fact key (or none created before the fact was observed).</summary>
    FactNotAwaited = 315,
    /// <summary>An oracle fact's key or value is empty or too long, or its observation time is 0 or ahead of ledger time.</summary>
    FactInvalid = 316,

    // --- exchange (400..449; src/Centime.Exchange, docs/exchange.md)
    /// <summary>A pool with this id (or an LP coin with this symbol) exists.</summary>
    PoolExists = 400,
    PoolNotFound = 401,
    /// <summary>The pool is paused by its operator or by the depeg circuit breaker: no swaps, deposits or one-coin withdrawals.</summary>
    PoolPaused = 402,
    /// <summary>A feed the pool prices with has no rate newer than its heartbeat (ledger time): the pool is halted.</summary>
    OracleStale = 403,
    /// <summary>The latest rate of a feed the pool prices with is outside the feed's band (e.g. HKD outside 7.75–7.85): the pool is halted.</summary>
    OracleOutOfBand = 404,
    /// <summary>The rate's signer is not one of the feed's authorised signers.</summary>
    NotOracleSigner = 405,
    /// <summary>The rate is not newer than the feed's latest, or its observation time is ahead of ledger time.</summary>
    OracleRateOutdated = 406,
    FeedNotFound = 407,
    /// <summary>A quote accepted after its expiry (ledger time).</summary>
    QuoteExpired = 408,
    /// <summary>The swap would pay less than the accepted minimum output.</summary>
    SlippageExceeded = 409,
    /// <summary>A hop's price impact is above the pool's maximum.</summary>
    PriceImpactTooHigh = 410,
    /// <summary>The pool would hold more of a coin than its cap.</summary>
    PoolCapExceeded = 411,
    /// <summary>The trade is worth less than the pool's minimum trade size.</summary>
    BelowMinimumTrade = 412,
    /// <summary>A swap with this id was applied before.</summary>
    SwapExists = 413,
    /// <summary>The route is empty, longer than two pools, reuses a pool, or its coins do not chain.</summary>
    RouteInvalid = 414,
    /// <summary>The pool math refused (overflow, no convergence, invariant not increased): nothing moved.</summary>
    PoolMathRefused = 415,
    /// <summary>The pool cannot pay that much of a coin.</summary>
    InsufficientLiquidity = 416,
    /// <summary>A pool or feed parameter is out of range (coins, A, fee, ramp, band, heartbeat, risk settings).</summary>
    ExchangeTermsInvalid = 417,
    /// <summary>More LP shares burned than exist, or than the provider holds.</summary>
    LpSharesInsufficient = 418,
    /// <summary>An amount is zero or above the ledger's maximum.</summary>
    ExchangeAmountInvalid = 419,

    // --- agents / x402 (450..479; src/Centime.Agents, docs/x402.md)
    /// <summary>No <c>centime-hashchain</c> channel with this id was opened.</summary>
    X402ChannelNotFound = 450,
    /// <summary>The channel was closed (its rest refunded): it pays nothing more and never opens again.</summary>
    X402ChannelClosed = 451,
    /// <summary>The channel is already open (open it once; its state answers where it stands).</summary>
    X402ChannelExists = 452,
    /// <summary>The channel's deposit (the payer's EIP-3009 transfer to the escrow, nonce = channel id) is missing or
    /// differs from the terms.</summary>
    X402ChannelDepositMissing = 453,
    /// <summary>The word's index is not beyond what the channel already paid: that word was spent.</summary>
    X402ChannelWordSpent = 454,
    /// <summary>The index is beyond the channel's capacity, or a term is out of range.</summary>
    X402ChannelTermsInvalid = 455,
    /// <summary>A channel closes only once it expired (ledger time) or is spent.</summary>
    X402ChannelNotClosable = 456,

    // --- compliance: sanctions screening and KYC limits (500..529; src/Centime.Compliance, docs/compliance.md)
    /// <summary>A party is on a loaded sanctions list (OFAC SDN, EU consolidated, the issuer's own): it neither sends nor
    /// receives, on any path. Nothing moved.</summary>
    SanctionedAddress = 500,
    /// <summary>The amount is above the holder's KYC tier limit for one transfer.</summary>
    KycTransferLimitExceeded = 501,
    /// <summary>The holder's turnover (sent plus received) this ledger day would exceed its KYC tier's daily limit.</summary>
    KycDailyLimitExceeded = 502,
    /// <summary>The holder's turnover this ledger month would exceed its KYC tier's monthly limit.</summary>
    KycMonthlyLimitExceeded = 503,
    /// <summary>The receiving holder's balance would exceed its KYC tier's balance cap.</summary>
    KycBalanceCapExceeded = 504,
    /// <summary>A sanctions list load is malformed: unknown source, empty version, addresses unsorted or duplicated.</summary>
    SanctionsListInvalid = 505,
    /// <summary>A coin's KYC tier table is malformed (tiers out of order, a limit of zero, unknown regime).</summary>
    KycTiersInvalid = 506,
    /// <summary>A holder record is malformed (unknown tier, jurisdiction not ISO 3166 alpha-2, missing document hash).</summary>
    KycHolderInvalid = 507,

    // --- lawful orders, AML monitoring, travel rule (530..559; src/Centime.Issuance LawfulOrder, docs/compliance.md)
    /// <summary>A freeze, unfreeze or seizure by one operator's word: under rules 8 it is a lawful order (order reference and
    /// reason code), requested by one asset_protection operator and approved by a different one.</summary>
    LawfulOrderRequired = 530,
    /// <summary>A lawful order's fields do not fit its kind: order reference empty or too long, unknown reason code, an amount
    /// on a freeze, a recipient on a burn, no amount on a seizure or burn.</summary>
    LawfulOrderInvalid = 531,
    /// <summary>A freeze order names an account that is already frozen.</summary>
    AccountAlreadyFrozen = 532,
    /// <summary>An unfreeze order names an account that is not frozen.</summary>
    AccountNotFrozen = 533,
}

/// <summary>Helpers over <see cref="ResultCode"/>.</summary>
public static class ResultCodes
{
    private static readonly Dictionary<ResultCode, string> ProblemCodes = BuildProblemCodes();

    /// <summary>The stable snake_case problem code, e.g. <c>exceeds_balance</c>.</summary>
    public static string ToProblemCode(this ResultCode code) =>
        ProblemCodes.TryGetValue(code, out var s) ? s : "unknown_result_" + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when the event could succeed if retried later with a new id (balance or existence may change).</summary>
    public static bool IsTransient(this ResultCode code) => code is ResultCode.ExceedsBalance or ResultCode.DebitAccountNotFound
        or ResultCode.AccountFrozen or ResultCode.PendingTransferNotFound or ResultCode.Paused
        or ResultCode.ReservesInsufficient or ResultCode.MintRateLimited or ResultCode.SanctionedAddress
        or ResultCode.KycTransferLimitExceeded or ResultCode.KycDailyLimitExceeded or ResultCode.KycMonthlyLimitExceeded or ResultCode.KycBalanceCapExceeded;

    /// <summary>True for a successful outcome (applied now, or applied before with identical fields).</summary>
    public static bool IsSuccess(this ResultCode code) => code is ResultCode.Ok or ResultCode.Exists;

    private static Dictionary<ResultCode, string> BuildProblemCodes()
    {
        var map = new Dictionary<ResultCode, string>();
        foreach (var value in Enum.GetValues<ResultCode>())
        {
            map[value] = SnakeCase(value.ToString());
        }

        return map;
    }

    private static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            // A digit run after a letter starts a word too: SplitNot100Percent → split_not_100_percent.
            if (char.IsUpper(c) || (char.IsAsciiDigit(c) && i > 0 && char.IsAsciiLetter(name[i - 1])))
            {
                if (i > 0)
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        // "x402" is the protocol's name, one word (X402ChannelClosed → x402_channel_closed, as docs/errors.md lists it).
        return sb.ToString().Replace("x_402_", "x402_", StringComparison.Ordinal);
    }
}
