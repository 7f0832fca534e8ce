using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ringside.Server.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>
/// Opens connections to the one database of the server, SQLite (WAL) or PostgreSQL, for the same SQL.
/// Writes go through <see cref="WriteAsync{T}"/>: one transaction each; on SQLite writers of this process queue on
/// a gate (SQLite has one writer at a time anyway, and queueing here beats spinning on SQLITE_BUSY), and the busy
/// timeout covers other processes (Quartz, a second server).
/// </summary>
public sealed class Database : IDisposable
{
    public DatabaseProvider Provider { get; }

    /// <summary>Memory SQLite's own allocator holds in this process (page caches, statements); 0 on PostgreSQL.</summary>
    public long NativeBytes => Provider == DatabaseProvider.Sqlite ? SQLitePCL.raw.sqlite3_memory_used() : 0;
    public string ConnectionString { get; }
    private readonly NpgsqlDataSource? _postgres;
    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);
    private readonly Timer? _checkpointer;

    static Database()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new JsonElementHandler());
    }

    public Database(DatabaseProvider provider, string connectionString)
    {
        Provider = provider;
        if (provider == DatabaseProvider.Sqlite)
        {
            var builder = new SqliteConnectionStringBuilder(connectionString)
            {
                ForeignKeys = true,
                Pooling = true,
                DefaultTimeout = 30, // seconds a statement waits on a lock held by another process
            };
            if (builder.DataSource is { Length: > 0 } file && file != ":memory:")
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            ConnectionString = builder.ToString();
            // Checkpoints (copying the WAL into the database file) run here, off the writers' path, instead of inside
            // whichever commit crosses the WAL size limit: that commit, and every writer queued behind it, would wait.
            _checkpointer = new Timer(_ => Checkpoint(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
        else
        {
            ConnectionString = connectionString;
            _postgres = NpgsqlDataSource.Create(connectionString);
        }
    }

    public static Database FromOptions(RingsideOptions options)
    {
        var provider = options.Database.Provider.ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
            var other => throw new InvalidOperationException($"Ringside:Database:Provider '{other}' is not known; use sqlite or postgres."),
        };
        string connection = options.Database.ConnectionString is { Length: > 0 } cs ? cs
            : provider == DatabaseProvider.Sqlite ? $"Data Source={Path.Combine(options.FullDataDir, "ringside.db")}"
            : throw new InvalidOperationException("Ringside:Database:ConnectionString is required for PostgreSQL.");
        return new Database(provider, connection);
    }

    public async Task<DbConnection> OpenAsync(CancellationToken token = default)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(token);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(token);
        return connection;
    }

    private int _checkpointing;

    private void Checkpoint()
    {
        if (Interlocked.Exchange(ref _checkpointing, 1) == 1) return;
        try
        {
            using var connection = new SqliteConnection(ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);"; // never blocks writers or readers
            command.ExecuteNonQuery();
        }
        catch (SqliteException) { } // the file may be gone (tests) or busy: the next tick tries again
        finally { Volatile.Write(ref _checkpointing, 0); }
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken token = default)
    {
        await using var connection = await OpenAsync(token);
        return await read(connection);
    }

    /// <summary>Runs <paramref name="write"/> in one transaction: it all lands or none of it does.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken token = default)
    {
        bool gated = Provider == DatabaseProvider.Sqlite;
        if (gated) await _sqliteWriter.WaitAsync(token);
        try
        {
            await using var connection = await OpenAsync(token);
            if (connection is SqliteConnection)
            {
                // WAL makes NORMAL durable across application crashes (not power loss), and much faster than FULL.
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=100000; PRAGMA cache_size=-65536;"; // autocheckpoint: a safety net only
                await pragma.ExecuteNonQueryAsync(token);
            }
            // SQLite: BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way on upgrade.
            await using var transaction = connection is SqliteConnection sqlite
                ? sqlite.BeginTransaction(deferred: false)
                : await connection.BeginTransactionAsync(token);
            var result = await write(connection, transaction);
            await transaction.CommitAsync(token);
            return result;
        }
        finally
        {
            if (gated) _sqliteWriter.Release();
        }
    }

    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> write, CancellationToken token = default) =>
        WriteAsync(async (c, t) => { await write(c, t); return true; }, token);

    /// <summary>The column type of an auto-numbered primary key.</summary>
    public string IdColumn => Provider == DatabaseProvider.Sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    /// <summary>
    /// An auto-numbered key without SQLite's AUTOINCREMENT bookkeeping (a write to sqlite_sequence per row): for
    /// fight_frames, the hot table, whose ids are never referenced and need not stay unique after deletes.
    /// </summary>
    public string RowIdColumn => Provider == DatabaseProvider.Sqlite ? "INTEGER PRIMARY KEY" : IdColumn;
    public string BlobColumn => Provider == DatabaseProvider.Sqlite ? "BLOB" : "BYTEA";
    public string TimeColumn => Provider == DatabaseProvider.Sqlite ? "TEXT" : "TIMESTAMPTZ";

    public static bool IsUniqueViolation(Exception e) =>
        e is SqliteException { SqliteErrorCode: 19 } s && s.Message.Contains("UNIQUE", StringComparison.Ordinal)
        || e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public void Dispose()
    {
        _checkpointer?.Dispose();
        _postgres?.Dispose();
        _sqliteWriter.Dispose();
    }

    /// <summary>JSON columns are TEXT in both databases; the API shows them as JSON values.</summary>
    private sealed class JsonElementHandler : SqlMapper.TypeHandler<JsonElement>
    {
        public override void SetValue(System.Data.IDbDataParameter parameter, JsonElement value)
        {
            parameter.DbType = System.Data.DbType.String;
            parameter.Value = value.ValueKind == JsonValueKind.Undefined ? DBNull.Value : value.GetRawText();
        }

        public override JsonElement Parse(object value)
        {
            if (value is not string { Length: > 0 } text) return default;
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
    }
}
