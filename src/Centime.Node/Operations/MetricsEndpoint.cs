using System.Diagnostics;
using System.Globalization;
using System.Text;
using Centime.Node.Api;
using Centime.Node.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using Centime.Node.Sequencing;

namespace Centime.Node.Operations;

/// <summary>
/// <c>GET /metrics</c>: the node's figures in the Prometheus text exposition format (version 0.0.4), written by hand
/// (no package): HTTP requests by route, the sequencer's own counters (blocks, commands, commit latency, fsync time,
/// queue depth, projections), webhook backlogs and the process. A scrape reads counters the hot paths already keep;
/// it takes no state lock. Public like the transparency page: it carries no account data (routes are templates,
/// never paths). docs/operations.md lists every metric.
/// </summary>
internal static class MetricsEndpoint
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Map(WebApplication app, NodeContext node, RequestTelemetry requests, EventFeed feed, WebhookDispatcher webhooks) =>
        app.MapGet("/metrics", () => Results.Text(Render(node, requests, feed, webhooks), ContentType, Encoding.UTF8)).ExcludeFromDescription().Public();

    internal static string Render(NodeContext node, RequestTelemetry requests, EventFeed feed, WebhookDispatcher webhooks)
    {
        var t = new StringBuilder(8192);

        Header(t, "centime_http_requests_total", "counter", "HTTP requests answered, by method, route template and status code.");
        var routes = requests.Routes.OrderBy(r => r.Key.Route, StringComparer.Ordinal).ThenBy(r => r.Key.Method, StringComparer.Ordinal).ToList();
        foreach (var ((method, route), stats) in routes)
        {
            foreach (var (status, count) in stats.ByStatus.OrderBy(s => s.Key))
            {
                t.Append(CultureInfo.InvariantCulture, $"centime_http_requests_total{{method=\"{Escape(method)}\",route=\"{Escape(route)}\",status=\"{status}\"}} {count}\n");
            }
        }

        Header(t, "centime_http_request_duration_seconds", "histogram", "Time to answer an HTTP request, by method and route template.");
        foreach (var ((method, route), stats) in routes)
        {
            stats.Duration.WriteSamples(t, "centime_http_request_duration_seconds", $"method=\"{Escape(method)}\",route=\"{Escape(route)}\"");
        }

        Gauge(t, "centime_http_requests_in_flight", "HTTP requests being served.", requests.InFlight);

        var sequencer = node.Sequencer;
        var c = sequencer.Counters;
        Counter(t, "centime_blocks_total", "Blocks made durable since the node started (rate() is the block rate).", c.BlocksCommitted);
        Counter(t, "centime_commands_total", "Commands (transfers, module commands) in blocks made durable since the node started.", c.CommandsCommitted);
        Gauge(t, "centime_state_height", "Height of the last block applied to the state (may be ahead of the durable height).", c.AppliedHeight);
        Gauge(t, "centime_durable_height", "Height of the last block fsynced to the journal.", sequencer.DurableHeight);
        Gauge(t, "centime_sequencer_queue_requests", "Requests waiting for the sequencer (queue depth).", sequencer.QueueDepth);
        Histogram(t, "centime_commit_latency_seconds", "Per block: from the arrival of its oldest request to its receipts (applied, fsynced, projected).", c.CommitLatency);
        Histogram(t, "centime_journal_fsync_seconds", "Per group commit: time of the journal flush and fdatasync.", c.FsyncDuration);
        Histogram(t, "centime_projection_duration_seconds", "Per group commit: time spent in the projections (history index, event feed) before receipts.", c.ProjectionDuration);
        var projected = c.ProjectedHeight;
        Gauge(t, "centime_projected_height", "Height of the last block the projections have taken in.", projected);
        Gauge(t, "centime_projection_lag_blocks", "Blocks applied to the state and not yet taken in by the projections.", c.AppliedHeight > projected ? c.AppliedHeight - projected : 0);
        Counter(t, "centime_projection_failures_total", "Projection handlers that threw (each is logged with the block height).", c.ProjectionFailures);

        var head = feed.Head;
        var subscriptions = webhooks.Subscriptions;
        Gauge(t, "centime_webhook_subscriptions", "Webhook subscriptions.", subscriptions.Count);
        var statuses = subscriptions.Select(s => (s.Id, Status: webhooks.StatusOf(s.Id))).Where(s => s.Status is not null).ToList();
        Header(t, "centime_webhook_backlog_blocks", "gauge", "Per subscription: blocks of events not yet delivered (the event feed's head minus the subscription's cursor).");
        foreach (var (id, status) in statuses)
        {
            var behind = status!.NextEvent is { } next && EventPosition.TryParse(next, out var p) && head + 1 > p.Height ? head + 1 - p.Height : 0;
            t.Append(CultureInfo.InvariantCulture, $"centime_webhook_backlog_blocks{{subscription=\"{Escape(id)}\"}} {behind}\n");
        }

        Header(t, "centime_webhook_delivered_total", "counter", "Per subscription: events delivered since the node started.");
        foreach (var (id, status) in statuses)
        {
            t.Append(CultureInfo.InvariantCulture, $"centime_webhook_delivered_total{{subscription=\"{Escape(id)}\"}} {status!.Delivered}\n");
        }

        Header(t, "centime_webhook_failed_attempts", "gauge", "Per subscription: failed attempts in a row at the current event (0 when delivering fine).");
        foreach (var (id, status) in statuses)
        {
            t.Append(CultureInfo.InvariantCulture, $"centime_webhook_failed_attempts{{subscription=\"{Escape(id)}\"}} {status!.FailedAttempts}\n");
        }

        using var process = Process.GetCurrentProcess();
        Gauge(t, "process_resident_memory_bytes", "Resident memory.", process.WorkingSet64);
        Counter(t, "process_cpu_seconds_total", "CPU time used by the process.", process.TotalProcessorTime.TotalSeconds);
        Gauge(t, "process_start_time_seconds", "Start time of the process since the Unix epoch.", (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds);
        return t.ToString();
    }

    private static void Header(StringBuilder t, string name, string type, string help) =>
        t.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Counter(StringBuilder t, string name, string help, double value)
    {
        Header(t, name, "counter", help);
        t.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Gauge(StringBuilder t, string name, string help, double value)
    {
        Header(t, name, "gauge", help);
        t.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Histogram(StringBuilder t, string name, string help, Histogram histogram)
    {
        Header(t, name, "histogram", help);
        histogram.WriteSamples(t, name, "");
    }

    /// <summary>Label value escaping of the text format: backslash, double quote and line feed.</summary>
    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
