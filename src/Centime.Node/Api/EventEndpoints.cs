using System.Globalization;
using System.Text;
using Centime.Client;
using Centime.Issuance;
using Centime.Node.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Centime.Node.Api;

/// <summary>
/// Notifications (docs/events.md): the server-sent-event stream <c>GET /v1/events</c> (public, like every read) and
/// webhook subscriptions under <c>/v1/webhooks</c> (operators with the admin role; auditors may read).
/// </summary>
internal static class EventEndpoints
{
    private sealed class StreamCount
    {
        public int Open;
    }

    public static void Map(WebApplication app, NodeContext node, EventFeed feed, WebhookDispatcher webhooks)
    {
        var streams = new StreamCount();
        app.MapGet("/v1/events", (HttpContext http, string? types, string? account, string? contract, ulong? fromHeight) =>
                StreamAsync(node, feed, streams, http, types, account, contract, fromHeight, app.Lifetime.ApplicationStopping))
            .WithTags("Events").WithName("EventStream")
            .WithSummary("Server-sent events of committed blocks: id = <height>-<index>; resume with Last-Event-ID; ?types=&account=&contract=&fromHeight=.").Public();

        var g = app.MapGroup("/v1/webhooks").WithTags("Events");
        g.MapPost("", (Caller caller, HttpContext http) => CreateAsync(feed, webhooks, caller, http)).WithName("CreateWebhook")
            .WithSummary("Subscribe a URL to events (admin); the answer shows the signing secret, once.")
            .Accepts<WebhookRequest>("application/json").Produces<WebhookCreated>(201).RequiresRole(OperatorRoles.Admin);
        g.MapGet("", ([AsParameters] PageParameters page) => List(webhooks, page)).WithName("ListWebhooks")
            .WithSummary("Webhook subscriptions and their delivery state, by id (admin, auditor; a page).").Produces<Page<WebhookView>>()
            .RequiresRole(OperatorRoles.Admin | OperatorRoles.Auditor);
        g.MapGet("/{id}", (string id) => Get(webhooks, id)).WithName("GetWebhook").WithSummary("One subscription (admin, auditor).")
            .RequiresRole(OperatorRoles.Admin | OperatorRoles.Auditor);
        g.MapDelete("/{id}", (string id) => DeleteAsync(webhooks, id)).WithName("DeleteWebhook").WithSummary("Stop and remove a subscription (admin).")
            .RequiresRole(OperatorRoles.Admin);
    }

    private static async Task<IResult> CreateAsync(EventFeed feed, WebhookDispatcher webhooks, Caller caller, HttpContext http)
    {
        var request = await Endpoints.ReadJsonAsync<WebhookRequest>(http);
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || request.Url!.Length > 2000)
        {
            throw new ProblemException(400, request.Url is null ? ProblemCodes.MissingField : ProblemCodes.InvalidField, "Invalid field", "'url' is an absolute http or https URL (at most 2000 characters)");
        }

        var (filter, _, _) = EventFilter.Parse(request.Types, request.Account, request.Contract);
        var start = request.FromHeight ?? feed.Head + 1; // by default: events of blocks committed from now on
        if (start == 0)
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'fromHeight' starts at 1");
        }

        var subscription = webhooks.Add(url.ToString(), filter, start, caller.Id)
            ?? throw new ProblemException(409, "too_many_webhooks", "Too many webhooks", $"a node keeps at most {WebhookDispatcher.MaxSubscriptions} subscriptions; delete one first");
        var view = View(subscription, webhooks);
        return Results.Json(new WebhookCreated(view, subscription.Secret), JsonDefaults.Options, statusCode: 201);
    }

    private static IResult List(WebhookDispatcher webhooks, PageParameters page)
    {
        var query = Paging.Read(page);

        // Ordered by id, not by creation: a subscription removed between pages must not shift the ones after it.
        var ordered = webhooks.Subscriptions.OrderBy(s => s.Id, StringComparer.Ordinal);
        return Results.Json(Paging.ByName(ordered, s => s.Id, query, s => View(s, webhooks)), JsonDefaults.Options);
    }

    private static IResult Get(WebhookDispatcher webhooks, string id)
    {
        var s = webhooks.Subscriptions.FirstOrDefault(x => x.Id == id) ?? throw NotFound(id);
        return Results.Json(View(s, webhooks), JsonDefaults.Options);
    }

    private static async Task<IResult> DeleteAsync(WebhookDispatcher webhooks, string id)
    {
        return await webhooks.RemoveAsync(id) ? Results.NoContent() : throw NotFound(id);
    }

    private static ProblemException NotFound(string id) => new(404, "webhook_not_found", "Not found", $"no webhook subscription '{id}'");

    private static WebhookView View(WebhookSubscription s, WebhookDispatcher webhooks) =>
        new(s.Id, s.Url, s.Filter.Types.Count == 0 ? null : s.Filter.Types, s.Filter.Account, s.Filter.Contract, s.StartHeight, s.CreatedAt, s.CreatedBy, webhooks.StatusOf(s.Id));

    private static async Task StreamAsync(NodeContext node, EventFeed feed, StreamCount streams, HttpContext http, string? types, string? account, string? contract, ulong? fromHeight, CancellationToken stopping)
    {
        var (filter, _, _) = EventFilter.Parse(types is null ? null : [types], account, contract);
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        EventPosition from;
        if (lastEventId.Length > 0)
        {
            from = EventPosition.TryParse(lastEventId, out var last)
                ? last.Next
                : throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'Last-Event-ID' is an event id: <height>-<index>");
        }
        else
        {
            from = new EventPosition(fromHeight is > 0 ? fromHeight.Value : feed.Head + 1, 0);
        }

        if (Interlocked.Increment(ref streams.Open) > node.Options.MaxEventStreams)
        {
            Interlocked.Decrement(ref streams.Open);
            throw new ProblemException(503, "too_many_event_streams", "Too many event streams", $"this node serves at most {node.Options.MaxEventStreams} event streams at once; retry later");
        }

        // A stream never ends by itself: it ends when the client leaves or the node stops (or shutdown would wait for it).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var cancel = ended.Token;
        try
        {
            var response = http.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            await response.WriteAsync("retry: 2000\n\n", cancel);
            await response.Body.FlushAsync(cancel);
            var prefix = new byte[256];
            await foreach (var e in feed.FollowAsync(from, filter, TimeSpan.FromSeconds(15), cancel))
            {
                if (e is null)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancel); // proxies close silent connections
                }
                else
                {
                    var length = Encoding.UTF8.GetBytes($"id: {e.Id}\nevent: {e.Type}\ndata: ", prefix);
                    await response.Body.WriteAsync(prefix.AsMemory(0, length), cancel);
                    await response.Body.WriteAsync(e.Json, cancel); // one line: JSON has no raw newlines
                    await response.WriteAsync("\n\n", cancel);
                }

                await response.Body.FlushAsync(cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // the client went away, or the node is stopping
        }
        finally
        {
            Interlocked.Decrement(ref streams.Open);
        }
    }
}

/// <summary>A webhook subscription request: where to POST, and which events (types, account, contract; unset = all).</summary>
public sealed record WebhookRequest(string? Url, List<string>? Types, string? Account, string? Contract, ulong? FromHeight);

/// <summary>A subscription as listed (never with its secret).</summary>
public sealed record WebhookView(string Id, string Url, IReadOnlyList<string>? Types, string? Account, string? Contract, ulong FromHeight,
    DateTimeOffset CreatedAt, string CreatedBy, WebhookStatus? Delivery);

/// <summary>The answer to a new subscription: the only time the signing secret (hex) is shown.</summary>
public sealed record WebhookCreated(WebhookView Webhook, string Secret);
