package io.tandem.ffi;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The memory of one PACKET_MMAP ring, shared with the kernel, and the layouts of the records in it. A
 * {@link PacketSocket#TPACKET_V3} RX ring is a sequence of blocks, each a {@code tpacket_block_desc} followed by
 * variable-length frames, with a status word per block; a {@link PacketSocket#TPACKET_V2} ring, RX or TX, is a
 * sequence of fixed-size slots, each a {@code tpacket2_hdr} with its own status word: on RX followed by a
 * sockaddr_ll and the frame at {@code tp_mac}, on TX by the frame at {@link #TX_DATA_OFFSET}. Status words are the
 * hand-over between user space and the kernel: read them with {@link #statusAcquire}, write them with
 * {@link #statusRelease}, and read the rest of a block or slot only after the acquire.
 * <pre>
 *   V2 RX slot (rxFrameSize bytes)
 *   +--------------+-------------+-----+------------------------------------+---------+
 *   | tpacket2_hdr | sockaddr_ll | pad | frame at tp_mac (66), tp_snaplen B  | unused  |
 *   +--------------+-------------+-----+------------------------------------+---------+
 *   0              32            52    66
 * </pre>
 * <p>
 * Offsets are checked against {@code /usr/include/linux/if_packet.h} of Linux 6.x (x86-64 and arm64 agree).
 * Numbers in the ring are in host byte order; the frames themselves are in network order.
 * <p>
 * The mapping is owned by the {@link PacketSocket} that created it and unmapped when it closes; touching it after
 * that faults. Thread-safety is the caller's: one consumer walks an RX ring, one producer fills a TX ring.
 */
public final class PacketRing
{
    /**
     * struct tpacket_block_desc with its tpacket_hdr_v1, 48 bytes, at the start of each RX block.
     * <pre>
     *   0               4               8               12              16
     *   +---------------+---------------+---------------+---------------+
     *   |    version    |offset_to_priv | block_status  |   num_pkts    |
     *   +---------------+---------------+---------------+---------------+
     *   |offset_to_first|    blk_len    |            seq_num            |
     *   +---------------+---------------+---------------+---------------+
     *   | ts_first sec  | ts_first nsec | ts_last sec   | ts_last nsec  |
     *   +---------------+---------------+---------------+---------------+
     *   then frames: tpacket3_hdr at offset_to_first_pkt, each links to the next
     * </pre>
     */
    public static final int BLOCK_DESC_LENGTH = 48;
    /** Offset of {@code version} in tpacket_block_desc. */
    public static final int BLOCK_VERSION_OFFSET = 0;
    /** Offset of {@code offset_to_priv} in tpacket_block_desc. */
    public static final int BLOCK_OFFSET_TO_PRIV_OFFSET = 4;
    /** Offset of {@code block_status}: {@link #TP_STATUS_KERNEL} or {@link #TP_STATUS_USER} (+ flags). */
    public static final int BLOCK_STATUS_OFFSET = 8;
    /** Offset of {@code num_pkts}: frames in the block. */
    public static final int BLOCK_NUM_PKTS_OFFSET = 12;
    /** Offset of {@code offset_to_first_pkt}, from the start of the block. */
    public static final int BLOCK_OFFSET_TO_FIRST_PKT_OFFSET = 16;
    /** Offset of {@code blk_len}: bytes of the block in use. */
    public static final int BLOCK_LEN_OFFSET = 20;
    /** Offset of {@code seq_num}, a u64 the kernel increments per block. */
    public static final int BLOCK_SEQ_NUM_OFFSET = 24;
    /** Offset of {@code ts_first_pkt}. */
    public static final int BLOCK_TS_FIRST_PKT_OFFSET = 32;
    /** Offset of {@code ts_last_pkt}. */
    public static final int BLOCK_TS_LAST_PKT_OFFSET = 40;

    /**
     * struct tpacket3_hdr, 48 bytes, before each frame of an RX block. The frame's Ethernet header starts
     * {@code tp_mac} bytes after the start of this header; {@code tp_next_offset} is 0 in a block's last frame.
     * <pre>
     *   0               4               8               12              16
     *   +---------------+---------------+---------------+---------------+
     *   |tp_next_offset |    tp_sec     |    tp_nsec    |  tp_snaplen   |
     *   +---------------+---------------+-------+-------+---------------+
     *   |    tp_len     |   tp_status   |tp_mac |tp_net |  tp_rxhash    |
     *   +---------------+-------+-------+-------+-------+---------------+
     *   | tp_vlan_tci   |tpid   |  pad  |          tp_padding[8]        |
     *   +---------------+-------+-------+-------------------------------+
     *   then struct sockaddr_ll (at 48), a gap, and the frame at tp_mac
     * </pre>
     */
    public static final int TPACKET3_HDR_LENGTH = 48;
    /** Offset of {@code tp_next_offset} in tpacket3_hdr. */
    public static final int TP3_NEXT_OFFSET_OFFSET = 0;
    /** Offset of {@code tp_sec} in tpacket3_hdr. */
    public static final int TP3_SEC_OFFSET = 4;
    /** Offset of {@code tp_nsec} in tpacket3_hdr. */
    public static final int TP3_NSEC_OFFSET = 8;
    /** Offset of {@code tp_snaplen} in tpacket3_hdr: bytes of the frame in the ring. */
    public static final int TP3_SNAPLEN_OFFSET = 12;
    /** Offset of {@code tp_len} in tpacket3_hdr: bytes of the frame on the wire. */
    public static final int TP3_LEN_OFFSET = 16;
    /** Offset of {@code tp_status} in tpacket3_hdr. */
    public static final int TP3_STATUS_OFFSET = 20;
    /** Offset of {@code tp_mac} (u16) in tpacket3_hdr. */
    public static final int TP3_MAC_OFFSET = 24;
    /** Offset of {@code tp_net} (u16) in tpacket3_hdr. */
    public static final int TP3_NET_OFFSET = 26;
    /** Offset of {@code hv1.tp_rxhash} in tpacket3_hdr. */
    public static final int TP3_RXHASH_OFFSET = 28;
    /** Offset of {@code hv1.tp_vlan_tci} in tpacket3_hdr. */
    public static final int TP3_VLAN_TCI_OFFSET = 32;
    /** Offset of {@code hv1.tp_vlan_tpid} (u16) in tpacket3_hdr. */
    public static final int TP3_VLAN_TPID_OFFSET = 36;
    /** Offset of the struct sockaddr_ll the kernel writes after tpacket3_hdr: TPACKET_ALIGN(48). */
    public static final int TP3_SOCKADDR_OFFSET = 48;

    /**
     * struct tpacket2_hdr, 32 bytes, at the start of each TX slot and of each slot of a V2 RX ring. On RX,
     * {@code tp_len} is the frame's length on the wire and {@code tp_snaplen} what the slot holds of it (less when
     * the frame is longer than the slot); {@code tp_status} carries the same per-frame flags as a V3 frame's
     * (checksum, VLAN, {@link #TP_STATUS_COPY}, {@link #TP_STATUS_LOSING}) next to {@link #TP_STATUS_USER}.
     * <pre>
     *   0               4               8               12              16
     *   +---------------+---------------+---------------+-------+-------+
     *   |   tp_status   |    tp_len     |  tp_snaplen   |tp_mac |tp_net |
     *   +---------------+---------------+-------+-------+-------+-------+
     *   |    tp_sec     |    tp_nsec    |vlan   |tpid   | tp_padding[4] |
     *   +---------------+---------------+-------+-------+---------------+
     *   TX: then the frame at 32 (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
     *   RX: then struct sockaddr_ll (at 32), a gap, and the frame at tp_mac
     * </pre>
     */
    public static final int TPACKET2_HDR_LENGTH = 32;
    /** Offset of {@code tp_status} in tpacket2_hdr. */
    public static final int TP2_STATUS_OFFSET = 0;
    /** Offset of {@code tp_len} in tpacket2_hdr: the frame's length (RX: on the wire). */
    public static final int TP2_LEN_OFFSET = 4;
    /** Offset of {@code tp_snaplen} in tpacket2_hdr: on RX, bytes of the frame in the slot. */
    public static final int TP2_SNAPLEN_OFFSET = 8;
    /** Offset of {@code tp_mac} (u16) in tpacket2_hdr. */
    public static final int TP2_MAC_OFFSET = 12;
    /** Offset of {@code tp_net} (u16) in tpacket2_hdr. */
    public static final int TP2_NET_OFFSET = 14;
    /** Offset of {@code tp_sec} in tpacket2_hdr. */
    public static final int TP2_SEC_OFFSET = 16;
    /** Offset of {@code tp_nsec} in tpacket2_hdr. */
    public static final int TP2_NSEC_OFFSET = 20;
    /** Offset of {@code tp_vlan_tci} (u16) in tpacket2_hdr. */
    public static final int TP2_VLAN_TCI_OFFSET = 24;
    /** Offset of {@code tp_vlan_tpid} (u16) in tpacket2_hdr. */
    public static final int TP2_VLAN_TPID_OFFSET = 26;
    /** Offset of the struct sockaddr_ll the kernel writes after tpacket2_hdr on RX: TPACKET_ALIGN(32). */
    public static final int TP2_SOCKADDR_OFFSET = 32;
    /**
     * Where a TX slot's frame starts (TPACKET_V2 without PACKET_TX_HAS_OFF): the kernel reads it at
     * {@code tp_hdrlen - sizeof(struct sockaddr_ll)} = 52 - 20.
     */
    public static final int TX_DATA_OFFSET = 32;

    /** RX status: the block or frame belongs to the kernel. */
    public static final int TP_STATUS_KERNEL = 0;
    /** RX status: the block or frame belongs to user space. */
    public static final int TP_STATUS_USER = 1;
    /** RX frame status: truncated into the ring, the full frame went to the socket's queue (V1/V2 only). */
    public static final int TP_STATUS_COPY = 1 << 1;
    /** RX status: frames were dropped since the last statistics read. */
    public static final int TP_STATUS_LOSING = 1 << 2;
    /** RX frame status: the checksum is left to offload (CHECKSUM_PARTIAL): only the pseudo-header sum is there. */
    public static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    /** RX frame status: tp_vlan_tci holds a tag the device stripped. */
    public static final int TP_STATUS_VLAN_VALID = 1 << 4;
    /** RX block status: handed over because its timer expired, not because it was full. */
    public static final int TP_STATUS_BLK_TMO = 1 << 5;
    /** RX frame status: tp_vlan_tpid is valid. */
    public static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    /** RX frame status: the device or kernel verified the checksum (CHECKSUM_UNNECESSARY). */
    public static final int TP_STATUS_CSUM_VALID = 1 << 7;
    /** TX status: the slot is free for user space. */
    public static final int TP_STATUS_AVAILABLE = 0;
    /** TX status: user space filled the slot; the kernel sends it on the next kick. */
    public static final int TP_STATUS_SEND_REQUEST = 1;
    /** TX status: the kernel is sending the slot. */
    public static final int TP_STATUS_SENDING = 1 << 1;
    /** TX status: the kernel refused the slot (e.g. longer than the MTU) and, without PACKET_LOSS, stopped. */
    public static final int TP_STATUS_WRONG_FORMAT = 1 << 2;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment memory;
    private final int version;
    private final int blockSize;
    private final int blockCount;
    private final int frameSize;
    private final int frameCount;
    private final boolean locked;

    PacketRing(
        final MemorySegment memory,
        final int version,
        final int blockSize,
        final int blockCount,
        final int frameSize,
        final int frameCount,
        final boolean locked)
    {
        this.memory = memory;
        this.version = version;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.locked = locked;
    }

    /** @return the mapping, {@link #length()} bytes, shared with the kernel. */
    public MemorySegment memory()
    {
        return memory;
    }

    /** @return the ring's layout: {@link PacketSocket#TPACKET_V2} (slots) or {@link PacketSocket#TPACKET_V3}. */
    public int version()
    {
        return version;
    }

    /** @return the mapping's address. */
    public long address()
    {
        return memory.address();
    }

    /** @return the mapping's length in bytes (below 2 GiB, see {@link PacketRingContext}). */
    public int length()
    {
        return (int)memory.byteSize();
    }

    /** @return bytes per block. */
    public int blockSize()
    {
        return blockSize;
    }

    /** @return blocks. */
    public int blockCount()
    {
        return blockCount;
    }

    /** @return bytes per frame slot (TX, V2 RX) or the nominal frame size (V3 RX). */
    public int frameSize()
    {
        return frameSize;
    }

    /** @return frame slots (TX, V2 RX) or the nominal frame count (V3 RX). */
    public int frameCount()
    {
        return frameCount;
    }

    /** @return whether the mapping is locked in memory (MAP_LOCKED was accepted). */
    public boolean isLocked()
    {
        return locked;
    }

    /** @return offset of block {@code block} in the ring. */
    public long blockOffset(final int block)
    {
        return (long)block * blockSize;
    }

    /**
     * @return offset of slot {@code frame} of a V2 ring (TX or RX); slots are contiguous because the block size is
     * a multiple of the slot size.
     */
    public long frameOffset(final int frame)
    {
        return (long)frame * frameSize;
    }

    /**
     * Reads a status word with acquire semantics: what the kernel wrote before handing the block or slot over is
     * visible after this returns.
     *
     * @param offset of the status word in the ring, e.g. {@code blockOffset(b) + BLOCK_STATUS_OFFSET}.
     */
    public int statusAcquire(final long offset)
    {
        return (int)INT.getAcquire(memory, offset);
    }

    /**
     * Writes a status word with release semantics: everything written to the block or slot before is visible to
     * the kernel once it sees the new status.
     */
    public void statusRelease(final long offset, final int status)
    {
        INT.setRelease(memory, offset, status);
    }

    /** Reads a plain int (a field of a block or slot already acquired). */
    public int getInt(final long offset)
    {
        return memory.get(JAVA_INT, offset);
    }

    /** Reads a plain unsigned short (tp_mac, tp_net). */
    public int getUnsignedShort(final long offset)
    {
        return Short.toUnsignedInt(memory.get(JAVA_SHORT, offset));
    }

    /** Writes a plain int (tp_len of a slot before its release). */
    public void putInt(final long offset, final int value)
    {
        memory.set(JAVA_INT, offset, value);
    }

    @Override
    public String toString()
    {
        return (version == PacketSocket.TPACKET_V2 ? "V2 " : "V3 ") + blockCount + " x " + blockSize + " B, frame " +
            frameSize + (locked ? ", locked" : "");
    }
}
