package io.tandem.control.net;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.ffi.Errno;
import io.tandem.ffi.LibC;
import io.tandem.ffi.Netns;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The announcement frame byte for byte, and on a veth pair between two namespaces: the peer's neighbour entry for the
 * address moves to the announced MAC (existing entries always, new ones only with {@code arp_accept}), and
 * {@link GratuitousArp#announce} sends its burst and its repeats on schedule.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GratuitousArpTest
{
    private static final long OLD_MAC = 0x02_00_00_00_00_01L;
    private static final String VIP = "198.18.54.100";
    private static final String VIP2 = "198.18.54.101";
    private static final int ETH_P_ARP = 0x0806;

    @Test
    void shouldBuildAnArpAnnouncement()
    {
        final byte[] expected = HexFormat.of().parseHex(
            "ffffffffffff" + "0200000000aa" + "0806" +
            "0001" + "0800" + "06" + "04" + "0001" +
            "0200000000aa" + "c6123664" +
            "000000000000" + "c6123664" +
            "000000000000000000000000000000000000");
        assertArrayEquals(expected, GratuitousArp.frame(0x02_00_00_00_00_AAL, Bytes.parseIpv4(VIP)));
        assertEquals(GratuitousArp.FRAME_LENGTH, expected.length);
    }

    @ParameterizedTest(name = "nud {0}")
    @ValueSource(strings = {"stale", "reachable"})
    @Tag("root")
    void shouldMoveThePeersNeighbourEntryToTheAnnouncedMac(final String state) throws Exception
    {
        try (Netns a = Netns.create("gaa"); Netns b = Netns.create("gab"))
        {
            pair(a, b);
            b.ip("neigh", "replace", VIP, "lladdr", Bytes.macToString(OLD_MAC), "dev", "tvrgb", "nud", state);
            assertTrue(neighbour(b, VIP).contains(Bytes.macToString(OLD_MAC)), neighbour(b, VIP));

            final GratuitousArp sender = a.call(() -> GratuitousArp.open("tvrga"));
            try (sender)
            {
                final String newMac = Bytes.macToString(sender.mac());
                assertEquals(1, sender.send(List.of(Bytes.parseIpv4(VIP))));
                awaitNeighbour(b, VIP, newMac);
                assertEquals(1, sender.framesSent());
                assertEquals(0, sender.sendErrors());
            }
        }
    }

    @Test
    @Tag("root")
    void shouldCreateAMissingEntryOnlyWhereArpAcceptIsOn() throws Exception
    {
        try (Netns a = Netns.create("gaa"); Netns b = Netns.create("gab"))
        {
            pair(a, b);
            b.exec("sysctl", "-q", "-w", "net.ipv4.conf.tvrgb.arp_accept=0");
            final long mac = 0x02_00_00_00_00_AAL;
            assertEquals(1, (int)a.call(() -> GratuitousArp.send("tvrga", mac, List.of(Bytes.parseIpv4(VIP)))));
            Thread.sleep(300);
            assertFalse(neighbour(b, VIP).contains(Bytes.macToString(mac)), "arp_accept 0: " + neighbour(b, VIP));

            b.exec("sysctl", "-q", "-w", "net.ipv4.conf.tvrgb.arp_accept=1");
            a.call(() -> GratuitousArp.send("tvrga", mac, List.of(Bytes.parseIpv4(VIP))));
            awaitNeighbour(b, VIP, Bytes.macToString(mac));
        }
    }

    @Test
    @Tag("root")
    void shouldAnnounceInABurstThenRepeatAfter100And500And1000Ms() throws Exception
    {
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (Netns a = Netns.create("gaa"); Netns b = Netns.create("gab"); Arena arena = Arena.ofShared())
        {
            pair(a, b);
            final List<Integer> addresses = List.of(Bytes.parseIpv4(VIP), Bytes.parseIpv4(VIP2));
            final int receiver = b.call(() -> arpReceiver(arena));
            try
            {
                final GratuitousArp sender = a.call(() -> GratuitousArp.open("tvrga"));
                final long startNs;
                final GratuitousArp.Announcement announcement;
                try (sender)
                {
                    startNs = System.nanoTime();
                    announcement = sender.announce(scheduler, addresses);
                    final List<Long> arrivalsMs = receive(arena, receiver, sender.mac(), addresses, startNs, 12, 5_000);
                    assertEquals(12, arrivalsMs.size(), "3 rounds at once and 3 repeats, 2 addresses each: " +
                        arrivalsMs);
                    // rounds 4, 5 and 6 never come before their delay; the burst comes before all of them
                    assertTrue(arrivalsMs.get(6) >= 100, arrivalsMs.toString());
                    assertTrue(arrivalsMs.get(8) >= 500, arrivalsMs.toString());
                    assertTrue(arrivalsMs.get(10) >= 1_000, arrivalsMs.toString());
                    assertTrue(announcement.isDone());
                    assertEquals(12, sender.framesSent());
                }

                final GratuitousArp closing = a.call(() -> GratuitousArp.open("tvrga"));
                final long closingStartNs = System.nanoTime();
                final GratuitousArp.Announcement cut = closing.announce(scheduler, addresses);
                closing.close();
                final List<Long> burstOnly = receive(arena, receiver, closing.mac(), addresses, closingStartNs, 12,
                    1_500);
                assertEquals(6, burstOnly.size(), "no repeats after close: " + burstOnly);
                assertTrue(cut.isDone());

                final GratuitousArp cancelled = a.call(() -> GratuitousArp.open("tvrga"));
                try (cancelled)
                {
                    final long cancelledStartNs = System.nanoTime();
                    cancelled.announce(scheduler, addresses).cancel();
                    assertEquals(6, receive(arena, receiver, cancelled.mac(), addresses, cancelledStartNs, 12, 1_500)
                        .size(), "cancelled repeats");
                }
            }
            finally
            {
                LibC.close(LibC.allocateErrnoSegment(arena), receiver);
            }
        }
        finally
        {
            scheduler.shutdownNow();
        }
    }

    private static void pair(final Netns a, final Netns b)
    {
        Netns.veth(a, "tvrga", b, "tvrgb");
        a.ip("addr", "add", "198.18.54.1/24", "dev", "tvrga");
        b.ip("addr", "add", "198.18.54.2/24", "dev", "tvrgb");
    }

    private static String neighbour(final Netns ns, final String address)
    {
        return ns.ip("neigh", "show", address, "dev", "tvrgb").strip();
    }

    private static void awaitNeighbour(final Netns ns, final String address, final String mac)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (!neighbour(ns, address).contains("lladdr " + mac))
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("the neighbour entry for " + address + " did not move to " + mac + ": " +
                    neighbour(ns, address));
            }
            Thread.sleep(20);
        }
    }

    /** A packet socket for ARP frames of every interface of the calling thread's namespace. */
    private static int arpReceiver(final Arena arena)
    {
        final MemorySegment errno = LibC.allocateErrnoSegment(arena);
        final int fd = LibC.socket(errno, LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC,
            Short.toUnsignedInt(Short.reverseBytes((short)ETH_P_ARP)));
        LibC.check("socket(AF_PACKET, ETH_P_ARP)", fd);
        return fd;
    }

    /**
     * Reads ARP frames from {@code mac} until {@code count} announcements of {@code addresses} have arrived or
     * {@code timeoutMs} passed; each must be the frame {@link GratuitousArp#frame} builds.
     *
     * @return the arrival times, ms after {@code startNs}, in order.
     */
    private static List<Long> receive(
        final Arena arena, final int fd, final long mac, final List<Integer> addresses, final long startNs,
        final int count, final long timeoutMs)
    {
        final MemorySegment errno = LibC.allocateErrnoSegment(arena);
        final MemorySegment pollFd = arena.allocate(LibC.POLLFD_LENGTH, 4);
        final MemorySegment buffer = arena.allocate(2048);
        final List<Long> arrivals = new ArrayList<>();
        final long deadline = startNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (arrivals.size() < count && System.nanoTime() < deadline)
        {
            pollFd.set(JAVA_INT, LibC.POLLFD_FD_OFFSET, fd);
            pollFd.set(JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
            pollFd.set(JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET, (short)0);
            final long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            if (LibC.poll(errno, pollFd, 1, (int)Math.min(leftMs, 100)) <= 0)
            {
                continue;
            }
            final long length = LibC.recv(errno, fd, buffer, LibC.MSG_DONTWAIT);
            if (length == -Errno.EAGAIN)
            {
                continue;
            }
            assertTrue(length > 0, "recv: " + length);
            final byte[] frame = buffer.asSlice(0, length).toArray(JAVA_BYTE);
            final long arrivedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            final long source = ((long)(frame[6] & 0xFF) << 40) | ((long)(frame[7] & 0xFF) << 32) |
                ((long)(frame[8] & 0xFF) << 24) | ((frame[9] & 0xFF) << 16) | ((frame[10] & 0xFF) << 8) |
                (frame[11] & 0xFF);
            if (source != mac)
            {
                continue;
            }
            final int ip = ((frame[28] & 0xFF) << 24) | ((frame[29] & 0xFF) << 16) | ((frame[30] & 0xFF) << 8) |
                (frame[31] & 0xFF);
            assertTrue(addresses.contains(ip), "announced " + Bytes.ipv4ToString(ip));
            assertArrayEquals(GratuitousArp.frame(mac, ip), Arrays.copyOf(frame, GratuitousArp.FRAME_LENGTH));
            arrivals.add(arrivedMs);
        }
        return arrivals;
    }
}
