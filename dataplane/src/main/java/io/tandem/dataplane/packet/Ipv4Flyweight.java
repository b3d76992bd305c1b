package io.tandem.dataplane.packet;

/**
 * IPv4 header (RFC 791). Addresses are held in an {@code int} whose most significant byte is the first octet.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |    DSCP/ECN   |          Total Length         |
 *  +-------+-------+---------------+-----+-------------------------+
 *  |         Identification        |Flags|     Fragment Offset     |
 *  +---------------+---------------+-----+-------------------------+
 *  |  Time to Live |    Protocol   |        Header Checksum        |
 *  +---------------+---------------+-------------------------------+
 *  |                       Source Address                          |
 *  +---------------------------------------------------------------+
 *  |                    Destination Address                        |
 *  +---------------------------------------------------------------+
 *  |                    Options (IHL > 5)                          |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class Ipv4Flyweight extends HeaderFlyweight
{
    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** IP protocol number of TCP. */
    public static final int PROTOCOL_TCP = 6;
    /** IP protocol number of ICMP. */
    public static final int PROTOCOL_ICMP = 1;
    /** IP protocol number of VRRP. */
    public static final int PROTOCOL_VRRP = 112;
    /** Don't-fragment flag in the flags/fragment-offset word. */
    public static final int FLAG_DF = 0x4000;
    /** More-fragments flag in the flags/fragment-offset word. */
    public static final int FLAG_MF = 0x2000;
    /** Mask of the fragment offset in the flags/fragment-offset word. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    /** Offset of version and IHL. */
    public static final int VERSION_IHL_OFFSET = 0;
    /** Offset of DSCP/ECN. */
    public static final int TOS_OFFSET = 1;
    /** Offset of the total length. */
    public static final int TOTAL_LENGTH_OFFSET = 2;
    /** Offset of the identification. */
    public static final int ID_OFFSET = 4;
    /** Offset of the flags and fragment offset. */
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    /** Offset of the TTL. */
    public static final int TTL_OFFSET = 8;
    /** Offset of the protocol. */
    public static final int PROTOCOL_OFFSET = 9;
    /** Offset of the header checksum. */
    public static final int CHECKSUM_OFFSET = 10;
    /** Offset of the source address. */
    public static final int SRC_OFFSET = 12;
    /** Offset of the destination address. */
    public static final int DST_OFFSET = 16;

    /** @return the version nibble (4 for IPv4). */
    public int version()
    {
        return u8(VERSION_IHL_OFFSET) >>> 4;
    }

    /** @return header length in bytes (IHL × 4). */
    public int headerLength()
    {
        return (u8(VERSION_IHL_OFFSET) & 0x0F) << 2;
    }

    /**
     * Writes version 4 and the header length.
     *
     * @param headerLength in bytes, a multiple of 4 from 20 to 60.
     */
    public Ipv4Flyweight versionAndHeaderLength(final int headerLength)
    {
        u8(VERSION_IHL_OFFSET, 0x40 | (headerLength >>> 2));
        return this;
    }

    /** @return DSCP and ECN byte. */
    public int tos()
    {
        return u8(TOS_OFFSET);
    }

    /** @param tos DSCP and ECN byte. */
    public Ipv4Flyweight tos(final int tos)
    {
        u8(TOS_OFFSET, tos);
        return this;
    }

    /** @return total length of the datagram in bytes. */
    public int totalLength()
    {
        return u16(TOTAL_LENGTH_OFFSET);
    }

    /** @param length total length of the datagram in bytes. */
    public Ipv4Flyweight totalLength(final int length)
    {
        u16(TOTAL_LENGTH_OFFSET, length);
        return this;
    }

    /** @return identification. */
    public int id()
    {
        return u16(ID_OFFSET);
    }

    /** @param id identification. */
    public Ipv4Flyweight id(final int id)
    {
        u16(ID_OFFSET, id);
        return this;
    }

    /** @return flags and fragment offset word. */
    public int flagsAndFragmentOffset()
    {
        return u16(FLAGS_FRAGMENT_OFFSET);
    }

    /** @param value flags and fragment offset word. */
    public Ipv4Flyweight flagsAndFragmentOffset(final int value)
    {
        u16(FLAGS_FRAGMENT_OFFSET, value);
        return this;
    }

    /** @return true when this datagram is a fragment: MF set or a non-zero fragment offset. */
    public boolean isFragment()
    {
        return (flagsAndFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    /** @return time to live. */
    public int ttl()
    {
        return u8(TTL_OFFSET);
    }

    /** @param ttl time to live. */
    public Ipv4Flyweight ttl(final int ttl)
    {
        u8(TTL_OFFSET, ttl);
        return this;
    }

    /** @return TTL and protocol as the one 16-bit word the header checksum sees. */
    public int ttlAndProtocol()
    {
        return u16(TTL_OFFSET);
    }

    /** @param word TTL in the high byte, protocol in the low byte. */
    public Ipv4Flyweight ttlAndProtocol(final int word)
    {
        u16(TTL_OFFSET, word);
        return this;
    }

    /** @return protocol number. */
    public int protocol()
    {
        return u8(PROTOCOL_OFFSET);
    }

    /** @param protocol protocol number. */
    public Ipv4Flyweight protocol(final int protocol)
    {
        u8(PROTOCOL_OFFSET, protocol);
        return this;
    }

    /** @return header checksum as stored. */
    public int checksum()
    {
        return u16(CHECKSUM_OFFSET);
    }

    /** @param checksum header checksum. */
    public Ipv4Flyweight checksum(final int checksum)
    {
        u16(CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** @return source address. */
    public int src()
    {
        return i32(SRC_OFFSET);
    }

    /** @param address source address. */
    public Ipv4Flyweight src(final int address)
    {
        i32(SRC_OFFSET, address);
        return this;
    }

    /** @return destination address. */
    public int dst()
    {
        return i32(DST_OFFSET);
    }

    /** @param address destination address. */
    public Ipv4Flyweight dst(final int address)
    {
        i32(DST_OFFSET, address);
        return this;
    }

    /** Computes and stores the header checksum over {@link #headerLength()} bytes. */
    public Ipv4Flyweight updateChecksum()
    {
        checksum(Checksum.ipv4Header(buffer, offset, headerLength()));
        return this;
    }

    /** @return true when the stored header checksum is correct. */
    public boolean isChecksumValid()
    {
        return Checksum.isValid(Checksum.sum(buffer, offset, headerLength(), 0));
    }
}
