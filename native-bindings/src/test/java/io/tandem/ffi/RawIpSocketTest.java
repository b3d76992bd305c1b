package io.tandem.ffi;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The raw IPv4 socket on veth pairs between two namespaces: what one side sends arrives on the other with the full
 * IPv4 header (TTL, TOS, source and destination as set up), multicast only after joining the group and never back
 * to the sender, nothing from other interfaces, and poll wakes up for data, for {@link RawIpSocket#wakeup()} and
 * on its timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RawIpSocketTest
{
    /** RFC 3692 experimental protocol number: no kernel handler and no other test uses it. */
    private static final int PROTOCOL = 253;
    private static final int A = 0xC612_3401; // 198.18.52.1
    private static final int A2 = 0xC612_3403; // 198.18.52.3
    private static final int B = 0xC612_3402; // 198.18.52.2
    private static final int B_OTHER = 0xC612_3502; // 198.18.53.2, on the second veth pair
    private static final int GROUP = 0xE000_0012; // 224.0.0.18
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Test
    void shouldNameTheMissingInterface()
    {
        final NativeException ex = assertThrows(NativeException.class,
            () -> RawIpSocket.open("tdm-nosuch", PROTOCOL, 0));
        assertEquals(Errno.ENODEV, ex.errno());
        assertTrue(ex.getMessage().contains("tdm-nosuch"), ex.getMessage());
    }

    @Test
    void shouldRefuseATtlOutOfRange()
    {
        assertThrows(IllegalArgumentException.class, () -> RawIpSocket.open("lo", PROTOCOL, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> RawIpSocket.open("lo", PROTOCOL, 0, 256));
        assertThrows(IllegalArgumentException.class, () -> RawIpSocket.open("a-name-much-too-long", PROTOCOL, 0));
    }

    @Test
    @Tag("root")
    void shouldDeliverUnicastWithTheFullIpv4HeaderAndTtl255() throws Exception
    {
        try (Netns a = Netns.create("rwa"); Netns b = Netns.create("rwb"))
        {
            pair(a, b);
            final RawIpSocket sender = a.call(() -> RawIpSocket.open("tvrra", PROTOCOL, A));
            final RawIpSocket receiver = b.call(() -> RawIpSocket.open("tvrrb", PROTOCOL, B));
            try (sender; receiver; Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                assertEquals(B, receiver.localAddress());
                assertEquals(PROTOCOL, receiver.protocol());
                final byte[] payload = "vrrp-ish payload".getBytes(StandardCharsets.US_ASCII);
                assertEquals(payload.length, sender.send(errno, B, arena.allocateFrom(JAVA_BYTE, payload)));

                final byte[] datagram = receiveOne(receiver, errno, arena);
                final MemorySegment ip = MemorySegment.ofArray(datagram);
                assertEquals(0x45, datagram[0] & 0xFF, "IPv4, 20-byte header");
                assertEquals(RawIpSocket.TOS_NETWORK_CONTROL, datagram[1] & 0xFF);
                assertEquals(20 + payload.length, ip.get(BE_SHORT, 2) & 0xFFFF, "total length");
                assertEquals(255, datagram[8] & 0xFF, "TTL");
                assertEquals(PROTOCOL, datagram[9] & 0xFF);
                assertEquals(A, ip.get(BE_INT, 12), "source");
                assertEquals(B, ip.get(BE_INT, 16), "destination");
                assertArrayEquals(payload, Arrays.copyOfRange(datagram, 20, datagram.length));
                assertEquals(-Errno.EAGAIN, receiver.receive(errno, arena.allocate(64)), "one datagram only");
            }
        }
    }

    @Test
    @Tag("root")
    void shouldSendWithTheTtlAskedForAndFromTheBoundAddress() throws Exception
    {
        try (Netns a = Netns.create("rwa"); Netns b = Netns.create("rwb"))
        {
            pair(a, b);
            a.ip("addr", "add", "198.18.52.3/24", "dev", "tvrra");
            final RawIpSocket sender = a.call(() ->
            {
                final RawIpSocket socket = RawIpSocket.open("tvrra", PROTOCOL, A2, 64);
                socket.bindLocal(A2);
                return socket;
            });
            final RawIpSocket receiver = b.call(() -> RawIpSocket.open("tvrrb", PROTOCOL, B));
            try (sender; receiver; Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                assertEquals(4, sender.send(errno, B, arena.allocateFrom(JAVA_BYTE, new byte[] {1, 2, 3, 4})));
                final byte[] datagram = receiveOne(receiver, errno, arena);
                assertEquals(64, datagram[8] & 0xFF, "TTL");
                assertEquals(A2, MemorySegment.ofArray(datagram).get(BE_INT, 12), "the bound address is the source");
            }
        }
    }

    @Test
    @Tag("root")
    void shouldDeliverMulticastOnlyAfterJoiningAndNeverBackToTheSender() throws Exception
    {
        try (Netns a = Netns.create("rwa"); Netns b = Netns.create("rwb"))
        {
            pair(a, b);
            final RawIpSocket sender = a.call(() ->
            {
                final RawIpSocket socket = RawIpSocket.open("tvrra", PROTOCOL, A);
                socket.joinGroup(GROUP);
                return socket;
            });
            final RawIpSocket member = b.call(() -> RawIpSocket.open("tvrrb", PROTOCOL, B));
            try (sender; member; Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                final byte[] payload = {9, 8, 7, 6, 5, 4, 3, 2};
                assertEquals(payload.length, sender.send(errno, GROUP, arena.allocateFrom(JAVA_BYTE, payload)));
                assertEquals(0, member.poll(errno, 200), "not joined yet: B's interface is not in the group");

                b.call(() ->
                {
                    member.joinGroup(GROUP);
                    return null;
                });
                assertEquals(payload.length, sender.send(errno, GROUP, arena.allocateFrom(JAVA_BYTE, payload)));
                final byte[] datagram = receiveOne(member, errno, arena);
                final MemorySegment ip = MemorySegment.ofArray(datagram);
                assertEquals(255, datagram[8] & 0xFF, "multicast TTL");
                assertEquals(A, ip.get(BE_INT, 12), "source: the address given for IP_MULTICAST_IF");
                assertEquals(GROUP, ip.get(BE_INT, 16));
                assertArrayEquals(payload, Arrays.copyOfRange(datagram, 20, datagram.length));

                assertEquals(0, sender.poll(errno, 200), "IP_MULTICAST_LOOP off: the sender, a member too, " +
                    "reads nothing of its own");
                assertEquals(-Errno.EAGAIN, sender.receive(errno, arena.allocate(64)));
            }
        }
    }

    @Test
    @Tag("root")
    void shouldReceiveOnlyFromItsOwnInterface() throws Exception
    {
        try (Netns a = Netns.create("rwa"); Netns b = Netns.create("rwb"))
        {
            pair(a, b);
            Netns.veth(a, "tvrsa", b, "tvrsb");
            a.ip("addr", "add", "198.18.53.1/24", "dev", "tvrsa");
            b.ip("addr", "add", "198.18.53.2/24", "dev", "tvrsb");
            final RawIpSocket sender = a.call(() -> RawIpSocket.open("tvrsa", PROTOCOL, 0));
            final RawIpSocket onFirst = b.call(() -> RawIpSocket.open("tvrrb", PROTOCOL, B));
            final RawIpSocket onSecond = b.call(() -> RawIpSocket.open("tvrsb", PROTOCOL, B_OTHER));
            try (sender; onFirst; onSecond; Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                assertEquals(3, sender.send(errno, B_OTHER, arena.allocateFrom(JAVA_BYTE, new byte[] {1, 2, 3})));
                final byte[] datagram = receiveOne(onSecond, errno, arena);
                assertEquals(B_OTHER, MemorySegment.ofArray(datagram).get(BE_INT, 16));
                assertEquals(0, onFirst.poll(errno, 200), "SO_BINDTODEVICE: nothing from the other interface");
            }
        }
    }

    @Test
    @Tag("root")
    void shouldEndAPollOnWakeupOrTimeout() throws Exception
    {
        try (Netns a = Netns.create("rwa"); Netns b = Netns.create("rwb"))
        {
            pair(a, b);
            final RawIpSocket socket = a.call(() -> RawIpSocket.open("tvrra", PROTOCOL, A));
            try (socket; Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                final long start = System.nanoTime();
                assertEquals(0, socket.poll(errno, 100));
                assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(90), "waited the timeout");

                assertEquals(0, socket.wakeup());
                assertEquals(0, socket.wakeup());
                assertEquals(RawIpSocket.POLL_WOKEN, socket.poll(errno, 5_000), "two wake-ups count as one");
                assertEquals(0, socket.poll(errno, 0), "and are consumed");

                final CompletableFuture<Integer> polled = CompletableFuture.supplyAsync(() ->
                {
                    try (Arena own = Arena.ofConfined())
                    {
                        return socket.poll(LibC.allocateErrnoSegment(own), 10_000);
                    }
                });
                Thread.sleep(100);
                final long woken = System.nanoTime();
                assertEquals(0, socket.wakeup());
                assertEquals(RawIpSocket.POLL_WOKEN, polled.get(5, TimeUnit.SECONDS));
                assertTrue(System.nanoTime() - woken < TimeUnit.SECONDS.toNanos(2), "woken long before the timeout");
            }
            assertEquals(-1, socket.fd());
            assertEquals(-Errno.EBADF, socket.wakeup(), "closed: no write to a descriptor number reused since");
        }
    }

    private static void pair(final Netns a, final Netns b)
    {
        Netns.veth(a, "tvrra", b, "tvrrb");
        a.ip("addr", "add", "198.18.52.1/24", "dev", "tvrra");
        b.ip("addr", "add", "198.18.52.2/24", "dev", "tvrrb");
    }

    private static byte[] receiveOne(final RawIpSocket socket, final MemorySegment errno, final Arena arena)
    {
        final MemorySegment buffer = arena.allocate(2048);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline)
        {
            final int events = socket.poll(errno, 100);
            assertTrue(events >= 0, "poll: " + events);
            if ((events & RawIpSocket.POLL_READABLE) != 0)
            {
                final long length = socket.receive(errno, buffer);
                assertTrue(length > 0, "receive: " + length);
                return buffer.asSlice(0, length).toArray(JAVA_BYTE);
            }
        }
        throw new AssertionError("nothing received on " + socket.interfaceName() + " within 5 s");
    }
}
