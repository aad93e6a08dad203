using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using Centime.Ledger;
using Centime.Node.Sequencing;

namespace Centime.Node.Tests;

/// <summary>
/// One door: the HTTP edge reads the state through read sections and writes only through the sequencer. The
/// compiler enforces it: the ledger's, the modules' and the journal's mutators are not public, and the edge
/// assemblies are not among the friends allowed to see internals. These tests pin both facts, and check the
/// built endpoint assembly references none of the mutators.
/// </summary>
public sealed class OneDoorTests
{
    /// <summary>What the HTTP edge is made of: endpoints, x402, transparency, events (Centime.Node), the SDK, the CLI.</summary>
    private static readonly string[] Edge = ["Centime.Node", "Centime.Agents", "Centime.Client", "Centime.Cli"];

    private static readonly (Type Type, string[] Methods)[] Mutators =
    [
        (typeof(LedgerState), ["ApplyBlock", "Execute", "ExecuteAsOwner", "SetFrozen", "SetCoinGuard", "SetModuleOwned", "CreateCoinForModule"]),
        (typeof(LedgerModule), ["Apply", "OnBeforeBlock", "OnBlockStart", "ReadSnapshot"]),
        (typeof(Journal.Journal), ["Append", "Commit", "WriteSnapshot"]),
        (typeof(Journal.BlockStore), ["Append", "Commit", "WriteSnapshot"]),
        (typeof(Storage.Postgres.PostgresStore), ["Append", "Commit", "WriteSnapshot"]),
    ];

    [Fact]
    public void Mutators_OfLedgerModulesAndJournal_AreNotPublic()
    {
        foreach (var (type, names) in Mutators)
        {
            foreach (var name in names)
            {
                var methods = type.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(m => m.Name == name).ToList();
                Assert.True(methods.Count > 0, $"{type.Name}.{name} not found: renamed? update this list");
                Assert.All(methods, m => Assert.False(m.IsPublic, $"{type.Name}.{name} is public: the edge could mutate state"));
                Assert.All(methods, m => Assert.False(m.IsFamily, $"{type.Name}.{name} is protected only: any subclass outside the core could call it"));
            }
        }
    }

    [Fact]
    public void EdgeAssemblies_AreNotFriendsOfTheCore()
    {
        var core = new[] { typeof(LedgerState).Assembly, typeof(Journal.Journal).Assembly, typeof(Sequencer).Assembly, typeof(Storage.Postgres.PostgresStore).Assembly };
        foreach (var assembly in core)
        {
            var friends = assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName.Split(',')[0].Trim()).ToList();
            Assert.NotEmpty(friends);
            foreach (var edge in Edge)
            {
                Assert.DoesNotContain(edge, friends);
            }
        }

        // The single writer does not live in the endpoint assembly.
        Assert.Equal("Centime.Sequencer", typeof(Sequencer).Assembly.GetName().Name);
        Assert.NotEqual(typeof(CentimeNode).Assembly, typeof(Sequencer).Assembly);
    }

    [Fact]
    public void EndpointAssembly_ReferencesNoMutator()
    {
        var forbidden = Mutators.SelectMany(m => m.Methods.Select(n => (Type: m.Type.Name, Method: n))).ToHashSet();
        using var pe = new PEReader(File.OpenRead(typeof(CentimeNode).Assembly.Location));
        var md = pe.GetMetadataReader();
        var referenced = new List<string>();
        foreach (var handle in md.MemberReferences)
        {
            var member = md.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            var parent = md.GetString(md.GetTypeReference((TypeReferenceHandle)member.Parent).Name);
            var name = md.GetString(member.Name);
            referenced.Add(parent + "." + name);
            Assert.False(forbidden.Contains((parent, name)), $"Centime.Node calls {parent}.{name}");
        }

        // The scan sees real references (reads through the door), so an empty pass cannot hide a broken scan.
        Assert.Contains("Sequencer.SubmitAsync", referenced);
        Assert.Contains("ReadSection.get_State", referenced);
    }
}
