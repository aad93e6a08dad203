namespace Centime.Client;

// The REST API's JSON shapes (camelCase on the wire). Amounts, ids and memos are decimal strings: JSON
// numbers cannot carry 128-bit integers exactly. Timestamps are ledger time in Unix nanoseconds.

/// <summary>A coin's EIP-712 domain: what wallets sign against.</summary>
public sealed record Eip712Domain(string Name, string Version, ulong ChainId, string VerifyingContract);

/// <summary>A coin as published by the node.</summary>
public sealed record CoinInfo(
    string Symbol,
    uint Number,
    int Decimals,
    string Currency,
    string SupplyAccount,
    string Supply,
    Eip712Domain Domain)
{
    /// <summary>A sandbox coin: unbacked test money the operator key of a <c>--sandbox</c> node mints and moves.</summary>
    public bool Sandbox { get; init; }
}

/// <summary>Body of POST /v1/coins. <see cref="Sandbox"/>: an unbacked test coin (only on a node started with
/// <c>--sandbox</c>, where it is the default); absent: the node's mode.</summary>
public sealed record CreateCoinRequest(string Symbol, string Currency, int? Decimals = null, string? Name = null, string? Version = null)
{
    /// <summary>True: an unbacked test coin; false: a coin holders can hold (minted through issuance); null: the node's mode.</summary>
    public bool? Sandbox { get; init; }
}

/// <summary>One transfer in a batch. For posts and voids, empty fields are taken from the hold.</summary>
public sealed record TransferRequest
{
    public required string Id { get; init; }
    public string? Debit { get; init; }
    public string? Credit { get; init; }
    public string? Coin { get; init; }
    public string? Amount { get; init; }
    /// <summary>Any of "linked", "pending", "post_pending", "void_pending".</summary>
    public IReadOnlyList<string>? Flags { get; init; }
    public string? PendingId { get; init; }
    public uint? Timeout { get; init; }
    public ushort? Code { get; init; }
    public string? Memo { get; init; }
}

/// <summary>Body of POST /v1/transfers.</summary>
public sealed record TransferBatchRequest(IReadOnlyList<TransferRequest> Transfers);

/// <summary>Outcome of one transfer: <c>result</c> is "ok", "exists" (applied earlier with identical fields) or a problem code.</summary>
public sealed record TransferResult(int Index, string Id, string Result, ulong Timestamp);

/// <summary>Response of POST /v1/transfers: the batch is durable when this arrives.</summary>
public sealed record TransferBatchResponse(ulong Height, int Succeeded, int Failed, IReadOnlyList<TransferResult> Results);

/// <summary>A stored transfer.</summary>
public sealed record TransferInfo(
    string Id,
    string Debit,
    string Credit,
    string Coin,
    string Amount,
    IReadOnlyList<string> Flags,
    string? PendingId,
    uint Timeout,
    ushort Code,
    string Memo,
    ulong Timestamp,
    ulong Height,
    int Index,
    string? Hold);

/// <summary>Balances of one account in one coin.</summary>
public sealed record BalanceInfo(
    string Address,
    string Coin,
    string Balance,
    string Available,
    string DebitsPosted,
    string CreditsPosted,
    string DebitsPending,
    string CreditsPending,
    bool Frozen);

/// <summary>Response of GET /v1/accounts/{address}.</summary>
public sealed record AccountInfo(string Address, IReadOnlyList<BalanceInfo> Balances);

/// <summary>
/// One page of a list (docs/api.md "Lists"): every list route answers <c>{"items":[…],"next":…}</c>. Pass
/// <see cref="Next"/> as <c>cursor</c> for the following page; it is null on the last page. Cursors are opaque.
/// <see cref="Pages.AllAsync{T}"/> walks every page.
/// </summary>
public sealed record Page<T>(
    IReadOnlyList<T> Items,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? Next);

/// <summary>The one paging helper: every item of a list, page after page, e.g.
/// <c>await foreach (var c in Pages.AllAsync((cursor, ct) =&gt; client.ListContractsAsync(cursor: cursor, ct: ct)))</c>.</summary>
public static class Pages
{
    public static async IAsyncEnumerable<T> AllAsync<T>(Func<string?, CancellationToken, Task<Page<T>>> page,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        string? cursor = null;
        do
        {
            var p = await page(cursor, ct).ConfigureAwait(false);
            foreach (var item in p.Items)
            {
                yield return item;
            }

            cursor = p.Next;
        }
        while (cursor is not null);
    }
}

/// <summary>A block header with its hash.</summary>
public sealed record BlockInfo(
    ulong Height,
    string Hash,
    string PreviousHash,
    ulong Timestamp,
    DateTimeOffset Time,
    int CommandCount,
    string CommandsRoot,
    string ResultsRoot,
    IReadOnlyList<BlockCommandInfo>? Commands = null);

/// <summary>One command of a block (when requested with <c>?commands=true</c>).</summary>
public sealed record BlockCommandInfo(int Index, string Kind, string Result, TransferInfo? Transfer);

/// <summary>One step of a Merkle path: the sibling hash and whether it sits on the left.</summary>
public sealed record ProofStepInfo(string Sibling, bool Left);

/// <summary>
/// Everything needed to check offline that a transfer is in a block: the command's exact bytes hash to a
/// leaf whose path leads to the header's commands root; the result codes of its group of 16 (starting at
/// <c>resultGroupStart</c>) hash to a leaf whose path leads to the results root; the header hashes to the
/// block hash. Compare the block hash with one obtained independently.
/// </summary>
public sealed record InclusionProof(
    string Format,
    TransferInfo Transfer,
    string Command,
    int Index,
    string Result,
    ulong ResultTimestamp,
    IReadOnlyList<ProofStepInfo> CommandPath,
    int ResultGroupStart,
    IReadOnlyList<ushort> ResultGroup,
    IReadOnlyList<ProofStepInfo> ResultPath,
    string Header,
    BlockInfo Block);

/// <summary>GET /v1/health. <see cref="Role"/>, <see cref="Term"/>, <see cref="Leader"/>, <see cref="DurableHeight"/> and
/// <see cref="LagBlocks"/> describe replication (docs/replication.md): role <c>embedded</c>, <c>leader</c> or
/// <c>follower</c>; a follower is <see cref="LagBlocks"/> blocks behind the newest block in the store.</summary>
public sealed record HealthInfo(string Status, ulong Height, string LastBlockHash, int Coins, int Accounts, int Transfers, ulong ChainId, string Version)
{
    public string Role { get; init; } = "embedded";
    public long Term { get; init; }
    public string? Leader { get; init; }
    public ulong DurableHeight { get; init; }
    public ulong LagBlocks { get; init; }
}


/// <summary>Result of a single administrative command.</summary>
public sealed record CommandOutcome(string Result, ulong Height, ulong Timestamp);

/// <summary>RFC 7807 problem details with Centime's stable <c>code</c>.</summary>
public sealed record Problem(string Type, string Title, int Status, string? Detail, string Code, int? Index = null)
{
    /// <summary><c>not_leader</c> only: the URL of the node that leads (sequences) now, when the follower knows one
    /// clients can use. <see cref="NodeFailoverHandler"/> tries it next if it is one of its nodes.</summary>
    public string? Leader { get; init; }
}
