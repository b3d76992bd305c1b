package io.tandem.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Whether the data plane's native facilities can be used here: the FFM linker works and this process may open a
 * packet socket (root or CAP_NET_RAW). Tests that need them check first and say why they are skipped.
 */
public final class NativeSupport
{
    private static final Throwable CAUSE = probe();

    private NativeSupport()
    {
    }

    private static Throwable probe()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(arena);
            final int fd = LibC.socket(errno, LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
            if (fd < 0)
            {
                return new NativeException("socket(AF_PACKET, SOCK_RAW)", -fd);
            }
            LibC.close(errno, fd);
            return null;
        }
        catch (final Throwable t)
        {
            return t;
        }
    }

    /** @return true when packet sockets can be opened. */
    public static boolean isAvailable()
    {
        return null == CAUSE;
    }

    /** @return why they cannot, or null. */
    public static Throwable unavailabilityCause()
    {
        return CAUSE;
    }
}
