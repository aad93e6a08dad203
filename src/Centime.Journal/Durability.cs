using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Centime.Journal;

/// <summary>
/// The three durability primitives the journal needs. On Linux, data goes down with fdatasync(2): it skips
/// timestamp-only inode updates, so overwriting a zero-filled segment costs one data flush and no
/// file-system journal commit (<see cref="RandomAccess.FlushToDisk"/> calls fsync(2)). A directory is
/// fsynced after a file is created, renamed or removed in it, or the name change could be lost on power
/// failure. Elsewhere the portable calls stand in (Windows has no directory fsync; NTFS journals names).
/// </summary>
internal static partial class Durability
{
    /// <summary>Flushes a file's data (and the size, if it changed) to stable storage.</summary>
    public static void FlushData(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            var ok = false;
            handle.DangerousAddRef(ref ok);
            try
            {
                if (FDataSync((int)handle.DangerousGetHandle()) != 0)
                {
                    throw new IOException("fdatasync failed on the journal: " + new Win32Exception(Marshal.GetLastPInvokeError()).Message);
                }
            }
            finally
            {
                if (ok)
                {
                    handle.DangerousRelease();
                }
            }
        }
        else
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    /// <summary>Flushes data and all metadata (after a size change that must be durable).</summary>
    public static void FlushAll(SafeFileHandle handle) => RandomAccess.FlushToDisk(handle);

    /// <summary>Makes the names in <paramref name="directory"/> durable.</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to fsync it: " + new Win32Exception(Marshal.GetLastPInvokeError()).Message);
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed: " + new Win32Exception(Marshal.GetLastPInvokeError()).Message);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
