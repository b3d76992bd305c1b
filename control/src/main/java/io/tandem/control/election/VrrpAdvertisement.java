package io.tandem.control.election;

import io.tandem.dataplane.packet.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A VRRPv3 advertisement for IPv4 (RFC 5798 section 5) and its codec: what {@link #encode} writes is the IP payload
 * (the kernel writes the IPv4 header: protocol 112, TTL 255), what {@link #decode} reads is a whole IPv4 datagram as
 * a raw socket delivers it, and {@link #hasValidMac} checks the optional MAC trailer.
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPv4 Addr|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |(rsvd) |     Max Adver Int     |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     IPv4 Address (1 .. n)                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Tandem only, with a key: HMAC-SHA256, 32 bytes           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   version 3, type 1 (advertisement); Max Adver Int in centiseconds (12 bits)
 * </pre>
 * <b>Checksum</b> (RFC 5798 5.2.8): the Internet checksum over the IPv4 pseudo-header (source, destination, zero,
 * protocol 112, VRRP length) followed by the VRRP message, as keepalived computes it for version 3; for unicast the
 * destination is the peer's address. It covers the RFC message only ({@code 8 + 4 × count} bytes), never the MAC.
 * <p>
 * <b>MAC trailer</b> (a Tandem extension, only when a key is configured on both nodes): HMAC-SHA256 with the key over
 * the 12-byte pseudo-header and the RFC message (its checksum included), appended after the address list; the IPv4
 * total length covers it. Binding the source and destination addresses in makes an advertisement useless from any
 * other address. It does not stop a replay of a captured advertisement from the same source (the protocol has no
 * sequence number), whose worst case is a takeover for one Master_Down_Interval by replaying a priority-0
 * advertisement. keepalived counts a packet with a trailer as having the wrong length, so a key rules keepalived out.
 * <p>
 * Immutable; the address list is a copy. Addresses are IPv4 addresses as ints, most significant octet first.
 *
 * @param routerId            virtual router id (VRID), 1..255.
 * @param priority            0 (the master is leaving) .. 255.
 * @param maxAdvertIntervalCs the sender's advertisement interval in centiseconds, 0..4095.
 * @param addresses           the virtual router's IPv4 addresses, at most 255.
 */
public record VrrpAdvertisement(int routerId, int priority, int maxAdvertIntervalCs, List<Integer> addresses)
{
    /** IP protocol number of VRRP. */
    public static final int IP_PROTOCOL = 112;
    /** The VRRP multicast group for IPv4, 224.0.0.18. */
    public static final int MULTICAST_GROUP = 0xE000_0012;
    /** The only TTL VRRP sends and accepts. */
    public static final int TTL = 255;
    /** VRRP version written and accepted. */
    public static final int VERSION = 3;
    /** VRRP packet type: advertisement, the only one. */
    public static final int TYPE_ADVERTISEMENT = 1;
    /** Priority of the advertisement a master sends when it stops being master. */
    public static final int PRIORITY_SHUTDOWN = 0;
    /** Largest advertisement interval the 12-bit field holds, in centiseconds. */
    public static final int MAX_ADVERT_INTERVAL_CS = 0x0FFF;
    /** Most addresses the 8-bit count holds. */
    public static final int MAX_ADDRESSES = 255;
    /** Length of the MAC trailer. */
    public static final int MAC_LENGTH = 32;
    /** JCA name of the MAC. */
    public static final String MAC_ALGORITHM = "HmacSHA256";

    /** Length of the fixed part of the message. */
    public static final int HEADER_LENGTH = 8;
    /** Offset of version (high nibble) and type (low nibble). */
    public static final int VERSION_TYPE_OFFSET = 0;
    /** Offset of the virtual router id. */
    public static final int ROUTER_ID_OFFSET = 1;
    /** Offset of the priority. */
    public static final int PRIORITY_OFFSET = 2;
    /** Offset of the address count. */
    public static final int COUNT_OFFSET = 3;
    /** Offset of the 16-bit word whose low 12 bits are Max Adver Int (the high 4 are reserved, sent as 0). */
    public static final int MAX_ADVERT_INTERVAL_OFFSET = 4;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 6;
    /** Offset of the first address. */
    public static final int ADDRESSES_OFFSET = 8;

    /** Length of the IPv4 pseudo-header the checksum and the MAC cover. */
    public static final int PSEUDO_HEADER_LENGTH = 12;

    private static final int IPV4_MIN_HEADER_LENGTH = 20;
    private static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    private static final int IPV4_TTL_OFFSET = 8;
    private static final int IPV4_PROTOCOL_OFFSET = 9;
    private static final int IPV4_SRC_OFFSET = 12;
    private static final int IPV4_DST_OFFSET = 16;

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException naming the field out of range.
     */
    public VrrpAdvertisement
    {
        if (routerId < 1 || routerId > 255)
        {
            throw new IllegalArgumentException("routerId must be 1..255: " + routerId);
        }
        if (priority < 0 || priority > 255)
        {
            throw new IllegalArgumentException("priority must be 0..255: " + priority);
        }
        if (maxAdvertIntervalCs < 0 || maxAdvertIntervalCs > MAX_ADVERT_INTERVAL_CS)
        {
            throw new IllegalArgumentException("maxAdvertIntervalCs must be 0.." + MAX_ADVERT_INTERVAL_CS + ": " +
                maxAdvertIntervalCs);
        }
        addresses = List.copyOf(addresses);
        if (addresses.size() > MAX_ADDRESSES)
        {
            throw new IllegalArgumentException("addresses: at most " + MAX_ADDRESSES + ", not " + addresses.size());
        }
    }

    /** @return the length of the RFC message, {@code 8 + 4 × count}, without any MAC. */
    public int length()
    {
        return HEADER_LENGTH + 4 * addresses.size();
    }

    /** @return this advertisement with another priority, e.g. {@link #PRIORITY_SHUTDOWN}. */
    public VrrpAdvertisement withPriority(final int priority)
    {
        return new VrrpAdvertisement(routerId, priority, maxAdvertIntervalCs, addresses);
    }

    /**
     * Encodes the IP payload: the RFC message with its checksum, then the MAC when a key is given.
     *
     * @param source      the IPv4 source address the kernel will write (the sender's primary address).
     * @param destination 224.0.0.18, or the peer's address for unicast.
     * @param key         HMAC key, or null for none (the RFC format, as keepalived sends).
     * @return {@link #length()} bytes, plus {@link #MAC_LENGTH} with a key.
     */
    public byte[] encode(final int source, final int destination, final byte[] key)
    {
        final int length = length();
        final byte[] bytes = new byte[length + (null == key ? 0 : MAC_LENGTH)];
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        buffer.put(VERSION_TYPE_OFFSET, (byte)(VERSION << 4 | TYPE_ADVERTISEMENT));
        buffer.put(ROUTER_ID_OFFSET, (byte)routerId);
        buffer.put(PRIORITY_OFFSET, (byte)priority);
        buffer.put(COUNT_OFFSET, (byte)addresses.size());
        buffer.putShort(MAX_ADVERT_INTERVAL_OFFSET, (short)(maxAdvertIntervalCs & MAX_ADVERT_INTERVAL_CS));
        for (int i = 0; i < addresses.size(); i++)
        {
            buffer.putInt(ADDRESSES_OFFSET + 4 * i, addresses.get(i));
        }
        buffer.putShort(CHECKSUM_OFFSET, (short)checksum(bytes, 0, length, source, destination));
        if (null != key)
        {
            System.arraycopy(mac(key, bytes, 0, length, source, destination), 0, bytes, length, MAC_LENGTH);
        }
        return bytes;
    }

    /**
     * The checksum to store in a message whose checksum field is ignored (RFC 5798 5.2.8, with the pseudo-header).
     *
     * @param message     holding the message.
     * @param offset      of the message.
     * @param length      of the message: {@code 8 + 4 × count}.
     * @param source      IPv4 source of the datagram.
     * @param destination IPv4 destination of the datagram.
     * @return the checksum, 0..0xFFFF.
     */
    public static int checksum(
        final byte[] message, final int offset, final int length, final int source, final int destination)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(message);
        long sum = pseudoHeaderSum(source, destination, length);
        sum = Checksum.sum(buffer, offset, CHECKSUM_OFFSET, sum);
        sum = Checksum.sum(buffer, offset + CHECKSUM_OFFSET + 2, length - CHECKSUM_OFFSET - 2, sum);
        return Checksum.finish(sum);
    }

    private static long pseudoHeaderSum(final int source, final int destination, final int length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + IP_PROTOCOL +
            length;
    }

    private static byte[] mac(
        final byte[] key, final byte[] message, final int offset, final int length, final int source,
        final int destination)
    {
        final ByteBuffer pseudoHeader = ByteBuffer.allocate(PSEUDO_HEADER_LENGTH).order(ByteOrder.BIG_ENDIAN)
            .putInt(source).putInt(destination).put((byte)0).put((byte)IP_PROTOCOL).putShort((short)length)
            .flip();
        try
        {
            final Mac mac = Mac.getInstance(MAC_ALGORITHM);
            mac.init(new SecretKeySpec(key, MAC_ALGORITHM));
            mac.update(pseudoHeader);
            mac.update(message, offset, length);
            return mac.doFinal();
        }
        catch (final GeneralSecurityException ex)
        {
            // HmacSHA256 is one of the algorithms every Java platform must provide
            throw new IllegalStateException(MAC_ALGORITHM + " is not available", ex);
        }
    }

    /**
     * Decodes a received IPv4 datagram, checking what needs no configuration, in the order of RFC 5798 7.1: the IPv4
     * header, TTL 255, version 3 and type advertisement, the lengths and the checksum. The receiver checks the rest,
     * in this order: the virtual router id ({@link VrrpDropReason#WRONG_ROUTER_ID}), the source
     * ({@link VrrpDropReason#NOT_FROM_PEER}) and, with a key, {@link #hasValidMac}. Bytes after the address list
     * (a MAC) are not looked at here.
     *
     * @param packet the datagram from its IPv4 header on.
     * @param length of the datagram in {@code packet}.
     * @return the advertisement with the datagram's addresses and TTL, or the reason to drop it.
     */
    public static Received decode(final byte[] packet, final int length)
    {
        if (length < IPV4_MIN_HEADER_LENGTH || length > packet.length || (packet[0] & 0xF0) != 0x40)
        {
            return Received.dropped(VrrpDropReason.TOO_SHORT, 0, 0, 0);
        }
        final ByteBuffer ip = ByteBuffer.wrap(packet, 0, length).order(ByteOrder.BIG_ENDIAN);
        final int headerLength = (packet[0] & 0x0F) * 4;
        final int totalLength = ip.getShort(IPV4_TOTAL_LENGTH_OFFSET) & 0xFFFF;
        final int source = ip.getInt(IPV4_SRC_OFFSET);
        final int destination = ip.getInt(IPV4_DST_OFFSET);
        final int ttl = packet[IPV4_TTL_OFFSET] & 0xFF;
        if (headerLength < IPV4_MIN_HEADER_LENGTH || totalLength > length || totalLength < headerLength)
        {
            return Received.dropped(VrrpDropReason.TOO_SHORT, source, destination, ttl);
        }
        if (ttl != TTL)
        {
            return Received.dropped(VrrpDropReason.BAD_TTL, source, destination, ttl);
        }
        final int payloadLength = totalLength - headerLength;
        if (payloadLength < HEADER_LENGTH)
        {
            return Received.dropped(VrrpDropReason.TOO_SHORT, source, destination, ttl);
        }
        final int versionType = packet[headerLength + VERSION_TYPE_OFFSET] & 0xFF;
        if ((packet[IPV4_PROTOCOL_OFFSET] & 0xFF) != IP_PROTOCOL || versionType != (VERSION << 4 | TYPE_ADVERTISEMENT))
        {
            return Received.dropped(VrrpDropReason.BAD_VERSION_OR_TYPE, source, destination, ttl);
        }
        final int count = packet[headerLength + COUNT_OFFSET] & 0xFF;
        final int messageLength = HEADER_LENGTH + 4 * count;
        if (payloadLength < messageLength)
        {
            return Received.dropped(VrrpDropReason.TOO_SHORT, source, destination, ttl);
        }
        final int stored = ip.getShort(headerLength + CHECKSUM_OFFSET) & 0xFFFF;
        if (stored != checksum(packet, headerLength, messageLength, source, destination))
        {
            return Received.dropped(VrrpDropReason.BAD_CHECKSUM, source, destination, ttl);
        }
        final int routerId = packet[headerLength + ROUTER_ID_OFFSET] & 0xFF;
        if (routerId == 0)
        {
            // VRID 0 is no virtual router's (RFC 5798 5.2.3), so no receiver's either
            return Received.dropped(VrrpDropReason.WRONG_ROUTER_ID, source, destination, ttl);
        }
        final List<Integer> addresses = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            addresses.add(ip.getInt(headerLength + ADDRESSES_OFFSET + 4 * i));
        }
        final VrrpAdvertisement advertisement = new VrrpAdvertisement(
            routerId,
            packet[headerLength + PRIORITY_OFFSET] & 0xFF,
            ip.getShort(headerLength + MAX_ADVERT_INTERVAL_OFFSET) & MAX_ADVERT_INTERVAL_CS,
            addresses);
        return new Received(null, source, destination, ttl, advertisement);
    }

    /**
     * Checks the MAC trailer of a datagram that {@link #decode} accepted: exactly {@link #MAC_LENGTH} bytes after
     * the address list, equal (compared in constant time) to the HMAC-SHA256 of the pseudo-header and the message.
     *
     * @param packet the datagram from its IPv4 header on, accepted by {@link #decode}.
     * @param length of the datagram in {@code packet}.
     * @param key    the configured key.
     * @return true when the MAC is there and right.
     */
    public static boolean hasValidMac(final byte[] packet, final int length, final byte[] key)
    {
        final ByteBuffer ip = ByteBuffer.wrap(packet, 0, length).order(ByteOrder.BIG_ENDIAN);
        final int headerLength = (packet[0] & 0x0F) * 4;
        final int payloadLength = (ip.getShort(IPV4_TOTAL_LENGTH_OFFSET) & 0xFFFF) - headerLength;
        final int messageLength = HEADER_LENGTH + 4 * (packet[headerLength + COUNT_OFFSET] & 0xFF);
        if (payloadLength != messageLength + MAC_LENGTH)
        {
            return false;
        }
        final byte[] expected = mac(key, packet, headerLength, messageLength, ip.getInt(IPV4_SRC_OFFSET),
            ip.getInt(IPV4_DST_OFFSET));
        final byte[] actual = Arrays.copyOfRange(packet, headerLength + messageLength,
            headerLength + messageLength + MAC_LENGTH);
        return MessageDigest.isEqual(expected, actual);
    }

    /**
     * A decoded datagram: the advertisement, or why it was dropped.
     *
     * @param dropReason         null when the advertisement passed every check {@link #decode} makes.
     * @param sourceAddress      IPv4 source of the datagram (0 when the header was unreadable).
     * @param destinationAddress IPv4 destination of the datagram.
     * @param ttl                IPv4 TTL of the datagram.
     * @param advertisement      the advertisement; null when dropped.
     */
    public record Received(
        VrrpDropReason dropReason, int sourceAddress, int destinationAddress, int ttl,
        VrrpAdvertisement advertisement)
    {
        static Received dropped(final VrrpDropReason reason, final int source, final int destination, final int ttl)
        {
            return new Received(Objects.requireNonNull(reason), source, destination, ttl, null);
        }

        /** @return true when the advertisement passed every check {@link #decode} makes. */
        public boolean isAccepted()
        {
            return null == dropReason;
        }
    }
}
