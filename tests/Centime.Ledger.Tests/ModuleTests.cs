namespace Centime.Ledger.Tests;

/// <summary>The module mechanism: dispatch, money through Execute, block-start hooks, snapshot sections.</summary>
public sealed class ModuleTests
{
    private const CommandKind PingKind = (CommandKind)250;

    /// <summary>A test command: mint <see cref="Amount"/> to <see cref="To"/> through the module.</summary>
    private sealed record Ping(Address To, UInt128 Amount) : CommandBody
    {
        public override CommandKind Kind => PingKind;

        protected override void Write(BodyWriter writer)
        {
            writer.Address(To);
            writer.UInt128(Amount);
        }

        public static Ping Read(BodyReader r) => new(r.Address(), r.UInt128());
    }

    private sealed class PingModule : LedgerModule
    {
        public ulong Pings { get; private set; }
        public ulong BlocksSeen { get; private set; }

        public override string Name => "ping";

        public override bool Handles(CommandKind kind) => kind == PingKind;

        protected internal override ResultCode Apply(CommandBody body, in ModuleContext context)
        {
            var ping = (Ping)body;
            var coin = Ledger.Coins[0];
            var code = Ledger.Execute(new Transfer
            {
                Id = ((UInt128)0xC0FFEE << 64) | (UInt128)(Pings + 1),
                DebitAccount = coin.SupplyAccount,
                CreditAccount = ping.To,
                Amount = ping.Amount,
                Coin = coin.Number,
            }, context);
            if (code == ResultCode.Ok)
            {
                Pings++;
            }

            return code;
        }

        protected internal override void OnBlockStart(ulong height, ulong timestamp) => BlocksSeen++;

        public override void WriteSnapshot(BinaryWriter writer)
        {
            writer.Write(Pings);
            writer.Write(BlocksSeen);
        }

        protected internal override void ReadSnapshot(BinaryReader reader)
        {
            Pings = reader.ReadUInt64();
            BlocksSeen = reader.ReadUInt64();
        }
    }

    private const CommandKind VaultKind = (CommandKind)251;
    private static readonly Address Vault = Address.Derive("test:vault");

    /// <summary>A test command: move <see cref="Amount"/> from <see cref="From"/> into the vault, as its owner or not.</summary>
    private sealed record ToVault(Address From, UInt128 Amount, bool AsOwner) : CommandBody
    {
        public override CommandKind Kind => VaultKind;

        protected override void Write(BodyWriter writer)
        {
            writer.Address(From);
            writer.UInt128(Amount);
            writer.Byte(AsOwner ? (byte)1 : (byte)0);
        }

        public static ToVault Read(BodyReader r) => new(r.Address(), r.UInt128(), r.Byte() == 1);
    }

    /// <summary>Owns the vault account (coin 1) from its first command on.</summary>
    private sealed class VaultModule : LedgerModule
    {
        private ulong _moves;

        public override string Name => "vault";

        public override bool Handles(CommandKind kind) => kind == VaultKind;

        protected internal override ResultCode Apply(CommandBody body, in ModuleContext context)
        {
            Ledger.SetModuleOwned(1, Vault, this);
            var v = (ToVault)body;
            var transfer = new Transfer { Id = ((UInt128)0xBA17 << 64) | (UInt128)(++_moves), DebitAccount = v.From, CreditAccount = Vault, Amount = v.Amount, Coin = 1 };
            return v.AsOwner ? Ledger.ExecuteAsOwner(transfer, context, this) : Ledger.Execute(transfer, context);
        }

        public override void WriteSnapshot(BinaryWriter writer) => writer.Write(_moves);

        protected internal override void ReadSnapshot(BinaryReader reader) => _moves = reader.ReadUInt64();
    }

    static ModuleTests()
    {
        CommandBody.Register(PingKind, Ping.Read);
        CommandBody.Register(VaultKind, ToVault.Read);
    }

    [Fact]
    public void ModuleOwnedAccount_MovesOnlyThroughItsOwner()
    {
        var ledger = new TestLedger(new LedgerState([new PingModule(), new VaultModule()]));
        ledger.CreateCoin("NUSD");
        var alice = Address.Derive("test:alice");
        Assert.Equal([ResultCode.Ok], ledger.Codes(Command.Of(new Ping(alice, 100))));
        Assert.Equal([ResultCode.Ok], ledger.Codes(Command.Of(new ToVault(alice, 30, AsOwner: true))));
        Assert.True(ledger.State.TryGetAccount(1, Vault, out var vault));
        Assert.Equal((Int128)30, vault.Balance);
        Assert.Equal(AccountFlags.ModuleOwned, vault.Flags);

        // Not as its owner (plain module Execute), another module, or a client: refused, nothing moves.
        Assert.Equal([ResultCode.ModuleOwnedAccount], ledger.Codes(Command.Of(new ToVault(alice, 5, AsOwner: false))));
        Assert.Equal([ResultCode.ModuleOwnedAccount], ledger.Codes(Command.Of(new Ping(Vault, 5))));
        Assert.Equal([ResultCode.ModuleOwnedAccount], ledger.Codes(Command.Of(new Transfer { Id = 900, DebitAccount = alice, CreditAccount = Vault, Amount = 1, Coin = 1 })));
        Assert.Equal([ResultCode.ModuleOwnedAccount], ledger.Codes(Command.Of(new Transfer { Id = 901, DebitAccount = Vault, CreditAccount = alice, Amount = 1, Coin = 1 })));
        ledger.State.TryGetAccount(1, Vault, out vault);
        Assert.Equal((Int128)30, vault.Balance);
        ledger.State.TryGetAccount(1, alice, out var a);
        Assert.Equal((Int128)70, a.Balance);
    }

    [Fact]
    public void Module_CommandsAndHooks_MoveMoneyAndSurviveSnapshot()
    {
        var ledger = new TestLedger(new LedgerState([new PingModule()]));
        ledger.CreateCoin("NUSD");
        var alice = Address.Derive("test:alice");
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], ledger.Codes(Command.Of(new Ping(alice, 5)), Command.Of(new Ping(alice, 7))));
        ledger.State.TryGetAccount(1, alice, out var account);
        Assert.Equal((Int128)12, account.Balance);
        var module = ledger.State.Module<PingModule>()!;
        Assert.Equal(2UL, module.Pings);
        Assert.True(module.BlocksSeen >= 2);

        using var stream = new MemoryStream();
        ledger.State.WriteSnapshot(stream);
        stream.Position = 0;
        var copy = LedgerState.ReadSnapshot(stream, [new PingModule()]);
        Assert.Equal(ledger.State.ComputeStateHash(), copy.ComputeStateHash());
        Assert.Equal(2UL, copy.Module<PingModule>()!.Pings);

        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => LedgerState.ReadSnapshot(stream));
    }

    [Fact]
    public void Module_UnknownKindWithoutModule_UnknownCommand()
    {
        var ledger = new TestLedger();
        ledger.CreateCoin("NUSD");
        Assert.Equal([ResultCode.UnknownCommand], ledger.Codes(Command.Of(new Ping(Address.Derive("x"), 1))));
    }

    [Fact]
    public void Module_AttachedTwice_Refused()
    {
        var module = new PingModule();
        _ = new LedgerState([module]);
        Assert.Throws<ArgumentException>(() => new LedgerState([module]));
    }
}
