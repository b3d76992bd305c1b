package io.tandem.ffi;

/**
 * Geometry of the two rings of a packet port, and the RX socket's fanout group. Set what differs from the defaults,
 * then {@link #conclude()} validates. Not thread-safe; do not change it after handing it to
 * {@link PacketSocket#openReceiver} or {@link PacketSocket#openTransmitter}.
 * <p>
 * Defaults keep memory modest (about 6 MiB per port, all of it pinned by the kernel):
 * <ul>
 *   <li>RX: TPACKET_V3, 32 blocks × 128 KiB = 4 MiB. A frame of {@code n} bytes takes {@code align8(82 + n)} bytes
 *   of a block (header, sockaddr_ll, alignment): 144 for a 60-byte frame, 1600 for 1514, so the ring holds about
 *   29 000 small or 2 600 full-size frames. A frame may be nearly a block long (GSO super-frames of 64 KiB fit).
 *   A block is handed to user space when it is full, or at the next tick of the kernel's retire timer, which
 *   ticks every {@code rxBlockTimeoutMs} (2 ms) while the block holds frames; so
 *   2 ms is also the most a lone frame waits. Frames are variable-length in V3; {@code rxFrameSize} only satisfies
 *   the kernel's bookkeeping ({@code tp_frame_nr}).</li>
 *   <li>Why more, smaller blocks rather than 16 × 256 KiB: at a low rate every block is handed over after the
 *   timeout holding only a few frames, so an undrained ring is full after {@code blocks × timeout} whatever the
 *   block size: 64 ms here, enough to ride out a GC pause or a descheduled worker without the kernel dropping
 *   (measured: 16 blocks froze after 32 ms with 2–3 frames in each). Under load blocks fill and bytes count.</li>
 *   <li>TX: TPACKET_V2, 1024 slots × 2048 bytes = 2 MiB in 256 KiB blocks; a slot carries a frame of up to
 *   {@code txFrameSize - 32} bytes (2016), and the kernel refuses frames longer than MTU + 14 (+ 4 for a VLAN).</li>
 * </ul>
 * The research notes measured 64 × 256 KiB on a busy link; raise {@link #rxBlockCount(int)} for that.
 */
public final class PacketRingContext
{
    /** Page size the kernel wants blocks aligned to (x86-64, and arm64 with 4 KiB pages). */
    public static final int PAGE_SIZE = 4096;
    /** Frames (V2 slots, V3 frame records) are aligned to this many bytes: TPACKET_ALIGNMENT. */
    public static final int TPACKET_ALIGNMENT = 16;

    /** Default RX block size: 128 KiB. */
    public static final int DEFAULT_RX_BLOCK_SIZE = 128 * 1024;
    /** Default RX block count: 32 (4 MiB). */
    public static final int DEFAULT_RX_BLOCK_COUNT = 32;
    /** Default nominal RX frame size. */
    public static final int DEFAULT_RX_FRAME_SIZE = 2048;
    /** Default time after a block is opened when it is handed over, if it holds frames, even if not full. */
    public static final int DEFAULT_RX_BLOCK_TIMEOUT_MS = 2;
    /** Default TX block size: 256 KiB. */
    public static final int DEFAULT_TX_BLOCK_SIZE = 256 * 1024;
    /** Default TX slot size. */
    public static final int DEFAULT_TX_FRAME_SIZE = 2048;
    /** Default TX slot count (2 MiB). */
    public static final int DEFAULT_TX_FRAME_COUNT = 1024;

    private int rxBlockSize = DEFAULT_RX_BLOCK_SIZE;
    private int rxBlockCount = DEFAULT_RX_BLOCK_COUNT;
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
        require(rxBlockSize > 0 && rxBlockSize % PAGE_SIZE == 0, "rxBlockSize must be a positive multiple of 4096");
        require(rxBlockCount > 0, "rxBlockCount must be positive");
        require(rxFrameSize >= PacketSocket.TPACKET3_HDRLEN && rxFrameSize % TPACKET_ALIGNMENT == 0,
            "rxFrameSize must be a multiple of 16 and at least " + PacketSocket.TPACKET3_HDRLEN);
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

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException("packet rings: " + message);
        }
    }

    /** @return bytes per RX block. */
    public int rxBlockSize()
    {
        return rxBlockSize;
    }

    /** @param bytes per RX block, a multiple of 4096. */
    public PacketRingContext rxBlockSize(final int bytes)
    {
        this.rxBlockSize = bytes;
        return this;
    }

    /** @return RX blocks. */
    public int rxBlockCount()
    {
        return rxBlockCount;
    }

    /** @param count RX blocks. */
    public PacketRingContext rxBlockCount(final int count)
    {
        this.rxBlockCount = count;
        return this;
    }

    /** @return nominal RX frame size (kernel bookkeeping only in TPACKET_V3). */
    public int rxFrameSize()
    {
        return rxFrameSize;
    }

    /** @param bytes nominal RX frame size, a multiple of 16 that divides the block size. */
    public PacketRingContext rxFrameSize(final int bytes)
    {
        this.rxFrameSize = bytes;
        return this;
    }

    /** @return ms after its first frame when a block that is not full is handed over ({@code tp_retire_blk_tov}). */
    public int rxBlockTimeoutMs()
    {
        return rxBlockTimeoutMs;
    }

    /** @param ms after its first frame when a block that is not full is handed over; 0 lets the kernel choose. */
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
        return "rx " + rxBlockCount + " x " + rxBlockSize + " B (frame " + rxFrameSize + ", " + rxBlockTimeoutMs +
            " ms), tx " + txFrameCount + " x " + txFrameSize + " B (block " + txBlockSize + ")" +
            (fanoutGroupId == PacketSocket.NO_FANOUT ? "" : ", fanout " + fanoutGroupId + " mode " + fanoutMode);
    }
}
