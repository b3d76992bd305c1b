package io.tandem.dataplane.flow;

/**
 * Flyweight over one connection record in the {@link FlowTable}'s record area. Field values are in host order
 * (they are numbers, not wire bytes); addresses are IPv4 as {@code int}, MACs in the low 48 bits of a {@code long}.
 * <pre>
 *  offset  field                     offset  field
 *  ------  ------------------------  ------  ------------------------
 *    0     clientIp          int       64    toTargetMac       long
 *    4     vip               int       72    toClientMac       long
 *    8     clientPort        u16       80    nextHopEpoch      int
 *   10     vipPort           u16       84    timerPrev         int
 *   12     targetIp          int       88    timerNext         int  (free-list link when free)
 *   16     snatIp            int       92    timerSlot         int
 *   20     targetPort        u16       96    createdNs         long
 *   22     snatPort          u16      104    clientFinSeq      int
 *   24     state             u8       108    targetFinSeq      int
 *   25     flags             u8       112    idleTimeoutNs     long
 *   26     targetSlot        u16      120    packets           int
 *   28     clientSeqNext     int      124    syncGeneration    int
 *   32     targetSeqNext     int
 *   36     clientAck         int
 *   40     targetAck         int
 *   44     clientWindow      u16
 *   46     targetWindow      u16
 *   48     expiresNs         long
 *   56     payloadBytes      long
 * </pre>
 * The first cache line holds what the established path reads and writes; the second holds the timer links and
 * what only state changes touch. The forward key is (clientIp, vip, clientPort, vipPort); the reverse key is
 * (targetIp, snatIp, targetPort, snatPort).
 */
public final class FlowRecord
{
    /** Size of one record in bytes: two cache lines. */
    public static final int LENGTH = 128;

    /** Offset of the client's address. */
    public static final int CLIENT_IP_OFFSET = 0;
    /** Offset of the VIP. */
    public static final int VIP_OFFSET = 4;
    /** Offset of the client's port. */
    public static final int CLIENT_PORT_OFFSET = 8;
    /** Offset of the listener port. */
    public static final int VIP_PORT_OFFSET = 10;
    /** Offset of the target's address. */
    public static final int TARGET_IP_OFFSET = 12;
    /** Offset of the SNAT address. */
    public static final int SNAT_IP_OFFSET = 16;
    /** Offset of the target's port. */
    public static final int TARGET_PORT_OFFSET = 20;
    /** Offset of the SNAT port. */
    public static final int SNAT_PORT_OFFSET = 22;
    /** Offset of the target's slot for traffic counts. */
    public static final int TARGET_SLOT_OFFSET = 26;
    /** Offset of the TCP state. */
    public static final int STATE_OFFSET = 24;
    /** Offset of the flags byte. */
    public static final int FLAGS_OFFSET = 25;
    /** Offset of the next sequence number expected from the client. */
    public static final int CLIENT_SEQ_NEXT_OFFSET = 28;
    /** Offset of the next sequence number expected from the target. */
    public static final int TARGET_SEQ_NEXT_OFFSET = 32;
    /** Offset of the last acknowledgement number the client sent. */
    public static final int CLIENT_ACK_OFFSET = 36;
    /** Offset of the last acknowledgement number the target sent. */
    public static final int TARGET_ACK_OFFSET = 40;
    /** Offset of the last window the client advertised. */
    public static final int CLIENT_WINDOW_OFFSET = 44;
    /** Offset of the last window the target advertised. */
    public static final int TARGET_WINDOW_OFFSET = 46;
    /** Offset of the expiry deadline. */
    public static final int EXPIRES_NS_OFFSET = 48;
    /** Offset of the payload byte count. */
    public static final int PAYLOAD_BYTES_OFFSET = 56;
    /** Offset of the MAC of the next hop towards the target. */
    public static final int TO_TARGET_MAC_OFFSET = 64;
    /** Offset of the MAC of the next hop towards the client. */
    public static final int TO_CLIENT_MAC_OFFSET = 72;
    /** Offset of the next-hop epoch the MACs were resolved in. */
    public static final int NEXT_HOP_EPOCH_OFFSET = 80;
    /** Offset of the previous record in the timer slot list. */
    public static final int TIMER_PREV_OFFSET = 84;
    /** Offset of the next record in the timer slot list, or in the free list. */
    public static final int TIMER_NEXT_OFFSET = 88;
    /** Offset of the timer slot the record is linked into. */
    public static final int TIMER_SLOT_OFFSET = 92;
    /** Offset of the creation time. */
    public static final int CREATED_NS_OFFSET = 96;
    /** Offset of the sequence number of the client's FIN. */
    public static final int CLIENT_FIN_SEQ_OFFSET = 104;
    /** Offset of the sequence number of the target's FIN. */
    public static final int TARGET_FIN_SEQ_OFFSET = 108;
    /** Offset of the listener's idle timeout at creation. */
    public static final int IDLE_TIMEOUT_NS_OFFSET = 112;
    /** Offset of the packet count. */
    public static final int PACKETS_OFFSET = 120;
    /** Offset of the bulk-resync generation a replicated record was last confirmed in. */
    public static final int SYNC_GENERATION_OFFSET = 124;

    /** Flag: the record is in use. */
    public static final int FLAG_IN_USE = 0x01;
    /** Flag: the client sent a FIN. */
    public static final int FLAG_FIN_FROM_CLIENT = 0x02;
    /** Flag: the target sent a FIN. */
    public static final int FLAG_FIN_FROM_TARGET = 0x04;
    /** Flag: the client's FIN was acknowledged by the target. */
    public static final int FLAG_CLIENT_FIN_ACKED = 0x08;
    /** Flag: the target's FIN was acknowledged by the client. */
    public static final int FLAG_TARGET_FIN_ACKED = 0x10;
    /** Flag: the record was installed from the peer, not created by a SYN here. */
    public static final int FLAG_REPLICATED = 0x20;
    /** Flag: the peer knows the connection (it was sent to it, or came from it), so forgetting it is sent too. */
    public static final int FLAG_SYNCED = 0x40;

    private RawMemory buffer;
    private int base;
    private int index = FlowTable.NULL_INDEX;

    /**
     * Points this flyweight at a record.
     *
     * @param table the table.
     * @param index of the record.
     * @return this.
     */
    public FlowRecord wrap(final FlowTable table, final int index)
    {
        this.buffer = table.records();
        this.base = table.recordOffset(index);
        this.index = index;
        return this;
    }

    /** @return index of the record this flyweight points at. */
    public int index()
    {
        return index;
    }

    /** @return client address. */
    public int clientIp()
    {
        return buffer.getInt(base + CLIENT_IP_OFFSET);
    }

    /** @return VIP. */
    public int vip()
    {
        return buffer.getInt(base + VIP_OFFSET);
    }

    /** @return client port. */
    public int clientPort()
    {
        return buffer.getShort(base + CLIENT_PORT_OFFSET) & 0xFFFF;
    }

    /** @return listener port. */
    public int vipPort()
    {
        return buffer.getShort(base + VIP_PORT_OFFSET) & 0xFFFF;
    }

    /** @return target address. */
    public int targetIp()
    {
        return buffer.getInt(base + TARGET_IP_OFFSET);
    }

    /** @return SNAT address. */
    public int snatIp()
    {
        return buffer.getInt(base + SNAT_IP_OFFSET);
    }

    /** @return target port. */
    public int targetPort()
    {
        return buffer.getShort(base + TARGET_PORT_OFFSET) & 0xFFFF;
    }

    /** @return SNAT port. */
    public int snatPort()
    {
        return buffer.getShort(base + SNAT_PORT_OFFSET) & 0xFFFF;
    }

    /** @return TCP state, one of {@link io.tandem.dataplane.tcp.TcpState}'s constants. */
    public int state()
    {
        return buffer.getByte(base + STATE_OFFSET);
    }

    /** @param state TCP state. */
    public void state(final int state)
    {
        buffer.putByte(base + STATE_OFFSET, (byte)state);
    }

    /** @return flags byte. */
    public int flags()
    {
        return buffer.getByte(base + FLAGS_OFFSET) & 0xFF;
    }

    /** @param flags flags byte. */
    public void flags(final int flags)
    {
        buffer.putByte(base + FLAGS_OFFSET, (byte)flags);
    }

    /** @return next sequence number expected from the client. */
    public int clientSeqNext()
    {
        return buffer.getInt(base + CLIENT_SEQ_NEXT_OFFSET);
    }

    /** @param seq next sequence number expected from the client. */
    public void clientSeqNext(final int seq)
    {
        buffer.putInt(base + CLIENT_SEQ_NEXT_OFFSET, seq);
    }

    /** @return next sequence number expected from the target. */
    public int targetSeqNext()
    {
        return buffer.getInt(base + TARGET_SEQ_NEXT_OFFSET);
    }

    /** @param seq next sequence number expected from the target. */
    public void targetSeqNext(final int seq)
    {
        buffer.putInt(base + TARGET_SEQ_NEXT_OFFSET, seq);
    }

    /** @return last acknowledgement number sent by the client. */
    public int clientAck()
    {
        return buffer.getInt(base + CLIENT_ACK_OFFSET);
    }

    /** @param ack last acknowledgement number sent by the client. */
    public void clientAck(final int ack)
    {
        buffer.putInt(base + CLIENT_ACK_OFFSET, ack);
    }

    /** @return last acknowledgement number sent by the target. */
    public int targetAck()
    {
        return buffer.getInt(base + TARGET_ACK_OFFSET);
    }

    /** @param ack last acknowledgement number sent by the target. */
    public void targetAck(final int ack)
    {
        buffer.putInt(base + TARGET_ACK_OFFSET, ack);
    }

    /** @return last window the client advertised, as sent. */
    public int clientWindow()
    {
        return buffer.getShort(base + CLIENT_WINDOW_OFFSET) & 0xFFFF;
    }

    /** @param window last window the client advertised. */
    public void clientWindow(final int window)
    {
        buffer.putShort(base + CLIENT_WINDOW_OFFSET, (short)window);
    }

    /** @return last window the target advertised, as sent. */
    public int targetWindow()
    {
        return buffer.getShort(base + TARGET_WINDOW_OFFSET) & 0xFFFF;
    }

    /** @param window last window the target advertised. */
    public void targetWindow(final int window)
    {
        buffer.putShort(base + TARGET_WINDOW_OFFSET, (short)window);
    }

    /** @return the time at which the record expires unless something extends it. */
    public long expiresNs()
    {
        return buffer.getLong(base + EXPIRES_NS_OFFSET);
    }

    /** @param ns the time at which the record expires. */
    public void expiresNs(final long ns)
    {
        buffer.putLong(base + EXPIRES_NS_OFFSET, ns);
    }

    /** @return payload bytes forwarded in both directions. */
    public long payloadBytes()
    {
        return buffer.getLong(base + PAYLOAD_BYTES_OFFSET);
    }

    /** @param bytes payload bytes forwarded in both directions. */
    public void payloadBytes(final long bytes)
    {
        buffer.putLong(base + PAYLOAD_BYTES_OFFSET, bytes);
    }

    /** @return MAC of the next hop towards the target. */
    public long toTargetMac()
    {
        return buffer.getLong(base + TO_TARGET_MAC_OFFSET);
    }

    /** @return MAC of the next hop towards the client. */
    public long toClientMac()
    {
        return buffer.getLong(base + TO_CLIENT_MAC_OFFSET);
    }

    /** @return the next-hop epoch the MACs were resolved in. */
    public int nextHopEpoch()
    {
        return buffer.getInt(base + NEXT_HOP_EPOCH_OFFSET);
    }

    /**
     * Stores the resolved next hops.
     *
     * @param toTargetMac MAC towards the target.
     * @param toClientMac MAC towards the client.
     * @param epoch       next-hop epoch of the snapshot they were resolved in.
     */
    public void nextHops(final long toTargetMac, final long toClientMac, final int epoch)
    {
        buffer.putLong(base + TO_TARGET_MAC_OFFSET, toTargetMac);
        buffer.putLong(base + TO_CLIENT_MAC_OFFSET, toClientMac);
        buffer.putInt(base + NEXT_HOP_EPOCH_OFFSET, epoch);
    }

    /** @return creation time. */
    public long createdNs()
    {
        return buffer.getLong(base + CREATED_NS_OFFSET);
    }

    /** @param ns creation time. */
    public void createdNs(final long ns)
    {
        buffer.putLong(base + CREATED_NS_OFFSET, ns);
    }

    /** @return sequence number of the client's FIN. */
    public int clientFinSeq()
    {
        return buffer.getInt(base + CLIENT_FIN_SEQ_OFFSET);
    }

    /** @param seq sequence number of the client's FIN. */
    public void clientFinSeq(final int seq)
    {
        buffer.putInt(base + CLIENT_FIN_SEQ_OFFSET, seq);
    }

    /** @return sequence number of the target's FIN. */
    public int targetFinSeq()
    {
        return buffer.getInt(base + TARGET_FIN_SEQ_OFFSET);
    }

    /** @param seq sequence number of the target's FIN. */
    public void targetFinSeq(final int seq)
    {
        buffer.putInt(base + TARGET_FIN_SEQ_OFFSET, seq);
    }

    /** @return the listener's idle timeout when the connection was created. */
    public long idleTimeoutNs()
    {
        return buffer.getLong(base + IDLE_TIMEOUT_NS_OFFSET);
    }

    /** @param ns the listener's idle timeout. */
    public void idleTimeoutNs(final long ns)
    {
        buffer.putLong(base + IDLE_TIMEOUT_NS_OFFSET, ns);
    }

    /** @return packets forwarded in both directions. */
    public int packets()
    {
        return buffer.getInt(base + PACKETS_OFFSET);
    }

    /** @param packets packets forwarded in both directions. */
    public void packets(final int packets)
    {
        buffer.putInt(base + PACKETS_OFFSET, packets);
    }
}
