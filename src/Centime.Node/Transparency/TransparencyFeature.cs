using Centime.Node.Api;
using Centime.Node.Liabilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Centime.Node.Transparency;

/// <summary>
/// Wires proof of liabilities, the transparency page and disclosure reports into a node: one call from
/// <see cref="CentimeNode.Create"/>. The publisher lives as long as the web application.
/// </summary>
internal static class TransparencyFeature
{
    public static LiabilitiesPublisher Install(WebApplication app, NodeContext node, string dataDirectory)
    {
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var publisher = new LiabilitiesPublisher(node.Sequencer, dataDirectory, loggers.CreateLogger("Centime.Liabilities"));
        var options = node.Options;
        app.Lifetime.ApplicationStarted.Register(() =>
            publisher.StartAutomatic(options.LiabilitiesEveryBlocks, TimeSpan.FromMinutes(options.LiabilitiesEveryMinutes)));
        app.Lifetime.ApplicationStopping.Register(publisher.Dispose);

        LiabilityEndpoints.Map(app, node, publisher);
        var issuance = new IssuanceDisclosure(node);
        var issuer = IssuerKey.LoadOrCreate(dataDirectory);
        using (var view = node.Read())
        {
            AdoptKeyOfRecord(view.State, issuer); // a rotation that executed just before a stop is adopted now
        }

        // After each durable block (inside its read section): a rotation that executed in it takes effect.
        node.Sequencer.Committed += _ => AdoptKeyOfRecord(node.Sequencer.State, issuer);
        TransparencyEndpoints.Map(app, node, publisher, issuer);
        ReportEndpoints.Map(app, node, publisher, issuance, issuer);
        return publisher;
    }

    /// <summary>The ledger decides which issuer key signs (issuance's key of record, after an approved rotation).</summary>
    private static void AdoptKeyOfRecord(Centime.Ledger.LedgerState state, IssuerKey issuer)
    {
        if (state.Module<Centime.Issuance.IssuanceModule>()?.CurrentIssuerKey is { } recorded && recorded != issuer.Address)
        {
            issuer.Adopt(recorded);
        }
    }
}
