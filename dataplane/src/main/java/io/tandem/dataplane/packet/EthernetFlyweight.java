package io.tandem.dataplane.packet;

/**
 * Ethernet II header.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    destination MAC (6 bytes)                  |
 *  +                               +-------------------------------+
 *  |                               |                               |
 *  +-------------------------------+                               +
 *  |                      source MAC (6 bytes)                     |
 *  +-------------------------------+-------------------------------+
 *  |          EtherType            |  payload ...
 *  +-------------------------------+
 * </pre>
 */
public final class EthernetFlyweight extends HeaderFlyweight
{
    /** Length of the header without VLAN tags. */
    public static final int HEADER_LENGTH = 14;
    /** EtherType of IPv4. */
    public static final int ETHER_TYPE_IPV4 = 0x0800;
    /** EtherType of ARP. */
    public static final int ETHER_TYPE_ARP = 0x0806;
    /** EtherType of an 802.1Q VLAN tag. */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    /** EtherType of IPv6. */
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    /** The broadcast MAC address. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    /** Offset of the destination MAC. */
    public static final int DST_MAC_OFFSET = 0;
    /** Offset of the source MAC. */
    public static final int SRC_MAC_OFFSET = 6;
    /** Offset of the EtherType. */
    public static final int ETHER_TYPE_OFFSET = 12;

    /** @return destination MAC in the low 48 bits. */
    public long dstMac()
    {
        return mac48(DST_MAC_OFFSET);
    }

    /** @param mac destination MAC in the low 48 bits. */
    public EthernetFlyweight dstMac(final long mac)
    {
        mac48(DST_MAC_OFFSET, mac);
        return this;
    }

    /** @return source MAC in the low 48 bits. */
    public long srcMac()
    {
        return mac48(SRC_MAC_OFFSET);
    }

    /** @param mac source MAC in the low 48 bits. */
    public EthernetFlyweight srcMac(final long mac)
    {
        mac48(SRC_MAC_OFFSET, mac);
        return this;
    }

    /** @return the EtherType. */
    public int etherType()
    {
        return u16(ETHER_TYPE_OFFSET);
    }

    /** @param etherType the EtherType. */
    public EthernetFlyweight etherType(final int etherType)
    {
        u16(ETHER_TYPE_OFFSET, etherType);
        return this;
    }
}
