using System.Text.Json;
using Centime.Client;
using Centime.Ledger;
using Microsoft.AspNetCore.Http;

namespace Centime.Node.Api;

/// <summary>
/// Request-level problem codes (RFC 7807 <c>code</c>). Ledger outcomes use <see cref="ResultCodes.ToProblemCode"/>;
/// both are listed in docs/errors.md and never change meaning.
/// </summary>
public static class ProblemCodes
{
    public const string MalformedJson = "malformed_json";
    public const string UnknownField = "unknown_field";
    public const string DuplicateField = "duplicate_field";
    public const string InvalidField = "invalid_field";
    public const string MissingField = "missing_field";
    public const string AmountOutOfRange = "amount_out_of_range";
    public const string BatchEmpty = "batch_empty";
    public const string BatchTooLarge = "batch_too_large";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RequestTimeout = "request_timeout";
    public const string BadRequest = "bad_request";
    public const string UriTooLong = "uri_too_long";
    public const string RequestHeadersTooLarge = "request_headers_too_large";
    public const string Unauthorized = "unauthorized";
    public const string CoinNotFound = "coin_not_found";
    /// <summary>A bank file that is not camt.053/054 XML, or lacks an element the import needs.</summary>
    public const string BankFileInvalid = Centime.Issuance.Bank.BankFileException.Invalid;
    /// <summary>A bank amount with more decimals than its currency has, or one the coin cannot hold exactly.</summary>
    public const string BankAmountInvalid = Centime.Issuance.Bank.BankFileException.AmountInvalid;
    /// <summary>A bank account or amount in another currency than the coin's.</summary>
    public const string BankCurrencyMismatch = Centime.Issuance.Bank.BankFileException.CurrencyMismatch;
    /// <summary>A payout export found no pending payout that is not exported yet and that a bank can pay.</summary>
    public const string NoPayoutsToExport = "no_payouts_to_export";
    /// <summary>No payout batch with this id in this coin.</summary>
    public const string PayoutBatchNotFound = "payout_batch_not_found";
    /// <summary>A holiday file that is neither iCalendar nor 'yyyy-MM-dd name' lines, or has too many holidays.</summary>
    public const string HolidayFileInvalid = "holiday_file_invalid";
    public const string TransferNotFound = "transfer_not_found";
    public const string BlockNotFound = "block_not_found";
    public const string InvalidAddress = "invalid_address";
    public const string InvalidQuery = "invalid_query";
    public const string InvalidCursor = "invalid_cursor";
    public const string NodeUnavailable = "node_unavailable";
    public const string NotLeader = "not_leader";
    public const string LiabilitiesNotPublished = "liabilities_not_published";
    public const string HolderNotInTree = "holder_not_in_tree";
    public const string LiabilitiesProofUnavailable = "liabilities_proof_unavailable";
    public const string LiabilitiesTotalMismatch = "liabilities_total_mismatch";
    public const string NegativeHolderBalance = "negative_holder_balance";
    public const string DiscoveryPayToMismatch = "discovery_pay_to_mismatch";
    public const string DiscoveryRegistrationStale = "discovery_registration_stale";
    public const string DiscoveryRateLimited = "discovery_rate_limited";
    public const string DiscoveryPayToFull = "discovery_pay_to_full";
    public const string DiscoveryFull = "discovery_full";
    public const string ReportBeforeCoin = "report_before_coin";
    public const string ReportPeriodNotRecorded = "report_period_not_recorded";
}

/// <summary>Raised inside request handling to answer with a problem; caught by the problem middleware.</summary>
public sealed class ProblemException(int status, string code, string title, string? detail = null, int? index = null) : Exception(detail ?? title)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public int? Index { get; } = index;

    public Problem ToProblem() => new("urn:centime:problem:" + Code, Title, Status, Detail, Code, Index);
}

/// <summary>Writes problems as application/problem+json.</summary>
public static class ProblemResults
{
    public static IResult Of(int status, string code, string title, string? detail = null, int? index = null) =>
        new ProblemResult(new ProblemException(status, code, title, detail, index).ToProblem());

    public static IResult NotFound(string code, string detail) => Of(StatusCodes.Status404NotFound, code, "Not found", detail);

    public static IResult BadRequest(string code, string detail, int? index = null) => Of(StatusCodes.Status400BadRequest, code, "Invalid request", detail, index);

    /// <summary>A ledger outcome that failed a single administrative command.</summary>
    public static IResult FromResult(ResultCode code, string detail) =>
        Of(code is ResultCode.CoinExists ? StatusCodes.Status409Conflict : StatusCodes.Status422UnprocessableEntity, code.ToProblemCode(), "Command refused", detail);

    internal sealed class ProblemResult(Problem problem) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = problem.Status;
            httpContext.Response.ContentType = "application/problem+json";
            await JsonSerializer.SerializeAsync(httpContext.Response.Body, problem, JsonDefaults.Options, httpContext.RequestAborted);
        }
    }
}

/// <summary>Shared JSON settings: camelCase, no nulls written for optional fields.</summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,

        // A repeated key is refused, not "last one wins": {"amount":"1","amount":"900000"} must not move 900000.
        AllowDuplicateProperties = false,

        // API responses are JSON, never inlined into HTML: keep quotes and apostrophes readable in details.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,

        // Text fields (amounts, ids, addresses…) are JSON strings on every route; a number there is invalid_field.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver { Modifiers = { JsonStringFields.Modify } },
    };
}
