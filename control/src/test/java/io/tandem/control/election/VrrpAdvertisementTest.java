package io.tandem.control.election;

import io.tandem.dataplane.packet.Bytes;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The codec against advertisements keepalived v2.2.7 sent (captured with tcpdump on a veth between two namespaces,
 * {@code vrrp_version 3}, {@code advert_int 0.1}, VRID 51, one virtual address 198.18.51.100), and every reason to
 * drop a datagram.
 */
class VrrpAdvertisementTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final int KEEPALIVED = Bytes.parseIpv4("198.18.51.1");
    private static final int PEER = Bytes.parseIpv4("198.18.51.2");
    private static final int VIP = Bytes.parseIpv4("198.18.51.100");
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** keepalived, multicast to 224.0.0.18, priority 100: the IPv4 datagram from the Ethernet frame's byte 14 on. */
    static final String KEEPALIVED_MULTICAST_PRIORITY_100 =
        "45c0002000010000ff70e186c6123301e0000012" + "31336401000a97a7c6123364";
    /** keepalived, unicast_src_ip 198.18.51.1, unicast_peer 198.18.51.2, priority 200. */
    static final String KEEPALIVED_UNICAST_PRIORITY_200 =
        "45c0002000010000ff70c884c6123301c6123302" + "3133c801000a1aa5c6123364";
    /** The same keepalived stopping (SIGTERM): its priority-0 advertisement. */
    static final String KEEPALIVED_UNICAST_PRIORITY_0 =
        "45c00020000d0000ff70c878c6123301c6123302" + "31330001000ae2a5c6123364";

    static byte[] hex(final String text)
    {
        return HEX.parseHex(text.replace(" ", ""));
    }

    /** An IPv4 header (20 bytes, or 24 with a NOP option word) in front of {@code payload}, protocol 112. */
    static byte[] ipv4(final int source, final int destination, final int ttl, final byte[] payload,
        final boolean withOption)
    {
        final int headerLength = withOption ? 24 : 20;
        final ByteBuffer buffer = ByteBuffer.allocate(headerLength + payload.length);
        buffer.put((byte)(0x40 | headerLength / 4)).put((byte)0xC0).putShort((short)(headerLength + payload.length))
            .putShort((short)1).putShort((short)0).put((byte)ttl).put((byte)VrrpAdvertisement.IP_PROTOCOL)
            .putShort((short)0).putInt(source).putInt(destination);
        if (withOption)
        {
            buffer.putInt(0x01010101);
        }
        buffer.put(payload);
        return buffer.array();
    }

    static byte[] ipv4(final int source, final int destination, final int ttl, final byte[] payload)
    {
        return ipv4(source, destination, ttl, payload, false);
    }

    private static VrrpAdvertisement.Received decode(final byte[] packet)
    {
        return VrrpAdvertisement.decode(packet, packet.length);
    }

    @Test
    void shouldDecodeKeepalivedsMulticastAdvertisement()
    {
        final VrrpAdvertisement.Received received = decode(hex(KEEPALIVED_MULTICAST_PRIORITY_100));
        assertTrue(received.isAccepted(), String.valueOf(received.dropReason()));
        assertEquals(KEEPALIVED, received.sourceAddress());
        assertEquals(VrrpAdvertisement.MULTICAST_GROUP, received.destinationAddress());
        assertEquals(255, received.ttl());
        assertEquals(new VrrpAdvertisement(51, 100, 10, List.of(VIP)), received.advertisement());
    }

    @Test
    void shouldDecodeKeepalivedsUnicastAndPriorityZeroAdvertisements()
    {
        final VrrpAdvertisement.Received master = decode(hex(KEEPALIVED_UNICAST_PRIORITY_200));
        assertTrue(master.isAccepted());
        assertEquals(PEER, master.destinationAddress());
        assertEquals(new VrrpAdvertisement(51, 200, 10, List.of(VIP)), master.advertisement());

        final VrrpAdvertisement.Received leaving = decode(hex(KEEPALIVED_UNICAST_PRIORITY_0));
        assertTrue(leaving.isAccepted());
        assertEquals(VrrpAdvertisement.PRIORITY_SHUTDOWN, leaving.advertisement().priority());
    }

    @Test
    void shouldEncodeByteForByteWhatKeepalivedSends()
    {
        final VrrpAdvertisement advertisement = new VrrpAdvertisement(51, 100, 10, List.of(VIP));
        assertArrayEquals(payload(KEEPALIVED_MULTICAST_PRIORITY_100),
            advertisement.encode(KEEPALIVED, VrrpAdvertisement.MULTICAST_GROUP, null));
        assertArrayEquals(payload(KEEPALIVED_UNICAST_PRIORITY_200),
            advertisement.withPriority(200).encode(KEEPALIVED, PEER, null), "unicast: the peer in the pseudo-header");
        assertArrayEquals(payload(KEEPALIVED_UNICAST_PRIORITY_0),
            advertisement.withPriority(0).encode(KEEPALIVED, PEER, null));
        assertEquals(12, advertisement.length());
    }

    private static byte[] payload(final String datagram)
    {
        final byte[] bytes = hex(datagram);
        return Arrays.copyOfRange(bytes, 20, bytes.length);
    }

    @Test
    void shouldRoundTripManyAddressesAndTheLargestInterval()
    {
        final List<Integer> addresses = List.of(VIP, VIP + 1, VIP + 2, Bytes.parseIpv4("198.19.255.254"));
        final VrrpAdvertisement advertisement = new VrrpAdvertisement(255, 254, 4095, addresses);
        final byte[] payload = advertisement.encode(PEER, KEEPALIVED, null);
        assertEquals(8 + 16, payload.length);
        assertEquals(0x0F, payload[4] & 0xFF, "12-bit interval, reserved nibble zero");
        final VrrpAdvertisement.Received received = decode(ipv4(PEER, KEEPALIVED, 255, payload, true));
        assertTrue(received.isAccepted(), "an IPv4 option does not hide the message");
        assertEquals(advertisement, received.advertisement());
    }

    @Test
    void shouldCoverThePseudoHeaderWithTheChecksum()
    {
        final byte[] payload = new VrrpAdvertisement(51, 100, 10, List.of(VIP)).encode(KEEPALIVED, PEER, null);
        assertTrue(decode(ipv4(KEEPALIVED, PEER, 255, payload)).isAccepted());
        assertEquals(VrrpDropReason.BAD_CHECKSUM, decode(ipv4(KEEPALIVED + 1, PEER, 255, payload)).dropReason(),
            "another source");
        assertEquals(VrrpDropReason.BAD_CHECKSUM,
            decode(ipv4(KEEPALIVED, VrrpAdvertisement.MULTICAST_GROUP, 255, payload)).dropReason(),
            "another destination");
        payload[2] = (byte)101;
        assertEquals(VrrpDropReason.BAD_CHECKSUM, decode(ipv4(KEEPALIVED, PEER, 255, payload)).dropReason(),
            "another priority");
    }

    @Test
    void shouldDropWhatIsNotAVrrpv3AdvertisementWithTtl255()
    {
        final byte[] payload = new VrrpAdvertisement(51, 100, 10, List.of(VIP)).encode(KEEPALIVED, PEER, null);
        final VrrpAdvertisement.Received forwarded = decode(ipv4(KEEPALIVED, PEER, 254, payload));
        assertEquals(VrrpDropReason.BAD_TTL, forwarded.dropReason());
        assertEquals(254, forwarded.ttl());
        assertNull(forwarded.advertisement());

        final byte[] version2 = payload.clone();
        version2[0] = 0x21;
        assertEquals(VrrpDropReason.BAD_VERSION_OR_TYPE, decode(ipv4(KEEPALIVED, PEER, 255, version2)).dropReason());
        final byte[] type2 = payload.clone();
        type2[0] = 0x32;
        assertEquals(VrrpDropReason.BAD_VERSION_OR_TYPE, decode(ipv4(KEEPALIVED, PEER, 255, type2)).dropReason());

        final byte[] vrid0 = new VrrpAdvertisement(1, 100, 10, List.of(VIP)).encode(KEEPALIVED, PEER, null);
        vrid0[1] = 0;
        ByteBuffer.wrap(vrid0).putShort(6, (short)VrrpAdvertisement.checksum(vrid0, 0, 12, KEEPALIVED, PEER));
        assertEquals(VrrpDropReason.WRONG_ROUTER_ID, decode(ipv4(KEEPALIVED, PEER, 255, vrid0)).dropReason());
    }

    @Test
    void shouldDropWhatIsShorterThanItsHeadersSay()
    {
        final byte[] packet = ipv4(KEEPALIVED, PEER, 255,
            new VrrpAdvertisement(51, 100, 10, List.of(VIP, VIP + 1)).encode(KEEPALIVED, PEER, null));
        assertTrue(decode(packet).isAccepted());
        assertEquals(VrrpDropReason.TOO_SHORT, VrrpAdvertisement.decode(packet, 19).dropReason(), "no IPv4 header");
        assertEquals(VrrpDropReason.TOO_SHORT, VrrpAdvertisement.decode(packet, packet.length - 1).dropReason(),
            "cut: shorter than the IPv4 total length");
        assertEquals(VrrpDropReason.TOO_SHORT, decode(ipv4(KEEPALIVED, PEER, 255, new byte[7])).dropReason(),
            "shorter than the VRRP header");
        final byte[] counted = ipv4(KEEPALIVED, PEER, 255, Arrays.copyOf(
            new VrrpAdvertisement(51, 100, 10, List.of(VIP, VIP + 1)).encode(KEEPALIVED, PEER, null), 12));
        assertEquals(VrrpDropReason.TOO_SHORT, decode(counted).dropReason(), "count 2, one address");
        final byte[] notIpv4 = packet.clone();
        notIpv4[0] = 0x65;
        assertEquals(VrrpDropReason.TOO_SHORT, decode(notIpv4).dropReason());
        final byte[] ihl4 = packet.clone();
        ihl4[0] = 0x44;
        assertEquals(VrrpDropReason.TOO_SHORT, decode(ihl4).dropReason());
    }

    @Test
    void shouldAppendAMacThatTheChecksumDoesNotCover()
    {
        final VrrpAdvertisement advertisement = new VrrpAdvertisement(51, 100, 10, List.of(VIP));
        final byte[] plain = advertisement.encode(KEEPALIVED, PEER, null);
        final byte[] signed = advertisement.encode(KEEPALIVED, PEER, KEY);
        assertEquals(12 + VrrpAdvertisement.MAC_LENGTH, signed.length);
        assertArrayEquals(plain, Arrays.copyOf(signed, 12), "the RFC message and its checksum are unchanged");

        final byte[] packet = ipv4(KEEPALIVED, PEER, 255, signed);
        assertEquals(20 + 44, ByteBuffer.wrap(packet).getShort(2), "the IPv4 total length covers the MAC");
        assertTrue(decode(packet).isAccepted(), "a receiver without a key ignores the trailer");
        assertEquals(advertisement, decode(packet).advertisement());
        assertTrue(VrrpAdvertisement.hasValidMac(packet, packet.length, KEY));

        final byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        assertFalse(VrrpAdvertisement.hasValidMac(packet, packet.length, otherKey), "another key");
        final byte[] unsigned = ipv4(KEEPALIVED, PEER, 255, plain);
        assertFalse(VrrpAdvertisement.hasValidMac(unsigned, unsigned.length, KEY), "no MAC");
        final byte[] flipped = packet.clone();
        flipped[flipped.length - 1] ^= 1;
        assertFalse(VrrpAdvertisement.hasValidMac(flipped, flipped.length, KEY), "a flipped MAC bit");
        final byte[] fromElsewhere = ipv4(KEEPALIVED + 5, PEER, 255, signed);
        assertFalse(VrrpAdvertisement.hasValidMac(fromElsewhere, fromElsewhere.length, KEY),
            "the MAC binds the source address");
        final byte[] longer = ipv4(KEEPALIVED, PEER, 255, Arrays.copyOf(signed, signed.length + 4));
        assertFalse(VrrpAdvertisement.hasValidMac(longer, longer.length, KEY), "bytes after the MAC");
    }

    @Test
    void shouldRefuseFieldsOutOfRange()
    {
        assertEquals("routerId must be 1..255: 0", assertThrows(IllegalArgumentException.class,
            () -> new VrrpAdvertisement(0, 100, 10, List.of())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VrrpAdvertisement(256, 100, 10, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new VrrpAdvertisement(1, 256, 10, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new VrrpAdvertisement(1, -1, 10, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new VrrpAdvertisement(1, 100, 4096, List.of()));
        assertThrows(IllegalArgumentException.class,
            () -> new VrrpAdvertisement(1, 100, 10, Collections.nCopies(256, VIP)));
    }
}
