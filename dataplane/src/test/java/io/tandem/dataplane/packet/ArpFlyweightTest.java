package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static io.tandem.dataplane.packet.HexFrames.CLIENT_IP;
import static io.tandem.dataplane.packet.HexFrames.CLIENT_MAC;
import static io.tandem.dataplane.packet.HexFrames.SERVER_IP;
import static io.tandem.dataplane.packet.HexFrames.SERVER_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ArpFlyweight} over the ARP request and reply the Linux kernel exchanged in the capture.
 */
class ArpFlyweightTest
{
    private static final int ARP_OFFSET = EthernetFlyweight.HEADER_LENGTH;

    private final List<HexFrames.Frame> frames = HexFrames.load(HexFrames.ARP);
    private final HexFrames.Frame request = frames.get(0);
    private final HexFrames.Frame reply = frames.get(1);
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    @Test
    void shouldReadTheKernelsRequest()
    {
        assertTrue(request.has("request"), request::description);
        arp.wrap(request.buffer(), ARP_OFFSET);

        assertTrue(arp.isEthernetIpv4());
        assertEquals(ArpFlyweight.OP_REQUEST, arp.operation());
        assertEquals(CLIENT_MAC, arp.senderMac());
        assertEquals(CLIENT_IP, arp.senderIp());
        // Linux leaves the target hardware address of a request zero (RFC 826 says "don't care").
        assertEquals(0L, arp.targetMac());
        assertEquals(SERVER_IP, arp.targetIp());
        assertEquals(ARP_OFFSET + ArpFlyweight.LENGTH, request.length(), "veth does not pad to 60 bytes");
    }

    @Test
    void shouldReadTheKernelsReply()
    {
        assertTrue(reply.has("reply"), reply::description);
        arp.wrap(reply.buffer(), ARP_OFFSET);

        assertTrue(arp.isEthernetIpv4());
        assertEquals(ArpFlyweight.OP_REPLY, arp.operation());
        assertEquals(SERVER_MAC, arp.senderMac());
        assertEquals(SERVER_IP, arp.senderIp());
        assertEquals(CLIENT_MAC, arp.targetMac());
        assertEquals(CLIENT_IP, arp.targetIp());
    }

    @Test
    void shouldAgreeWithTheCaptureScriptsDecoding()
    {
        for (final HexFrames.Frame frame : frames)
        {
            arp.wrap(frame.buffer(), ARP_OFFSET);

            assertEquals(frame.fields().get("sha"), Bytes.macToString(arp.senderMac()), frame::description);
            assertEquals(frame.fields().get("spa"), Bytes.ipv4ToString(arp.senderIp()), frame::description);
            assertEquals(frame.fields().get("tha"), Bytes.macToString(arp.targetMac()), frame::description);
            assertEquals(frame.fields().get("tpa"), Bytes.ipv4ToString(arp.targetIp()), frame::description);
        }
    }

    @Test
    void shouldBuildAReplyByteForByteAsTheKernelDid()
    {
        final UnsafeBuffer in = request.buffer();
        ethernet.wrap(in, 0);
        arp.wrap(in, ARP_OFFSET);
        final long askerMac = arp.senderMac();
        final int askerIp = arp.senderIp();
        final int wantedIp = arp.targetIp();

        final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(reply.length()));
        ethernet.wrap(out, 0);
        ethernet.dstMac(askerMac).srcMac(SERVER_MAC).etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        arp.wrap(out, ARP_OFFSET);
        arp.ethernetIpv4()
            .operation(ArpFlyweight.OP_REPLY)
            .senderMac(SERVER_MAC)
            .senderIp(wantedIp)
            .targetMac(askerMac)
            .targetIp(askerIp);

        final byte[] built = new byte[reply.length()];
        out.getBytes(0, built);
        assertArrayEquals(reply.bytes(), built);
    }

    @Test
    void shouldReadAtAnUnalignedOffset()
    {
        for (int offset = 1; offset < 8; offset += 2)
        {
            arp.wrap(reply.bufferAt(offset, 0), offset + ARP_OFFSET);

            assertTrue(arp.isEthernetIpv4());
            assertEquals(SERVER_MAC, arp.senderMac());
            assertEquals(CLIENT_IP, arp.targetIp());
        }
    }

    @Test
    void shouldRejectAnythingButIpv4OverEthernet()
    {
        final int[][] corruptions =
        {
            { ArpFlyweight.HTYPE_OFFSET + 1, 6 },           // IEEE 802 hardware type
            { ArpFlyweight.PTYPE_OFFSET, 0x86 },            // protocol type 0x8600, not IPv4
            { ArpFlyweight.HLEN_OFFSET, 8 },                // hardware address length 8
            { ArpFlyweight.PLEN_OFFSET, 16 },               // protocol address length 16
        };
        for (final int[] corruption : corruptions)
        {
            final UnsafeBuffer buffer = request.buffer();
            buffer.putByte(ARP_OFFSET + corruption[0], (byte)corruption[1]);
            arp.wrap(buffer, ARP_OFFSET);

            assertFalse(arp.isEthernetIpv4(), "byte " + corruption[0] + " = " + corruption[1]);
        }
    }
}
