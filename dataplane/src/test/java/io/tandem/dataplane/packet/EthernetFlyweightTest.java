package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

import static io.tandem.dataplane.packet.HexFrames.CLIENT_MAC;
import static io.tandem.dataplane.packet.HexFrames.SERVER_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@link EthernetFlyweight} over frames the Linux kernel wrote (see {@link HexFrames}).
 */
class EthernetFlyweightTest
{
    private final EthernetFlyweight ethernet = new EthernetFlyweight();

    @Test
    void shouldReadMacsAndEtherTypeOfEveryCapturedTcpFrame()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            ethernet.wrap(frame.buffer(), 0);

            final long src = frame.isFromClient() ? CLIENT_MAC : SERVER_MAC;
            final long dst = frame.isFromClient() ? SERVER_MAC : CLIENT_MAC;
            assertEquals(src, ethernet.srcMac(), frame::description);
            assertEquals(dst, ethernet.dstMac(), frame::description);
            assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, ethernet.etherType(), frame::description);
        }
    }

    @Test
    void shouldReadBroadcastArpRequestAndUnicastReply()
    {
        final HexFrames.Frame request = HexFrames.load(HexFrames.ARP).get(0);
        final HexFrames.Frame reply = HexFrames.load(HexFrames.ARP).get(1);

        ethernet.wrap(request.buffer(), 0);
        assertEquals(EthernetFlyweight.BROADCAST, ethernet.dstMac());
        assertEquals(CLIENT_MAC, ethernet.srcMac());
        assertEquals(EthernetFlyweight.ETHER_TYPE_ARP, ethernet.etherType());

        ethernet.wrap(reply.buffer(), 0);
        assertEquals(CLIENT_MAC, ethernet.dstMac());
        assertEquals(SERVER_MAC, ethernet.srcMac());
        assertEquals(EthernetFlyweight.ETHER_TYPE_ARP, ethernet.etherType());
    }

    @Test
    void shouldReadTheSameFieldsAtAnyOffsetInTheBuffer()
    {
        final HexFrames.Frame frame = HexFrames.load(HexFrames.TCP_EXCHANGE).get(0);
        for (int offset = 0; offset < 16; offset++)
        {
            ethernet.wrap(frame.bufferAt(offset, 0), offset);

            assertEquals(SERVER_MAC, ethernet.dstMac(), "offset " + offset);
            assertEquals(CLIENT_MAC, ethernet.srcMac(), "offset " + offset);
            assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, ethernet.etherType(), "offset " + offset);
        }
    }

    @Test
    void shouldSwapMacsInPlaceToTurnARequestFrameIntoTheReplyHeader()
    {
        final HexFrames.Frame request = HexFrames.load(HexFrames.TCP_EXCHANGE).get(0);
        final HexFrames.Frame reply = HexFrames.load(HexFrames.TCP_EXCHANGE).get(1);
        final UnsafeBuffer buffer = request.bufferAt(3, 5);

        ethernet.wrap(buffer, 3);
        final long src = ethernet.srcMac();
        ethernet.srcMac(ethernet.dstMac()).dstMac(src);

        final byte[] header = new byte[EthernetFlyweight.HEADER_LENGTH];
        buffer.getBytes(3, header);
        final byte[] expected = new byte[EthernetFlyweight.HEADER_LENGTH];
        System.arraycopy(reply.bytes(), 0, expected, 0, expected.length);
        assertArrayEquals(expected, header);
        assertEquals((byte)0xA5, buffer.getByte(2), "byte before the frame");
        final byte[] rest = new byte[request.length() - EthernetFlyweight.HEADER_LENGTH];
        buffer.getBytes(3 + EthernetFlyweight.HEADER_LENGTH, rest);
        assertArrayEquals(
            Arrays.copyOfRange(request.bytes(), EthernetFlyweight.HEADER_LENGTH, request.length()), rest);
    }

    @Test
    void shouldWriteFieldsInNetworkByteOrder()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(EthernetFlyweight.HEADER_LENGTH));

        assertSame(ethernet, ethernet.wrap(buffer, 0));
        ethernet.dstMac(EthernetFlyweight.BROADCAST)
            .srcMac(0x0102_0304_0506L)
            .etherType(EthernetFlyweight.ETHER_TYPE_VLAN);

        final byte[] bytes = new byte[EthernetFlyweight.HEADER_LENGTH];
        buffer.getBytes(0, bytes);
        assertArrayEquals(HexFormat.of().parseHex("ffffffffffff0102030405068100"), bytes);
        assertEquals(0x0102_0304_0506L, ethernet.srcMac());
        assertEquals(EthernetFlyweight.ETHER_TYPE_VLAN, ethernet.etherType());
    }
}
