package io.tandem.dataplane.packet;

/**
 * ARP for IPv4 over Ethernet (RFC 826), the only kind Tandem reads or writes.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   hardware type (1)           |   protocol type (0x0800)      |
 *  +---------------+---------------+-------------------------------+
 *  |  hlen (6)     |  plen (4)     |   operation (1 req, 2 reply)  |
 *  +---------------+---------------+-------------------------------+
 *  |   sender hardware address (6)                                 |
 *  +                               +-------------------------------+
 *  |                               | sender protocol address (4)   |
 *  +-------------------------------+-------------------------------+
 *  |                               | target hardware address (6)   |
 *  +-------------------------------+                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   target protocol address (4)                                 |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ArpFlyweight extends HeaderFlyweight
{
    /** Length of an IPv4-over-Ethernet ARP packet. */
    public static final int LENGTH = 28;
    /** Hardware type Ethernet. */
    public static final int HTYPE_ETHERNET = 1;
    /** Operation: request. */
    public static final int OP_REQUEST = 1;
    /** Operation: reply. */
    public static final int OP_REPLY = 2;

    /** Offset of the hardware type. */
    public static final int HTYPE_OFFSET = 0;
    /** Offset of the protocol type. */
    public static final int PTYPE_OFFSET = 2;
    /** Offset of the hardware address length. */
    public static final int HLEN_OFFSET = 4;
    /** Offset of the protocol address length. */
    public static final int PLEN_OFFSET = 5;
    /** Offset of the operation. */
    public static final int OPERATION_OFFSET = 6;
    /** Offset of the sender hardware address. */
    public static final int SHA_OFFSET = 8;
    /** Offset of the sender protocol address. */
    public static final int SPA_OFFSET = 14;
    /** Offset of the target hardware address. */
    public static final int THA_OFFSET = 18;
    /** Offset of the target protocol address. */
    public static final int TPA_OFFSET = 24;

    /** @return true when this is IPv4 over Ethernet with the usual lengths. */
    public boolean isEthernetIpv4()
    {
        return u16(HTYPE_OFFSET) == HTYPE_ETHERNET && u16(PTYPE_OFFSET) == EthernetFlyweight.ETHER_TYPE_IPV4 &&
            u8(HLEN_OFFSET) == 6 && u8(PLEN_OFFSET) == 4;
    }

    /** Writes the fixed fields of IPv4 over Ethernet: hardware and protocol types and lengths. */
    public ArpFlyweight ethernetIpv4()
    {
        u16(HTYPE_OFFSET, HTYPE_ETHERNET);
        u16(PTYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        u8(HLEN_OFFSET, 6);
        u8(PLEN_OFFSET, 4);
        return this;
    }

    /** @return the operation. */
    public int operation()
    {
        return u16(OPERATION_OFFSET);
    }

    /** @param op the operation. */
    public ArpFlyweight operation(final int op)
    {
        u16(OPERATION_OFFSET, op);
        return this;
    }

    /** @return sender hardware address. */
    public long senderMac()
    {
        return mac48(SHA_OFFSET);
    }

    /** @param mac sender hardware address. */
    public ArpFlyweight senderMac(final long mac)
    {
        mac48(SHA_OFFSET, mac);
        return this;
    }

    /** @return sender protocol address. */
    public int senderIp()
    {
        return i32(SPA_OFFSET);
    }

    /** @param ip sender protocol address. */
    public ArpFlyweight senderIp(final int ip)
    {
        i32(SPA_OFFSET, ip);
        return this;
    }

    /** @return target hardware address. */
    public long targetMac()
    {
        return mac48(THA_OFFSET);
    }

    /** @param mac target hardware address. */
    public ArpFlyweight targetMac(final long mac)
    {
        mac48(THA_OFFSET, mac);
        return this;
    }

    /** @return target protocol address. */
    public int targetIp()
    {
        return i32(TPA_OFFSET);
    }

    /** @param ip target protocol address. */
    public ArpFlyweight targetIp(final int ip)
    {
        i32(TPA_OFFSET, ip);
        return this;
    }
}
