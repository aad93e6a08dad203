using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Centime.Client;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Api;

/// <summary>The REST API under /v1 (docs/api.md). Reads are public, like a block explorer; writes need the operator key.</summary>
public static class Endpoints
{
    private const int MaxBodyBytes = 16 << 20;

    public static void Map(WebApplication app, NodeContext node)
    {
        var v1 = app.MapGroup("/v1");

        v1.MapGet("/health", () => Health(node)).WithName("Health").WithSummary("Node status and chain head.").Public();

        v1.MapGet("/coins", ([AsParameters] PageParameters page) => ListCoins(node, page)).WithName("ListCoins")
            .WithSummary("Coins with their supply and EIP-712 domain, by number (a page: docs/api.md 'Lists').").Produces<Page<CoinInfo>>().Public();
        v1.MapGet("/coins/{symbol}", (string symbol) => GetCoin(node, symbol)).WithName("GetCoin").WithSummary("One coin.").Public();
        v1.MapPost("/coins", (HttpRequest request) => CreateCoinAsync(node, request.HttpContext)).WithName("CreateCoin")
            .WithSummary("Create a coin (operator).").Accepts<CreateCoinRequest>("application/json").Produces<CoinInfo>(201).RequiresOperatorKey();

        v1.MapPost("/transfers", (HttpRequest request) => SubmitTransfersAsync(node, request.HttpContext)).WithName("SubmitTransfers")
            .WithSummary("Submit a batch of up to 8,189 transfers (operator). Answers once the batch is durable.")
            .Accepts<TransferBatchRequest>("application/json").Produces<TransferBatchResponse>().RequiresOperatorKey();
        v1.MapGet("/transfers/{id}", (string id) => GetTransfer(node, id)).WithName("GetTransfer").WithSummary("A transfer by id.").Public();
        v1.MapGet("/transfers/{id}/proof", (string id) => GetProof(node, id)).WithName("GetInclusionProof")
            .WithSummary("Merkle inclusion proof of a transfer, checkable offline with `centime verify-inclusion`.").Public();

        v1.MapGet("/accounts/{address}", (string address) => GetAccount(node, address)).WithName("GetAccount").WithSummary("Balances of an address in every coin.").Public();
        v1.MapGet("/accounts/{address}/history", (string address, string? coin, [AsParameters] PageParameters page) => GetHistory(node, address, coin, page))
            .WithName("GetHistory").WithSummary("Transfers of an account in a coin, newest first (a page).").Produces<Page<TransferInfo>>().Public();

        v1.MapGet("/blocks", ([AsParameters] PageParameters page) => ListBlocks(node, page)).WithName("ListBlocks").WithSummary("Block headers, newest first (a page).")
            .Produces<Page<BlockInfo>>().Public();
        v1.MapGet("/blocks/{height}", (string height, bool? commands) => GetBlock(node, height, commands ?? false)).WithName("GetBlock").WithSummary("One block header (and its commands with ?commands=true).").Public();
    }

    private static IResult Health(NodeContext node)
    {
        var s = node.Sequencer;
        if (s.Fault is not null)
        {
            return ProblemResults.Of(503, ProblemCodes.NodeUnavailable, "Node unavailable", "the ledger writer stopped; restart the node");
        }

        ulong height;
        int coins, accounts, transfers;
        using (s.ReadLock())
        {
            var st = s.State;
            (height, coins, accounts, transfers) = (st.Height, st.CoinCount, st.AccountCount, st.TransferCount);
        }

        // The read section has waited for that height to be durable; the journal holds its header.
        var hash = height == 0 ? Hash32.Zero : s.Journal.ReadHeader(height).ComputeHash();
        var store = s.Journal;
        return Results.Json(new HealthInfo("ok", height, hash.ToString(), coins, accounts, transfers,
            node.Options.ChainId, typeof(Endpoints).Assembly.GetName().Version?.ToString() ?? "0")
        {
            Role = s.IsFollower ? "follower" : store.Role,
            Term = store.Term,
            Leader = store.Leader,
            DurableHeight = s.DurableHeight,
            LagBlocks = store.KnownHeight > height ? store.KnownHeight - height : 0,
        }, JsonDefaults.Options);
    }

    private static IResult ListCoins(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var st = view.State;
            return Results.Json(Paging.ByNumber(st.Coins.OrderBy(c => c.Number), c => c.Number, query, c => Mapping.ToInfo(c, st, node.Options.ChainId)), JsonDefaults.Options);
        }
    }

    private static IResult GetCoin(NodeContext node, string symbol)
    {
        using (var view = node.Read())
        {
            var st = view.State;
            return st.TryGetCoin(symbol, out var coin)
                ? Results.Json(Mapping.ToInfo(coin, st, node.Options.ChainId), JsonDefaults.Options)
                : ProblemResults.NotFound(ProblemCodes.CoinNotFound, $"no coin '{symbol}'");
        }
    }

    private static async Task<IResult> CreateCoinAsync(NodeContext node, HttpContext http)
    {
        var request = await ReadJsonAsync<CreateCoinRequest>(http);
        if (request.Symbol is null || request.Currency is null)
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "'symbol' and 'currency' are required");
        }

        if (request.Decimals is < 0 or > 18)
        {
            return ProblemResults.FromResult(ResultCode.CoinDecimalsInvalid, "decimals must be 0..18");
        }

        var sandbox = request.Sandbox ?? node.Options.Sandbox;
        if (sandbox && !node.Options.Sandbox)
        {
            return ProblemResults.FromResult(ResultCode.SandboxModeOff, "a sandbox coin (unbacked test money) needs a node started with --sandbox; coins holders can hold are minted through issuance");
        }

        var command = new CreateCoin(request.Symbol, (byte)(request.Decimals ?? 6), request.Currency, request.Name ?? request.Symbol, request.Version ?? "1", sandbox);
        var result = (await SubmitAsync(node, [Command.Of(command)])).Results[0];
        if (result.Code != ResultCode.Ok)
        {
            return ProblemResults.FromResult(result.Code, $"coin '{request.Symbol}': {result.Code.ToProblemCode()}");
        }

        using (var view = node.Read())
        {
            var st = view.State;
            st.TryGetCoin(request.Symbol, out var coin);
            return Results.Json(Mapping.ToInfo(coin, st, node.Options.ChainId), JsonDefaults.Options, statusCode: 201);
        }
    }

    private static async Task<IResult> SubmitTransfersAsync(NodeContext node, HttpContext http)
    {
        var body = await ReadBodyAsync(http);
        Command[] commands;
        try
        {
            commands = TransferBatchParser.Parse(body.Span, node.CoinNumber);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body.Array);
        }

        CheckOperatorMayMove(node, commands);

        var receipt = await SubmitAsync(node, commands);
        http.Response.ContentType = "application/json";
        await WriteBatchResponseAsync(http, commands, receipt.Results, receipt.Height);
        return Results.Empty;
    }

    /// <summary>
    /// The operator key is not above the controls: its plain transfers move only sandbox coins on a sandbox node. Out of a
    /// supply account they would mint unbacked coins (minting goes through issuance); out of any other account they would
    /// debit a holder without the holder's signature (a lawful order is an issuance seizure). The whole batch is refused,
    /// before the sequencer, naming the first such transfer. A coin's sandbox flag never changes, so this holds at apply.
    /// The refusal happens at the HTTP edge, before anything is journaled, so it needs no LedgerRules version: replaying an
    /// old journal applies the same commands with the same results (operator transfers it holds were accepted then).
    /// </summary>
    private static void CheckOperatorMayMove(NodeContext node, Command[] commands)
    {
        for (var i = 0; i < commands.Length; i++)
        {
            var t = commands[i].Transfer;
            if (!node.TryGetCoinRules(t.Coin, out var sandbox, out var supply))
            {
                continue; // coin_not_found, from the ledger
            }

            if (sandbox && node.Options.Sandbox)
            {
                continue;
            }

            var (code, detail) = sandbox
                ? (ResultCode.SandboxModeOff, "this is a sandbox coin: operator transfers move it only on a node started with --sandbox")
                : t.DebitAccount == supply
                    ? (ResultCode.MintRequiresIssuance, "the operator key does not mint: coins are minted through issuance (POST /v1/issuance/coins/{coin}/mints, against a deposit and the reserves)")
                    : (ResultCode.HolderSignatureRequired, "the operator key does not debit holders: the holder signs (transfer-with-authorization, transferFrom), or a lawful order is approved by two asset_protection operators (POST /v1/issuance/coins/{coin}/orders)");
            throw new ProblemException(403, code.ToProblemCode(), "Forbidden", detail, i);
        }
    }

    /// <summary>
    /// The same rule for module commands the operator key would run on a holder's behalf (a contract funded by its payer,
    /// a swap paid by its payer, liquidity added or removed for a provider): without the holder's signature they are
    /// refused (403) unless every coin they would take from the holder is a sandbox coin on a sandbox node. Checked at
    /// the HTTP edge before anything is journaled, so, like <see cref="CheckOperatorMayMove"/>, it needs no LedgerRules
    /// version. <paramref name="signedPath"/> names the holder-signed way to do it, for the problem's detail.
    /// </summary>
    internal static void RequireHolderSignatureUnlessSandbox(NodeContext node, IEnumerable<uint> coins, string what, string signedPath)
    {
        foreach (var coin in coins)
        {
            if (!node.TryGetCoinRules(coin, out var sandbox, out _) || (sandbox && node.Options.Sandbox))
            {
                continue; // an unknown coin is refused by the module with its own code
            }

            throw sandbox
                ? new ProblemException(403, ResultCode.SandboxModeOff.ToProblemCode(), "Forbidden", $"{what}: this is a sandbox coin; the operator key moves it only on a node started with --sandbox")
                : new ProblemException(403, ResultCode.HolderSignatureRequired.ToProblemCode(), "Forbidden", $"{what}: the operator key does not debit holders; {signedPath}");
        }
    }

    /// <summary>Writes the batch response directly with Utf8JsonWriter (up to 8,189 results; no intermediate objects).</summary>
    private static async Task WriteBatchResponseAsync(HttpContext http, Command[] commands, CommandResult[] results, ulong height)
    {
        var succeeded = 0;
        foreach (var r in results)
        {
            if (r.Code.IsSuccess())
            {
                succeeded++;
            }
        }

        var buffer = new ArrayBufferWriter<byte>(64 + (results.Length * 80));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("height", height);
            w.WriteNumber("succeeded", succeeded);
            w.WriteNumber("failed", results.Length - succeeded);
            w.WriteStartArray("results");
            for (var i = 0; i < results.Length; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteString("id", Mapping.Dec(commands[i].Transfer.Id));
                w.WriteString("result", results[i].Code.ToProblemCode());
                w.WriteNumber("timestamp", results[i].Timestamp);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    private static IResult GetTransfer(NodeContext node, string id)
    {
        var transferId = ParseId(id);
        using (var view = node.Read())
        {
            var st = view.State;
            return st.TryGetTransfer(transferId, out var t)
                ? Results.Json(Mapping.ToInfo(t, st), JsonDefaults.Options)
                : ProblemResults.NotFound(ProblemCodes.TransferNotFound, $"no transfer {id}");
        }
    }

    private static IResult GetProof(NodeContext node, string id)
    {
        var transferId = ParseId(id);
        StoredTransfer stored;
        TransferInfo info;
        using (var view = node.Read())
        {
            var st = view.State;
            if (!st.TryGetTransfer(transferId, out stored))
            {
                return ProblemResults.NotFound(ProblemCodes.TransferNotFound, $"no transfer {id}");
            }

            info = Mapping.ToInfo(stored, st);
        }

        var block = node.Sequencer.Journal.ReadBlock(stored.Height);
        var index = stored.Index;
        var command = block.Commands[index];
        var encoded = new byte[command.EncodedLength];
        command.WriteTo(encoded);
        var commandPath = Merkle.Proof(block.CommandLeaves(), index);
        var group = index / Merkle.ResultGroupSize;
        var groupStart = group * Merkle.ResultGroupSize;
        var groupCodes = block.Results.Skip(groupStart).Take(Merkle.ResultGroupSize).Select(c => (ushort)c).ToList();
        var resultPath = Merkle.Proof(block.ResultLeaves(), group);
        return Results.Json(new InclusionProof(
            "centime-inclusion-v1",
            info,
            "0x" + Convert.ToHexStringLower(encoded),
            index,
            block.Results[index].ToProblemCode(),
            block.Header.Timestamp + (ulong)index,
            commandPath.Select(p => new ProofStepInfo(p.Sibling.ToString(), p.SiblingOnLeft)).ToList(),
            groupStart,
            groupCodes,
            resultPath.Select(p => new ProofStepInfo(p.Sibling.ToString(), p.SiblingOnLeft)).ToList(),
            "0x" + Convert.ToHexStringLower(block.Header.ToBytes()),
            Mapping.ToInfo(block.Header)), JsonDefaults.Options);
    }

    private static IResult GetAccount(NodeContext node, string address)
    {
        var a = ParseAddress(address);
        using (var view = node.Read())
        {
            var st = view.State;
            var balances = new List<BalanceInfo>();
            foreach (var coin in st.Coins)
            {
                if (st.TryGetAccount(coin.Number, a, out var account))
                {
                    balances.Add(Mapping.ToInfo(account, coin));
                }
            }

            return Results.Json(new AccountInfo(a.ToString(), balances), JsonDefaults.Options);
        }
    }

    private static IResult GetHistory(NodeContext node, string address, string? coinSymbol, PageParameters page)
    {
        var a = ParseAddress(address);
        if (coinSymbol is null)
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'coin' is required, e.g. ?coin=NUSD");
        }

        var query = Paging.Read(page);

        // The key is the transfer's position in the ledger: the next page holds the account's transfers before it.
        var before = Paging.NumberAfter(query) is UInt128 c ? (int)UInt128.Min(c, int.MaxValue) : (int?)null;
        using (var view = node.Read())
        {
            var st = view.State;
            if (!st.TryGetCoin(coinSymbol, out var coin))
            {
                return ProblemResults.NotFound(ProblemCodes.CoinNotFound, $"no coin '{coinSymbol}'");
            }

            var positions = node.History.Page(new AccountKey(coin.Number, a), before, query.Limit + 1);
            return Results.Json(Paging.ByNumber(positions, p => (UInt128)p, query, p => Mapping.ToInfo(st.Transfers[p], st), descending: true), JsonDefaults.Options);
        }
    }

    private static IResult ListBlocks(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        var journal = node.Sequencer.Journal;
        var top = node.Sequencer.DurableHeight; // the journal's height counts appended blocks not yet fsynced
        var start = Paging.NumberAfter(query) is UInt128 after ? (ulong)UInt128.Min(after == 0 ? 0 : after - 1, top) : top;
        var heights = Enumerable.Range(0, (int)Math.Min(start, (ulong)query.Limit + 1)).Select(i => start - (ulong)i);
        return Results.Json(Paging.ByNumber(heights, h => h, query, h => Mapping.ToInfo(journal.ReadHeader(h)), descending: true), JsonDefaults.Options);
    }

    private static IResult GetBlock(NodeContext node, string heightText, bool withCommands)
    {
        var journal = node.Sequencer.Journal;
        if (!ulong.TryParse(heightText, NumberStyles.None, CultureInfo.InvariantCulture, out var height))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "height must be a positive integer");
        }

        var head = node.Sequencer.DurableHeight;
        if (height == 0 || height > head)
        {
            return ProblemResults.NotFound(ProblemCodes.BlockNotFound, $"no block at height {height} (head is {head})");
        }

        if (!withCommands)
        {
            return Results.Json(Mapping.ToInfo(journal.ReadHeader(height)), JsonDefaults.Options);
        }

        var block = journal.ReadBlock(height);
        var commands = new List<BlockCommandInfo>(block.Commands.Length);
        using (var view = node.Read())
        {
            var st = view.State;
            for (var i = 0; i < block.Commands.Length; i++)
            {
                var c = block.Commands[i];
                TransferInfo? transfer = null;
                if (c.Kind == CommandKind.Transfer)
                {
                    transfer = Mapping.ToInfo(new StoredTransfer(c.Transfer with { Timestamp = block.Header.Timestamp + (ulong)i }, HoldState.None, height, i), st);
                }

                commands.Add(new BlockCommandInfo(i, Mapping.KindName(c.Kind), block.Results[i].ToProblemCode(), transfer));
            }
        }

        return Results.Json(Mapping.ToInfo(block.Header, commands), JsonDefaults.Options);
    }

    internal static async Task<Receipt> SubmitAsync(NodeContext node, Command[] commands)
    {
        try
        {
            return await node.Sequencer.SubmitAsync(commands);
        }
        catch (Exception ex) when (ex is SequencerFaultedException or ObjectDisposedException)
        {
            throw new ProblemException(503, ProblemCodes.NodeUnavailable, "Node unavailable", "the ledger writer is stopped; nothing was applied by this request unless a later read shows it");
        }
    }

    private static UInt128 ParseId(string id) => FieldGrammar.Unsigned(id, "id", null, ProblemCodes.InvalidField);

    internal static Address ParseAddress(string text) => FieldGrammar.Address(text, "address");

    internal static async Task<T> ReadJsonAsync<T>(HttpContext http)
    {
        var body = await ReadBodyAsync(http);
        try
        {
            return JsonSerializer.Deserialize<T>(body.Span, JsonDefaults.Options)
                   ?? throw new ProblemException(400, ProblemCodes.MalformedJson, "Malformed JSON", "the body must be a JSON object");
        }
        catch (JsonException ex)
        {
            var unknown = ex.Message.Contains("could not be mapped", StringComparison.Ordinal);
            var duplicate = ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase);
            throw new ProblemException(400, unknown ? ProblemCodes.UnknownField : duplicate ? ProblemCodes.DuplicateField : ProblemCodes.MalformedJson,
                unknown ? "Unknown field" : duplicate ? "Duplicate field" : "Malformed JSON", ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // Invalid UTF-8 or an unpaired surrogate escape in a string: bad input, never a 500.
            throw new ProblemException(400, ProblemCodes.MalformedJson, "Malformed JSON", ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body.Array);
        }
    }

    /// <summary>
    /// The one media-type rule of request bodies: <c>application/json</c> (parameters allowed), and if a charset is
    /// named it is UTF-8 (RFC 8259 §8.1). A UTF-16 body must be refused, not read as UTF-8.
    /// </summary>
    internal static void RequireJsonUtf8(string? contentType)
    {
        if (contentType is null || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ProblemException(415, ProblemCodes.UnsupportedMediaType, "Unsupported media type", "send 'Content-Type: application/json'");
        }

        var charset = media.Charset;
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw new ProblemException(415, ProblemCodes.UnsupportedMediaType, "Unsupported media type",
                $"request bodies are UTF-8 JSON; charset '{charset}' is not accepted (send 'Content-Type: application/json' or '…; charset=utf-8')");
        }
    }

    /// <summary>The body as a new array, read by the one body reader (media type, charset, size limit): for routes
    /// that hash or parse the exact bytes themselves (payer-signed contracts).</summary>
    internal static async Task<byte[]> ReadBodyBytesAsync(HttpContext http)
    {
        var body = await ReadBodyAsync(http);
        try
        {
            return body.Span.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body.Array);
        }
    }

    private readonly record struct PooledBody(byte[] Array, int Length)
    {
        public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);
    }

    private static async Task<PooledBody> ReadBodyAsync(HttpContext http)
    {
        RequireJsonUtf8(http.Request.ContentType);

        var declared = http.Request.ContentLength;
        if (declared > MaxBodyBytes)
        {
            throw new ProblemException(413, ProblemCodes.PayloadTooLarge, "Payload too large", $"the body may be at most {MaxBodyBytes} bytes");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)(declared ?? 64 * 1024) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxBodyBytes)
                    {
                        throw new ProblemException(413, ProblemCodes.PayloadTooLarge, "Payload too large", $"the body may be at most {MaxBodyBytes} bytes");
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBodyBytes));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new PooledBody(buffer, length);
    }
}

