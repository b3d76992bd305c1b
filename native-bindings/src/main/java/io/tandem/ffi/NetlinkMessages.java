package io.tandem.ffi;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.tandem.ffi.RtNetlink.NLMSGHDR_LENGTH;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Encodes rtnetlink requests and decodes replies and notifications, on plain memory segments: no socket, so every
 * path is testable (and fuzzable) on crafted bytes, including {@code MemorySegment.ofArray(byte[])}. Layouts are
 * those of {@link RtNetlink}; netlink headers and attributes are in host byte order, addresses in network order.
 * <p>
 * Decoding is bounds-checked throughout: a datagram or message that is truncated, whose lengths point past its end,
 * or that lacks what its type requires throws {@link NetlinkFormatException}; nothing reads outside the segment it
 * was given and every loop advances by at least four bytes. Stateless; thread-safe.
 */
public final class NetlinkMessages
{
    private static final int IFNAMSIZ = 16;

    private NetlinkMessages()
    {
    }

    /** @return {@code length} rounded up to {@link RtNetlink#NLMSG_ALIGNTO}. */
    public static long align(final long length)
    {
        return (length + RtNetlink.NLMSG_ALIGNTO - 1) & ~(long)(RtNetlink.NLMSG_ALIGNTO - 1);
    }

    /**
     * Splits a datagram into its messages, checking each header.
     *
     * @param datagram exactly the bytes received.
     * @return one slice per message, each exactly {@code nlmsg_len} long.
     * @throws NetlinkFormatException when a header is truncated or its length is shorter than a header or runs past
     *                                the datagram.
     */
    public static List<MemorySegment> split(final MemorySegment datagram)
    {
        final List<MemorySegment> messages = new ArrayList<>();
        final long size = datagram.byteSize();
        long offset = 0;
        while (offset < size)
        {
            final long remaining = size - offset;
            if (remaining < NLMSGHDR_LENGTH)
            {
                throw new NetlinkFormatException("truncated nlmsghdr: " + remaining + " byte(s) at offset " + offset +
                    ", a header has " + NLMSGHDR_LENGTH);
            }
            final long length = Integer.toUnsignedLong(
                datagram.get(JAVA_INT_UNALIGNED, offset + RtNetlink.NLMSG_LEN_OFFSET));
            if (length < NLMSGHDR_LENGTH)
            {
                throw new NetlinkFormatException("nlmsg_len " + length + " at offset " + offset +
                    " is shorter than the header (" + NLMSGHDR_LENGTH + ")");
            }
            if (length > remaining)
            {
                throw new NetlinkFormatException("nlmsg_len " + length + " at offset " + offset + " runs past the " +
                    "end of the datagram (" + remaining + " byte(s) remain)");
            }
            messages.add(datagram.asSlice(offset, length));
            offset += align(length);
        }
        return messages;
    }

    /** @return the message's {@code nlmsg_type}. */
    public static int type(final MemorySegment message)
    {
        checkHeader(message);
        return message.get(JAVA_SHORT_UNALIGNED, RtNetlink.NLMSG_TYPE_OFFSET) & 0xffff;
    }

    /** @return the message's {@code nlmsg_flags}. */
    public static int flags(final MemorySegment message)
    {
        checkHeader(message);
        return message.get(JAVA_SHORT_UNALIGNED, RtNetlink.NLMSG_FLAGS_OFFSET) & 0xffff;
    }

    /** @return the message's {@code nlmsg_seq}. */
    public static int sequence(final MemorySegment message)
    {
        checkHeader(message);
        return message.get(JAVA_INT_UNALIGNED, RtNetlink.NLMSG_SEQ_OFFSET);
    }

    /**
     * @return the first byte of the payload: the address family of ifinfomsg, ifaddrmsg and ndmsg.
     * @throws NetlinkFormatException when there is no payload.
     */
    public static int family(final MemorySegment message)
    {
        requirePayload(message, 1);
        return message.get(JAVA_BYTE, NLMSGHDR_LENGTH) & 0xff;
    }

    /**
     * Decodes an RTM_NEWLINK or RTM_DELLINK message.
     *
     * @throws NetlinkFormatException when it is shorter than nlmsghdr + ifinfomsg, an attribute is malformed, or the
     *                                name is missing.
     */
    public static RtNetlinkLink parseLink(final MemorySegment message)
    {
        final long end = requirePayload(message, RtNetlink.IFINFOMSG_LENGTH);
        final String context = typeName(type(message));
        final long base = NLMSGHDR_LENGTH;
        final int linkType = message.get(JAVA_SHORT_UNALIGNED, base + RtNetlink.IFI_TYPE_OFFSET) & 0xffff;
        final int index = message.get(JAVA_INT_UNALIGNED, base + RtNetlink.IFI_INDEX_OFFSET);
        final int flags = message.get(JAVA_INT_UNALIGNED, base + RtNetlink.IFI_FLAGS_OFFSET);
        final NetlinkAttributes attributes = NetlinkAttributes.parse(
            context, message, base + align(RtNetlink.IFINFOMSG_LENGTH), end, RtNetlink.IFLA_LINKINFO);
        final String name = attributes.string(RtNetlink.IFLA_IFNAME, null);
        if (null == name)
        {
            throw new NetlinkFormatException(context + " ifindex " + index + ": no IFLA_IFNAME");
        }
        final NetlinkAttributes info = attributes.nested(RtNetlink.IFLA_LINKINFO, RtNetlink.IFLA_INFO_KIND);
        return new RtNetlinkLink(
            index,
            name,
            linkType,
            flags,
            attributes.u32(RtNetlink.IFLA_MTU, 0),
            attributes.mac(RtNetlink.IFLA_ADDRESS, RtNetlinkLink.NO_MAC),
            attributes.u8(RtNetlink.IFLA_OPERSTATE, RtNetlink.IF_OPER_UNKNOWN),
            null == info ? "" : info.string(RtNetlink.IFLA_INFO_KIND, ""));
    }

    /**
     * Decodes an RTM_NEWADDR or RTM_DELADDR message of family AF_INET. The address is IFA_LOCAL, or IFA_ADDRESS when
     * there is no IFA_LOCAL; the flags are IFA_FLAGS when present (all 32 bits), else ifa_flags.
     *
     * @throws NetlinkFormatException when it is not AF_INET, is shorter than nlmsghdr + ifaddrmsg, an attribute is
     *                                malformed, or it has no 4-byte address.
     */
    public static RtNetlinkAddress parseAddress(final MemorySegment message)
    {
        final long end = requirePayload(message, RtNetlink.IFADDRMSG_LENGTH);
        final String context = typeName(type(message));
        final long base = NLMSGHDR_LENGTH;
        requireFamily(message, context, RtNetlink.AF_INET);
        final int prefixLength = message.get(JAVA_BYTE, base + RtNetlink.IFA_PREFIXLEN_OFFSET) & 0xff;
        final int flags = message.get(JAVA_BYTE, base + RtNetlink.IFA_FLAGS_OFFSET) & 0xff;
        final int scope = message.get(JAVA_BYTE, base + RtNetlink.IFA_SCOPE_OFFSET) & 0xff;
        final int index = message.get(JAVA_INT_UNALIGNED, base + RtNetlink.IFA_INDEX_OFFSET);
        final NetlinkAttributes attributes = NetlinkAttributes.parse(
            context, message, base + align(RtNetlink.IFADDRMSG_LENGTH), end, RtNetlink.IFA_FLAGS);
        final int address = attributes.ipv4(
            attributes.has(RtNetlink.IFA_LOCAL) ? RtNetlink.IFA_LOCAL : RtNetlink.IFA_ADDRESS);
        return new RtNetlinkAddress(
            index,
            address,
            prefixLength,
            attributes.string(RtNetlink.IFA_LABEL, ""),
            attributes.u32(RtNetlink.IFA_FLAGS, flags),
            scope);
    }

    /**
     * Decodes an RTM_NEWNEIGH or RTM_DELNEIGH message of family AF_INET.
     *
     * @throws NetlinkFormatException when it is not AF_INET, is shorter than nlmsghdr + ndmsg, an attribute is
     *                                malformed, or NDA_DST is missing or not 4 bytes.
     */
    public static RtNetlinkNeighbour parseNeighbour(final MemorySegment message)
    {
        final long end = requirePayload(message, RtNetlink.NDMSG_LENGTH);
        final String context = typeName(type(message));
        final long base = NLMSGHDR_LENGTH;
        requireFamily(message, context, RtNetlink.AF_INET);
        final int index = message.get(JAVA_INT_UNALIGNED, base + RtNetlink.NDM_IFINDEX_OFFSET);
        final int state = message.get(JAVA_SHORT_UNALIGNED, base + RtNetlink.NDM_STATE_OFFSET) & 0xffff;
        final int flags = message.get(JAVA_BYTE, base + RtNetlink.NDM_FLAGS_OFFSET) & 0xff;
        final NetlinkAttributes attributes = NetlinkAttributes.parse(
            context, message, base + align(RtNetlink.NDMSG_LENGTH), end, RtNetlink.NDA_LLADDR);
        return new RtNetlinkNeighbour(
            index,
            attributes.ipv4(RtNetlink.NDA_DST),
            attributes.mac(RtNetlink.NDA_LLADDR, RtNetlinkNeighbour.NO_MAC),
            state,
            flags);
    }

    /**
     * @return the error of an NLMSG_ERROR message: 0 for an acknowledgement, else -errno.
     * @throws NetlinkFormatException when it is shorter than nlmsghdr + nlmsgerr or the error is not 0 or -errno.
     */
    public static int errorCode(final MemorySegment message)
    {
        requirePayload(message, RtNetlink.NLMSGERR_LENGTH);
        final int error = message.get(JAVA_INT_UNALIGNED, NLMSGHDR_LENGTH + RtNetlink.NLMSGERR_ERROR_OFFSET);
        if (error > 0 || error < -4095)
        {
            throw new NetlinkFormatException("NLMSG_ERROR: error " + error + " is neither 0 nor -errno");
        }
        return error;
    }

    /**
     * @return the kernel's extended-ack message (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR message, or null when it has
     * none.
     * @throws NetlinkFormatException when the echoed request or the TLVs run past the message.
     */
    public static String extAckMessage(final MemorySegment message)
    {
        final long end = requirePayload(message, RtNetlink.NLMSGERR_LENGTH);
        final int flags = flags(message);
        if ((flags & RtNetlink.NLM_F_ACK_TLVS) == 0)
        {
            return null;
        }
        final long tlvs;
        if ((flags & RtNetlink.NLM_F_CAPPED) != 0)
        {
            tlvs = NLMSGHDR_LENGTH + RtNetlink.NLMSGERR_LENGTH;
        }
        else
        {
            final long echoed = Integer.toUnsignedLong(message.get(
                JAVA_INT_UNALIGNED, NLMSGHDR_LENGTH + RtNetlink.NLMSGERR_MSG_OFFSET + RtNetlink.NLMSG_LEN_OFFSET));
            tlvs = NLMSGHDR_LENGTH + RtNetlink.NLMSGERR_MSG_OFFSET + align(echoed);
        }
        if (tlvs > end)
        {
            throw new NetlinkFormatException("NLMSG_ERROR: extended-ack attributes would start at " + tlvs +
                ", past the end of the " + end + "-byte message");
        }
        return NetlinkAttributes.parse("NLMSG_ERROR", message, tlvs, end, RtNetlink.NLMSGERR_ATTR_MSG)
            .string(RtNetlink.NLMSGERR_ATTR_MSG, null);
    }

    /** @return the error an NLMSG_DONE carries when a dump failed half-way (-errno), else 0. */
    public static int doneError(final MemorySegment message)
    {
        final long end = checkHeader(message);
        if (end - NLMSGHDR_LENGTH < 4)
        {
            return 0;
        }
        final int error = message.get(JAVA_INT_UNALIGNED, NLMSGHDR_LENGTH);
        return error < 0 && error >= -4095 ? error : 0;
    }

    /** @return the symbolic name of a message type, e.g. {@code RTM_NEWADDR}, or {@code type N}. */
    public static String typeName(final int type)
    {
        return switch (type)
        {
            case RtNetlink.NLMSG_NOOP -> "NLMSG_NOOP";
            case RtNetlink.NLMSG_ERROR -> "NLMSG_ERROR";
            case RtNetlink.NLMSG_DONE -> "NLMSG_DONE";
            case RtNetlink.NLMSG_OVERRUN -> "NLMSG_OVERRUN";
            case RtNetlink.RTM_NEWLINK -> "RTM_NEWLINK";
            case RtNetlink.RTM_DELLINK -> "RTM_DELLINK";
            case RtNetlink.RTM_GETLINK -> "RTM_GETLINK";
            case RtNetlink.RTM_NEWADDR -> "RTM_NEWADDR";
            case RtNetlink.RTM_DELADDR -> "RTM_DELADDR";
            case RtNetlink.RTM_GETADDR -> "RTM_GETADDR";
            case RtNetlink.RTM_NEWNEIGH -> "RTM_NEWNEIGH";
            case RtNetlink.RTM_DELNEIGH -> "RTM_DELNEIGH";
            case RtNetlink.RTM_GETNEIGH -> "RTM_GETNEIGH";
            default -> "type " + type;
        };
    }

    /**
     * Encodes a dump request: nlmsghdr (NLM_F_REQUEST | NLM_F_DUMP) and a zeroed fixed header with the family.
     *
     * @param headerLength length of the type's fixed header (ifinfomsg, ifaddrmsg, ndmsg).
     * @return the request's length.
     */
    static int encodeDump(
        final MemorySegment buffer, final int type, final int seq, final int family, final int headerLength)
    {
        final int length = NLMSGHDR_LENGTH + (int)align(headerLength);
        buffer.asSlice(0, length).fill((byte)0);
        putHeader(buffer, length, type, RtNetlink.NLM_F_REQUEST | RtNetlink.NLM_F_DUMP, seq);
        buffer.set(JAVA_BYTE, NLMSGHDR_LENGTH, (byte)family);
        return length;
    }

    /**
     * Encodes RTM_GETLINK for one link, by index or, when {@code name} is not null, by name.
     *
     * @return the request's length.
     */
    static int encodeGetLink(final MemorySegment buffer, final int seq, final int ifIndex, final String name)
    {
        int length = NLMSGHDR_LENGTH + RtNetlink.IFINFOMSG_LENGTH;
        buffer.asSlice(0, length).fill((byte)0);
        buffer.set(JAVA_INT_UNALIGNED, NLMSGHDR_LENGTH + RtNetlink.IFI_INDEX_OFFSET, ifIndex);
        if (null != name)
        {
            final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (bytes.length == 0 || bytes.length >= IFNAMSIZ || name.indexOf('\0') >= 0)
            {
                throw new IllegalArgumentException("not an interface name: '" + name + "'");
            }
            final byte[] terminated = new byte[bytes.length + 1];
            System.arraycopy(bytes, 0, terminated, 0, bytes.length);
            length = putAttribute(buffer, length, RtNetlink.IFLA_IFNAME, terminated);
        }
        putHeader(buffer, length, RtNetlink.RTM_GETLINK, RtNetlink.NLM_F_REQUEST, seq);
        return length;
    }

    /**
     * Encodes RTM_NEWADDR or RTM_DELADDR of an IPv4 address: ifaddrmsg (scope global) with IFA_LOCAL and IFA_ADDRESS,
     * as iproute2 sends them.
     *
     * @return the request's length.
     */
    static int encodeAddress(
        final MemorySegment buffer, final int type, final int flags, final int seq, final int ifIndex,
        final int address, final int prefixLength)
    {
        return encodeAddress(buffer, type, flags, seq, ifIndex, address, prefixLength, RtNetlink.INFINITE_LIFETIME);
    }

    /**
     * As {@link #encodeAddress(MemorySegment, int, int, int, int, int, int)}, with IFA_CACHEINFO giving both
     * lifetimes {@code validSeconds} unless it is {@link RtNetlink#INFINITE_LIFETIME}.
     */
    static int encodeAddress(
        final MemorySegment buffer, final int type, final int flags, final int seq, final int ifIndex,
        final int address, final int prefixLength, final int validSeconds)
    {
        int length = NLMSGHDR_LENGTH + RtNetlink.IFADDRMSG_LENGTH;
        buffer.asSlice(0, length).fill((byte)0);
        buffer.set(JAVA_BYTE, NLMSGHDR_LENGTH + RtNetlink.IFA_FAMILY_OFFSET, (byte)RtNetlink.AF_INET);
        buffer.set(JAVA_BYTE, NLMSGHDR_LENGTH + RtNetlink.IFA_PREFIXLEN_OFFSET, (byte)prefixLength);
        buffer.set(JAVA_INT_UNALIGNED, NLMSGHDR_LENGTH + RtNetlink.IFA_INDEX_OFFSET, ifIndex);
        length = putAttribute(buffer, length, RtNetlink.IFA_LOCAL, ipv4Bytes(address));
        length = putAttribute(buffer, length, RtNetlink.IFA_ADDRESS, ipv4Bytes(address));
        if (RtNetlink.INFINITE_LIFETIME != validSeconds)
        {
            final byte[] cacheInfo = new byte[RtNetlink.IFA_CACHEINFO_LENGTH];
            final java.nio.ByteBuffer info = java.nio.ByteBuffer.wrap(cacheInfo).order(java.nio.ByteOrder.nativeOrder());
            info.putInt(0, validSeconds).putInt(4, validSeconds);
            length = putAttribute(buffer, length, RtNetlink.IFA_CACHEINFO, cacheInfo);
        }
        putHeader(buffer, length, type, flags, seq);
        return length;
    }

    /**
     * Encodes the "resolve this neighbour" request: RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
     * NLM_F_REPLACE, ndmsg (AF_INET, state NUD_NONE, flags NTF_USE) and NDA_DST.
     *
     * @return the request's length.
     */
    static int encodeNeighbourUse(final MemorySegment buffer, final int seq, final int ifIndex, final int address)
    {
        int length = NLMSGHDR_LENGTH + RtNetlink.NDMSG_LENGTH;
        buffer.asSlice(0, length).fill((byte)0);
        buffer.set(JAVA_BYTE, NLMSGHDR_LENGTH + RtNetlink.NDM_FAMILY_OFFSET, (byte)RtNetlink.AF_INET);
        buffer.set(JAVA_INT_UNALIGNED, NLMSGHDR_LENGTH + RtNetlink.NDM_IFINDEX_OFFSET, ifIndex);
        buffer.set(JAVA_SHORT_UNALIGNED, NLMSGHDR_LENGTH + RtNetlink.NDM_STATE_OFFSET, (short)RtNetlink.NUD_NONE);
        buffer.set(JAVA_BYTE, NLMSGHDR_LENGTH + RtNetlink.NDM_FLAGS_OFFSET, (byte)RtNetlink.NTF_USE);
        length = putAttribute(buffer, length, RtNetlink.NDA_DST, ipv4Bytes(address));
        putHeader(buffer, length, RtNetlink.RTM_NEWNEIGH,
            RtNetlink.NLM_F_REQUEST | RtNetlink.NLM_F_ACK | RtNetlink.NLM_F_CREATE | RtNetlink.NLM_F_REPLACE, seq);
        return length;
    }

    /** Writes an nlmsghdr at offset 0 (port id 0: the kernel fills in the sender's). */
    static void putHeader(final MemorySegment buffer, final int length, final int type, final int flags, final int seq)
    {
        buffer.set(JAVA_INT_UNALIGNED, RtNetlink.NLMSG_LEN_OFFSET, length);
        buffer.set(JAVA_SHORT_UNALIGNED, RtNetlink.NLMSG_TYPE_OFFSET, (short)type);
        buffer.set(JAVA_SHORT_UNALIGNED, RtNetlink.NLMSG_FLAGS_OFFSET, (short)flags);
        buffer.set(JAVA_INT_UNALIGNED, RtNetlink.NLMSG_SEQ_OFFSET, seq);
        buffer.set(JAVA_INT_UNALIGNED, RtNetlink.NLMSG_PID_OFFSET, 0);
    }

    /**
     * Writes an attribute with its padding zeroed.
     *
     * @return the offset after it, aligned.
     */
    static int putAttribute(final MemorySegment buffer, final int offset, final int type, final byte[] value)
    {
        final int length = RtNetlink.RTATTR_LENGTH + value.length;
        final int next = offset + (int)align(length);
        buffer.asSlice(offset, next - offset).fill((byte)0);
        buffer.set(JAVA_SHORT_UNALIGNED, offset + RtNetlink.RTA_LEN_OFFSET, (short)length);
        buffer.set(JAVA_SHORT_UNALIGNED, offset + RtNetlink.RTA_TYPE_OFFSET, (short)type);
        MemorySegment.copy(value, 0, buffer, JAVA_BYTE, offset + RtNetlink.RTATTR_LENGTH, value.length);
        return next;
    }

    private static byte[] ipv4Bytes(final int address)
    {
        return new byte[]{(byte)(address >>> 24), (byte)(address >>> 16), (byte)(address >>> 8), (byte)address};
    }

    /** @return 198.18.0.1 for {@code 0xC6120001}. */
    public static String formatIpv4(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." +
            (address & 0xff);
    }

    /**
     * @param text a dotted quad such as {@code 198.18.0.1}.
     * @return the address as an int, {@code 0xC6120001}.
     * @throws IllegalArgumentException when it is not a dotted quad.
     */
    public static int parseIpv4(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int address = 0;
        for (final String part : parts)
        {
            final int value;
            try
            {
                value = Integer.parseInt(part);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text, ex);
            }
            if (part.isEmpty() || part.length() > 3 || value < 0 || value > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            address = (address << 8) | value;
        }
        return address;
    }

    /** @return {@code aa:bb:cc:dd:ee:ff} for the low 48 bits of {@code mac}. */
    public static String formatMac(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int b = (int)(mac >>> shift) & 0xff;
            text.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
            if (shift > 0)
            {
                text.append(':');
            }
        }
        return text.toString();
    }

    /**
     * @param text six colon-separated hex bytes, e.g. {@code 02:00:00:00:00:09}.
     * @return the MAC in the low 48 bits.
     * @throws IllegalArgumentException when it is not.
     */
    public static long parseMac(final String text)
    {
        final String[] parts = text.split(":", -1);
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 2)
            {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            try
            {
                mac = (mac << 8) | Integer.parseInt(part, 16);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a MAC address: " + text, ex);
            }
        }
        return mac;
    }

    private static void requireFamily(final MemorySegment message, final String context, final int family)
    {
        final int actual = family(message);
        if (actual != family)
        {
            throw new NetlinkFormatException(context + ": family " + actual + ", expected " + family);
        }
    }

    /**
     * @return the message's length ({@code nlmsg_len}) after checking that it has a payload of {@code bytes}.
     */
    private static long requirePayload(final MemorySegment message, final int bytes)
    {
        final long end = checkHeader(message);
        if (end - NLMSGHDR_LENGTH < bytes)
        {
            final int type = message.get(JAVA_SHORT_UNALIGNED, RtNetlink.NLMSG_TYPE_OFFSET) & 0xffff;
            throw new NetlinkFormatException(typeName(type) + " of " + end + " bytes is too short for nlmsghdr + " +
                "its " + bytes + "-byte header");
        }
        return end;
    }

    /** @return {@code nlmsg_len}, after checking that the header is there and the length fits the segment. */
    private static long checkHeader(final MemorySegment message)
    {
        if (message.byteSize() < NLMSGHDR_LENGTH)
        {
            throw new NetlinkFormatException("truncated nlmsghdr: " + message.byteSize() + " byte(s), a header has " +
                NLMSGHDR_LENGTH);
        }
        final long length = Integer.toUnsignedLong(message.get(JAVA_INT_UNALIGNED, RtNetlink.NLMSG_LEN_OFFSET));
        if (length < NLMSGHDR_LENGTH || length > message.byteSize())
        {
            throw new NetlinkFormatException("nlmsg_len " + length + " does not fit the " + message.byteSize() +
                "-byte message");
        }
        return length;
    }
}
