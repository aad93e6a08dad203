namespace Centime.Journal;

/// <summary>
/// Zero-fills the next segment file in the background (<see cref="SegmentNames.PreparedName"/>), so the writer
/// overwrites blocks that already exist: fdatasync then flushes only data, never the file size or a newly
/// allocated extent (fallocate would not do: its unwritten extents still cost a metadata commit on first
/// write). Started when the current segment is half full; if it is not ready at roll time, the writer simply
/// creates an empty segment and lets it grow. Recovery reads zeros after the last record as the end.
/// </summary>
internal sealed class SegmentPreparer(string directory, long size) : IDisposable
{
    private const int ChunkBytes = 1 << 20;

    private readonly string _path = Path.Combine(directory, SegmentNames.PreparedName);
    private readonly CancellationTokenSource _cancel = new();
    private Task<bool>? _task;

    /// <summary>Starts zero-filling unless a file is being prepared or is ready.</summary>
    public void Start()
    {
        if (_task is null && !_cancel.IsCancellationRequested)
        {
            _task = Task.Run(Fill);
        }
    }

    /// <summary>Moves the prepared file to <paramref name="destination"/> if it is ready; false otherwise.</summary>
    public bool TryTake(string destination)
    {
        if (_task is not { IsCompleted: true } task)
        {
            return false;
        }

        _task = null;
        if (!task.IsCompletedSuccessfully || !task.Result)
        {
            return false;
        }

        File.Move(_path, destination, overwrite: false);
        return true;
    }

    /// <summary>Waits for the preparation under way; true if a prepared file is ready.</summary>
    public bool Wait(TimeSpan timeout) => _task is { } task && task.Wait(timeout) && task.Result;

    private bool Fill()
    {
        try
        {
            var zeros = new byte[ChunkBytes];
            using (var handle = File.OpenHandle(_path, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                for (long written = 0; written < size; written += ChunkBytes)
                {
                    if (_cancel.IsCancellationRequested)
                    {
                        return false;
                    }

                    var n = (int)Math.Min(ChunkBytes, size - written);
                    RandomAccess.Write(handle, zeros.AsSpan(0, n), written);
                }

                Durability.FlushAll(handle);
            }

            return true;
        }
        catch (IOException)
        {
            return false; // disk full or similar: the writer falls back to a growing segment
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _cancel.Cancel();
        try
        {
            _task?.Wait();
        }
        catch (AggregateException)
        {
            // Fill catches its own I/O errors; anything else is not worth failing a shutdown for.
        }

        _cancel.Dispose();
    }
}
