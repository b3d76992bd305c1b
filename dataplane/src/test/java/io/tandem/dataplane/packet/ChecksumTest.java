package io.tandem.dataplane.packet;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static io.tandem.dataplane.packet.HexFrames.IP_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Checksum} against the checksums the Linux kernel computed (offloads off, so complete in the frame), and
 * {@link Checksum#sum} against a plain 16-bit-word reference over odd lengths and unaligned offsets.
 */
class ChecksumTest
{
    @Test
    void shouldFindEveryKernelTcpChecksumValidAndRecomputeItExactly()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            // Offsets 0..7 move the 8-byte loads of sum() across every alignment.
            for (int offset = 0; offset < 8; offset++)
            {
                final int at = offset;
                final UnsafeBuffer buffer = frame.bufferAt(offset, 3);
                final Ipv4Flyweight ip = new Ipv4Flyweight();
                ip.wrap(buffer, offset + IP_OFFSET);
                final int tcpIndex = HexFrames.tcpOffset(buffer, offset);
                final int tcpLength = HexFrames.tcpLength(buffer, offset);
                final int stored = Bytes.u16(buffer, tcpIndex + TcpFlyweight.CHECKSUM_OFFSET);

                assertTrue(ip.isChecksumValid(), frame::description);
                assertEquals(ip.checksum(), Checksum.ipv4Header(buffer, offset + IP_OFFSET, ip.headerLength()));
                assertTrue(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()), frame::description);
                assertEquals(stored, Checksum.tcp(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()),
                    () -> frame.description() + " at offset " + at);
                assertEquals(stored, referenceTcpChecksum(frame.bytes()), "the reference agrees with the kernel");
            }
        }
    }

    @Test
    void shouldFindTheTcpChecksumInvalidAfterAnySingleBitFlipInThePayload()
    {
        int flipped = 0;
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            final Ipv4Flyweight ip = new Ipv4Flyweight();
            ip.wrap(buffer, IP_OFFSET);
            final TcpFlyweight tcp = new TcpFlyweight();
            final int tcpIndex = HexFrames.tcpOffset(buffer, 0);
            tcp.wrap(buffer, tcpIndex);
            final int tcpLength = HexFrames.tcpLength(buffer, 0);

            for (int index = tcpIndex + tcp.headerLength(); index < tcpIndex + tcpLength; index++)
            {
                final byte original = buffer.getByte(index);
                for (int bit = 0; bit < 8; bit++)
                {
                    buffer.putByte(index, (byte)(original ^ (1 << bit)));
                    assertFalse(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()));
                    flipped++;
                }
                buffer.putByte(index, original);
            }
            assertTrue(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()), frame::description);
        }
        assertEquals((1 + 37 + 1000 + 1000) * 8, flipped, "every payload bit of the capture");
    }

    @Test
    void shouldFindTheTcpChecksumInvalidAfterAnySingleBitFlipInTheHeaderOrPseudoHeader()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            final Ipv4Flyweight ip = new Ipv4Flyweight();
            ip.wrap(buffer, IP_OFFSET);
            final int tcpIndex = HexFrames.tcpOffset(buffer, 0);
            final int tcpLength = HexFrames.tcpLength(buffer, 0);
            final TcpFlyweight tcp = new TcpFlyweight();
            tcp.wrap(buffer, tcpIndex);

            for (int bit = 0; bit < tcp.headerLength() * 8; bit++)
            {
                final int index = tcpIndex + (bit >>> 3);
                final byte original = buffer.getByte(index);
                buffer.putByte(index, (byte)(original ^ (1 << (bit & 7))));
                assertFalse(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()));
                buffer.putByte(index, original);
            }
            for (int bit = 0; bit < 32; bit++)
            {
                assertFalse(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src() ^ (1 << bit), ip.dst()));
                assertFalse(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst() ^ (1 << bit)));
            }
            // The length counts too (in the pseudo-header and in what is summed): two bytes short must not pass.
            assertFalse(Checksum.isTcpValid(buffer, tcpIndex, tcpLength - 2, ip.src(), ip.dst()), frame::description);
        }
    }

    @Test
    void shouldComputeTheRfc1071Example()
    {
        // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        final UnsafeBuffer buffer = new UnsafeBuffer(HexFormat.of().parseHex("0001f203f4f5f6f7"));

        assertEquals(0xDDF2, Checksum.fold(Checksum.sum(buffer, 0, 8, 0)));
        assertEquals(0x220D, Checksum.finish(Checksum.sum(buffer, 0, 8, 0)));
    }

    @Test
    void shouldSumLikeTheReferenceOverEveryLengthAndOffset()
    {
        final Random random = new Random(0x7A4D_E401L);
        final byte[] data = new byte[1600];
        random.nextBytes(data);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(data.length + 16));

        for (int offset = 0; offset < 8; offset++)
        {
            buffer.setMemory(0, buffer.capacity(), (byte)0xFF);
            buffer.putBytes(offset, data);
            for (int length = 0; length <= 80; length++)
            {
                assertSum(buffer, data, offset, length, 0);
            }
            for (final int length : new int[]{ 1499, 1500, 1514, 1599, 1600 })
            {
                assertSum(buffer, data, offset, length, 0);
            }
        }
    }

    @Test
    void shouldSumLikeTheReferenceOverRandomSlicesAndRunningSums()
    {
        final Random random = new Random(0x5EED_1624L);
        final byte[] data = new byte[4096];
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(data.length + 8));
        for (int i = 0; i < 10_000; i++)
        {
            if (i % 100 == 0)
            {
                random.nextBytes(data);
                // Runs of 0x00 and 0xFF hit the carries hardest.
                Arrays.fill(data, 100, 300, (byte)0xFF);
                Arrays.fill(data, 300, 400, (byte)0x00);
            }
            final int offset = random.nextInt(8);
            buffer.putBytes(offset, data);
            final int length = random.nextInt(data.length + 1);
            final long initial = random.nextBoolean() ? 0 : random.nextLong() >>> 24;
            assertSum(buffer, data, offset, length, initial);
        }
    }

    @Test
    void shouldSumZeroLengthToTheRunningSumUnchanged()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4));
        buffer.setMemory(0, 4, (byte)0xFF);

        assertEquals(0, Checksum.sum(buffer, 0, 0, 0));
        assertEquals(12345, Checksum.sum(buffer, 3, 0, 12345));
        assertEquals(12345, Checksum.sum(buffer, 4, 0, 12345), "zero bytes at the very end of the buffer");
    }

    @Test
    void shouldPadAnOddTrailingByteOnTheRight()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(HexFormat.of().parseHex("0102ab"));

        assertEquals(0x0102 + 0xAB00, Checksum.fold(Checksum.sum(buffer, 0, 3, 0)));
        assertEquals(0xAB00, Checksum.fold(Checksum.sum(buffer, 2, 1, 0)));
    }

    @Test
    void shouldNotReadPastTheEnd()
    {
        // A buffer exactly as long as the data: bounds checks catch any over-read of the 8-, 4- or 2-byte loads.
        for (int length = 0; length <= 33; length++)
        {
            final byte[] data = new byte[length];
            Arrays.fill(data, (byte)0xFF);
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(length, 1)), 0, length);

            buffer.putBytes(0, data);
            assertEquals(referenceFold(data, 0, length, 0), Checksum.fold(Checksum.sum(buffer, 0, length, 0)));
        }
    }

    @Test
    void shouldFoldWithEndAroundCarry()
    {
        assertEquals(0, Checksum.fold(0));
        assertEquals(0xFFFF, Checksum.fold(0xFFFF));
        assertEquals(1, Checksum.fold(0x1_0000));
        assertEquals(0xFFFF, Checksum.fold(0x1_FFFE));
        assertEquals(0xFFFF, Checksum.fold(0xFFFF_FFFFL));
        assertEquals(0x7FFF, Checksum.fold(Long.MAX_VALUE), "2^63 is 2^15 modulo 2^16 - 1");
        assertEquals(0xFFFF, Checksum.fold(-1L), "2^64 - 1 is a multiple of 2^16 - 1");

        // Sums whose first folds leave a carry again, e.g. 2^32 + 0xFFFF -> 0x1FFFF -> 0x10000 -> 1.
        assertEquals(1, Checksum.fold(0x1_0000_FFFFL));
        final long[] halves = { 0, 1, 0xFFFE, 0xFFFF, 0x1_0000, 0x1_FFFF, 0xFFFF_0000L, 0xFFFE_FFFFL, 0xFFFF_FFFFL };
        for (final long high : halves)
        {
            for (final long low : halves)
            {
                final long sum = high << 32 | low;
                if (sum != 0)
                {
                    final long expected = Long.remainderUnsigned(sum - 1, 0xFFFF) + 1;
                    assertEquals(expected, Checksum.fold(sum), Long.toHexString(sum));
                }
            }
        }

        // For a non-zero sum, taken as unsigned 64 bits, folding yields the residue modulo 0xFFFF written 1..0xFFFF.
        final Random random = new Random(42);
        for (int i = 0; i < 100_000; i++)
        {
            final long sum = (random.nextLong() >>> random.nextInt(64)) | 1;
            assertEquals(Long.remainderUnsigned(sum - 1, 0xFFFF) + 1, Checksum.fold(sum), Long.toHexString(sum));
        }
    }

    @Test
    void shouldValidateOnlyAnAllOnesSum()
    {
        assertTrue(Checksum.isValid(0xFFFF));
        assertTrue(Checksum.isValid(0x2_FFFD));
        assertFalse(Checksum.isValid(0));
        assertFalse(Checksum.isValid(0xFFFE));
        assertEquals(0, Checksum.finish(0xFFFF));
        assertEquals(0xFFFF, Checksum.finish(0));
    }

    @Test
    void shouldSumThePseudoHeaderLikeItsTwelveBytes()
    {
        final Random random = new Random(7);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[12]);
        for (int i = 0; i < 10_000; i++)
        {
            final int src = i < 4 ? (i & 1) * -1 : random.nextInt();
            final int dst = i < 4 ? (i >>> 1) * -1 : random.nextInt();
            final int length = random.nextInt(65536);
            Bytes.i32(buffer, 0, src);
            Bytes.i32(buffer, 4, dst);
            buffer.putByte(8, (byte)0);
            buffer.putByte(9, (byte)Ipv4Flyweight.PROTOCOL_TCP);
            Bytes.u16(buffer, 10, length);

            assertEquals(referenceFold(buffer.byteArray(), 0, 12, 0),
                Checksum.fold(Checksum.pseudoHeader(src, dst, length)));
        }
    }

    private static void assertSum(
        final DirectBuffer buffer, final byte[] data, final int offset, final int length, final long initial)
    {
        final int expected = referenceFold(data, 0, length, initial);
        final int actual = Checksum.fold(Checksum.sum(buffer, offset, length, initial));
        assertEquals(expected, actual, () -> "offset " + offset + ", length " + length + ", initial " + initial);
    }

    /**
     * RFC 1071 as written: add big-endian 16-bit words one at a time, pad an odd last byte with zero, fold.
     */
    static int referenceFold(final byte[] data, final int from, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int high = data[from + i] & 0xFF;
            final int low = i + 1 < length ? data[from + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    /** The TCP checksum of a whole Ethernet frame, from its bytes only, with the checksum field taken as zero. */
    static int referenceTcpChecksum(final byte[] frame)
    {
        final int ip = IP_OFFSET;
        final int ipHeaderLength = (frame[ip] & 0x0F) * 4;
        final int totalLength = ((frame[ip + 2] & 0xFF) << 8) | (frame[ip + 3] & 0xFF);
        final int tcpLength = totalLength - ipHeaderLength;
        final byte[] pseudo = new byte[12 + tcpLength];
        System.arraycopy(frame, ip + 12, pseudo, 0, 8);
        pseudo[9] = (byte)Ipv4Flyweight.PROTOCOL_TCP;
        pseudo[10] = (byte)(tcpLength >>> 8);
        pseudo[11] = (byte)tcpLength;
        System.arraycopy(frame, ip + ipHeaderLength, pseudo, 12, tcpLength);
        pseudo[12 + TcpFlyweight.CHECKSUM_OFFSET] = 0;
        pseudo[12 + TcpFlyweight.CHECKSUM_OFFSET + 1] = 0;
        return ~referenceFold(pseudo, 0, pseudo.length, 0) & 0xFFFF;
    }
}
