package io.tandem.ffi;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibCTest
{
    private Arena arena;
    private MemorySegment errno;

    @BeforeEach
    void setUp()
    {
        arena = Arena.ofConfined();
        errno = LibC.allocateErrnoSegment(arena);
    }

    @AfterEach
    void tearDown()
    {
        arena.close();
    }

    @Test
    void shouldReturnMinusErrnoFromAFailingCall()
    {
        assertEquals(-Errno.EBADF, LibC.close(errno, -1));
        assertEquals(-Errno.ENODEV, LibC.ifNameToIndex(errno, "tandem-no-such-if"));
        assertEquals(-Errno.EAFNOSUPPORT, LibC.socket(errno, 12345, LibC.SOCK_RAW, 0));
    }

    @Test
    void shouldNameTheCallAndErrnoInTheException()
    {
        final NativeException ex = assertThrows(NativeException.class, () -> LibC.check("close(-1)", -Errno.EBADF));
        assertEquals("close(-1): EBADF (9) Bad file descriptor", ex.getMessage());
        assertEquals(Errno.EBADF, ex.errno());
        assertEquals(5, LibC.check("x", 5));
        assertTrue(Errno.describe(Errno.EPERM).contains("CAP_NET_RAW"));
    }

    @Test
    void shouldResetASignalToItsDefaultActionUnlessItCannotBeCaught()
    {
        assertEquals(0, LibC.defaultSignalAction(errno, 28)); // SIGWINCH: ignored by default, and the JVM has no use for it
        assertEquals(-Errno.EINVAL, LibC.defaultSignalAction(errno, 9)); // SIGKILL
        assertEquals(-Errno.EINVAL, LibC.defaultSignalAction(errno, 0));
    }

    @Test
    void shouldFindTheLoopbackInterface()
    {
        assertTrue(LibC.ifNameToIndex(errno, "lo") > 0);
    }

    @Test
    @Tag("root")
    void shouldOpenSetOptionsOnAndClosePacketSocketAsRoot()
    {
        final int fd = (int)LibC.check("socket", LibC.socket(errno, LibC.AF_PACKET,
            LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0));
        final MemorySegment scratch = arena.allocate(8);
        final int packetVersion = 10; // PACKET_VERSION
        LibC.check("setsockopt", LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_PACKET, packetVersion, 2));
        final MemorySegment value = arena.allocate(JAVA_INT);
        final MemorySegment length = arena.allocate(JAVA_INT);
        length.set(JAVA_INT, 0, 4);
        LibC.check("getsockopt", LibC.getsockopt(errno, fd, LibC.SOL_PACKET, packetVersion, value, length));
        assertEquals(2, value.get(JAVA_INT, 0), "TPACKET_V3");
        assertEquals(0, LibC.close(errno, fd));
        assertTrue(NativeSupport.isAvailable(), () -> String.valueOf(NativeSupport.unavailabilityCause()));
    }

    @Test
    void shouldMapAndUnmapAndReportMapFailure()
    {
        final MemorySegment bad = LibC.mmap(errno, 4096, LibC.PROT_READ, LibC.MAP_SHARED, -1, 0);
        assertEquals(-Errno.EBADF, bad.address());
    }
}
