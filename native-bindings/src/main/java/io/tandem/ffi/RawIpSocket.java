package io.tandem.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A non-blocking raw IPv4 socket for one IP protocol on one interface ({@code socket(AF_INET, SOCK_RAW, protocol)}),
 * as VRRP (protocol 112) needs it: the kernel writes the IPv4 header of what is sent (with the TTL set here), and
 * every datagram received comes with its full IPv4 header, so the receiver can check the TTL and the source.
 * <p>
 * Open it on a thread inside the network namespace the interface lives in: the socket belongs to the namespace of
 * the thread that creates it, and keeps it whichever thread uses it afterwards. Set-up failures throw a
 * {@link NativeException} naming the call, the option and the interface; {@link #send}, {@link #receive} and
 * {@link #poll} return {@code -errno} like {@link LibC}. No protocol logic lives here.
 * <p>
 * Set-up in {@link #open}, in this order and why:
 * <ol>
 *   <li>{@code socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)};</li>
 *   <li>SO_BINDTODEVICE: only datagrams that arrive on the interface are queued, and sends leave through it;</li>
 *   <li>IP_TTL and IP_MULTICAST_TTL (VRRP requires 255, RFC 5798 5.1.1.3, so that a receiver can tell that no
 *   router forwarded the packet), IP_TOS 0xC0 (internetwork control, as keepalived sends);</li>
 *   <li>IP_MULTICAST_IF with struct ip_mreqn (the interface's index, and the local address as the source of
 *   multicast sends), IP_MULTICAST_LOOP = 0 (a sender never reads its own multicast datagrams);</li>
 *   <li>an eventfd, so that {@link #wakeup()} from another thread ends a {@link #poll} early.</li>
 * </ol>
 * {@link #joinGroup} (IP_ADD_MEMBERSHIP) and {@link #bindLocal} (bind(2)) are separate calls: a multicast speaker
 * joins the group; a unicast speaker binds to its own address, which fixes the source of what it sends and makes
 * the kernel queue only datagrams addressed to it.
 * <p>
 * Thread-safety: {@link #send}, {@link #receive} and {@link #poll} share scratch memory and must be called by one
 * thread at a time (the owner, e.g. a speaker's thread); {@link #wakeup()} may be called from any thread;
 * {@link #close()} only once nobody polls any more.
 */
public final class RawIpSocket implements AutoCloseable
{
    /** Socket option level of IPv4. */
    public static final int IPPROTO_IP = 0;
    /** IP option: type of service byte of what is sent. */
    public static final int IP_TOS = 1;
    /** IP option: TTL of unicast sends. */
    public static final int IP_TTL = 2;
    /** IP option: the interface (struct ip_mreqn) multicast is sent through. */
    public static final int IP_MULTICAST_IF = 32;
    /** IP option: TTL of multicast sends. */
    public static final int IP_MULTICAST_TTL = 33;
    /** IP option: whether this host's own multicast sends are delivered back to it. */
    public static final int IP_MULTICAST_LOOP = 34;
    /** IP option: join a multicast group (struct ip_mreqn). */
    public static final int IP_ADD_MEMBERSHIP = 35;
    /** SOL_SOCKET option: bind the socket to one interface, by name. */
    public static final int SO_BINDTODEVICE = 25;

    /** The TTL VRRP sends with and requires on receipt. */
    public static final int DEFAULT_TTL = 255;
    /** Type of service "internetwork control" (precedence 6), as routing protocols and keepalived send. */
    public static final int TOS_NETWORK_CONTROL = 0xC0;
    /** Longest interface name, with its terminating NUL (IFNAMSIZ). */
    public static final int IFNAMSIZ = 16;

    /** {@link #poll} result bit: a datagram is waiting. */
    public static final int POLL_READABLE = 1;
    /** {@link #poll} result bit: {@link #wakeup()} was called (the wake-up is consumed). */
    public static final int POLL_WOKEN = 2;
    /** {@link #poll} result bit: the socket reports an error (e.g. ENETDOWN); {@link #receive} returns it. */
    public static final int POLL_ERROR = 4;

    /**
     * struct sockaddr_in, 16 bytes.
     * <pre>
     *   0       2       4               8                               16
     *   +-------+-------+---------------+-------------------------------+
     *   |family | port  |   sin_addr    |           zero[8]             |
     *   +-------+-------+---------------+-------------------------------+
     *   family in host order; port and address in network byte order
     * </pre>
     */
    public static final int SOCKADDR_IN_LENGTH = 16;
    /** Offset of {@code sin_family} (u16, host order). */
    public static final int SIN_FAMILY_OFFSET = 0;
    /** Offset of {@code sin_port} (be16); 0 for raw sockets. */
    public static final int SIN_PORT_OFFSET = 2;
    /** Offset of {@code sin_addr} (be32). */
    public static final int SIN_ADDR_OFFSET = 4;

    /**
     * struct ip_mreqn, 12 bytes.
     * <pre>
     *   0               4               8               12
     *   +---------------+---------------+---------------+
     *   | imr_multiaddr |  imr_address  |  imr_ifindex  |
     *   +---------------+---------------+---------------+
     *   addresses in network byte order, ifindex in host order
     * </pre>
     */
    public static final int IP_MREQN_LENGTH = 12;
    /** Offset of {@code imr_multiaddr} (be32): the group. */
    public static final int IMR_MULTIADDR_OFFSET = 0;
    /** Offset of {@code imr_address} (be32): the local address, 0 for any. */
    public static final int IMR_ADDRESS_OFFSET = 4;
    /** Offset of {@code imr_ifindex} (int). */
    public static final int IMR_IFINDEX_OFFSET = 8;

    private static final ValueLayout.OfInt BE_INT = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int POLLFD_COUNT = 2;

    private final String interfaceName;
    private final int interfaceIndex;
    private final int protocol;
    private final int localAddress;
    private final Arena arena;
    private final MemorySegment destination;
    private final MemorySegment pollFds;
    private final MemorySegment counter;
    private int fd;
    private int eventFd;

    private RawIpSocket(
        final String interfaceName, final int interfaceIndex, final int protocol, final int localAddress,
        final int fd, final int eventFd)
    {
        this.interfaceName = interfaceName;
        this.interfaceIndex = interfaceIndex;
        this.protocol = protocol;
        this.localAddress = localAddress;
        this.fd = fd;
        this.eventFd = eventFd;
        this.arena = Arena.ofShared();
        this.destination = arena.allocate(SOCKADDR_IN_LENGTH, 4);
        this.pollFds = arena.allocate(LibC.POLLFD_LENGTH * POLLFD_COUNT, 4);
        this.counter = arena.allocate(JAVA_LONG);
        pollFds.set(JAVA_INT, LibC.POLLFD_FD_OFFSET, fd);
        pollFds.set(JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
        pollFds.set(JAVA_INT, LibC.POLLFD_LENGTH + LibC.POLLFD_FD_OFFSET, eventFd);
        pollFds.set(JAVA_SHORT, LibC.POLLFD_LENGTH + LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
    }

    /**
     * Opens a raw socket for {@code protocol} on {@code interfaceName} that sends with {@link #DEFAULT_TTL}.
     *
     * @see #open(String, int, int, int)
     */
    public static RawIpSocket open(final String interfaceName, final int protocol, final int localAddress)
    {
        return open(interfaceName, protocol, localAddress, DEFAULT_TTL);
    }

    /**
     * Opens a raw socket for {@code protocol} on {@code interfaceName}: non-blocking, bound to the device, sending
     * with {@code ttl}, multicast through the interface from {@code localAddress} and not looped back. Call on a
     * thread inside the interface's network namespace.
     *
     * @param interfaceName e.g. {@code eth1}; at most 15 characters.
     * @param protocol      IP protocol number, e.g. 112 for VRRP.
     * @param localAddress  IPv4 address (as an int, most significant octet first) multicast is sent from, or 0
     *                      for the kernel's choice.
     * @param ttl           TTL of unicast and multicast sends, 1..255; anything but 255 only to test receivers.
     * @return the socket.
     * @throws NativeException naming the call, option and interface that failed (ENODEV: no such interface,
     *                         EPERM: not root or no CAP_NET_RAW).
     * @throws IllegalArgumentException for a TTL out of range or an interface name too long.
     */
    public static RawIpSocket open(
        final String interfaceName, final int protocol, final int localAddress, final int ttl)
    {
        if (ttl < 1 || ttl > 255)
        {
            throw new IllegalArgumentException("ttl must be 1..255: " + ttl);
        }
        if (interfaceName.isEmpty() || interfaceName.length() >= IFNAMSIZ)
        {
            throw new IllegalArgumentException("interface name must be 1.." + (IFNAMSIZ - 1) + " characters: '" +
                interfaceName + "'");
        }
        try (Arena confined = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(confined);
            final MemorySegment scratch = confined.allocate(IP_MREQN_LENGTH, 4);
            final int index = LibC.ifNameToIndex(errno, interfaceName);
            if (index < 0)
            {
                throw new NativeException("if_nametoindex(" + interfaceName + ")", -index);
            }
            final int fd = LibC.socket(errno, LibC.AF_INET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC,
                protocol);
            if (fd < 0)
            {
                throw new NativeException("socket(AF_INET, SOCK_RAW, " + protocol + ") on " + interfaceName, -fd);
            }
            int eventFd = -1;
            try
            {
                final MemorySegment name = confined.allocate(IFNAMSIZ);
                name.setString(0, interfaceName);
                check(LibC.setsockopt(errno, fd, LibC.SOL_SOCKET, SO_BINDTODEVICE, name),
                    "setsockopt(SO_BINDTODEVICE)", interfaceName);
                setInt(errno, scratch, fd, IP_TTL, ttl, "IP_TTL=" + ttl, interfaceName);
                setInt(errno, scratch, fd, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL=" + ttl, interfaceName);
                setInt(errno, scratch, fd, IP_TOS, TOS_NETWORK_CONTROL, "IP_TOS=0xc0", interfaceName);
                setInt(errno, scratch, fd, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP=0", interfaceName);
                mreqn(scratch, 0, localAddress, index);
                check(LibC.setsockopt(errno, fd, IPPROTO_IP, IP_MULTICAST_IF, scratch),
                    "setsockopt(IP_MULTICAST_IF ifindex " + index + ", " + format(localAddress) + ")",
                    interfaceName);
                eventFd = LibC.eventfd(errno, 0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
                check(eventFd, "eventfd", interfaceName);
                return new RawIpSocket(interfaceName, index, protocol, localAddress, fd, eventFd);
            }
            catch (final RuntimeException ex)
            {
                if (eventFd >= 0)
                {
                    LibC.close(errno, eventFd);
                }
                LibC.close(errno, fd);
                throw ex;
            }
        }
    }

    /**
     * Joins a multicast group on this socket's interface (IP_ADD_MEMBERSHIP with struct ip_mreqn), so that datagrams
     * to the group are delivered. Set-up; call before the socket is used from another thread.
     *
     * @param group IPv4 multicast address as an int, e.g. {@code 0xE0000012} for 224.0.0.18.
     * @throws NativeException naming the group and interface when the kernel refuses.
     */
    public void joinGroup(final int group)
    {
        try (Arena confined = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(confined);
            final MemorySegment request = confined.allocate(IP_MREQN_LENGTH, 4);
            mreqn(request, group, localAddress, interfaceIndex);
            check(LibC.setsockopt(errno, fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, request),
                "setsockopt(IP_ADD_MEMBERSHIP " + format(group) + ")", interfaceName);
        }
    }

    /**
     * Binds the socket to a local address: sends leave with it as their source, and only datagrams addressed to it
     * are received (so not multicast). Set-up; call before the socket is used from another thread.
     *
     * @param address IPv4 address as an int; must be configured on this host (else EADDRNOTAVAIL).
     * @throws NativeException naming the address and interface when the kernel refuses.
     */
    public void bindLocal(final int address)
    {
        try (Arena confined = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(confined);
            final MemorySegment sockaddr = confined.allocate(SOCKADDR_IN_LENGTH, 4);
            sockaddrIn(sockaddr, address);
            check(LibC.bind(errno, fd, sockaddr), "bind(" + format(address) + ")", interfaceName);
        }
    }

    /**
     * Sends one datagram: {@code packet} becomes the payload after the IPv4 header the kernel writes.
     *
     * @param errno       a segment from {@link LibC#allocateErrnoSegment} owned by the calling thread.
     * @param destination IPv4 address as an int (unicast or multicast).
     * @param packet      the payload, all of it.
     * @return bytes sent, or -errno (EAGAIN/ENOBUFS: the device queue was full; ENETDOWN: the interface is down).
     */
    public long send(final MemorySegment errno, final int destination, final MemorySegment packet)
    {
        sockaddrIn(this.destination, destination);
        return LibC.sendto(errno, fd, packet, packet.byteSize(), 0, this.destination);
    }

    /**
     * Reads one waiting datagram, without waiting: its IPv4 header followed by the payload.
     *
     * @param errno  a segment from {@link LibC#allocateErrnoSegment} owned by the calling thread.
     * @param buffer receives the datagram; a longer one is cut to the buffer's size.
     * @return the datagram's real length (larger than the buffer when it was cut), or -errno (EAGAIN: nothing
     * waiting; ENETDOWN and other pending socket errors are reported, and cleared, this way too).
     */
    public long receive(final MemorySegment errno, final MemorySegment buffer)
    {
        return LibC.recv(errno, fd, buffer, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC);
    }

    /**
     * Waits until a datagram is waiting, {@link #wakeup()} is called, or the timeout passes.
     *
     * @param errno     a segment from {@link LibC#allocateErrnoSegment} owned by the calling thread.
     * @param timeoutMs -1 to wait for ever, 0 not to wait.
     * @return a mask of {@link #POLL_READABLE}, {@link #POLL_WOKEN} and {@link #POLL_ERROR} (0 when the timeout
     * passed), or -errno (EINTR: a signal; call again).
     */
    public int poll(final MemorySegment errno, final int timeoutMs)
    {
        pollFds.set(JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET, (short)0);
        pollFds.set(JAVA_SHORT, LibC.POLLFD_LENGTH + LibC.POLLFD_REVENTS_OFFSET, (short)0);
        final int rc = LibC.poll(errno, pollFds, POLLFD_COUNT, timeoutMs);
        if (rc <= 0)
        {
            return rc;
        }
        int mask = 0;
        final short socketEvents = pollFds.get(JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET);
        if ((socketEvents & LibC.POLLIN) != 0)
        {
            mask |= POLL_READABLE;
        }
        if ((socketEvents & LibC.POLLERR) != 0)
        {
            mask |= POLL_ERROR;
        }
        if ((pollFds.get(JAVA_SHORT, LibC.POLLFD_LENGTH + LibC.POLLFD_REVENTS_OFFSET) & LibC.POLLIN) != 0)
        {
            // reading an eventfd returns its counter and resets it to zero: one read consumes every wake-up
            LibC.read(errno, eventFd, counter);
            mask |= POLL_WOKEN;
        }
        return mask;
    }

    /**
     * Makes the current or the next {@link #poll} return at once with {@link #POLL_WOKEN}. Any thread; several
     * calls before the poll count as one.
     *
     * @return 0, or -errno (EBADF after {@link #close()}).
     */
    public synchronized int wakeup()
    {
        final int target = eventFd;
        if (target < 0)
        {
            return -Errno.EBADF;
        }
        try (Arena confined = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(confined);
            final MemorySegment one = confined.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            final long rc = LibC.write(errno, target, one);
            // EAGAIN: the counter is at its maximum, so a wake-up is pending anyway
            return rc < 0 && rc != -Errno.EAGAIN ? (int)rc : 0;
        }
    }

    private static void mreqn(final MemorySegment request, final int group, final int local, final int ifindex)
    {
        request.set(BE_INT, IMR_MULTIADDR_OFFSET, group);
        request.set(BE_INT, IMR_ADDRESS_OFFSET, local);
        request.set(JAVA_INT, IMR_IFINDEX_OFFSET, ifindex);
    }

    private static void sockaddrIn(final MemorySegment sockaddr, final int address)
    {
        sockaddr.fill((byte)0);
        sockaddr.set(JAVA_SHORT, SIN_FAMILY_OFFSET, (short)LibC.AF_INET);
        sockaddr.set(BE_INT, SIN_ADDR_OFFSET, address);
    }

    private static void setInt(
        final MemorySegment errno, final MemorySegment scratch, final int fd, final int option, final int value,
        final String what, final String interfaceName)
    {
        check(LibC.setsockoptInt(errno, scratch, fd, IPPROTO_IP, option, value), "setsockopt(" + what + ")",
            interfaceName);
    }

    private static void check(final int result, final String call, final String interfaceName)
    {
        if (result < 0)
        {
            throw new NativeException(call + " on " + interfaceName, -result);
        }
    }

    private static String format(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." +
            (address & 0xFF);
    }

    /** @return the socket's descriptor; -1 after {@link #close()}. */
    public int fd()
    {
        return fd;
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

    /** @return the IP protocol the socket sends and receives. */
    public int protocol()
    {
        return protocol;
    }

    /** @return the local address given to {@link #open}, 0 for the kernel's choice. */
    public int localAddress()
    {
        return localAddress;
    }

    /**
     * Closes the socket and its eventfd and frees the scratch memory. Idempotent; only once nobody polls (a
     * concurrent {@link #wakeup()} is safe: both hold the monitor, so a wake-up never writes to a reused descriptor).
     */
    @Override
    public synchronized void close()
    {
        if (fd < 0)
        {
            return;
        }
        try (Arena confined = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(confined);
            LibC.close(errno, fd);
            LibC.close(errno, eventFd);
        }
        fd = -1;
        eventFd = -1;
        arena.close();
    }

    @Override
    public String toString()
    {
        return "raw IPv4 socket for protocol " + protocol + " on " + interfaceName;
    }
}
