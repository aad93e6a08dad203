using Centime.Client;
using Centime.Issuance;
using Centime.Node.Liabilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Api;

/// <summary>Proof of liabilities over HTTP (docs/transparency.md): publish (operator), latest root, history, a holder's proof.</summary>
internal static class LiabilityEndpoints
{
    public static void Map(WebApplication app, NodeContext node, LiabilitiesPublisher publisher)
    {
        var coins = app.MapGroup("/v1/coins/{symbol}/liabilities");
        coins.MapPost("", (string symbol, HttpContext http) => PublishAsync(publisher, symbol, http)).WithName("PublishLiabilities")
            .WithSummary("Build a Merkle-sum tree over every holder balance at the current height and publish its root (operator).")
            .Produces<LiabilitiesRootInfo>(201).RequiresOperatorKey();
        coins.MapGet("", (string symbol) => Latest(node, publisher, symbol)).WithName("GetLiabilities")
            .WithSummary("The latest published liabilities root: hash, total, height, holders, circulating supply.").Produces<LiabilitiesRootInfo>().Public();
        coins.MapGet("/history", (string symbol, [AsParameters] PageParameters page) => History(node, publisher, symbol, page)).WithName("ListLiabilities")
            .WithSummary("Every published liabilities root of the coin, oldest first (a page).").Produces<Page<LiabilitiesRootInfo>>().Public();
        coins.MapGet("/proof/{address}", (string symbol, string address) => Proof(publisher, symbol, address)).WithName("GetLiabilityProof")
            .WithSummary("A holder's inclusion proof in the latest published tree; verify it offline with `centime verify-proof` or on /transparency.")
            .Produces<LiabilityProof>().Public();
    }

    private static async Task<IResult> PublishAsync(LiabilitiesPublisher publisher, string symbol, HttpContext http)
    {
        var (published, failure, detail) = await publisher.PublishAsync(symbol, http.RequestAborted);
        return published is null
            ? Problem(failure, detail)
            : Results.Json(LiabilitiesRootInfo.From(published), JsonDefaults.Options, statusCode: StatusCodes.Status201Created);
    }

    private static IResult Latest(NodeContext node, LiabilitiesPublisher publisher, string symbol)
    {
        if (publisher.TryGetLatest(symbol, out var latest))
        {
            return Results.Json(LiabilitiesRootInfo.From(latest!), JsonDefaults.Options);
        }

        return node.CoinNumber(symbol) is null
            ? Problem(LiabilitiesFailure.CoinNotFound, $"no coin '{symbol}'")
            : Problem(LiabilitiesFailure.NotPublished, $"no liabilities root has been published for {symbol} yet (POST /v1/coins/{symbol}/liabilities)");
    }

    private static IResult History(NodeContext node, LiabilitiesPublisher publisher, string symbol, PageParameters page)
    {
        var query = Paging.Read(page);
        return node.CoinNumber(symbol) is null
            ? Problem(LiabilitiesFailure.CoinNotFound, $"no coin '{symbol}'")
            : Results.Json(Paging.ByPosition(publisher.History(symbol), query, LiabilitiesRootInfo.From), JsonDefaults.Options);
    }

    private static IResult Proof(LiabilitiesPublisher publisher, string symbol, string address)
    {
        var a = Endpoints.ParseAddress(address);
        var (proof, failure, detail) = publisher.GetProof(symbol, a);
        return proof is null ? Problem(failure, detail) : Results.Text(LiabilityProofJson.Serialize(proof), "application/json");
    }

    internal static IResult Problem(LiabilitiesFailure failure, string? detail) => failure switch
    {
        LiabilitiesFailure.CoinNotFound => ProblemResults.NotFound(ProblemCodes.CoinNotFound, detail ?? "no such coin"),
        LiabilitiesFailure.NotPublished => ProblemResults.NotFound(ProblemCodes.LiabilitiesNotPublished, detail ?? "nothing published yet"),
        LiabilitiesFailure.HolderNotInTree => ProblemResults.NotFound(ProblemCodes.HolderNotInTree, detail ?? "the address is not in the tree"),
        LiabilitiesFailure.ProofUnavailable => ProblemResults.Of(StatusCodes.Status409Conflict, ProblemCodes.LiabilitiesProofUnavailable, "Proof unavailable", detail),
        LiabilitiesFailure.NegativeHolderBalance => ProblemResults.Of(StatusCodes.Status500InternalServerError, ProblemCodes.NegativeHolderBalance, "Ledger invariant broken", detail),
        LiabilitiesFailure.TotalMismatch => ProblemResults.Of(StatusCodes.Status500InternalServerError, ProblemCodes.LiabilitiesTotalMismatch, "Ledger invariant broken", detail),
        _ => ProblemResults.Of(StatusCodes.Status500InternalServerError, "internal_error", "Internal error", detail),
    };
}
