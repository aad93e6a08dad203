namespace Centime.Ledger.Tests;

/// <summary>
/// Freezes every persisted enum: these numbers are written to the journal, to snapshots and into block result
/// roots, so a name→number pair can never change and a number can never be reused. Adding a new value with a
/// new number passes; renumbering, renaming or removing a listed value, or giving a new name an already
/// frozen number, fails. When you add a value, add it to the list below too.
/// </summary>
public sealed class PersistedEnumTests
{
    private static readonly Dictionary<string, long> ResultCodes = new()
    {
        ["Ok"] = 0,
        ["LinkedEventFailed"] = 1,
        ["LinkedEventChainOpen"] = 2,
        ["IdMustNotBeZero"] = 10,
        ["IdMustNotBeMax"] = 11,
        ["AmountMustNotBeZero"] = 12,
        ["AccountsMustBeDifferent"] = 13,
        ["DebitAccountMustNotBeZero"] = 14,
        ["CreditAccountMustNotBeZero"] = 15,
        ["CoinNotFound"] = 16,
        ["FlagsAreMutuallyExclusive"] = 17,
        ["TimeoutReservedForPendingTransfer"] = 18,
        ["PendingIdMustBeZero"] = 19,
        ["PendingIdMustNotBeZero"] = 20,
        ["PendingIdMustBeDifferent"] = 21,
        ["ReservedFlag"] = 22,
        ["CodeMustNotBeZero"] = 23,
        ["CoinSymbolInvalid"] = 24,
        ["CoinDecimalsInvalid"] = 25,
        ["CoinCurrencyInvalid"] = 26,
        ["CoinExists"] = 27,
        ["CoinNameInvalid"] = 28,
        ["TooManyCoins"] = 29,
        ["Exists"] = 50,
        ["ExistsWithDifferentFlags"] = 51,
        ["ExistsWithDifferentPendingId"] = 52,
        ["ExistsWithDifferentTimeout"] = 53,
        ["ExistsWithDifferentDebitAccount"] = 54,
        ["ExistsWithDifferentCreditAccount"] = 55,
        ["ExistsWithDifferentAmount"] = 56,
        ["ExistsWithDifferentMemo"] = 57,
        ["ExistsWithDifferentCoin"] = 58,
        ["ExistsWithDifferentCode"] = 59,
        ["IdAlreadyFailed"] = 60,
        ["DebitAccountNotFound"] = 70,
        ["ExceedsBalance"] = 71,
        ["AccountFrozen"] = 72,
        ["OverflowsDebits"] = 73,
        ["OverflowsCredits"] = 74,
        ["OverflowsDebitsPending"] = 75,
        ["OverflowsCreditsPending"] = 76,
        ["OverflowsTimeout"] = 77,
        ["DebitAccountMustNotBeSupply"] = 78,
        ["AmountOutOfRange"] = 79,
        ["PendingTransferNotFound"] = 90,
        ["PendingTransferNotPending"] = 91,
        ["PendingTransferAlreadyPosted"] = 92,
        ["PendingTransferAlreadyVoided"] = 93,
        ["PendingTransferExpired"] = 94,
        ["PendingTransferHasDifferentDebitAccount"] = 95,
        ["PendingTransferHasDifferentCreditAccount"] = 96,
        ["PendingTransferHasDifferentCoin"] = 97,
        ["ExceedsPendingTransferAmount"] = 98,
        ["PendingTransferHasDifferentAmount"] = 99,
        ["SignatureInvalid"] = 110,
        ["SignatureHighS"] = 111,
        ["SignerMismatch"] = 112,
        ["AuthorizationUsed"] = 113,
        ["AuthorizationNotYetValid"] = 114,
        ["AuthorizationExpired"] = 115,
        ["AuthorizationCanceled"] = 116,
        ["CallerMustBePayee"] = 117,
        ["WrongChainId"] = 118,
        ["WrongVerifyingContract"] = 119,
        ["ValueOutOfRange"] = 120,
        ["InsufficientAllowance"] = 121,
        ["PermitExpired"] = 122,
        ["NonceInvalid"] = 123,
        ["ModuleOwnedAccount"] = 124,
        ["CreditAccountIsSystemAddress"] = 125,
        ["Unauthorized"] = 150,
        ["Forbidden"] = 151,
        ["Paused"] = 152,
        ["UnknownCommand"] = 153,
        ["SandboxModeOff"] = 154,
        ["MintRequiresIssuance"] = 155,
        ["HolderSignatureRequired"] = 156,
        ["ForbiddenRole"] = 200,
        ["SelfApproval"] = 201,
        ["ReservesInsufficient"] = 202,
        ["SupplyOverflow"] = 203,
        ["OperatorNotFound"] = 204,
        ["OperatorExists"] = 205,
        ["DepositNotFound"] = 206,
        ["DepositExists"] = 207,
        ["ExceedsDeposit"] = 208,
        ["ExceedsMinterAllowance"] = 209,
        ["MintRateLimited"] = 210,
        ["ApprovalNotFound"] = 211,
        ["ApprovalNotPending"] = 212,
        ["HoldingNotFound"] = 213,
        ["HoldingExists"] = 214,
        ["HoldingInvalid"] = 215,
        ["RedemptionNotFound"] = 216,
        ["RedemptionAlreadyPaid"] = 217,
        ["ActionExists"] = 218,
        ["SupplyManaged"] = 219,
        ["IssuanceFieldInvalid"] = 220,
        ["ApproverNotIndependent"] = 221,
        ["OwnAllowance"] = 222,
        ["SingleOperatorModeOff"] = 223,
        ["SeizeTargetInvalid"] = 224,
        ["IssuerKeyNotCurrent"] = 225,
        ["IssuerKeyReused"] = 226,
        ["ErpKeyNotAuthorized"] = 227,
        ["ErpKeyInvalid"] = 228,
        ["SandboxCoinNotIssued"] = 229,
        ["BankStatementAlreadyImported"] = 230,
        ["BankAccountUnknown"] = 231,
        ["ReconciliationItemNotFound"] = 232,
        ["ReconciliationItemNotOpen"] = 233,
        ["ReconciliationMismatch"] = 234,
        ["PayoutNotExportable"] = 235,
        ["LawfulOrderRequired"] = 530,
        ["LawfulOrderInvalid"] = 531,
        ["AccountAlreadyFrozen"] = 532,
        ["AccountNotFrozen"] = 533,
        ["ContractExists"] = 300,
        ["ContractNotFound"] = 301,
        ["AmountsDoNotAddUp"] = 302,
        ["UnknownParty"] = 303,
        ["SplitNot100Percent"] = 304,
        ["NotDesignatedParty"] = 305,
        ["ContractClosed"] = 306,
        ["ContractActionInvalid"] = 307,
        ["ExceedsSlashCap"] = 308,
        ["ExceedsRefundable"] = 309,
        ["MilestoneInvalid"] = 310,
        ["ContractNonceUsed"] = 311,
        ["ContractTermsInvalid"] = 312,
        ["OriginalPaymentNotFound"] = 313,
        ["ExceedsPeriodLimit"] = 314,
        ["FactNotAwaited"] = 315,
        ["FactInvalid"] = 316,
        ["PoolExists"] = 400,
        ["PoolNotFound"] = 401,
        ["PoolPaused"] = 402,
        ["OracleStale"] = 403,
        ["OracleOutOfBand"] = 404,
        ["NotOracleSigner"] = 405,
        ["OracleRateOutdated"] = 406,
        ["FeedNotFound"] = 407,
        ["QuoteExpired"] = 408,
        ["SlippageExceeded"] = 409,
        ["PriceImpactTooHigh"] = 410,
        ["PoolCapExceeded"] = 411,
        ["BelowMinimumTrade"] = 412,
        ["SwapExists"] = 413,
        ["RouteInvalid"] = 414,
        ["PoolMathRefused"] = 415,
        ["InsufficientLiquidity"] = 416,
        ["ExchangeTermsInvalid"] = 417,
        ["LpSharesInsufficient"] = 418,
        ["ExchangeAmountInvalid"] = 419,
        ["X402ChannelNotFound"] = 450,
        ["X402ChannelClosed"] = 451,
        ["X402ChannelExists"] = 452,
        ["X402ChannelDepositMissing"] = 453,
        ["X402ChannelWordSpent"] = 454,
        ["X402ChannelTermsInvalid"] = 455,
        ["X402ChannelNotClosable"] = 456,
        ["SanctionedAddress"] = 500,
        ["KycTransferLimitExceeded"] = 501,
        ["KycDailyLimitExceeded"] = 502,
        ["KycMonthlyLimitExceeded"] = 503,
        ["KycBalanceCapExceeded"] = 504,
        ["SanctionsListInvalid"] = 505,
        ["KycTiersInvalid"] = 506,
        ["KycHolderInvalid"] = 507,
    };

    private static readonly Dictionary<string, long> CommandKinds = new()
    {
        ["CreateCoin"] = 1,
        ["Transfer"] = 2,
        ["SetAccountFrozen"] = 3,
        ["TransferWithAuthorization"] = 4,
        ["CancelAuthorization"] = 5,
        ["Permit"] = 6,
        ["TransferFrom"] = 7,
        ["IssuanceAddOperator"] = 16,
        ["IssuanceSetOperatorRoles"] = 17,
        ["IssuanceConfigureCoin"] = 18,
        ["IssuanceConfigureMinter"] = 19,
        ["IssuanceRecordDeposit"] = 20,
        ["IssuanceMint"] = 21,
        ["IssuanceApprove"] = 22,
        ["IssuanceReject"] = 23,
        ["IssuanceRedeem"] = 24,
        ["IssuanceMarkPayoutPaid"] = 25,
        ["IssuanceSetPaused"] = 26,
        ["IssuanceAddHolding"] = 27,
        ["IssuanceUpdateHolding"] = 28,
        ["IssuanceRemoveHolding"] = 29,
        ["IssuanceSetPolicy"] = 30,
        ["IssuanceSetFrozen"] = 31,
        ["IssuanceSetGovernance"] = 32,
        ["IssuanceRotateKey"] = 33,
        ["IssuanceSeize"] = 34,
        ["IssuanceRotateIssuerKey"] = 35,
        ["IssuanceImportBankStatement"] = 36,
        ["IssuanceResolveReconciliation"] = 37,
        ["IssuanceExportPayouts"] = 38,
        ["IssuanceSetHolidayCalendar"] = 39,
        ["ContractCreate"] = 48,
        ["ContractEvent"] = 49,
        ["OracleFact"] = 50,
        ["ContractErpKey"] = 51,
        ["ExchangeConfigureFeed"] = 80,
        ["ExchangeSubmitRate"] = 81,
        ["ExchangeCreatePool"] = 82,
        ["ExchangeConfigurePool"] = 83,
        ["ExchangeAddLiquidity"] = 84,
        ["ExchangeRemoveLiquidity"] = 85,
        ["ExchangeSwap"] = 86,
        ["ExchangeWithdrawAdminFees"] = 87,
        ["X402ChannelOpen"] = 96,
        ["X402ChannelSettle"] = 97,
        ["X402ChannelClose"] = 98,
        ["ComplianceLoadSanctionsList"] = 100,
        ["ComplianceConfigureKycLimits"] = 101,
        ["ComplianceRegisterHolder"] = 102,
        ["IssuanceLawfulOrder"] = 110,
    };

    private static readonly Dictionary<string, long> AuthorizationStates = new()
    {
        ["Unused"] = 0,
        ["Used"] = 1,
        ["Canceled"] = 2,
    };

    [Fact]
    public void AuthorizationState_Values_AreFrozen() => AssertFrozen<AuthorizationState>(AuthorizationStates);

    private static readonly Dictionary<string, long> CommandFlagValues = new()
    {
        ["None"] = 0,
        ["RequestEnd"] = 1,
    };

    private static readonly Dictionary<string, long> TransferFlagValues = new()
    {
        ["None"] = 0,
        ["Linked"] = 1,
        ["Pending"] = 2,
        ["PostPending"] = 4,
        ["VoidPending"] = 8,
    };

    private static readonly Dictionary<string, long> AccountFlagValues = new()
    {
        ["None"] = 0,
        ["Frozen"] = 1,
        ["Supply"] = 2,
        ["ModuleOwned"] = 4,
        ["Keyless"] = 8,
    };

    private static readonly Dictionary<string, long> HoldStates = new()
    {
        ["None"] = 0,
        ["Pending"] = 1,
        ["Posted"] = 2,
        ["Voided"] = 3,
        ["Expired"] = 4,
    };

    [Fact]
    public void ResultCode_Values_AreFrozen() => AssertFrozen<ResultCode>(ResultCodes);

    [Fact]
    public void CommandKind_Values_AreFrozen() => AssertFrozen<CommandKind>(CommandKinds);

    [Fact]
    public void CommandFlags_Values_AreFrozen() => AssertFrozen<CommandFlags>(CommandFlagValues);

    [Fact]
    public void TransferFlags_Values_AreFrozen() => AssertFrozen<TransferFlags>(TransferFlagValues);

    [Fact]
    public void AccountFlags_Values_AreFrozen() => AssertFrozen<AccountFlags>(AccountFlagValues);

    [Fact]
    public void HoldState_Values_AreFrozen() => AssertFrozen<HoldState>(HoldStates);

    /// <summary>Rule versions are written in every block header: an old value must keep its meaning.</summary>
    [Fact]
    public void LedgerRules_Values_AreFrozen()
    {
        Assert.Equal(0, LedgerRules.Original);
        Assert.Equal(1, LedgerRules.HolderProtections);
        Assert.Equal(2, LedgerRules.Governance);
        Assert.Equal(3, LedgerRules.ModulesOnIssuedCoins);
        Assert.Equal(4, LedgerRules.HolderSignedRedemption);
        Assert.Equal(5, LedgerRules.ErpKeys);
        Assert.Equal(6, LedgerRules.NoIssuanceOfSandboxCoins);
        Assert.True(LedgerRules.Current >= LedgerRules.NoIssuanceOfSandboxCoins);
    }

    /// <summary>The persisted widths: changing an underlying type changes every encoding.</summary>
    [Fact]
    public void PersistedEnums_UnderlyingTypes_AreFrozen()
    {
        Assert.Equal(typeof(ushort), Enum.GetUnderlyingType(typeof(ResultCode)));
        Assert.Equal(typeof(byte), Enum.GetUnderlyingType(typeof(CommandKind)));
        Assert.Equal(typeof(byte), Enum.GetUnderlyingType(typeof(CommandFlags)));
        Assert.Equal(typeof(ushort), Enum.GetUnderlyingType(typeof(TransferFlags)));
        Assert.Equal(typeof(ushort), Enum.GetUnderlyingType(typeof(AccountFlags)));
        Assert.Equal(typeof(byte), Enum.GetUnderlyingType(typeof(HoldState)));
    }

    /// <summary>Problem codes are the API's stable strings: snake_case of the name, one per code.</summary>
    [Theory]
    [InlineData(ResultCode.Ok, "ok")]
    [InlineData(ResultCode.ExceedsBalance, "exceeds_balance")]
    [InlineData(ResultCode.IdAlreadyFailed, "id_already_failed")]
    [InlineData(ResultCode.PendingTransferExpired, "pending_transfer_expired")]
    [InlineData(ResultCode.LinkedEventChainOpen, "linked_event_chain_open")]
    [InlineData(ResultCode.SplitNot100Percent, "split_not_100_percent")]
    [InlineData(ResultCode.X402ChannelClosed, "x402_channel_closed")]
    public void ToProblemCode_IsSnakeCaseOfTheName(ResultCode code, string expected)
    {
        Assert.Equal(expected, code.ToProblemCode());
    }

    [Fact]
    public void ToProblemCode_IsOneToOne()
    {
        var codes = Enum.GetValues<ResultCode>().Select(c => c.ToProblemCode()).ToList();
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
    }

    private static void AssertFrozen<T>(Dictionary<string, long> frozen)
        where T : struct, Enum
    {
        var actual = Enum.GetNames<T>().ToDictionary(n => n, n => Convert.ToInt64(Enum.Parse<T>(n), System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, number) in frozen)
        {
            Assert.True(actual.TryGetValue(name, out var value), $"{typeof(T).Name}.{name} was removed or renamed; persisted values never go away.");
            Assert.True(value == number, $"{typeof(T).Name}.{name} is {value}, but {number} is persisted; never renumber.");
        }

        foreach (var (name, number) in actual)
        {
            if (!frozen.ContainsKey(name))
            {
                // A new value: fine, as long as it does not reuse a frozen number.
                var clash = frozen.FirstOrDefault(kv => kv.Value == number).Key;
                Assert.True(clash is null, $"new {typeof(T).Name}.{name} reuses {number}, which is {clash}; take a new number.");
            }
        }
    }
}
