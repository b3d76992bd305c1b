package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static io.tandem.dataplane.packet.HexFrames.CLIENT_IP;
import static io.tandem.dataplane.packet.HexFrames.IP_OFFSET;
import static io.tandem.dataplane.packet.HexFrames.SERVER_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Ipv4Flyweight} over the IPv4 headers the Linux kernel wrote in the capture, and its header checksum.
 */
class Ipv4FlyweightTest
{
    private final Ipv4Flyweight ip = new Ipv4Flyweight();

    @Test
    void shouldReadTheHeaderOfEveryCapturedFrame()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            ip.wrap(frame.buffer(), IP_OFFSET);

            assertEquals(4, ip.version(), frame::description);
            assertEquals(Ipv4Flyweight.MIN_HEADER_LENGTH, ip.headerLength(), frame::description);
            assertEquals(0, ip.tos(), frame::description);
            // veth does not pad short frames to 60 bytes, so the datagram fills the rest of the frame exactly.
            assertEquals(frame.length() - IP_OFFSET, ip.totalLength(), frame::description);
            // Linux sets DF on TCP: path MTU discovery is on (ip_no_pmtu_disc = 0).
            assertEquals(Ipv4Flyweight.FLAG_DF, ip.flagsAndFragmentOffset(), frame::description);
            assertFalse(ip.isFragment(), frame::description);
            assertEquals(64, ip.ttl(), frame::description);
            assertEquals(frame.field("ttl"), ip.ttl(), frame::description);
            assertEquals(frame.field("id"), ip.id(), frame::description);
            assertEquals(Ipv4Flyweight.PROTOCOL_TCP, ip.protocol(), frame::description);
            assertEquals(frame.isFromClient() ? CLIENT_IP : SERVER_IP, ip.src(), frame::description);
            assertEquals(frame.isFromClient() ? SERVER_IP : CLIENT_IP, ip.dst(), frame::description);
            assertEquals("198.18.100." + (frame.isFromClient() ? 1 : 2), Bytes.ipv4ToString(ip.src()));
        }
    }

    @Test
    void shouldFindTheKernelsHeaderChecksumValidAndRecomputeItExactly()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            for (int offset = 0; offset < 8; offset++)
            {
                final UnsafeBuffer buffer = frame.bufferAt(offset, 0);
                ip.wrap(buffer, offset + IP_OFFSET);
                final int stored = ip.checksum();

                assertTrue(ip.isChecksumValid(), frame::description);
                assertEquals(stored, Checksum.ipv4Header(buffer, offset + IP_OFFSET, ip.headerLength()),
                    frame::description);

                ip.checksum(0).updateChecksum();
                assertEquals(stored, ip.checksum(), frame::description);
            }
        }
    }

    @Test
    void shouldFindTheChecksumInvalidAfterAnySingleBitFlipInTheHeader()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            ip.wrap(buffer, IP_OFFSET);
            for (int bit = 0; bit < Ipv4Flyweight.MIN_HEADER_LENGTH * 8; bit++)
            {
                final int index = IP_OFFSET + (bit >>> 3);
                final byte original = buffer.getByte(index);
                buffer.putByte(index, (byte)(original ^ (0x80 >>> (bit & 7))));
                // The version/IHL byte changes the header length the check covers; keep IHL at 5 for this test.
                if (index != IP_OFFSET || (bit & 7) < 4)
                {
                    assertFalse(ip.isChecksumValid(), () -> frame.description() + ", bit " + (index - IP_OFFSET));
                }
                buffer.putByte(index, original);
            }
            assertTrue(ip.isChecksumValid(), frame::description);
        }
    }

    @Test
    void shouldDetectFragments()
    {
        final UnsafeBuffer buffer = HexFrames.load(HexFrames.TCP_EXCHANGE).get(0).buffer();
        ip.wrap(buffer, IP_OFFSET);

        assertFalse(ip.isFragment());
        ip.flagsAndFragmentOffset(Ipv4Flyweight.FLAG_MF);
        assertTrue(ip.isFragment(), "first fragment: MF, offset 0");
        ip.flagsAndFragmentOffset(0x00B9);
        assertTrue(ip.isFragment(), "last fragment: offset only");
        ip.flagsAndFragmentOffset(Ipv4Flyweight.FLAG_DF | 0x0001);
        assertTrue(ip.isFragment(), "DF with an offset is still a fragment");
        ip.flagsAndFragmentOffset(Ipv4Flyweight.FLAG_DF);
        assertFalse(ip.isFragment());
        ip.flagsAndFragmentOffset(0x8000);
        assertFalse(ip.isFragment(), "the reserved bit is not a fragment");
    }

    @Test
    void shouldWriteAHeaderThatReadsBackAndChecks()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(3 + Ipv4Flyweight.MIN_HEADER_LENGTH));
        ip.wrap(buffer, 3);

        ip.versionAndHeaderLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .tos(0)
            .totalLength(60)
            .id(0x9749)
            .flagsAndFragmentOffset(Ipv4Flyweight.FLAG_DF)
            .ttl(64)
            .protocol(Ipv4Flyweight.PROTOCOL_TCP)
            .src(CLIENT_IP)
            .dst(SERVER_IP)
            .updateChecksum();

        // The header of the SYN to the closed port in tcp-refused.hex, written by hand from its field values.
        final byte[] header = new byte[Ipv4Flyweight.MIN_HEADER_LENGTH];
        buffer.getBytes(3, header);
        assertArrayEquals(HexFormat.of().parseHex("4500003c9749400040064f4ac6126401c6126402"), header);
        assertTrue(ip.isChecksumValid());
        assertEquals(4, ip.version());
        assertEquals(Ipv4Flyweight.MIN_HEADER_LENGTH, ip.headerLength());
    }

    @Test
    void shouldCoverOptionsWhenTheHeaderIsLongerThanTwentyBytes()
    {
        final HexFrames.Frame frame = HexFrames.load(HexFrames.TCP_EXCHANGE).get(0);
        final int optionsLength = 8;
        // Insert 8 bytes of options (router alert, then NOP padding) after the 20-byte header.
        final byte[] bytes = new byte[frame.length() + optionsLength];
        System.arraycopy(frame.bytes(), 0, bytes, 0, IP_OFFSET + 20);
        System.arraycopy(HexFormat.of().parseHex("9404000001010101"), 0, bytes, IP_OFFSET + 20, optionsLength);
        System.arraycopy(frame.bytes(), IP_OFFSET + 20, bytes, IP_OFFSET + 20 + optionsLength,
            frame.length() - IP_OFFSET - 20);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.length));
        buffer.putBytes(0, bytes);
        ip.wrap(buffer, IP_OFFSET);
        ip.versionAndHeaderLength(28).totalLength(ip.totalLength() + optionsLength).updateChecksum();

        assertEquals(28, ip.headerLength());
        assertTrue(ip.isChecksumValid());
        buffer.putByte(IP_OFFSET + 25, (byte)0x02);
        assertFalse(ip.isChecksumValid(), "a flipped bit in the options must count");
    }
}
