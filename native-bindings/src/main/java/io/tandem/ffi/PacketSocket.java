package io.tandem.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_PACKET socket bound to one interface, with a PACKET_MMAP ring: either a receiver (TPACKET_V2 or TPACKET_V3 RX
 * ring as {@link PacketRingContext#rxVersion()} says, every EtherType, optionally in a fanout group) or a transmitter
 * (TPACKET_V2 TX ring, qdisc bypass, receives nothing).
 * A packet port owns one of each.
 * <p>
 * Open it on a thread inside the network namespace the interface lives in: the socket belongs to the namespace of
 * the thread that creates it. Every other call may come from any thread. Set-up failures throw a
 * {@link NativeException} that names the call, the option and the interface; {@link #kick} and
 * {@link #readStatistics} return {@code -errno} like {@link LibC}. No business logic lives here.
 * <p>
 * Receiver set-up, in this order and why:
 * <ol>
 *   <li>{@code socket(AF_PACKET, SOCK_RAW, 0)}: protocol 0 so that no frame of any interface is queued before the
 *   ring exists and the socket is bound;</li>
 *   <li>PACKET_VERSION = TPACKET_V2 or TPACKET_V3 (must precede the ring), PACKET_IGNORE_OUTGOING = 1 (the ring
 *   does not see the frames this host sends, among them the port's own);</li>
 *   <li>PACKET_RX_RING (struct tpacket_req for V2, tpacket_req3 with the block timeout for V3), then
 *   mmap(MAP_SHARED | MAP_LOCKED), without MAP_LOCKED if that is refused;</li>
 *   <li>bind to the interface's index with protocol htons(ETH_P_ALL): from here on frames arrive, before tc and
 *   nftables ingress hooks run;</li>
 *   <li>PACKET_FANOUT, which the kernel accepts only on a bound socket.</li>
 * </ol>
 * Transmitter: {@code socket(AF_PACKET, SOCK_RAW, 0)}, PACKET_VERSION = TPACKET_V2, PACKET_QDISC_BYPASS = 1,
 * PACKET_LOSS = 1 (a malformed slot, e.g. longer than the MTU, is skipped instead of stopping the ring for good),
 * SO_SNDBUFFORCE large enough for the whole ring (else a kick stops when the send buffer is full), PACKET_TX_RING,
 * mmap, bind with protocol 0 (so it receives nothing).
 */
public final class PacketSocket implements AutoCloseable
{
    /** tpacket version 2: fixed-size slots. */
    public static final int TPACKET_V2 = 1;
    /** tpacket version 3: blocks of variable-length frames. */
    public static final int TPACKET_V3 = 2;
    /** Header bytes the kernel reserves in a V2 slot: TPACKET_ALIGN(sizeof(tpacket2_hdr)) + sizeof(sockaddr_ll). */
    public static final int TPACKET2_HDRLEN = 52;
    /** Header bytes before a V3 frame: TPACKET_ALIGN(sizeof(tpacket3_hdr)) + sizeof(sockaddr_ll). */
    public static final int TPACKET3_HDRLEN = 68;

    /** Socket option: receive ring. */
    public static final int PACKET_RX_RING = 5;
    /** Socket option: statistics, reset on every read. */
    public static final int PACKET_STATISTICS = 6;
    /** Socket option: ring version. */
    public static final int PACKET_VERSION = 10;
    /** Socket option: transmit ring. */
    public static final int PACKET_TX_RING = 13;
    /** Socket option: skip malformed TX slots instead of stopping. */
    public static final int PACKET_LOSS = 14;
    /** Socket option: fanout group. */
    public static final int PACKET_FANOUT = 18;
    /** Socket option: transmit straight to the driver. */
    public static final int PACKET_QDISC_BYPASS = 20;
    /** Socket option: do not deliver frames this host sends. */
    public static final int PACKET_IGNORE_OUTGOING = 23;
    /** SOL_SOCKET option: read and clear the pending socket error. */
    public static final int SO_ERROR = 4;
    /** SOL_SOCKET option: send buffer size, capped by net.core.wmem_max. */
    public static final int SO_SNDBUF = 7;
    /** SOL_SOCKET option: send buffer size, not capped; needs CAP_NET_ADMIN. */
    public static final int SO_SNDBUFFORCE = 32;

    /** No fanout group. */
    public static final int NO_FANOUT = -1;
    /** Fanout mode: by flow hash, so a flow (both addresses and ports) stays on one socket. */
    public static final int PACKET_FANOUT_HASH = 0;
    /** Fanout mode: round robin. */
    public static final int PACKET_FANOUT_LB = 1;
    /** Fanout mode: the socket of the CPU that received the frame. */
    public static final int PACKET_FANOUT_CPU = 2;
    /** Fanout mode: the next socket when one is full. */
    public static final int PACKET_FANOUT_ROLLOVER = 3;
    /** Fanout mode: random. */
    public static final int PACKET_FANOUT_RND = 4;
    /** Fanout mode: by the device's receive queue. */
    public static final int PACKET_FANOUT_QM = 5;

    /**
     * struct sockaddr_ll, 20 bytes.
     * <pre>
     *   0       2       4               8       10  11  12                              20
     *   +-------+-------+---------------+-------+---+---+-------------------------------+
     *   |family |proto  |   ifindex     |hatype |pkt|aln|           addr[8]             |
     *   +-------+-------+---------------+-------+---+---+-------------------------------+
     *   proto in network byte order
     * </pre>
     */
    public static final int SOCKADDR_LL_LENGTH = 20;
    /** Offset of {@code sll_family} (u16). */
    public static final int SLL_FAMILY_OFFSET = 0;
    /** Offset of {@code sll_protocol} (be16). */
    public static final int SLL_PROTOCOL_OFFSET = 2;
    /** Offset of {@code sll_ifindex} (int). */
    public static final int SLL_IFINDEX_OFFSET = 4;
    /** Offset of {@code sll_hatype} (u16). */
    public static final int SLL_HATYPE_OFFSET = 8;
    /** Offset of {@code sll_pkttype} (u8). */
    public static final int SLL_PKTTYPE_OFFSET = 10;
    /** Offset of {@code sll_halen} (u8). */
    public static final int SLL_HALEN_OFFSET = 11;
    /** Offset of {@code sll_addr} (u8[8]). */
    public static final int SLL_ADDR_OFFSET = 12;

    /**
     * struct tpacket_req3, 28 bytes (its first 16 are struct tpacket_req, for V2 rings).
     * <pre>
     *   0               4               8               12              16
     *   +---------------+---------------+---------------+---------------+
     *   | tp_block_size |  tp_block_nr  | tp_frame_size |  tp_frame_nr  |
     *   +---------------+---------------+---------------+---------------+
     *   |tp_retire_blk_tov|tp_sizeof_priv|tp_feature_req_word|
     *   +---------------+---------------+---------------+
     * </pre>
     */
    public static final int TPACKET_REQ3_LENGTH = 28;
    /** Length of struct tpacket_req (V1/V2). */
    public static final int TPACKET_REQ_LENGTH = 16;
    /** Offset of {@code tp_block_size}. */
    public static final int REQ_BLOCK_SIZE_OFFSET = 0;
    /** Offset of {@code tp_block_nr}. */
    public static final int REQ_BLOCK_NR_OFFSET = 4;
    /** Offset of {@code tp_frame_size}. */
    public static final int REQ_FRAME_SIZE_OFFSET = 8;
    /** Offset of {@code tp_frame_nr}. */
    public static final int REQ_FRAME_NR_OFFSET = 12;
    /** Offset of {@code tp_retire_blk_tov} (ms). */
    public static final int REQ3_RETIRE_BLK_TOV_OFFSET = 16;
    /** Offset of {@code tp_sizeof_priv}. */
    public static final int REQ3_SIZEOF_PRIV_OFFSET = 20;
    /** Offset of {@code tp_feature_req_word}. */
    public static final int REQ3_FEATURE_REQ_WORD_OFFSET = 24;

    /**
     * struct tpacket_stats_v3, 12 bytes, what PACKET_STATISTICS reads on a V3 socket (a V2 socket fills the first
     * 8, struct tpacket_stats, and has no freeze count). The kernel resets the counters on every read;
     * {@code tp_packets} counts the dropped frames too.
     * <pre>
     *   0               4               8               12
     *   +---------------+---------------+---------------+
     *   |  tp_packets   |   tp_drops    |tp_freeze_q_cnt|
     *   +---------------+---------------+---------------+
     * </pre>
     */
    public static final int TPACKET_STATS_V3_LENGTH = 12;
    /** Offset of {@code tp_packets}: frames seen, dropped ones included. */
    public static final int STATS_PACKETS_OFFSET = 0;
    /** Offset of {@code tp_drops}: frames dropped because the ring was full. */
    public static final int STATS_DROPS_OFFSET = 4;
    /** Offset of {@code tp_freeze_q_cnt}: times the ring was full (every block in user space). */
    public static final int STATS_FREEZE_Q_CNT_OFFSET = 8;

    private final String interfaceName;
    private final int interfaceIndex;
    private final boolean receiver;
    private final PacketRing ring;
    private int fd;

    private PacketSocket(
        final String interfaceName, final int interfaceIndex, final boolean receiver, final int fd,
        final PacketRing ring)
    {
        this.interfaceName = interfaceName;
        this.interfaceIndex = interfaceIndex;
        this.receiver = receiver;
        this.fd = fd;
        this.ring = ring;
    }

    /**
     * Opens a receiver: an RX ring of the context's version ({@link PacketRingContext#rxVersion()}) on
     * {@code interfaceName}, every EtherType, outgoing frames ignored, in the context's fanout group if it names one.
     * Call on a thread inside the interface's network namespace.
     *
     * @param interfaceName e.g. {@code eth1}.
     * @param context       ring geometry; concluded here.
     * @return the socket, bound, with its ring mapped.
     * @throws NativeException naming the call, option and interface that failed (ENODEV: no such interface, EPERM:
     *                         not root or no CAP_NET_RAW).
     */
    public static PacketSocket openReceiver(final String interfaceName, final PacketRingContext context)
    {
        context.conclude();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(arena);
            final MemorySegment scratch = arena.allocate(TPACKET_REQ3_LENGTH, 8);
            final int index = interfaceIndex(errno, interfaceName);
            final int fd = openSocket(errno, interfaceName, "receiver");
            MemorySegment mapping = MemorySegment.NULL;
            try
            {
                final boolean v2 = context.isRxV2();
                setInt(errno, scratch, fd, LibC.SOL_PACKET, PACKET_VERSION, context.rxVersion(),
                    v2 ? "PACKET_VERSION=TPACKET_V2" : "PACKET_VERSION=TPACKET_V3", interfaceName);
                setInt(errno, scratch, fd, LibC.SOL_PACKET, PACKET_IGNORE_OUTGOING, 1,
                    "PACKET_IGNORE_OUTGOING=1", interfaceName);

                final int framesPerBlock = context.rxBlockSize() / context.rxFrameSize();
                scratch.fill((byte)0);
                scratch.set(JAVA_INT, REQ_BLOCK_SIZE_OFFSET, context.rxBlockSize());
                scratch.set(JAVA_INT, REQ_BLOCK_NR_OFFSET, context.rxBlockCount());
                scratch.set(JAVA_INT, REQ_FRAME_SIZE_OFFSET, context.rxFrameSize());
                scratch.set(JAVA_INT, REQ_FRAME_NR_OFFSET, framesPerBlock * context.rxBlockCount());
                if (!v2)
                {
                    scratch.set(JAVA_INT, REQ3_RETIRE_BLK_TOV_OFFSET, context.rxBlockTimeoutMs());
                }
                // the kernel tells the two structs apart by the version set above and by optlen
                check(LibC.setsockopt(errno, fd, LibC.SOL_PACKET, PACKET_RX_RING,
                    scratch.asSlice(0, v2 ? TPACKET_REQ_LENGTH : TPACKET_REQ3_LENGTH)),
                    "setsockopt(PACKET_RX_RING " + (v2 ? "V2 " : "V3 ") + context.rxBlockCount() + " x " +
                    context.rxBlockSize() + " B, frame " + context.rxFrameSize() +
                    (v2 ? ")" : ", " + context.rxBlockTimeoutMs() + " ms)"), interfaceName);

                final long length = (long)context.rxBlockSize() * context.rxBlockCount();
                final boolean[] locked = new boolean[1];
                mapping = map(errno, fd, length, context.lockMemory(), locked, "RX", interfaceName);
                final PacketRing ring = new PacketRing(mapping, context.rxVersion(), context.rxBlockSize(),
                    context.rxBlockCount(), context.rxFrameSize(), framesPerBlock * context.rxBlockCount(), locked[0]);

                bind(errno, arena, fd, index, LibC.ETH_P_ALL, interfaceName);

                if (context.fanoutGroupId() != NO_FANOUT)
                {
                    final int fanout = context.fanoutGroupId() | (context.fanoutMode() << 16);
                    setInt(errno, scratch, fd, LibC.SOL_PACKET, PACKET_FANOUT, fanout,
                        "PACKET_FANOUT group " + context.fanoutGroupId() + " mode " + context.fanoutMode(),
                        interfaceName);
                }
                return new PacketSocket(interfaceName, index, true, fd, ring);
            }
            catch (final RuntimeException ex)
            {
                release(errno, fd, mapping);
                throw ex;
            }
        }
    }

    /**
     * Opens a transmitter: a TPACKET_V2 TX ring on {@code interfaceName} that receives nothing. Call on a thread
     * inside the interface's network namespace.
     *
     * @param interfaceName e.g. {@code eth1}.
     * @param context       ring geometry; concluded here.
     * @return the socket, bound, with its ring mapped.
     * @throws NativeException naming the call, option and interface that failed.
     */
    public static PacketSocket openTransmitter(final String interfaceName, final PacketRingContext context)
    {
        context.conclude();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(arena);
            final MemorySegment scratch = arena.allocate(TPACKET_REQ3_LENGTH, 8);
            final int index = interfaceIndex(errno, interfaceName);
            final int fd = openSocket(errno, interfaceName, "transmitter");
            MemorySegment mapping = MemorySegment.NULL;
            try
            {
                setInt(errno, scratch, fd, LibC.SOL_PACKET, PACKET_VERSION, TPACKET_V2,
                    "PACKET_VERSION=TPACKET_V2", interfaceName);
                if (context.qdiscBypass())
                {
                    setInt(errno, scratch, fd, LibC.SOL_PACKET, PACKET_QDISC_BYPASS, 1,
                        "PACKET_QDISC_BYPASS=1", interfaceName);
                }
                setInt(errno, scratch, fd, LibC.SOL_PACKET, PACKET_LOSS, 1, "PACKET_LOSS=1", interfaceName);
                // every slot in flight is charged to the send buffer: the default (about 200 KiB) would cut a kick
                // of a full 2 MiB ring short. The kernel doubles the value; root may exceed wmem_max.
                final int sendBuffer = (int)Math.min(Integer.MAX_VALUE / 2,
                    (long)context.txFrameCount() * (context.txFrameSize() + 1024));
                if (LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_SOCKET, SO_SNDBUFFORCE, sendBuffer) < 0)
                {
                    setInt(errno, scratch, fd, LibC.SOL_SOCKET, SO_SNDBUF, sendBuffer, "SO_SNDBUF=" + sendBuffer,
                        interfaceName);
                }

                final int blockCount = context.txFrameCount() / (context.txBlockSize() / context.txFrameSize());
                scratch.fill((byte)0);
                scratch.set(JAVA_INT, REQ_BLOCK_SIZE_OFFSET, context.txBlockSize());
                scratch.set(JAVA_INT, REQ_BLOCK_NR_OFFSET, blockCount);
                scratch.set(JAVA_INT, REQ_FRAME_SIZE_OFFSET, context.txFrameSize());
                scratch.set(JAVA_INT, REQ_FRAME_NR_OFFSET, context.txFrameCount());
                check(LibC.setsockopt(errno, fd, LibC.SOL_PACKET, PACKET_TX_RING,
                    scratch.asSlice(0, TPACKET_REQ_LENGTH)),
                    "setsockopt(PACKET_TX_RING " + context.txFrameCount() + " x " + context.txFrameSize() +
                    " B in " + blockCount + " blocks of " + context.txBlockSize() + " B)", interfaceName);

                final long length = (long)context.txBlockSize() * blockCount;
                final boolean[] locked = new boolean[1];
                mapping = map(errno, fd, length, context.lockMemory(), locked, "TX", interfaceName);
                final PacketRing ring = new PacketRing(mapping, TPACKET_V2, context.txBlockSize(), blockCount,
                    context.txFrameSize(), context.txFrameCount(), locked[0]);

                bind(errno, arena, fd, index, 0, interfaceName);
                return new PacketSocket(interfaceName, index, false, fd, ring);
            }
            catch (final RuntimeException ex)
            {
                release(errno, fd, mapping);
                throw ex;
            }
        }
    }

    private static int interfaceIndex(final MemorySegment errno, final String interfaceName)
    {
        final int index = LibC.ifNameToIndex(errno, interfaceName);
        if (index < 0)
        {
            throw new NativeException("if_nametoindex(" + interfaceName + ")", -index);
        }
        return index;
    }

    private static int openSocket(final MemorySegment errno, final String interfaceName, final String role)
    {
        final int fd = LibC.socket(errno, LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("socket(AF_PACKET, SOCK_RAW) for the " + role + " on " + interfaceName, -fd);
        }
        return fd;
    }

    private static void setInt(
        final MemorySegment errno, final MemorySegment scratch, final int fd, final int level, final int option,
        final int value, final String what, final String interfaceName)
    {
        check(LibC.setsockoptInt(errno, scratch, fd, level, option, value), "setsockopt(" + what + ")",
            interfaceName);
    }

    private static void check(final int result, final String call, final String interfaceName)
    {
        if (result < 0)
        {
            throw new NativeException(call + " on " + interfaceName, -result);
        }
    }

    private static MemorySegment map(
        final MemorySegment errno, final int fd, final long length, final boolean lock, final boolean[] locked,
        final String ring, final String interfaceName)
    {
        final int prot = LibC.PROT_READ | LibC.PROT_WRITE;
        if (lock)
        {
            final MemorySegment mapping = LibC.mmap(errno, length, prot, LibC.MAP_SHARED | LibC.MAP_LOCKED, fd, 0);
            if (mapping.byteSize() == length)
            {
                locked[0] = true;
                return mapping;
            }
            final int error = (int)-mapping.address();
            // RLIMIT_MEMLOCK without CAP_IPC_LOCK: the ring's pages are the kernel's and never swapped anyway
            if (error != Errno.EAGAIN && error != Errno.ENOMEM && error != Errno.EPERM)
            {
                throw new NativeException("mmap(" + ring + " ring, " + length + " B, MAP_LOCKED) on " +
                    interfaceName, error);
            }
        }
        final MemorySegment mapping = LibC.mmap(errno, length, prot, LibC.MAP_SHARED, fd, 0);
        if (mapping.byteSize() != length)
        {
            throw new NativeException("mmap(" + ring + " ring, " + length + " B) on " + interfaceName,
                (int)-mapping.address());
        }
        return mapping;
    }

    private static void bind(
        final MemorySegment errno, final Arena arena, final int fd, final int index, final int protocol,
        final String interfaceName)
    {
        final MemorySegment address = arena.allocate(SOCKADDR_LL_LENGTH, 4);
        address.set(JAVA_SHORT, SLL_FAMILY_OFFSET, (short)LibC.AF_PACKET);
        address.set(JAVA_SHORT, SLL_PROTOCOL_OFFSET, Short.reverseBytes((short)protocol));
        address.set(JAVA_INT, SLL_IFINDEX_OFFSET, index);
        check(LibC.bind(errno, fd, address),
            "bind(ifindex " + index + ", protocol " + (protocol == 0 ? "0" : "0x" + Integer.toHexString(protocol)) +
            ")", interfaceName);
    }

    private static void release(final MemorySegment errno, final int fd, final MemorySegment mapping)
    {
        if (mapping.byteSize() > 0)
        {
            LibC.munmap(errno, mapping);
        }
        LibC.close(errno, fd);
    }

    /** @return the descriptor, e.g. for poll(2); -1 after {@link #close()}. */
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

    /** @return true for a receiver (V2 or V3 RX ring), false for a transmitter (V2 TX ring). */
    public boolean isReceiver()
    {
        return receiver;
    }

    /** @return the mapped ring. */
    public PacketRing ring()
    {
        return ring;
    }

    /**
     * Makes the kernel send every TX slot marked {@link PacketRing#TP_STATUS_SEND_REQUEST}:
     * {@code sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0)}. Allocation-free.
     *
     * @param errno a segment from {@link LibC#allocateErrnoSegment} owned by the calling thread.
     * @return bytes handed to the device, or -errno (EAGAIN/ENOBUFS: the device was busy, the slots stay queued
     * for the next kick; ENETDOWN: the interface is down).
     */
    public long kick(final MemorySegment errno)
    {
        return LibC.sendto(errno, fd, MemorySegment.NULL, 0, LibC.MSG_DONTWAIT, MemorySegment.NULL);
    }

    /**
     * Reads PACKET_STATISTICS into {@code statistics}, which the kernel then resets: callers accumulate.
     *
     * @param errno      a segment from {@link LibC#allocateErrnoSegment} owned by the calling thread.
     * @param statistics {@link #TPACKET_STATS_V3_LENGTH} bytes; see {@link #STATS_PACKETS_OFFSET} and friends.
     * @param length     4 bytes, scratch for the option's length.
     * @return 0, or -errno.
     */
    public int readStatistics(final MemorySegment errno, final MemorySegment statistics, final MemorySegment length)
    {
        statistics.fill((byte)0);
        length.set(JAVA_INT, 0, TPACKET_STATS_V3_LENGTH);
        return LibC.getsockopt(errno, fd, LibC.SOL_PACKET, PACKET_STATISTICS,
            statistics.asSlice(0, TPACKET_STATS_V3_LENGTH), length);
    }

    /**
     * Reads and clears the socket's pending error (SO_ERROR), e.g. ENETDOWN after the interface went down, which
     * otherwise keeps poll(2) reporting POLLERR.
     *
     * @param value  4 bytes, receives the error.
     * @param length 4 bytes, scratch.
     * @return the pending error (0 for none), or -errno of getsockopt itself.
     */
    public int takeError(final MemorySegment errno, final MemorySegment value, final MemorySegment length)
    {
        length.set(JAVA_INT, 0, 4);
        final int rc = LibC.getsockopt(errno, fd, LibC.SOL_SOCKET, SO_ERROR, value, length);
        return rc < 0 ? rc : value.get(JAVA_INT, 0);
    }

    /** Unmaps the ring and closes the descriptor. Idempotent; the ring must not be touched after. */
    @Override
    public void close()
    {
        if (fd < 0)
        {
            return;
        }
        try (Arena arena = Arena.ofConfined())
        {
            release(LibC.allocateErrnoSegment(arena), fd, ring.memory());
        }
        fd = -1;
    }

    @Override
    public String toString()
    {
        return (receiver ? "packet receiver on " : "packet transmitter on ") + interfaceName + " (" + ring + ")";
    }
}
