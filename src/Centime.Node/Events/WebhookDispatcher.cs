using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Centime.Node.Events;

/// <summary>A webhook subscription as stored in &lt;data&gt;/webhooks/subscriptions.json (owner-only: it holds the secrets).</summary>
internal sealed record WebhookSubscription(string Id, string Url, EventFilter Filter, string Secret, DateTimeOffset CreatedAt, ulong StartHeight, string CreatedBy);

/// <summary>Where a subscription's delivery stands (not persisted but its cursor).</summary>
public sealed record WebhookStatus(string? NextEvent, long Delivered, int FailedAttempts, int? LastStatus, string? LastError, DateTimeOffset? NextAttemptAt);

/// <summary>
/// Delivers events to webhook subscriptions (docs/events.md), outside the sequencer: one loop per subscription reads
/// events from the <see cref="EventFeed"/> in order and POSTs each one, signed with the subscription's secret
/// (<c>X-Centime-Signature: t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256(secret, t + "." + body)&gt;</c>), until the receiver answers
/// 2xx; failures are retried after an exponential, capped, jittered delay, never skipped. After each delivered
/// event the next position is written to &lt;data&gt;/webhooks/&lt;id&gt;.cursor, so a restart resumes where delivery
/// stopped: at least once, each event with its stable id.
/// </summary>
internal sealed class WebhookDispatcher : IAsyncDisposable
{
    public const string DirectoryName = "webhooks";
    private const string SubscriptionsFile = "subscriptions.json";

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly EventFeed _feed;
    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Runner> _runners = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private List<WebhookSubscription> _subscriptions;
    private bool _started;

    public WebhookDispatcher(EventFeed feed, NodeOptions options, string dataDirectory, ILogger logger)
    {
        _feed = feed;
        _options = options;
        _logger = logger;
        _directory = Path.Combine(dataDirectory, DirectoryName);
        Directory.CreateDirectory(_directory);
        _subscriptions = Load();

        // Redirects are not followed: the receiver the operator registered is the one that gets the signed body.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = options.WebhookTimeout,
        };
    }

    /// <summary>Most subscriptions a node keeps.</summary>
    public const int MaxSubscriptions = 100;

    public IReadOnlyList<WebhookSubscription> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return [.. _subscriptions];
            }
        }
    }

    public WebhookStatus? StatusOf(string id)
    {
        lock (_gate)
        {
            return _runners.TryGetValue(id, out var r) ? r.Status : null;
        }
    }

    /// <summary>Starts delivering to every stored subscription.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _started = true;
            foreach (var s in _subscriptions)
            {
                StartRunner(s);
            }
        }
    }

    /// <summary>Adds a subscription (persisted before it is answered) and starts delivering to it.</summary>
    public WebhookSubscription? Add(string url, EventFilter filter, ulong startHeight, string createdBy)
    {
        var subscription = new WebhookSubscription("wh_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), url, filter,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow, startHeight, createdBy);
        lock (_gate)
        {
            if (_subscriptions.Count >= MaxSubscriptions)
            {
                return null;
            }

            _subscriptions = [.. _subscriptions, subscription];
            Save(_subscriptions);
            if (_started)
            {
                StartRunner(subscription);
            }
        }

        return subscription;
    }

    /// <summary>Removes a subscription and its cursor; false when there is none.</summary>
    public async Task<bool> RemoveAsync(string id)
    {
        Runner? runner;
        lock (_gate)
        {
            if (!_subscriptions.Exists(s => s.Id == id))
            {
                return false;
            }

            _subscriptions = _subscriptions.FindAll(s => s.Id != id);
            Save(_subscriptions);
            _runners.Remove(id, out runner);
        }

        if (runner is not null)
        {
            await runner.StopAsync();
        }

        File.Delete(CursorPath(id));
        return true;
    }

    private void StartRunner(WebhookSubscription s)
    {
        var runner = new Runner(this, s);
        _runners[s.Id] = runner;
        runner.Start(_stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Runner[] runners;
        lock (_gate)
        {
            runners = [.. _runners.Values];
            _runners.Clear();
        }

        foreach (var r in runners)
        {
            await r.StopAsync();
        }

        _http.Dispose();
        _stop.Dispose();
    }

    // ------------------------------------------------------------------ persistence

    private string CursorPath(string id) => Path.Combine(_directory, id + ".cursor");

    private List<WebhookSubscription> Load()
    {
        var path = Path.Combine(_directory, SubscriptionsFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<List<WebhookSubscription>>(File.ReadAllBytes(path), FileJson) ?? [] : [];
    }

    private void Save(List<WebhookSubscription> subscriptions) =>
        WriteAtomically(Path.Combine(_directory, SubscriptionsFile), JsonSerializer.SerializeToUtf8Bytes(subscriptions, FileJson));

    /// <summary>The next position to deliver, or null when never written (or unreadable: then delivery restarts at
    /// the subscription's start, which repeats events but loses none).</summary>
    private EventPosition? LoadCursor(string id)
    {
        try
        {
            return EventPosition.TryParse(File.ReadAllText(CursorPath(id)).Trim(), out var p) ? p : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void SaveCursor(string id, EventPosition next) => WriteAtomically(CursorPath(id), Encoding.ASCII.GetBytes(next.ToString()));

    // Temp file, fsync, rename: a crash leaves the old file or the new one. Owner-only: the subscriptions hold secrets.
    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    // ------------------------------------------------------------------ delivery

    /// <summary>Delay before retry <paramref name="failures"/> (1 = after the first failure): base × 2^(n−1), capped,
    /// then jittered to [½, 1] of that so receivers that failed together do not retry together.</summary>
    internal static TimeSpan Backoff(int failures, TimeSpan first, TimeSpan max)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ms = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds((ms / 2) + (Random.Shared.NextDouble() * ms / 2));
    }

    private async Task<(bool Ok, int? Status, string? Error)> DeliverAsync(WebhookSubscription s, NodeEvent e, int attempt, CancellationToken cancellationToken)
    {
        var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = new byte[t.Length + 1 + e.Json.Length];
        Encoding.ASCII.GetBytes(t + ".", signed);
        e.Json.CopyTo(signed, t.Length + 1);
        var mac = HMACSHA256.HashData(Convert.FromHexString(s.Secret), signed);

        using var request = new HttpRequestMessage(HttpMethod.Post, s.Url) { Content = new ByteArrayContent(e.Json) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Centime-Event-Id", e.Id);
        request.Headers.Add("X-Centime-Event-Type", e.Type);
        request.Headers.Add("X-Centime-Subscription", s.Id);
        request.Headers.Add("X-Centime-Delivery-Attempt", attempt.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Centime-Signature", $"t={t},v1={Convert.ToHexStringLower(mac)}");
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return (status is >= 200 and < 300, status, status is >= 200 and < 300 ? null : "HTTP " + status.ToString(CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException ex)
        {
            return (false, null, ex.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, null, "timeout");
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A runner ends with StopAsync, which cancels and disposes the CancellationTokenSource; Dispose would be a second name for it")]
    private sealed class Runner(WebhookDispatcher owner, WebhookSubscription subscription)
    {
        private readonly CancellationTokenSource _cancel = new();
        private Task _task = Task.CompletedTask;

        public WebhookStatus Status { get; private set; } = new(null, 0, 0, null, null, null);

        public void Start(CancellationToken stopping)
        {
            var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _cancel.Token);
            _task = Task.Run(() => RunAsync(linked.Token), CancellationToken.None).ContinueWith(_ => linked.Dispose(), TaskScheduler.Default);
        }

        public async Task StopAsync()
        {
            await _cancel.CancelAsync();
            await _task;
            _cancel.Dispose();
        }

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            var s = subscription;
            var next = owner.LoadCursor(s.Id) ?? new EventPosition(s.StartHeight, 0);
            var saved = next;
            Status = Status with { NextEvent = next.ToString() };
            try
            {
                await foreach (var e in owner._feed.FollowAsync(next, s.Filter, TimeSpan.FromSeconds(1), cancellationToken))
                {
                    if (e is null)
                    {
                        // Idle: remember how far the (filtered) scan got, so a restart does not rescan it.
                        var caughtUp = new EventPosition(owner._feed.Head + 1, 0);
                        if (caughtUp > saved)
                        {
                            owner.SaveCursor(s.Id, caughtUp);
                            saved = caughtUp;
                            Status = Status with { NextEvent = caughtUp.ToString() };
                        }

                        continue;
                    }

                    await DeliverWithRetriesAsync(e, cancellationToken);
                    saved = e.Position.Next;
                    owner.SaveCursor(s.Id, saved);
                    Status = Status with { NextEvent = saved.ToString(), Delivered = Status.Delivered + 1, FailedAttempts = 0, NextAttemptAt = null };
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                owner._logger.LogError(ex, "Webhook {Subscription} stopped delivering", s.Id);
            }
        }

        private async Task DeliverWithRetriesAsync(NodeEvent e, CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                var (ok, status, error) = await owner.DeliverAsync(subscription, e, attempt, cancellationToken);
                if (ok)
                {
                    Status = Status with { LastStatus = status, LastError = null };
                    return;
                }

                var delay = Backoff(attempt, owner._options.WebhookRetryFirst, owner._options.WebhookRetryMax);
                Status = Status with { FailedAttempts = attempt, LastStatus = status, LastError = error, NextAttemptAt = DateTimeOffset.UtcNow + delay };
                owner._logger.LogWarning("Webhook {Subscription}: event {Event} attempt {Attempt} failed ({Error}); retrying in {Delay} ms",
                    subscription.Id, e.Id, attempt, error, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }
}
