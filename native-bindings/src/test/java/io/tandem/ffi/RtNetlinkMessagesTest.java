package io.tandem.ffi;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The netlink codec on crafted bytes, no socket and no root: well-formed messages decode to the right records, and
 * malformed ones (truncated headers, lengths past the end, zero-length attributes, stray bytes) fail with a
 * {@link NetlinkFormatException} that says where, never with an out-of-bounds access or an endless loop.
 */
class RtNetlinkMessagesTest
{
    private static final int ADDRESS = NetlinkMessages.parseIpv4("198.18.7.1");
    private static final long MAC = NetlinkMessages.parseMac("02:00:5e:10:20:30");

    @Test
    void shouldSplitADatagramIntoMessagesIncludingAnUnpaddedLastOne()
    {
        final byte[] first = new Message(RtNetlink.NLMSG_NOOP, 0, 7).bytes(1, 2, 3).build(); // 19 bytes, padded to 20
        final byte[] second = new Message(RtNetlink.NLMSG_DONE, 0, 8).bytes(0, 0, 0, 0, 9).build(); // 21, unpadded
        final MemorySegment datagram = segment(concat(pad(first), second));

        final List<MemorySegment> messages = NetlinkMessages.split(datagram);

        assertEquals(2, messages.size());
        assertEquals(19, messages.get(0).byteSize());
        assertEquals(7, NetlinkMessages.sequence(messages.get(0)));
        assertEquals(RtNetlink.NLMSG_DONE, NetlinkMessages.type(messages.get(1)));
        assertEquals(21, messages.get(1).byteSize());
        assertTrue(NetlinkMessages.split(segment(new byte[0])).isEmpty());
    }

    @Test
    void shouldRejectATruncatedHeader()
    {
        final byte[] message = new Message(RtNetlink.RTM_NEWLINK, 0, 1).build();
        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.split(segment(Arrays.copyOf(message, 10))));
        assertTrue(ex.getMessage().contains("truncated nlmsghdr: 10 byte(s) at offset 0"), ex.getMessage());

        // A whole message, then a few stray bytes.
        final NetlinkFormatException stray = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.split(segment(concat(message, new byte[]{1, 2, 3}))));
        assertTrue(stray.getMessage().contains("at offset 16"), stray.getMessage());
    }

    @Test
    void shouldRejectAMessageLengthPastTheEndOrShorterThanTheHeader()
    {
        final byte[] message = new Message(RtNetlink.RTM_NEWLINK, 0, 1).bytes(new byte[24]).build();
        setInt(message, 0, 100);
        final NetlinkFormatException past = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.split(segment(message)));
        assertTrue(past.getMessage().contains("nlmsg_len 100 at offset 0 runs past"), past.getMessage());

        // nlmsg_len 0 would make a naive walker loop for ever on the same header.
        setInt(message, 0, 0);
        final NetlinkFormatException zero = assertTimeoutPreemptively(Duration.ofSeconds(5),
            () -> assertThrows(NetlinkFormatException.class, () -> NetlinkMessages.split(segment(message))));
        assertTrue(zero.getMessage().contains("shorter than the header"), zero.getMessage());

        // nlmsg_len with the top bit set must not turn negative.
        setInt(message, 0, 0x8000_0010);
        assertThrows(NetlinkFormatException.class, () -> NetlinkMessages.split(segment(message)));
    }

    @Test
    void shouldDecodeALinkWithNameMtuMacAndKind()
    {
        final byte[] message = link(7, "tdm0", RtNetlink.IFF_UP | RtNetlink.IFF_RUNNING | RtNetlink.IFF_LOWER_UP)
            .attribute(RtNetlink.IFLA_MTU, intBytes(1500))
            .attribute(RtNetlink.IFLA_ADDRESS, macBytes(MAC))
            .attribute(RtNetlink.IFLA_OPERSTATE, new byte[]{RtNetlink.IF_OPER_UP})
            .attribute(RtNetlink.IFLA_LINKINFO | 0x8000, attribute(RtNetlink.IFLA_INFO_KIND, cString("veth")))
            .attribute(250, new byte[]{1, 2, 3}) // an attribute of a newer kernel: checked and skipped
            .build();

        final RtNetlinkLink link = NetlinkMessages.parseLink(only(message));

        assertEquals(7, link.index());
        assertEquals("tdm0", link.name());
        assertEquals(1, link.type());
        assertEquals(1500, link.mtu());
        assertEquals(MAC, link.mac());
        assertEquals("02:00:5e:10:20:30", NetlinkMessages.formatMac(link.mac()));
        assertEquals(RtNetlink.IF_OPER_UP, link.operState());
        assertEquals("veth", link.kind());
        assertTrue(link.isUp() && link.isRunning() && link.isLowerUp());
    }

    @Test
    void shouldDecodeALinkWithoutAnEthernetAddress()
    {
        final RtNetlinkLink tunnel = NetlinkMessages.parseLink(only(link(9, "tun0", 0)
            .attribute(RtNetlink.IFLA_ADDRESS, new byte[]{10, 0, 0, 1})
            .build()));
        assertFalse(tunnel.hasMac());
        assertEquals(RtNetlinkLink.NO_MAC, tunnel.mac());
        assertEquals("", tunnel.kind());
        assertEquals(0, tunnel.mtu());
        assertFalse(tunnel.isUp());
    }

    @Test
    void shouldRejectAnAttributeLengthPastTheEndOfItsMessage()
    {
        final byte[] message = link(7, "tdm0", 0).attribute(RtNetlink.IFLA_MTU, intBytes(1500)).build();
        // The MTU attribute is the last 8 bytes; claim 12.
        setShort(message, message.length - 8, 12);

        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseLink(only(message)));
        assertTrue(ex.getMessage().startsWith("RTM_NEWLINK: attribute type 4 at offset " + (message.length - 8) +
            " has length 12 but only 8 byte(s) remain"), ex.getMessage());
    }

    @Test
    void shouldRejectAZeroLengthAttributeInsteadOfLoopingForEver()
    {
        final byte[] message = link(7, "tdm0", 0).attribute(RtNetlink.IFLA_MTU, intBytes(1500)).build();
        setShort(message, message.length - 8, 0);

        final NetlinkFormatException ex = assertTimeoutPreemptively(Duration.ofSeconds(5),
            () -> assertThrows(NetlinkFormatException.class, () -> NetlinkMessages.parseLink(only(message))));
        assertTrue(ex.getMessage().contains("has length 0, shorter than its own header"), ex.getMessage());
    }

    @Test
    void shouldRejectMalformedNestedAttributes()
    {
        final byte[] kind = attribute(RtNetlink.IFLA_INFO_KIND, cString("veth"));
        setShort(kind, 0, 2); // shorter than an rtattr header
        final byte[] message = link(7, "tdm0", 0).attribute(RtNetlink.IFLA_LINKINFO, kind).build();

        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseLink(only(message)));
        assertTrue(ex.getMessage().startsWith("RTM_NEWLINK attribute 18: attribute type 1"), ex.getMessage());
    }

    @Test
    void shouldRejectStrayBytesAfterTheLastAttribute()
    {
        final byte[] message = link(7, "tdm0", 0).bytes(0, 0).build();
        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseLink(only(message)));
        assertTrue(ex.getMessage().contains("2 stray byte(s)"), ex.getMessage());
    }

    @Test
    void shouldRejectAMessageShorterThanItsFixedHeaderOrWithoutARequiredAttribute()
    {
        final byte[] shortLink = new Message(RtNetlink.RTM_NEWLINK, 0, 0).bytes(new byte[8]).build();
        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseLink(only(shortLink)));
        assertEquals("RTM_NEWLINK of 24 bytes is too short for nlmsghdr + its 16-byte header", ex.getMessage());

        final byte[] nameless = new Message(RtNetlink.RTM_NEWLINK, 0, 0).bytes(new byte[16]).build();
        assertThrows(NetlinkFormatException.class, () -> NetlinkMessages.parseLink(only(nameless)));

        final byte[] noDestination = neighbour(3, RtNetlink.NUD_REACHABLE).build();
        final NetlinkFormatException missing = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseNeighbour(only(noDestination)));
        assertTrue(missing.getMessage().contains("is missing"), missing.getMessage());

        final byte[] shortDestination = neighbour(3, RtNetlink.NUD_REACHABLE)
            .attribute(RtNetlink.NDA_DST, new byte[]{(byte)198, 18}).build();
        final NetlinkFormatException wrong = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseNeighbour(only(shortDestination)));
        assertTrue(wrong.getMessage().contains("has 2 bytes, an IPv4 address has 4"), wrong.getMessage());

        final byte[] shortMtu = link(7, "tdm0", 0).attribute(RtNetlink.IFLA_MTU, new byte[]{1, 2}).build();
        final NetlinkFormatException mtu = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseLink(only(shortMtu)));
        assertTrue(mtu.getMessage().contains("attribute type 4 has 2 byte(s), needs 4"), mtu.getMessage());
    }

    @Test
    void shouldDecodeAnAddressAndPreferTheLocalOne()
    {
        final byte[] message = new Message(RtNetlink.RTM_NEWADDR, 0, 0)
            .bytes(RtNetlink.AF_INET, 24, 0x80, 0, 0, 0, 0, 0)
            .intAt(RtNetlink.NLMSGHDR_LENGTH + (int)RtNetlink.IFA_INDEX_OFFSET, 5)
            .attribute(RtNetlink.IFA_ADDRESS, ipv4Bytes(NetlinkMessages.parseIpv4("198.18.7.2")))
            .attribute(RtNetlink.IFA_LOCAL, ipv4Bytes(ADDRESS))
            .attribute(RtNetlink.IFA_LABEL, cString("tdm0:vip"))
            .attribute(RtNetlink.IFA_FLAGS, intBytes(0x280))
            .build();

        final RtNetlinkAddress address = NetlinkMessages.parseAddress(only(message));

        assertEquals(new RtNetlinkAddress(5, ADDRESS, 24, "tdm0:vip", 0x280, 0), address);
        assertTrue(address.toString().contains("198.18.7.1/24"), address.toString());
    }

    @Test
    void shouldEncodeAnAddressRequestThatDecodesBack()
    {
        final MemorySegment buffer = MemorySegment.ofArray(new byte[RtNetlink.SEND_BUFFER_LENGTH]);
        final int length = NetlinkMessages.encodeAddress(buffer, RtNetlink.RTM_NEWADDR,
            RtNetlink.NLM_F_REQUEST | RtNetlink.NLM_F_ACK | RtNetlink.NLM_F_CREATE | RtNetlink.NLM_F_EXCL, 42, 5,
            ADDRESS, 24);

        assertEquals(16 + 8 + 8 + 8, length);
        final MemorySegment message = only(buffer.asSlice(0, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertEquals(RtNetlink.RTM_NEWADDR, NetlinkMessages.type(message));
        assertEquals(0x605, NetlinkMessages.flags(message));
        assertEquals(42, NetlinkMessages.sequence(message));
        assertEquals(new RtNetlinkAddress(5, ADDRESS, 24, "", 0, 0), NetlinkMessages.parseAddress(message));
    }

    @Test
    void shouldEncodeTheResolveRequestAsIproute2SendsNeighUse()
    {
        final MemorySegment buffer = MemorySegment.ofArray(new byte[RtNetlink.SEND_BUFFER_LENGTH]);
        final int length = NetlinkMessages.encodeNeighbourUse(buffer, 9, 3, ADDRESS);

        final ByteBuffer expected = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
        expected.putInt(36).putShort((short)RtNetlink.RTM_NEWNEIGH).putShort((short)0x505).putInt(9).putInt(0);
        expected.put((byte)RtNetlink.AF_INET).put((byte)0).putShort((short)0).putInt(3)
            .putShort((short)RtNetlink.NUD_NONE).put((byte)RtNetlink.NTF_USE).put((byte)0);
        expected.putShort((short)8).putShort((short)RtNetlink.NDA_DST).put(ipv4Bytes(ADDRESS));
        assertEquals(36, length);
        assertEquals(Arrays.toString(expected.array()),
            Arrays.toString(buffer.asSlice(0, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));

        final RtNetlinkNeighbour decoded = NetlinkMessages.parseNeighbour(buffer.asSlice(0, length));
        assertEquals(new RtNetlinkNeighbour(3, ADDRESS, RtNetlinkNeighbour.NO_MAC, RtNetlink.NUD_NONE,
            RtNetlink.NTF_USE), decoded);
    }

    @Test
    void shouldRefuseAnInterfaceNameTheKernelWouldNot()
    {
        final MemorySegment buffer = MemorySegment.ofArray(new byte[RtNetlink.SEND_BUFFER_LENGTH]);
        assertThrows(IllegalArgumentException.class,
            () -> NetlinkMessages.encodeGetLink(buffer, 1, 0, "a-name-of-16-chr"));
        assertThrows(IllegalArgumentException.class, () -> NetlinkMessages.encodeGetLink(buffer, 1, 0, ""));
        assertEquals(16 + 16 + 20, NetlinkMessages.encodeGetLink(buffer, 1, 0, "name-of-15-chrs"));
    }

    @Test
    void shouldDecodeNeighboursWithAndWithoutAMac()
    {
        final RtNetlinkNeighbour reachable = NetlinkMessages.parseNeighbour(only(neighbour(3, RtNetlink.NUD_REACHABLE)
            .attribute(RtNetlink.NDA_DST, ipv4Bytes(ADDRESS))
            .attribute(RtNetlink.NDA_LLADDR, macBytes(MAC))
            .build()));
        assertEquals(new RtNetlinkNeighbour(3, ADDRESS, MAC, RtNetlink.NUD_REACHABLE, 0), reachable);
        assertTrue(reachable.isUsable());
        assertEquals("REACHABLE", reachable.stateName());

        final RtNetlinkNeighbour incomplete = NetlinkMessages.parseNeighbour(only(
            neighbour(3, RtNetlink.NUD_INCOMPLETE).attribute(RtNetlink.NDA_DST, ipv4Bytes(ADDRESS)).build()));
        assertFalse(incomplete.hasMac());
        assertFalse(incomplete.isUsable());

        final RtNetlinkNeighbour failedWithOldMac = new RtNetlinkNeighbour(3, ADDRESS, MAC, RtNetlink.NUD_FAILED, 0);
        assertFalse(failedWithOldMac.isUsable());
        assertEquals("STALE|PROBE", RtNetlinkNeighbour.stateName(RtNetlink.NUD_STALE | RtNetlink.NUD_PROBE));
    }

    @Test
    void shouldRejectADecodeOfTheWrongFamily()
    {
        final byte[] ipv6 = new Message(RtNetlink.RTM_NEWNEIGH, 0, 0).bytes(10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0)
            .attribute(RtNetlink.NDA_DST, new byte[16]).build();
        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.parseNeighbour(only(ipv6)));
        assertEquals("RTM_NEWNEIGH: family 10, expected 2", ex.getMessage());
    }

    @Test
    void shouldDecodeErrorsAndTheKernelsExtendedAckMessage()
    {
        final byte[] request = new Message(RtNetlink.RTM_NEWADDR, 0x605, 11).bytes(new byte[8]).build();

        // NETLINK_CAP_ACK: the request's header only, then the TLVs.
        final byte[] capped = new Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_CAPPED | RtNetlink.NLM_F_ACK_TLVS,
            11).bytes(intBytes(-Errno.EEXIST)).bytes(Arrays.copyOf(request, 16))
            .attribute(RtNetlink.NLMSGERR_ATTR_MSG, cString("address exists")).build();
        assertEquals(-Errno.EEXIST, NetlinkMessages.errorCode(only(capped)));
        assertEquals("address exists", NetlinkMessages.extAckMessage(only(capped)));

        // Without it: the whole request is echoed before the TLVs.
        final byte[] echoed = new Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_ACK_TLVS, 11)
            .bytes(intBytes(-Errno.ENODEV)).bytes(request)
            .attribute(RtNetlink.NLMSGERR_ATTR_MSG, cString("no such device")).build();
        assertEquals(-Errno.ENODEV, NetlinkMessages.errorCode(only(echoed)));
        assertEquals("no such device", NetlinkMessages.extAckMessage(only(echoed)));

        // An acknowledgement.
        final byte[] ack = new Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_CAPPED, 11).bytes(new byte[4])
            .bytes(Arrays.copyOf(request, 16)).build();
        assertEquals(0, NetlinkMessages.errorCode(only(ack)));
        assertNull(NetlinkMessages.extAckMessage(only(ack)));
    }

    @Test
    void shouldRejectMalformedErrors()
    {
        final byte[] tooShort = new Message(RtNetlink.NLMSG_ERROR, 0, 1).bytes(intBytes(-1)).build();
        assertThrows(NetlinkFormatException.class, () -> NetlinkMessages.errorCode(only(tooShort)));

        final byte[] positive = new Message(RtNetlink.NLMSG_ERROR, 0, 1).bytes(intBytes(5)).bytes(new byte[16])
            .build();
        assertThrows(NetlinkFormatException.class, () -> NetlinkMessages.errorCode(only(positive)));

        // Claims an echoed request of 4000 bytes in a 36-byte message.
        final byte[] header = new byte[16];
        setInt(header, 0, 4000);
        final byte[] overlong = new Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_ACK_TLVS, 1)
            .bytes(intBytes(-Errno.EINVAL)).bytes(header).build();
        final NetlinkFormatException ex = assertThrows(NetlinkFormatException.class,
            () -> NetlinkMessages.extAckMessage(only(overlong)));
        assertTrue(ex.getMessage().contains("past the end"), ex.getMessage());
    }

    @Test
    void shouldReadTheErrorOfADoneMessage()
    {
        assertEquals(0, NetlinkMessages.doneError(only(new Message(RtNetlink.NLMSG_DONE, 2, 1)
            .bytes(new byte[4]).build())));
        assertEquals(-Errno.EINTR, NetlinkMessages.doneError(only(new Message(RtNetlink.NLMSG_DONE, 2, 1)
            .bytes(intBytes(-Errno.EINTR)).build())));
        assertEquals(0, NetlinkMessages.doneError(only(new Message(RtNetlink.NLMSG_DONE, 2, 1).build())));
    }

    @Test
    void shouldDispatchNotificationsByTypeAndFamily()
    {
        final Recorder recorder = new Recorder();
        final byte[] newNeighbour = neighbour(3, RtNetlink.NUD_STALE)
            .attribute(RtNetlink.NDA_DST, ipv4Bytes(ADDRESS)).attribute(RtNetlink.NDA_LLADDR, macBytes(MAC)).build();
        final byte[] delNeighbour = newNeighbour.clone();
        setShort(delNeighbour, (int)RtNetlink.NLMSG_TYPE_OFFSET, RtNetlink.RTM_DELNEIGH);
        final byte[] bridgePort = link(4, "br-port", 0).build();
        bridgePort[RtNetlink.NLMSGHDR_LENGTH] = 7; // AF_BRIDGE
        final byte[] route = new Message(24, 0, 0).bytes(new byte[12]).build(); // RTM_NEWROUTE: not subscribed

        final MemorySegment datagram = segment(concat(pad(newNeighbour), pad(delNeighbour), pad(bridgePort),
            pad(link(4, "tdm0", RtNetlink.IFF_UP).build()), route));
        int delivered = 0;
        for (final MemorySegment message : NetlinkMessages.split(datagram))
        {
            delivered += RtNetlinkEvents.dispatch(message, recorder);
        }

        assertEquals(3, delivered);
        assertEquals(List.of("+RtNetlinkNeighbour[198.18.7.1 ifindex 3 02:00:5e:10:20:30 STALE flags 0x0]",
            "-RtNetlinkNeighbour[198.18.7.1 ifindex 3 02:00:5e:10:20:30 STALE flags 0x0]",
            "+link tdm0"), recorder.events);
    }

    @Test
    void shouldNeverFailOtherThanWithAFormatExceptionOnMutatedMessages()
    {
        final byte[] link = link(7, "tdm0", RtNetlink.IFF_UP).attribute(RtNetlink.IFLA_MTU, intBytes(1500))
            .attribute(RtNetlink.IFLA_ADDRESS, macBytes(MAC))
            .attribute(RtNetlink.IFLA_LINKINFO, attribute(RtNetlink.IFLA_INFO_KIND, cString("veth"))).build();
        final byte[] neighbour = neighbour(3, RtNetlink.NUD_REACHABLE).attribute(RtNetlink.NDA_DST, ipv4Bytes(ADDRESS))
            .attribute(RtNetlink.NDA_LLADDR, macBytes(MAC)).build();
        final byte[] address = new Message(RtNetlink.RTM_NEWADDR, 0, 0).bytes(RtNetlink.AF_INET, 24, 0, 0, 5, 0, 0, 0)
            .attribute(RtNetlink.IFA_LOCAL, ipv4Bytes(ADDRESS)).attribute(RtNetlink.IFA_LABEL, cString("tdm0")).build();
        final byte[] error = new Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_ACK_TLVS, 1)
            .bytes(intBytes(-Errno.EEXIST)).bytes(new Message(RtNetlink.RTM_NEWADDR, 5, 1).build())
            .attribute(RtNetlink.NLMSGERR_ATTR_MSG, cString("exists")).build();
        final byte[] valid = concat(pad(link), pad(neighbour), pad(address), error);

        final Random random = new Random(0x7a4d_e3L);
        int formatErrors = 0;
        for (int round = 0; round < 20_000; round++)
        {
            final byte[] bytes = Arrays.copyOf(valid, 1 + random.nextInt(valid.length));
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--)
            {
                bytes[random.nextInt(bytes.length)] = (byte)random.nextInt(256);
            }
            try
            {
                for (final MemorySegment message : NetlinkMessages.split(segment(bytes)))
                {
                    RtNetlinkEvents.dispatch(message, new Recorder());
                    if (NetlinkMessages.type(message) == RtNetlink.NLMSG_ERROR)
                    {
                        NetlinkMessages.errorCode(message);
                        NetlinkMessages.extAckMessage(message);
                        NetlinkMessages.doneError(message);
                    }
                }
            }
            catch (final NetlinkFormatException expected)
            {
                formatErrors++;
            }
        }
        assertTrue(formatErrors > 1000, "mutations were caught: " + formatErrors);
    }

    @Test
    void shouldFormatAndParseAddresses()
    {
        assertEquals(0xC612_0701, ADDRESS);
        assertEquals("198.18.7.1", NetlinkMessages.formatIpv4(ADDRESS));
        assertEquals("255.255.255.255", NetlinkMessages.formatIpv4(-1));
        assertEquals(0x0200_5e10_2030L, MAC);
        assertEquals("ff:ff:ff:ff:ff:ff", NetlinkMessages.formatMac(0xffff_ffff_ffffL));
        assertThrows(IllegalArgumentException.class, () -> NetlinkMessages.parseIpv4("198.18.7"));
        assertThrows(IllegalArgumentException.class, () -> NetlinkMessages.parseIpv4("198.18.7.256"));
        assertThrows(IllegalArgumentException.class, () -> NetlinkMessages.parseIpv4("198.18.7.-1"));
        assertThrows(IllegalArgumentException.class, () -> NetlinkMessages.parseMac("02:00:5e:10:20"));
        assertThrows(IllegalArgumentException.class, () -> NetlinkMessages.parseMac("02:00:5e:10:20:xy"));
    }

    private static final class Recorder implements RtNetlinkEventListener
    {
        final List<String> events = new ArrayList<>();

        @Override
        public void onLink(final RtNetlinkLink link, final boolean removed)
        {
            events.add((removed ? "-" : "+") + "link " + link.name());
        }

        @Override
        public void onNeighbour(final RtNetlinkNeighbour neighbour, final boolean removed)
        {
            events.add((removed ? "-" : "+") + neighbour);
        }

        @Override
        public void onOverrun()
        {
            events.add("overrun");
        }
    }

    /** A netlink message as bytes in host order: header, fixed part, attributes; nlmsg_len filled in by build. */
    private static final class Message
    {
        private final ByteBuffer buffer = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());

        Message(final int type, final int flags, final int seq)
        {
            buffer.putInt(0).putShort((short)type).putShort((short)flags).putInt(seq).putInt(0);
        }

        Message bytes(final int... values)
        {
            for (final int value : values)
            {
                buffer.put((byte)value);
            }
            return this;
        }

        Message bytes(final byte[] values)
        {
            buffer.put(values);
            return this;
        }

        Message intAt(final int offset, final int value)
        {
            buffer.putInt(offset, value);
            return this;
        }

        Message attribute(final int type, final byte[] value)
        {
            buffer.put(attribute(type, value, true));
            return this;
        }

        byte[] build()
        {
            final byte[] bytes = Arrays.copyOf(buffer.array(), buffer.position());
            setInt(bytes, 0, bytes.length);
            return bytes;
        }

        private static byte[] attribute(final int type, final byte[] value, final boolean padded)
        {
            final int length = 4 + value.length;
            final ByteBuffer attribute = ByteBuffer.allocate(padded ? (length + 3) & ~3 : length)
                .order(ByteOrder.nativeOrder());
            attribute.putShort((short)length).putShort((short)type).put(value);
            return attribute.array();
        }
    }

    private static Message link(final int index, final String name, final int flags)
    {
        return new Message(RtNetlink.RTM_NEWLINK, 0, 0)
            .bytes(RtNetlink.AF_UNSPEC, 0, 1, 0).bytes(intBytes(index)).bytes(intBytes(flags)).bytes(intBytes(0))
            .attribute(RtNetlink.IFLA_IFNAME, cString(name));
    }

    private static Message neighbour(final int index, final int state)
    {
        final byte[] ndmsg = new byte[12];
        ndmsg[0] = RtNetlink.AF_INET;
        setInt(ndmsg, 4, index);
        setShort(ndmsg, 8, state);
        return new Message(RtNetlink.RTM_NEWNEIGH, 0, 0).bytes(ndmsg);
    }

    private static byte[] attribute(final int type, final byte[] value)
    {
        return Message.attribute(type, value, false);
    }

    private static MemorySegment only(final byte[] message)
    {
        final List<MemorySegment> messages = NetlinkMessages.split(segment(message));
        assertEquals(1, messages.size());
        return messages.get(0);
    }

    private static MemorySegment segment(final byte[] bytes)
    {
        return MemorySegment.ofArray(bytes);
    }

    private static byte[] pad(final byte[] message)
    {
        return Arrays.copyOf(message, (message.length + 3) & ~3);
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteBuffer all = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (final byte[] part : parts)
        {
            all.put(part);
        }
        return all.array();
    }

    private static byte[] intBytes(final int value)
    {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    private static byte[] ipv4Bytes(final int address)
    {
        return ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(address).array();
    }

    private static byte[] macBytes(final long mac)
    {
        return Arrays.copyOfRange(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(mac).array(), 2, 8);
    }

    private static byte[] cString(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    private static void setInt(final byte[] bytes, final int offset, final int value)
    {
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putInt(offset, value);
    }

    private static void setShort(final byte[] bytes, final int offset, final int value)
    {
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort(offset, (short)value);
    }
}
