package io.tandem.dataplane.tcp;

import io.tandem.dataplane.packet.Checksum;
import io.tandem.dataplane.packet.EthernetFlyweight;
import io.tandem.dataplane.packet.Ipv4Flyweight;
import io.tandem.dataplane.packet.TcpFlyweight;
import org.agrona.MutableDirectBuffer;

/**
 * Writes the segments the balancer originates itself: a bare TCP header (no options, no payload) in an IPv4 packet
 * (no options, DF, TTL 64, ID 0) in an Ethernet frame, with both checksums complete. Allocation-free.
 */
public final class SegmentWriter
{
    /** Length of every frame this writer produces: Ethernet + IPv4 + TCP headers. */
    public static final int FRAME_LENGTH =
        EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH;
    /** TTL of originated packets. */
    public static final int TTL = 64;

    private static final int IP_OFFSET = EthernetFlyweight.HEADER_LENGTH;
    private static final int TCP_OFFSET = IP_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ip = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();

    /**
     * Writes a segment at {@code offset}; {@link #FRAME_LENGTH} bytes.
     *
     * @return {@link #FRAME_LENGTH}.
     */
    public int write(
        final MutableDirectBuffer buffer,
        final int offset,
        final long srcMac,
        final long dstMac,
        final int srcIp,
        final int dstIp,
        final int srcPort,
        final int dstPort,
        final int seq,
        final int ack,
        final int flags,
        final int window)
    {
        ethernet.wrap(buffer, offset);
        ethernet.dstMac(dstMac).srcMac(srcMac).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        ip.wrap(buffer, offset + IP_OFFSET);
        ip.versionAndHeaderLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .tos(0)
            .totalLength(Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH)
            .id(0)
            .flagsAndFragmentOffset(Ipv4Flyweight.FLAG_DF)
            .ttl(TTL)
            .protocol(Ipv4Flyweight.PROTOCOL_TCP)
            .src(srcIp)
            .dst(dstIp)
            .updateChecksum();
        tcp.wrap(buffer, offset + TCP_OFFSET);
        tcp.srcPort(srcPort)
            .dstPort(dstPort)
            .seq(seq)
            .ack(ack)
            .headerLength(TcpFlyweight.MIN_HEADER_LENGTH)
            .flags(flags)
            .window(window)
            .urgentPointer(0);
        tcp.checksum(Checksum.tcp(buffer, offset + TCP_OFFSET, TcpFlyweight.MIN_HEADER_LENGTH, srcIp, dstIp));
        return FRAME_LENGTH;
    }

    /**
     * Writes the reset RFC 9293 §3.10.7.1 prescribes for a segment that belongs to no connection: if it carried an
     * ACK, the reset's sequence number is that ACK and the reset has no ACK; otherwise the reset has sequence number
     * zero and acknowledges the segment's sequence number plus its length (SYN and FIN count one each).
     *
     * @param srcMac     the balancer's MAC.
     * @param dstMac     where the offending segment came from (its source MAC).
     * @param segSrcIp   the offending segment's source address (the reset's destination).
     * @param segDstIp   its destination address (the reset's source).
     * @param segSrcPort its source port.
     * @param segDstPort its destination port.
     * @param segSeq     its sequence number.
     * @param segAck     its acknowledgement number.
     * @param segFlags   its flags.
     * @param segLength  its payload length.
     * @return {@link #FRAME_LENGTH}.
     */
    public int writeResetFor(
        final MutableDirectBuffer buffer,
        final int offset,
        final long srcMac,
        final long dstMac,
        final int segSrcIp,
        final int segDstIp,
        final int segSrcPort,
        final int segDstPort,
        final int segSeq,
        final int segAck,
        final int segFlags,
        final int segLength)
    {
        if ((segFlags & TcpFlyweight.ACK) != 0)
        {
            return write(buffer, offset, srcMac, dstMac, segDstIp, segSrcIp, segDstPort, segSrcPort,
                segAck, 0, TcpFlyweight.RST, 0);
        }
        final int consumed = segLength + ((segFlags & TcpFlyweight.SYN) != 0 ? 1 : 0) +
            ((segFlags & TcpFlyweight.FIN) != 0 ? 1 : 0);
        return write(buffer, offset, srcMac, dstMac, segDstIp, segSrcIp, segDstPort, segSrcPort,
            0, segSeq + consumed, TcpFlyweight.RST | TcpFlyweight.ACK, 0);
    }
}
