package io.tandem.dataplane.packet;

/**
 * TCP header (RFC 9293) with its options.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-------------------------------+-------------------------------+
 *  |                        Sequence Number                        |
 *  +---------------------------------------------------------------+
 *  |                    Acknowledgment Number                      |
 *  +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 *  |  Data |       |C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *  +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-------------------------------+-------------------------------+
 *  |                    Options (data offset > 5)                  |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class TcpFlyweight extends HeaderFlyweight
{
    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Largest header: data offset 15. */
    public static final int MAX_HEADER_LENGTH = 60;

    /** FIN flag. */
    public static final int FIN = 0x01;
    /** SYN flag. */
    public static final int SYN = 0x02;
    /** RST flag. */
    public static final int RST = 0x04;
    /** PSH flag. */
    public static final int PSH = 0x08;
    /** ACK flag. */
    public static final int ACK = 0x10;
    /** URG flag. */
    public static final int URG = 0x20;
    /** ECE flag. */
    public static final int ECE = 0x40;
    /** CWR flag. */
    public static final int CWR = 0x80;

    /** Option kind: end of option list. */
    public static final int OPTION_EOL = 0;
    /** Option kind: no operation. */
    public static final int OPTION_NOP = 1;
    /** Option kind: maximum segment size. */
    public static final int OPTION_MSS = 2;
    /** Option kind: window scale. */
    public static final int OPTION_WINDOW_SCALE = 3;
    /** Option kind: SACK permitted. */
    public static final int OPTION_SACK_PERMITTED = 4;
    /** Option kind: SACK blocks. */
    public static final int OPTION_SACK = 5;
    /** Option kind: timestamps. */
    public static final int OPTION_TIMESTAMPS = 8;
    /** Returned by option lookups when the option is absent or the options are malformed. */
    public static final int NOT_PRESENT = -1;

    /** Offset of the source port. */
    public static final int SRC_PORT_OFFSET = 0;
    /** Offset of the destination port. */
    public static final int DST_PORT_OFFSET = 2;
    /** Offset of the sequence number. */
    public static final int SEQ_OFFSET = 4;
    /** Offset of the acknowledgement number. */
    public static final int ACK_OFFSET = 8;
    /** Offset of the data offset nibble. */
    public static final int DATA_OFFSET_OFFSET = 12;
    /** Offset of the flags byte. */
    public static final int FLAGS_OFFSET = 13;
    /** Offset of the window. */
    public static final int WINDOW_OFFSET = 14;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 16;
    /** Offset of the urgent pointer. */
    public static final int URGENT_OFFSET = 18;

    /** @return source port. */
    public int srcPort()
    {
        return u16(SRC_PORT_OFFSET);
    }

    /** @param port source port. */
    public TcpFlyweight srcPort(final int port)
    {
        u16(SRC_PORT_OFFSET, port);
        return this;
    }

    /** @return destination port. */
    public int dstPort()
    {
        return u16(DST_PORT_OFFSET);
    }

    /** @param port destination port. */
    public TcpFlyweight dstPort(final int port)
    {
        u16(DST_PORT_OFFSET, port);
        return this;
    }

    /** @return sequence number (compare with {@link io.tandem.dataplane.tcp.Seq}). */
    public int seq()
    {
        return i32(SEQ_OFFSET);
    }

    /** @param seq sequence number. */
    public TcpFlyweight seq(final int seq)
    {
        i32(SEQ_OFFSET, seq);
        return this;
    }

    /** @return acknowledgement number. */
    public int ack()
    {
        return i32(ACK_OFFSET);
    }

    /** @param ack acknowledgement number. */
    public TcpFlyweight ack(final int ack)
    {
        i32(ACK_OFFSET, ack);
        return this;
    }

    /** @return header length in bytes (data offset × 4). */
    public int headerLength()
    {
        return (u8(DATA_OFFSET_OFFSET) >>> 4) << 2;
    }

    /** @param length header length in bytes, a multiple of 4 from 20 to 60. */
    public TcpFlyweight headerLength(final int length)
    {
        u8(DATA_OFFSET_OFFSET, (length >>> 2) << 4);
        return this;
    }

    /** @return the flags byte (CWR..FIN). */
    public int flags()
    {
        return u8(FLAGS_OFFSET);
    }

    /** @param flags the flags byte. */
    public TcpFlyweight flags(final int flags)
    {
        u8(FLAGS_OFFSET, flags);
        return this;
    }

    /** @return window as sent (not scaled). */
    public int window()
    {
        return u16(WINDOW_OFFSET);
    }

    /** @param window window as sent. */
    public TcpFlyweight window(final int window)
    {
        u16(WINDOW_OFFSET, window);
        return this;
    }

    /** @return checksum as stored. */
    public int checksum()
    {
        return u16(CHECKSUM_OFFSET);
    }

    /** @param checksum checksum. */
    public TcpFlyweight checksum(final int checksum)
    {
        u16(CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** @return urgent pointer. */
    public int urgentPointer()
    {
        return u16(URGENT_OFFSET);
    }

    /** @param pointer urgent pointer. */
    public TcpFlyweight urgentPointer(final int pointer)
    {
        u16(URGENT_OFFSET, pointer);
        return this;
    }

    /**
     * Finds an option by kind, walking the option list with bounds checks.
     *
     * @param kind of the option.
     * @return offset of the option's kind byte in the buffer, or {@link #NOT_PRESENT} when it is absent or the
     * option list is malformed before it.
     */
    public int findOption(final int kind)
    {
        final int end = offset + headerLength();
        int i = offset + MIN_HEADER_LENGTH;
        while (i < end)
        {
            final int k = buffer.getByte(i) & 0xFF;
            if (OPTION_EOL == k)
            {
                return NOT_PRESENT;
            }
            if (OPTION_NOP == k)
            {
                i++;
                continue;
            }
            if (i + 1 >= end)
            {
                return NOT_PRESENT;
            }
            final int length = buffer.getByte(i + 1) & 0xFF;
            if (length < 2 || i + length > end)
            {
                return NOT_PRESENT;
            }
            if (k == kind)
            {
                return i;
            }
            i += length;
        }
        return NOT_PRESENT;
    }

    /**
     * @return true when the option list is well formed: every option but EOL and NOP has a length of at least two
     * that stays inside the header, and the known options have their fixed lengths.
     */
    public boolean isOptionListValid()
    {
        final int end = offset + headerLength();
        int i = offset + MIN_HEADER_LENGTH;
        while (i < end)
        {
            final int k = buffer.getByte(i) & 0xFF;
            if (OPTION_EOL == k)
            {
                return true;
            }
            if (OPTION_NOP == k)
            {
                i++;
                continue;
            }
            if (i + 1 >= end)
            {
                return false;
            }
            final int length = buffer.getByte(i + 1) & 0xFF;
            if (length < 2 || i + length > end || !hasValidLength(k, length))
            {
                return false;
            }
            i += length;
        }
        return true;
    }

    private static boolean hasValidLength(final int kind, final int length)
    {
        return switch (kind)
        {
            case OPTION_MSS -> length == 4;
            case OPTION_WINDOW_SCALE -> length == 3;
            case OPTION_SACK_PERMITTED -> length == 2;
            case OPTION_TIMESTAMPS -> length == 10;
            case OPTION_SACK -> length >= 10 && (length - 2) % 8 == 0;
            default -> true;
        };
    }

    /** @return the MSS option's value, or {@link #NOT_PRESENT}. */
    public int mss()
    {
        final int at = findOption(OPTION_MSS);
        return at == NOT_PRESENT || (buffer.getByte(at + 1) & 0xFF) != 4 ? NOT_PRESENT : Bytes.u16(buffer, at + 2);
    }

    /** @return the window scale shift, or {@link #NOT_PRESENT}. */
    public int windowScale()
    {
        final int at = findOption(OPTION_WINDOW_SCALE);
        return at == NOT_PRESENT || (buffer.getByte(at + 1) & 0xFF) != 3 ? NOT_PRESENT : buffer.getByte(at + 2) & 0xFF;
    }

    /** @return true when the SACK-permitted option is present. */
    public boolean isSackPermitted()
    {
        return findOption(OPTION_SACK_PERMITTED) != NOT_PRESENT;
    }

    /** @return offset of the timestamps option's kind byte, or {@link #NOT_PRESENT}. */
    public int timestampsOffset()
    {
        final int at = findOption(OPTION_TIMESTAMPS);
        return at == NOT_PRESENT || (buffer.getByte(at + 1) & 0xFF) != 10 ? NOT_PRESENT : at;
    }
}
