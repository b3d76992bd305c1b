package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Builds whole Ethernet/IPv4/TCP frames with correct checksums, field by field, for golden-packet tests, fuzzing
 * seeds and benchmarks. Allocates: not for the forwarding path.
 * <pre>{@code
 *   byte[] syn = new TcpFrameBuilder().srcMac(client).dstMac(node).src("198.18.0.10", 40000)
 *       .dst("198.18.1.1", 80).seq(1000).flags(TcpFlyweight.SYN).mss(1460).build();
 * }</pre>
 */
public final class TcpFrameBuilder
{
    private long srcMac = 0x02_00_00_00_00_01L;
    private long dstMac = 0x02_00_00_00_00_02L;
    private int srcIp;
    private int dstIp;
    private int srcPort;
    private int dstPort;
    private int seq;
    private int ack;
    private int flags = TcpFlyweight.ACK;
    private int window = 65535;
    private int ttl = 64;
    private int ipId;
    private int mss = -1;
    private byte[] payload = new byte[0];

    /** @param mac source MAC. */
    public TcpFrameBuilder srcMac(final long mac)
    {
        this.srcMac = mac;
        return this;
    }

    /** @param mac destination MAC. */
    public TcpFrameBuilder dstMac(final long mac)
    {
        this.dstMac = mac;
        return this;
    }

    /**
     * @param ip   source address, dotted quad.
     * @param port source port.
     */
    public TcpFrameBuilder src(final String ip, final int port)
    {
        return src(Bytes.parseIpv4(ip), port);
    }

    /**
     * @param ip   source address.
     * @param port source port.
     */
    public TcpFrameBuilder src(final int ip, final int port)
    {
        this.srcIp = ip;
        this.srcPort = port;
        return this;
    }

    /**
     * @param ip   destination address, dotted quad.
     * @param port destination port.
     */
    public TcpFrameBuilder dst(final String ip, final int port)
    {
        return dst(Bytes.parseIpv4(ip), port);
    }

    /**
     * @param ip   destination address.
     * @param port destination port.
     */
    public TcpFrameBuilder dst(final int ip, final int port)
    {
        this.dstIp = ip;
        this.dstPort = port;
        return this;
    }

    /** @param seq sequence number. */
    public TcpFrameBuilder seq(final int seq)
    {
        this.seq = seq;
        return this;
    }

    /** @param ack acknowledgement number. */
    public TcpFrameBuilder ack(final int ack)
    {
        this.ack = ack;
        return this;
    }

    /** @param flags TCP flags, e.g. {@code SYN | ACK}. */
    public TcpFrameBuilder flags(final int flags)
    {
        this.flags = flags;
        return this;
    }

    /** @param window window as sent. */
    public TcpFrameBuilder window(final int window)
    {
        this.window = window;
        return this;
    }

    /** @param ttl time to live. */
    public TcpFrameBuilder ttl(final int ttl)
    {
        this.ttl = ttl;
        return this;
    }

    /** @param id IPv4 identification. */
    public TcpFrameBuilder ipId(final int id)
    {
        this.ipId = id;
        return this;
    }

    /** @param mss adds an MSS option with this value. */
    public TcpFrameBuilder mss(final int mss)
    {
        this.mss = mss;
        return this;
    }

    /** @param payload TCP payload. */
    public TcpFrameBuilder payload(final byte[] payload)
    {
        this.payload = payload.clone();
        return this;
    }

    /** @return the frame, checksums complete. */
    public byte[] build()
    {
        final int tcpHeaderLength = TcpFlyweight.MIN_HEADER_LENGTH + (mss >= 0 ? 4 : 0);
        final int ipLength = Ipv4Flyweight.MIN_HEADER_LENGTH + tcpHeaderLength + payload.length;
        final byte[] frame = new byte[EthernetFlyweight.HEADER_LENGTH + ipLength];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final EthernetFlyweight ethernet = new EthernetFlyweight();
        ethernet.wrap(buffer, 0);
        ethernet.dstMac(dstMac).srcMac(srcMac).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        final Ipv4Flyweight ip = new Ipv4Flyweight();
        ip.wrap(buffer, EthernetFlyweight.HEADER_LENGTH);
        ip.versionAndHeaderLength(Ipv4Flyweight.MIN_HEADER_LENGTH).tos(0).totalLength(ipLength).id(ipId)
            .flagsAndFragmentOffset(Ipv4Flyweight.FLAG_DF).ttl(ttl).protocol(Ipv4Flyweight.PROTOCOL_TCP)
            .src(srcIp).dst(dstIp).updateChecksum();
        final int tcpOffset = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH;
        final TcpFlyweight tcp = new TcpFlyweight();
        tcp.wrap(buffer, tcpOffset);
        tcp.srcPort(srcPort).dstPort(dstPort).seq(seq).ack(ack).headerLength(tcpHeaderLength).flags(flags)
            .window(window).urgentPointer(0);
        if (mss >= 0)
        {
            buffer.putByte(tcpOffset + 20, (byte)TcpFlyweight.OPTION_MSS);
            buffer.putByte(tcpOffset + 21, (byte)4);
            Bytes.u16(buffer, tcpOffset + 22, mss);
        }
        buffer.putBytes(tcpOffset + tcpHeaderLength, payload);
        tcp.checksum(Checksum.tcp(buffer, tcpOffset, tcpHeaderLength + payload.length, srcIp, dstIp));
        return frame;
    }
}
