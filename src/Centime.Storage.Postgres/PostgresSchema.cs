using System.Globalization;
using Centime.Journal;
using Npgsql;

namespace Centime.Storage.Postgres;

/// <summary>
/// The tables of the PostgreSQL store and their versions (docs/replication.md). The node creates and migrates them
/// itself, under an advisory lock so two nodes starting at once do not race: <c>centime_schema</c> holds the one
/// version number; each entry of <see cref="Migrations"/> takes the schema from version i to i + 1. A database whose
/// version is newer than <see cref="Version"/> was written by a newer node: this one refuses to start.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Arbitrary advisory lock key: "centime" schema migrations.</summary>
    private const long MigrationLock = 0x63656E74696D65;

    private static readonly string[] Migrations =
    [
        // 1: blocks (one row per block; the body is the block encoding, header first), snapshots, the leader lease.
        // Bodies are stored uncompressed (STORAGE EXTERNAL): they are mostly hashes and signatures, pglz would
        // only cost the writer time. UNIQUE previous_hash: two blocks naming the same parent would be a fork.
        """
        CREATE TABLE centime_blocks (
            height        bigint PRIMARY KEY CHECK (height > 0),
            previous_hash bytea  NOT NULL UNIQUE,
            hash          bytea  NOT NULL,
            term          bigint NOT NULL,
            body          bytea  NOT NULL);
        ALTER TABLE centime_blocks ALTER COLUMN body SET STORAGE EXTERNAL;
        CREATE TABLE centime_snapshots (
            height     bigint PRIMARY KEY,
            block_hash bytea  NOT NULL,
            taken_at   timestamptz NOT NULL DEFAULT now(),
            data       bytea  NOT NULL);
        ALTER TABLE centime_snapshots ALTER COLUMN data SET STORAGE EXTERNAL;
        CREATE TABLE centime_lease (
            id          int PRIMARY KEY CHECK (id = 1),
            term        bigint NOT NULL,
            holder      text   NOT NULL,
            acquired_at timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL);
        INSERT INTO centime_lease VALUES (1, 0, '', now(), '-infinity');
        """,

        // 2: followers wake on NOTIFY centime_blocks (sent at commit, once per append statement) instead of polling.
        """
        CREATE FUNCTION centime_blocks_notify() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_notify('centime_blocks', ''); RETURN NULL; END $$;
        CREATE TRIGGER centime_blocks_appended AFTER INSERT ON centime_blocks
            FOR EACH STATEMENT EXECUTE FUNCTION centime_blocks_notify();
        """,

        // 3: block bodies compressed with lz4 (cheap on CPU, unlike pglz): fewer WAL bytes and
        // TOAST chunks per block, as far as they compress. A server built without lz4 keeps them uncompressed. Rows written before stay as
        // they are; PostgreSQL reads both.
        """
        DO $$ BEGIN
            ALTER TABLE centime_blocks ALTER COLUMN body SET COMPRESSION lz4;
            ALTER TABLE centime_blocks ALTER COLUMN body SET STORAGE EXTENDED;
        EXCEPTION WHEN feature_not_supported THEN NULL;
        END $$;
        """,
    ];

    /// <summary>The schema version this node reads and writes.</summary>
    public static int Version => Migrations.Length;

    /// <summary>Creates the schema, or migrates it up to <see cref="Version"/>; throws <see cref="StoreException"/>
    /// for a schema from a newer node, or tables that are not a Centime schema.</summary>
    public static void Ensure(NpgsqlConnection connection, Action<string> log)
    {
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, tx, "CREATE TABLE IF NOT EXISTS centime_schema (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL)");
        int current;
        using (var read = new NpgsqlCommand("SELECT version FROM centime_schema WHERE id = 1", connection, tx))
        {
            current = read.ExecuteScalar() is int v ? v : 0;
        }

        if (current > Version)
        {
            throw new StoreException(
                $"the PostgreSQL schema is at version {current}, but this node knows versions up to {Version}: it was written by a newer Centime node. Run that version (or newer); nothing was modified.");
        }

        if (current == 0)
        {
            using var check = new NpgsqlCommand("SELECT to_regclass('centime_blocks') IS NOT NULL", connection, tx);
            if (check.ExecuteScalar() is true)
            {
                throw new StoreException("the database has a centime_blocks table but no schema version: not a schema this node created. Use an empty database; nothing was modified.");
            }
        }

        for (var v = current; v < Version; v++)
        {
            Execute(connection, tx, Migrations[v]);
            log($"PostgreSQL schema migrated to version {v + 1}");
        }

        if (current < Version)
        {
            Execute(connection, tx, "INSERT INTO centime_schema VALUES (1, " + Version.ToString(CultureInfo.InvariantCulture) + ") ON CONFLICT (id) DO UPDATE SET version = excluded.version");
        }

        tx.Commit();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, tx);
        command.ExecuteNonQuery();
    }
}
