package io.tandem.control.net;

import io.tandem.dataplane.packet.ArpFlyweight;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.packet.EthernetFlyweight;
import io.tandem.ffi.LibC;
import io.tandem.ffi.NativeException;
import io.tandem.ffi.PacketSocket;
import io.tandem.ffi.RtNetlink;
import io.tandem.ffi.RtNetlinkLink;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Gratuitous ARP for addresses a node has just taken over: for each address one ARP request, Ethernet broadcast, with
 * sender and target protocol address both the address, sender hardware address the node's MAC and target hardware
 * address zero (RFC 5227 section 3 calls this an ARP announcement). Hosts and switches on the link that have a
 * neighbour entry for the address replace its MAC by ours at once (Linux does so for an existing entry even with
 * {@code arp_accept} 0); with {@code arp_accept} 1 Linux also creates missing entries.
 * <p>
 * Sent through an AF_PACKET socket ({@code socket(AF_PACKET, SOCK_RAW, 0)}: it receives nothing) with the frame
 * addressed by a struct sockaddr_ll (interface index, EtherType ARP, broadcast). The socket is opened on the calling
 * thread, in its network namespace; sends may then come from any thread.
 * <p>
 * <b>Schedule</b> of {@link #announce}: {@value #BURST} rounds at once, then one round after each of
 * {@link #REPEAT_DELAYS_MS} (100 ms, 500 ms, 1 s). The burst covers a lost frame; the repeats cover a peer or switch
 * port that was not ready yet when the burst went out (a link that was just set up, a switch still learning after a
 * takeover, a host that briefly held the old entry in a state GARP does not override). After about a second
 * everything on the link has heard us or is broken in a way more frames do not fix; keepalived, for comparison, sends
 * 5 at once and 5 more after 5 s by default.
 */
public final class GratuitousArp implements AutoCloseable
{
    /** Rounds sent at once by {@link #announce}. */
    public static final int BURST = 3;
    /** Delays after which {@link #announce} sends one more round each, milliseconds from the announcement. */
    public static final List<Long> REPEAT_DELAYS_MS = List.of(100L, 500L, 1_000L);
    /** Length of a frame: Ethernet header and ARP packet padded to the Ethernet minimum (without FCS). */
    public static final int FRAME_LENGTH = 60;

    private final String interfaceName;
    private final int interfaceIndex;
    private final long mac;
    private final Arena arena;
    private final MemorySegment errno;
    private final MemorySegment frame;
    private final MemorySegment address;
    private final AtomicLong framesSent = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private volatile int lastErrno;
    private int fd;

    private GratuitousArp(final String interfaceName, final int interfaceIndex, final long mac, final int fd)
    {
        this.interfaceName = interfaceName;
        this.interfaceIndex = interfaceIndex;
        this.mac = mac;
        this.fd = fd;
        this.arena = Arena.ofShared();
        this.errno = LibC.allocateErrnoSegment(arena);
        this.frame = arena.allocate(FRAME_LENGTH);
        this.address = arena.allocate(PacketSocket.SOCKADDR_LL_LENGTH, 4);
        address.set(JAVA_SHORT, PacketSocket.SLL_FAMILY_OFFSET, (short)LibC.AF_PACKET);
        address.set(JAVA_SHORT, PacketSocket.SLL_PROTOCOL_OFFSET,
            Short.reverseBytes((short)EthernetFlyweight.ETHER_TYPE_ARP));
        address.set(JAVA_INT, PacketSocket.SLL_IFINDEX_OFFSET, interfaceIndex);
        address.set(JAVA_BYTE, PacketSocket.SLL_HALEN_OFFSET, (byte)6);
        for (int i = 0; i < 6; i++)
        {
            address.set(JAVA_BYTE, PacketSocket.SLL_ADDR_OFFSET + i, (byte)0xFF);
        }
    }

    /**
     * Opens a sender on {@code interfaceName} with the interface's own MAC (read over rtnetlink). Call on a thread
     * inside the interface's network namespace.
     *
     * @throws NativeException when there is no such interface or the socket cannot be opened (not root).
     * @throws IllegalArgumentException when the interface has no Ethernet address.
     */
    public static GratuitousArp open(final String interfaceName)
    {
        final RtNetlinkLink link;
        try (RtNetlink netlink = RtNetlink.open())
        {
            link = netlink.link(interfaceName);
        }
        if (!link.hasMac())
        {
            throw new IllegalArgumentException(interfaceName + " has no Ethernet address");
        }
        return open(interfaceName, link.mac());
    }

    /**
     * Opens a sender on {@code interfaceName}. Call on a thread inside the interface's network namespace.
     *
     * @param interfaceName e.g. {@code eth1}.
     * @param mac           the MAC to announce (and send from), in the low 48 bits; normally the interface's.
     * @throws NativeException when there is no such interface or the socket cannot be opened (not root).
     */
    public static GratuitousArp open(final String interfaceName, final long mac)
    {
        try (Arena confined = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(confined);
            final int index = LibC.ifNameToIndex(errno, interfaceName);
            if (index < 0)
            {
                throw new NativeException("if_nametoindex(" + interfaceName + ")", -index);
            }
            final int fd = LibC.socket(errno, LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
            if (fd < 0)
            {
                throw new NativeException("socket(AF_PACKET, SOCK_RAW) for gratuitous ARP on " + interfaceName, -fd);
            }
            return new GratuitousArp(interfaceName, index, mac, fd);
        }
    }

    /**
     * Opens a sender, sends one round for {@code addresses} and closes it. Call on a thread inside the interface's
     * network namespace.
     *
     * @param interfaceName e.g. {@code eth1}.
     * @param mac           the MAC to announce, in the low 48 bits.
     * @param addresses     IPv4 addresses as ints.
     * @return frames the kernel took.
     * @throws NativeException when the socket cannot be opened.
     */
    public static int send(final String interfaceName, final long mac, final List<Integer> addresses)
    {
        try (GratuitousArp sender = open(interfaceName, mac))
        {
            return sender.send(addresses);
        }
    }

    /**
     * The frame announcing {@code ip} for {@code mac}.
     * <pre>
     *   0           6           12    14                                         42              60
     *   +-----------+-----------+-----+------------------------------------------+---------------+
     *   | ff x 6    | mac       |0806 | ARP request: sha mac, spa ip, tha 0, tpa ip| zero padding  |
     *   +-----------+-----------+-----+------------------------------------------+---------------+
     * </pre>
     *
     * @return {@link #FRAME_LENGTH} bytes.
     */
    public static byte[] frame(final long mac, final int ip)
    {
        final byte[] bytes = new byte[FRAME_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final EthernetFlyweight ethernet = new EthernetFlyweight();
        ethernet.wrap(buffer, 0);
        ethernet.dstMac(EthernetFlyweight.BROADCAST).srcMac(mac).etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        final ArpFlyweight arp = new ArpFlyweight();
        arp.wrap(buffer, EthernetFlyweight.HEADER_LENGTH);
        arp.ethernetIpv4().operation(ArpFlyweight.OP_REQUEST).senderMac(mac).senderIp(ip).targetMac(0).targetIp(ip);
        return bytes;
    }

    /**
     * Sends one round: one frame per address. Never throws for a refused send (the interface may be down during a
     * takeover); it is counted instead.
     *
     * @param addresses IPv4 addresses as ints.
     * @return frames the kernel took; the rest are counted in {@link #sendErrors()}.
     * @throws IllegalStateException after {@link #close()}.
     */
    public synchronized int send(final List<Integer> addresses)
    {
        if (fd < 0)
        {
            throw new IllegalStateException("closed: gratuitous ARP sender on " + interfaceName);
        }
        int sent = 0;
        for (final int ip : addresses)
        {
            MemorySegment.copy(frame(mac, ip), 0, frame, JAVA_BYTE, 0, FRAME_LENGTH);
            final long rc = LibC.sendto(errno, fd, frame, FRAME_LENGTH, 0, address);
            if (rc < 0)
            {
                lastErrno = (int)-rc;
                sendErrors.incrementAndGet();
            }
            else
            {
                sent++;
                framesSent.incrementAndGet();
            }
        }
        return sent;
    }

    /**
     * Announces {@code addresses}: {@link #BURST} rounds now, on the calling thread, then one round after each of
     * {@link #REPEAT_DELAYS_MS} on {@code scheduler}. Repeats that would run after {@link #close()} are skipped.
     *
     * @param scheduler runs the repeats; its threads need not be in the interface's namespace.
     * @param addresses IPv4 addresses as ints.
     * @return a handle that cancels the repeats still to come.
     */
    public Announcement announce(final ScheduledExecutorService scheduler, final List<Integer> addresses)
    {
        final List<Integer> copy = List.copyOf(addresses);
        for (int i = 0; i < BURST; i++)
        {
            send(copy);
        }
        final List<ScheduledFuture<?>> repeats = new ArrayList<>(REPEAT_DELAYS_MS.size());
        for (final long delayMs : REPEAT_DELAYS_MS)
        {
            repeats.add(scheduler.schedule(() -> sendUnlessClosed(copy), delayMs, TimeUnit.MILLISECONDS));
        }
        return new Announcement(List.copyOf(repeats));
    }

    private synchronized void sendUnlessClosed(final List<Integer> addresses)
    {
        if (fd >= 0)
        {
            send(addresses);
        }
    }

    /** @return the interface's name. */
    public String interfaceName()
    {
        return interfaceName;
    }

    /** @return the interface's index in its namespace. */
    public int interfaceIndex()
    {
        return interfaceIndex;
    }

    /** @return the MAC announced, in the low 48 bits. */
    public long mac()
    {
        return mac;
    }

    /** @return frames the kernel took since opening. */
    public long framesSent()
    {
        return framesSent.get();
    }

    /** @return sends the kernel refused since opening (e.g. ENETDOWN). */
    public long sendErrors()
    {
        return sendErrors.get();
    }

    /** @return errno of the last refused send, 0 if none. */
    public int lastErrno()
    {
        return lastErrno;
    }

    /** Closes the socket; repeats still scheduled do nothing. Idempotent. */
    @Override
    public synchronized void close()
    {
        if (fd < 0)
        {
            return;
        }
        LibC.close(errno, fd);
        fd = -1;
        arena.close();
    }

    @Override
    public String toString()
    {
        return "gratuitous ARP sender on " + interfaceName + " for " + Bytes.macToString(mac);
    }

    /**
     * The repeats of one {@link #announce}.
     *
     * @param repeats the scheduled repeats, in order.
     */
    public record Announcement(List<ScheduledFuture<?>> repeats)
    {
        /** Cancels the repeats that have not run yet. */
        public void cancel()
        {
            for (final ScheduledFuture<?> repeat : repeats)
            {
                repeat.cancel(false);
            }
        }

        /** @return true when every repeat has run or was cancelled. */
        public boolean isDone()
        {
            return repeats.stream().allMatch(ScheduledFuture::isDone);
        }
    }
}
