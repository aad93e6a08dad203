using System.Globalization;
using System.Text;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Testing;

namespace Centime.Compliance.Tests;

/// <summary>
/// A ledger with the issuance and compliance modules as the node registers them, a compliance officer (<c>co</c>,
/// seated in single-operator mode) and one plain coin <c>KUSD</c> (2 decimals) whose supply account mints by transfer.
/// </summary>
internal sealed class ComplianceChain : LedgerChain
{
    public const string Officer = "co";

    /// <summary>2026-12-01T00:00:00Z in ledger nanoseconds.</summary>
    public static readonly ulong Start = (ulong)new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds() * 1_000_000_000UL;

    private ulong _nextAction = 1;
    private ulong _nextTransfer = 1;

    public ComplianceChain()
        : base(static () => [new IssuanceModule(), new ComplianceModule()])
    {
        Ok(Apply(Start, Command.Of(new SetGovernance(NextAction(), IssuanceModule.SystemRequester, true))));
        Ok(Apply(Start, Command.Of(new AddOperator(NextAction(), IssuanceModule.BootstrapAdmin, Officer, Hash32.Sha256(Encoding.UTF8.GetBytes(Officer)), OperatorRoles.Compliance))));
        Ok(Apply(Start, Command.Of(new CreateCoin("KUSD", 2, "USD", "K Dollar", "1"))));
        Coin = State.GetCoin(1)!;
    }

    public Coin Coin { get; }

    public ComplianceModule Compliance => State.Module<ComplianceModule>()!;

    public UInt128 NextAction() => _nextAction++;

    public static void Ok(ResultCode[] codes) => Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));

    public static Address Holder(int i) => Address.Derive("compliance holder " + i.ToString(CultureInfo.InvariantCulture));

    public Command Transfer(Address from, Address to, UInt128 amount, TransferFlags flags = TransferFlags.None) =>
        Command.Of(new Transfer { Id = _nextTransfer++, DebitAccount = from, CreditAccount = to, Amount = amount, Coin = Coin.Number, Flags = flags });

    public Command Mint(Address to, UInt128 amount) => Transfer(Coin.SupplyAccount, to, amount);

    public Command List(params Address[] addresses) =>
        Command.Of(new LoadSanctionsList(Officer, SanctionsSource.Issuer, "v" + _nextAction++, "2026-12-01", Hash32.Sha256("list"u8), true, [.. addresses.Order()]));
}
