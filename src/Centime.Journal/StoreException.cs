namespace Centime.Journal;

/// <summary>
/// A block store cannot be opened, or may no longer be written, as configured: the database is unreachable, its
/// schema has a version this node does not know, another node holds the leader lease, the local directory holds
/// data of the other store, or this node was deposed (fenced) by a newer leader. The message says which and what
/// to do. Nothing was modified.
/// </summary>
public class StoreException : Exception
{
    public StoreException(string message)
        : base(message)
    {
    }

    public StoreException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public StoreException()
    {
    }

    /// <summary>True when the database could not be reached at all (the CLI exits with its 'unreachable' code).</summary>
    public bool Unreachable { get; init; }
}
