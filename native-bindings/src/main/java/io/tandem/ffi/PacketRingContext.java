package io.tandem.ffi;

import java.util.Locale;

/**
 * Geometry of the two rings of a packet port, the RX ring's version, and the RX socket's fanout group. Set what
 * differs from the defaults, then {@link #conclude()} validates. Not thread-safe; do not change it after handing it
 * to {@link PacketSocket#openReceiver} or {@link PacketSocket#openTransmitter}.
 * <p>
 * The RX ring comes in two versions ({@link #rxVersion(int)}); the default is {@link PacketSocket#TPACKET_V2}, or
 * what the system property {@value #RX_VERSION_PROPERTY} says ({@code 2} or {@code 3}, read when a context is
 * created; for benchmarks, e.g. {@code JAVA_TOOL_OPTIONS=-Dtandem.rx.version=3} reaches every JVM started).
 * Defaults keep memory modest (about 6 MiB per port, all of it pinned by the kernel):
 * <ul>
 *   <li>RX, TPACKET_V2 (the default): 64 blocks × 64 KiB = 4 MiB of 2048 fixed slots of {@code rxFrameSize} (2048)
 *   bytes. The kernel hands every frame over on its own (its slot's {@code tp_status} turns
 *   {@link PacketRing#TP_STATUS_USER}) and wakes a poller per frame, so a frame waits for nothing but the wake-up.
 *   A slot holds the frame at {@code tp_mac} = 66 (header, sockaddr_ll, alignment), so frames up to
 *   {@code rxFrameSize - 66} bytes (1982) arrive whole; longer ones (GSO super-frames) arrive truncated and the port
 *   drops and counts them. The ring holds 2048 frames of any length: about 4 ms of a 500 000 frames/s flood, and at
 *   any low rate as long as a worker can stall without drops.</li>
 *   <li>RX, TPACKET_V3: 32 blocks × 128 KiB = 4 MiB. A frame of {@code n} bytes takes {@code align8(82 + n)} bytes
 *   of a block (header, sockaddr_ll, alignment): 144 for a 60-byte frame, 1600 for 1514, so the ring holds about
 *   29 000 small or 2 600 full-size frames. A frame may be nearly a block long (GSO super-frames of 64 KiB fit).
 *   A block is handed to user space when it is full, or at the next tick of the kernel's retire timer, which
 *   ticks every {@code rxBlockTimeoutMs} (2 ms) while the block holds frames; so
 *   2 ms is also the most a lone frame waits, and at a low rate every frame waits up to that long: medians of
 *   0.59–1.7 ms measured from the peer's kick until {@code receive()} returned the frame to an idle worker, against
 *   0.19–0.3 ms with V2. Frames are variable-length in V3; {@code rxFrameSize} only satisfies the kernel's bookkeeping
 *   ({@code tp_frame_nr}).</li>
 *   <li>Why V3 uses more, smaller blocks rather than 16 × 256 KiB: at a low rate every block is handed over after
 *   the timeout holding only a few frames, so an undrained ring is full after {@code blocks × timeout} whatever the
 *   block size: 64 ms here, enough to ride out a GC pause or a descheduled worker without the kernel dropping
 *   (measured: 16 blocks froze after 32 ms with 2–3 frames in each). Under load blocks fill and bytes count.</li>
 *   <li>TX: TPACKET_V2, 1024 slots × 2048 bytes = 2 MiB in 256 KiB blocks; a slot carries a frame of up to
 *   {@code txFrameSize - 32} bytes (2016), and the kernel refuses frames longer than MTU + 14 (+ 4 for a VLAN).</li>
 * </ul>
 * The trade-off between the RX versions: V3 wakes the worker once per block (one wake-up per ~650 frames under
 * load) and packs small frames densely, but holds a frame back until its block retires; V2 costs one status word
 * per frame and a wake-up per frame while the worker sleeps (none while it is busy: it finds the next slot ready),
 * hands each frame over at once, and cannot carry frames longer than a slot. V2 is the default because latency is
 * what a connection through the balancer feels, and V2 gave it back without costing throughput: {@code ./tandem
 * bench e2e --seconds 5 --connections 1000} (2 vCPUs, shared, three runs each) measured
 * <pre>
 *                                   V2 (default)           V3                      direct (all runs)
 *   short connections, conn/s       1336 / 1921 / 1767     122 / 124 / 124         1425 - 3065
 *   connection latency p50, µs       600 /  397 /  442    7995 / 7995 / 7995        278 - 437
 *   connection latency p99, µs      3772 / 3416 / 3179   11977 / 10043 / 9953       921 - 4301
 *   iperf3 one stream, Gbit/s       1.16 / 1.61 / 1.54    1.23 / 1.37 / 1.13       2.92 - 3.49
 * </pre>
 * One-way floods through a pair of ports ran at 350 000–500 000 frames/s with either version, none lost. V3 may
 * still be the better choice where CPU counts more than latency: at moderate rates a V2 worker that keeps falling
 * asleep between frames wakes (a poll(2) and a context switch) per frame, where V3 wakes once per block; under
 * floods of small frames its 4 MiB hold about 29 000 of them against V2's 2048 slots, more time to ride out a stall;
 * and it carries super-frames whole (offloads left on). Measure with {@value #RX_VERSION_PROPERTY}=3. The research
 * notes measured V3 with 64 × 256 KiB on a busy link; raise {@link #rxBlockCount(int)} for that.
 */
public final class PacketRingContext
{
    /** Page size the kernel wants blocks aligned to (x86-64, and arm64 with 4 KiB pages). */
    public static final int PAGE_SIZE = 4096;
    /** Frames (V2 slots, V3 frame records) are aligned to this many bytes: TPACKET_ALIGNMENT. */
    public static final int TPACKET_ALIGNMENT = 16;

    /**
     * System property that chooses the default RX ring version: {@code 2} or {@code 3} (also {@code v2},
     * {@code TPACKET_V3}, ...). Unset: {@link #DEFAULT_RX_VERSION}.
     */
    public static final String RX_VERSION_PROPERTY = "tandem.rx.version";
    /** Default RX ring version when {@value #RX_VERSION_PROPERTY} is unset: TPACKET_V2, a frame at a time. */
    public static final int DEFAULT_RX_VERSION = PacketSocket.TPACKET_V2;
    /** Default RX block size of a TPACKET_V3 ring: 128 KiB. */
    public static final int DEFAULT_RX_BLOCK_SIZE = 128 * 1024;
    /** Default RX block count of a TPACKET_V3 ring: 32 (4 MiB). */
    public static final int DEFAULT_RX_BLOCK_COUNT = 32;
    /** Default RX block size of a TPACKET_V2 ring: 64 KiB, 32 slots. */
    public static final int DEFAULT_RX_V2_BLOCK_SIZE = 64 * 1024;
    /** Default RX block count of a TPACKET_V2 ring: 64 (4 MiB, 2048 slots). */
    public static final int DEFAULT_RX_V2_BLOCK_COUNT = 64;
    /** Default RX frame size: the slot size of a V2 ring, the nominal frame size of a V3 ring. */
    public static final int DEFAULT_RX_FRAME_SIZE = 2048;
    /**
     * Where the kernel puts a frame's Ethernet header in a TPACKET_V2 RX slot, {@code tp_mac}:
     * TPACKET_ALIGN(TPACKET2_HDRLEN + 16) - 14 (SOCK_RAW, Ethernet, no tp_reserve, no vnet header).
     */
    public static final int RX_V2_MAC_OFFSET = 66;
    /** Default time after a block is opened when it is handed over, if it holds frames, even if not full. */
    public static final int DEFAULT_RX_BLOCK_TIMEOUT_MS = 2;
    /** Default TX block size: 256 KiB. */
    public static final int DEFAULT_TX_BLOCK_SIZE = 256 * 1024;
    /** Default TX slot size. */
    public static final int DEFAULT_TX_FRAME_SIZE = 2048;
    /** Default TX slot count (2 MiB). */
    public static final int DEFAULT_TX_FRAME_COUNT = 1024;

    private int rxVersion = defaultRxVersion();
    // 0: the default of the ring's version
    private int rxBlockSize;
    private int rxBlockCount;
    private int rxFrameSize = DEFAULT_RX_FRAME_SIZE;
    private int rxBlockTimeoutMs = DEFAULT_RX_BLOCK_TIMEOUT_MS;
    private int txBlockSize = DEFAULT_TX_BLOCK_SIZE;
    private int txFrameSize = DEFAULT_TX_FRAME_SIZE;
    private int txFrameCount = DEFAULT_TX_FRAME_COUNT;
    private int fanoutGroupId = PacketSocket.NO_FANOUT;
    private int fanoutMode = PacketSocket.PACKET_FANOUT_HASH;
    private boolean lockMemory = true;
    private boolean qdiscBypass = true;

    /**
     * Validates. Idempotent.
     *
     * @return this.
     * @throws IllegalArgumentException naming the setting and the rule it breaks.
     */
    public PacketRingContext conclude()
    {
        require(rxVersion == PacketSocket.TPACKET_V2 || rxVersion == PacketSocket.TPACKET_V3,
            "rxVersion must be PacketSocket.TPACKET_V2 or PacketSocket.TPACKET_V3");
        final int rxBlockSize = rxBlockSize();
        final int rxBlockCount = rxBlockCount();
        require(rxBlockSize > 0 && rxBlockSize % PAGE_SIZE == 0, "rxBlockSize must be a positive multiple of 4096");
        require(rxBlockCount > 0, "rxBlockCount must be positive");
        // V2: a slot must hold at least a minimal frame after tp_mac; V3: the kernel's own minimum
        final int minRxFrameSize = isRxV2() ? RX_V2_MAC_OFFSET + 64 : PacketSocket.TPACKET3_HDRLEN;
        require(rxFrameSize >= minRxFrameSize && rxFrameSize % TPACKET_ALIGNMENT == 0,
            "rxFrameSize must be a multiple of 16 and at least " + minRxFrameSize);
        require(rxBlockSize % rxFrameSize == 0, "rxBlockSize must be a multiple of rxFrameSize");
        require((long)rxBlockSize * rxBlockCount <= Integer.MAX_VALUE, "the RX ring must be smaller than 2 GiB");
        require(rxBlockTimeoutMs >= 0, "rxBlockTimeoutMs must be >= 0 (0: the kernel derives it from the link speed)");
        require(txBlockSize > 0 && txBlockSize % PAGE_SIZE == 0, "txBlockSize must be a positive multiple of 4096");
        require(txFrameSize >= PacketSocket.TPACKET2_HDRLEN + 64 && txFrameSize % TPACKET_ALIGNMENT == 0,
            "txFrameSize must be a multiple of 16 and at least " + (PacketSocket.TPACKET2_HDRLEN + 64));
        require(txBlockSize % txFrameSize == 0, "txBlockSize must be a multiple of txFrameSize");
        require(txFrameCount > 0 && txFrameCount % (txBlockSize / txFrameSize) == 0,
            "txFrameCount must be a positive multiple of the slots per block (" + txBlockSize / txFrameSize + ")");
        require((long)txFrameSize * txFrameCount <= Integer.MAX_VALUE, "the TX ring must be smaller than 2 GiB");
        require(fanoutGroupId == PacketSocket.NO_FANOUT || (fanoutGroupId >= 0 && fanoutGroupId <= 0xFFFF),
            "fanoutGroupId must be 0..65535 or NO_FANOUT");
        require(fanoutMode >= PacketSocket.PACKET_FANOUT_HASH && fanoutMode <= PacketSocket.PACKET_FANOUT_QM,
            "fanoutMode must be one of PACKET_FANOUT_HASH, _LB, _CPU, _ROLLOVER, _RND, _QM");
        return this;
    }

    /**
     * @return the RX ring version the system property {@value #RX_VERSION_PROPERTY} asks for, or
     * {@link #DEFAULT_RX_VERSION} when it is unset.
     * @throws IllegalArgumentException when it is set to something else than 2 or 3.
     */
    public static int defaultRxVersion()
    {
        final String value = System.getProperty(RX_VERSION_PROPERTY);
        if (null == value || value.isBlank())
        {
            return DEFAULT_RX_VERSION;
        }
        return switch (value.strip().toUpperCase(Locale.ROOT))
        {
            case "2", "V2", "TPACKET_V2" -> PacketSocket.TPACKET_V2;
            case "3", "V3", "TPACKET_V3" -> PacketSocket.TPACKET_V3;
            default -> throw new IllegalArgumentException("packet rings: system property " + RX_VERSION_PROPERTY +
                " must be 2 or 3, not '" + value + "'");
        };
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException("packet rings: " + message);
        }
    }

    /** @return the RX ring's version: {@link PacketSocket#TPACKET_V2} or {@link PacketSocket#TPACKET_V3}. */
    public int rxVersion()
    {
        return rxVersion;
    }

    /**
     * Chooses the RX ring's version. Block size and count that were not set follow the version's defaults.
     *
     * @param version {@link PacketSocket#TPACKET_V2}: a frame per fixed slot, handed over and woken for one by
     *                one, frames longer than a slot truncated; {@link PacketSocket#TPACKET_V3}: variable-length
     *                frames packed in blocks, handed over a block at a time (when full, or after
     *                {@link #rxBlockTimeoutMs()}).
     */
    public PacketRingContext rxVersion(final int version)
    {
        this.rxVersion = version;
        return this;
    }

    /** @return whether the RX ring is TPACKET_V2. */
    public boolean isRxV2()
    {
        return rxVersion == PacketSocket.TPACKET_V2;
    }

    /** @return bytes per RX block: as set, else the default of the ring's version. */
    public int rxBlockSize()
    {
        return rxBlockSize != 0 ? rxBlockSize : isRxV2() ? DEFAULT_RX_V2_BLOCK_SIZE : DEFAULT_RX_BLOCK_SIZE;
    }

    /** @param bytes per RX block, a multiple of 4096 and of the frame size; 0: the version's default. */
    public PacketRingContext rxBlockSize(final int bytes)
    {
        this.rxBlockSize = bytes;
        return this;
    }

    /** @return RX blocks: as set, else the default of the ring's version. */
    public int rxBlockCount()
    {
        return rxBlockCount != 0 ? rxBlockCount : isRxV2() ? DEFAULT_RX_V2_BLOCK_COUNT : DEFAULT_RX_BLOCK_COUNT;
    }

    /** @param count RX blocks; 0: the version's default. */
    public PacketRingContext rxBlockCount(final int count)
    {
        this.rxBlockCount = count;
        return this;
    }

    /** @return RX slot size (TPACKET_V2), or nominal frame size (kernel bookkeeping only in TPACKET_V3). */
    public int rxFrameSize()
    {
        return rxFrameSize;
    }

    /**
     * @param bytes RX slot size (V2: frames up to {@code bytes - }{@link #RX_V2_MAC_OFFSET} arrive whole) or nominal
     *              frame size (V3); a multiple of 16 that divides the block size.
     */
    public PacketRingContext rxFrameSize(final int bytes)
    {
        this.rxFrameSize = bytes;
        return this;
    }

    /**
     * @return ms after its first frame when a block that is not full is handed over ({@code tp_retire_blk_tov});
     * TPACKET_V3 only.
     */
    public int rxBlockTimeoutMs()
    {
        return rxBlockTimeoutMs;
    }

    /**
     * @param ms after its first frame when a TPACKET_V3 block that is not full is handed over; 0 lets the kernel
     *           choose. Ignored by V2 rings.
     */
    public PacketRingContext rxBlockTimeoutMs(final int ms)
    {
        this.rxBlockTimeoutMs = ms;
        return this;
    }

    /** @return bytes per TX block. */
    public int txBlockSize()
    {
        return txBlockSize;
    }

    /** @param bytes per TX block, a multiple of 4096 and of the slot size. */
    public PacketRingContext txBlockSize(final int bytes)
    {
        this.txBlockSize = bytes;
        return this;
    }

    /** @return bytes per TX slot, header included. */
    public int txFrameSize()
    {
        return txFrameSize;
    }

    /** @param bytes per TX slot, header included; a multiple of 16. */
    public PacketRingContext txFrameSize(final int bytes)
    {
        this.txFrameSize = bytes;
        return this;
    }

    /** @return TX slots. */
    public int txFrameCount()
    {
        return txFrameCount;
    }

    /** @param count TX slots, a multiple of the slots per block. */
    public PacketRingContext txFrameCount(final int count)
    {
        this.txFrameCount = count;
        return this;
    }

    /** @return the RX socket's fanout group, or {@link PacketSocket#NO_FANOUT}. */
    public int fanoutGroupId()
    {
        return fanoutGroupId;
    }

    /** @return how the fanout group spreads frames, e.g. {@link PacketSocket#PACKET_FANOUT_HASH}. */
    public int fanoutMode()
    {
        return fanoutMode;
    }

    /**
     * Joins the RX socket to a fanout group: every socket of the group (same interface, same process or not) gets
     * a share of the interface's frames, so several workers can each own a ring.
     *
     * @param groupId 0..65535, the same for every member.
     * @param mode    {@link PacketSocket#PACKET_FANOUT_HASH} (a flow stays on one socket),
     *                {@link PacketSocket#PACKET_FANOUT_LB} (round robin), {@link PacketSocket#PACKET_FANOUT_CPU}
     *                (the CPU that received it), ...
     */
    public PacketRingContext fanout(final int groupId, final int mode)
    {
        this.fanoutGroupId = groupId;
        this.fanoutMode = mode;
        return this;
    }

    /** @return whether the rings are mapped with MAP_LOCKED (falling back without when refused). */
    public boolean lockMemory()
    {
        return lockMemory;
    }

    /** @param lock whether to map the rings with MAP_LOCKED. */
    public PacketRingContext lockMemory(final boolean lock)
    {
        this.lockMemory = lock;
        return this;
    }

    /** @return whether the TX socket bypasses the qdisc layer (PACKET_QDISC_BYPASS). */
    public boolean qdiscBypass()
    {
        return qdiscBypass;
    }

    /**
     * @param bypass whether the TX socket hands frames straight to the driver: faster, but traffic control
     *               (shaping, tc filters on egress) does not see them and a busy device drops instead of queueing.
     */
    public PacketRingContext qdiscBypass(final boolean bypass)
    {
        this.qdiscBypass = bypass;
        return this;
    }

    @Override
    public String toString()
    {
        return "rx " + (isRxV2() ? "V2 " : "V3 ") + rxBlockCount() + " x " + rxBlockSize() + " B (frame " +
            rxFrameSize + (isRxV2() ? "" : ", " + rxBlockTimeoutMs + " ms") + "), tx " + txFrameCount + " x " +
            txFrameSize + " B (block " + txBlockSize + ")" +
            (fanoutGroupId == PacketSocket.NO_FANOUT ? "" : ", fanout " + fanoutGroupId + " mode " + fanoutMode);
    }
}
