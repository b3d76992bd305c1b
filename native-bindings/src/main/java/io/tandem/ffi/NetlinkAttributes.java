package io.tandem.ffi;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The attributes ({@code struct rtattr}, see {@link RtNetlink#RTATTR_LENGTH}) of one netlink message, indexed by type.
 * {@link #parse} walks them once and checks every length against the bytes there are, so the accessors never read
 * outside the attribute they read; an accessor that finds an attribute too short for its type throws
 * {@link NetlinkFormatException}. When a type repeats, the last one counts (as the kernel's nla_parse does).
 * <p>
 * A view over the segment it was parsed from: valid as long as the segment's bytes are. Not thread-safe.
 */
public final class NetlinkAttributes
{
    private static final long ABSENT = -1;

    private final String context;
    private final MemorySegment segment;
    private final long[] offsets;
    private final int[] lengths;

    private NetlinkAttributes(final String context, final MemorySegment segment, final int maxType)
    {
        this.context = context;
        this.segment = segment;
        this.offsets = new long[maxType + 1];
        this.lengths = new int[maxType + 1];
        Arrays.fill(offsets, ABSENT);
    }

    /**
     * Parses the attributes in {@code [from, to)} of {@code segment}.
     *
     * @param context names the message for error messages, e.g. {@code RTM_NEWLINK}.
     * @param maxType the highest type to keep; higher types are checked and skipped.
     * @return the attributes.
     * @throws NetlinkFormatException when an attribute is shorter than its header, runs past {@code to}, or stray
     *                                bytes too short for an attribute header follow the last one.
     */
    public static NetlinkAttributes parse(
        final String context, final MemorySegment segment, final long from, final long to, final int maxType)
    {
        if (from < 0 || from > to || to > segment.byteSize())
        {
            throw new NetlinkFormatException(context + ": attributes [" + from + ", " + to + ") lie outside the " +
                segment.byteSize() + " bytes of the message");
        }
        final NetlinkAttributes attributes = new NetlinkAttributes(context, segment, maxType);
        long offset = from;
        while (offset < to)
        {
            final long remaining = to - offset;
            if (remaining < RtNetlink.RTATTR_LENGTH)
            {
                throw new NetlinkFormatException(context + ": " + remaining + " stray byte(s) at offset " + offset +
                    ", too short for an attribute header (" + RtNetlink.RTATTR_LENGTH + ")");
            }
            final int length = segment.get(JAVA_SHORT_UNALIGNED, offset + RtNetlink.RTA_LEN_OFFSET) & 0xffff;
            final int type = segment.get(JAVA_SHORT_UNALIGNED, offset + RtNetlink.RTA_TYPE_OFFSET) &
                RtNetlink.NLA_TYPE_MASK;
            if (length < RtNetlink.RTATTR_LENGTH)
            {
                // A zero length would never advance: the classic netlink parser's infinite loop.
                throw new NetlinkFormatException(context + ": attribute type " + type + " at offset " + offset +
                    " has length " + length + ", shorter than its own header (" + RtNetlink.RTATTR_LENGTH + ")");
            }
            if (length > remaining)
            {
                throw new NetlinkFormatException(context + ": attribute type " + type + " at offset " + offset +
                    " has length " + length + " but only " + remaining + " byte(s) remain");
            }
            if (type <= maxType)
            {
                attributes.offsets[type] = offset + RtNetlink.RTATTR_LENGTH;
                attributes.lengths[type] = length - RtNetlink.RTATTR_LENGTH;
            }
            // The last attribute may lack its padding: the step past 'to' then ends the loop.
            offset += NetlinkMessages.align(length);
        }
        return attributes;
    }

    /** @return whether the attribute is there. */
    public boolean has(final int type)
    {
        return offsets[checkType(type)] != ABSENT;
    }

    /** @return the value's length in bytes, or -1 when absent. */
    public int length(final int type)
    {
        return has(type) ? lengths[type] : -1;
    }

    /** @return the value's offset in the segment, or -1 when absent. */
    public long offset(final int type)
    {
        return offsets[checkType(type)];
    }

    /** @return the u8 value, or {@code absent}. */
    public int u8(final int type, final int absent)
    {
        return has(type) ? segment.get(JAVA_BYTE, require(type, 1)) & 0xff : absent;
    }

    /** @return the u32 value (host order), or {@code absent}. */
    public int u32(final int type, final int absent)
    {
        return has(type) ? segment.get(JAVA_INT_UNALIGNED, require(type, 4)) : absent;
    }

    /**
     * @return the IPv4 address (4 bytes, network order) as an int read big-endian.
     * @throws NetlinkFormatException when absent or not 4 bytes long.
     */
    public int ipv4(final int type)
    {
        if (!has(type))
        {
            throw new NetlinkFormatException(context + ": attribute type " + type + " (an IPv4 address) is missing");
        }
        if (lengths[type] != 4)
        {
            throw new NetlinkFormatException(context + ": attribute type " + type + " has " + lengths[type] +
                " bytes, an IPv4 address has 4");
        }
        return segment.get(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), offsets[type]);
    }

    /**
     * @return the 6-byte hardware address in the low 48 bits, or {@code absent} when the attribute is absent or not
     * 6 bytes long (not an Ethernet address: e.g. a tunnel's).
     */
    public long mac(final int type, final long absent)
    {
        if (!has(type) || lengths[type] != 6)
        {
            return absent;
        }
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (segment.get(JAVA_BYTE, offsets[type] + i) & 0xff);
        }
        return mac;
    }

    /**
     * @return the string up to its first NUL (or the whole value when there is none), UTF-8; or {@code absent}.
     */
    public String string(final int type, final String absent)
    {
        if (!has(type))
        {
            return absent;
        }
        final int length = lengths[type];
        int end = 0;
        while (end < length && segment.get(JAVA_BYTE, offsets[type] + end) != 0)
        {
            end++;
        }
        final byte[] bytes = new byte[end];
        MemorySegment.copy(segment, JAVA_BYTE, offsets[type], bytes, 0, end);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * @param maxType the highest nested type to keep.
     * @return the attributes nested in this one, or null when it is absent.
     * @throws NetlinkFormatException when they do not parse.
     */
    public NetlinkAttributes nested(final int type, final int maxType)
    {
        if (!has(type))
        {
            return null;
        }
        return parse(context + " attribute " + type, segment, offsets[type], offsets[type] + lengths[type], maxType);
    }

    private long require(final int type, final int bytes)
    {
        if (lengths[type] < bytes)
        {
            throw new NetlinkFormatException(context + ": attribute type " + type + " has " + lengths[type] +
                " byte(s), needs " + bytes);
        }
        return offsets[type];
    }

    private int checkType(final int type)
    {
        if (type < 0 || type >= offsets.length)
        {
            throw new IllegalArgumentException("attribute type " + type + " was not kept (max " +
                (offsets.length - 1) + ")");
        }
        return type;
    }
}
