package io.tandem.dataplane.packet;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/**
 * The Internet checksum (RFC 1071), its incremental update (RFC 1624, eqn. 3), and the IPv4 and TCP checksums
 * built on it.
 * <p>
 * A <em>sum</em> here is the one's-complement sum of big-endian 16-bit words kept unfolded in a {@code long}; it
 * is folded to 16 bits only at the end. Summing 32-bit words and folding gives the same result, because
 * 2<sup>16</sup> ≡ 1 modulo 2<sup>16</sup>−1; the loop therefore reads 8 bytes at a time. Stateless and
 * allocation-free.
 */
public final class Checksum
{
    private Checksum()
    {
    }

    /**
     * Adds the bytes {@code [index, index + length)} to a running sum. An odd trailing byte is padded with zero on
     * the right, as RFC 1071 says. {@code index} must be at an even distance from the start of the checksummed
     * data for the result to be meaningful. The region is bounds-checked once, then read without per-word checks.
     *
     * @param buffer holding the bytes.
     * @param index  of the first byte.
     * @param length in bytes, may be zero.
     * @param sum    running sum to add to (0 to start).
     * @return the new running sum, unfolded.
     * @throws IndexOutOfBoundsException when the region does not lie within the buffer.
     */
    public static long sum(final DirectBuffer buffer, final int index, final int length, final long sum)
    {
        if (index < 0 || length < 0 || index > buffer.capacity() - length)
        {
            throw new IndexOutOfBoundsException("index=" + index + " length=" + length + " capacity=" +
                buffer.capacity());
        }
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset();
        long acc = sum;
        long i = address + index;
        final long end = i + length;
        for (final long limit = end - 7; i < limit; i += 8)
        {
            final long word = UnsafeApi.getLongUnaligned(array, i, true);
            acc += (word >>> 32) + (word & 0xFFFF_FFFFL);
        }
        if (end - i >= 4)
        {
            acc += UnsafeApi.getIntUnaligned(array, i, true) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (end - i >= 2)
        {
            acc += UnsafeApi.getShortUnaligned(array, i, true) & 0xFFFF;
            i += 2;
        }
        if (i < end)
        {
            acc += (UnsafeApi.getByte(array, i) & 0xFF) << 8;
        }
        return acc;
    }

    /**
     * Folds an unfolded sum to 16 bits with end-around carry.
     *
     * @param sum unfolded one's-complement sum.
     * @return the folded sum, 0..0xFFFF.
     */
    public static int fold(final long sum)
    {
        long s = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return (int)s;
    }

    /**
     * @param sum the unfolded sum over data that includes its checksum field.
     * @return true when the data checks: the folded sum is 0xFFFF.
     */
    public static boolean isValid(final long sum)
    {
        return fold(sum) == 0xFFFF;
    }

    /**
     * @param sum unfolded sum over data whose checksum field was zero or skipped.
     * @return the checksum to store: the complement of the folded sum.
     */
    public static int finish(final long sum)
    {
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * Computes the IPv4 header checksum, skipping the checksum field itself.
     *
     * @param buffer       holding the header.
     * @param index        of the header.
     * @param headerLength in bytes (IHL × 4).
     * @return the checksum to store.
     */
    public static int ipv4Header(final DirectBuffer buffer, final int index, final int headerLength)
    {
        final long s = sum(buffer, index, Ipv4Flyweight.CHECKSUM_OFFSET, 0);
        return finish(sum(buffer, index + Ipv4Flyweight.CHECKSUM_OFFSET + 2,
            headerLength - Ipv4Flyweight.CHECKSUM_OFFSET - 2, s));
    }

    /**
     * The TCP pseudo-header (RFC 9293 §3.1) as a sum: source, destination, zero + protocol, TCP length.
     *
     * @param src       source address.
     * @param dst       destination address.
     * @param tcpLength TCP header plus payload in bytes.
     * @return unfolded sum.
     */
    public static long pseudoHeader(final int src, final int dst, final int tcpLength)
    {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + Ipv4Flyweight.PROTOCOL_TCP + tcpLength;
    }

    /**
     * Computes the TCP checksum of a segment, skipping its checksum field.
     *
     * @param buffer    holding the segment.
     * @param tcpIndex  of the TCP header.
     * @param tcpLength header plus payload in bytes.
     * @param src       IPv4 source address.
     * @param dst       IPv4 destination address.
     * @return the checksum to store.
     */
    public static int tcp(
        final DirectBuffer buffer, final int tcpIndex, final int tcpLength, final int src, final int dst)
    {
        long s = pseudoHeader(src, dst, tcpLength);
        s = sum(buffer, tcpIndex, TcpFlyweight.CHECKSUM_OFFSET, s);
        s = sum(buffer, tcpIndex + TcpFlyweight.CHECKSUM_OFFSET + 2,
            tcpLength - TcpFlyweight.CHECKSUM_OFFSET - 2, s);
        return finish(s);
    }

    /**
     * @return true when the stored TCP checksum of the segment is correct.
     */
    public static boolean isTcpValid(
        final DirectBuffer buffer, final int tcpIndex, final int tcpLength, final int src, final int dst)
    {
        return isValid(sum(buffer, tcpIndex, tcpLength, pseudoHeader(src, dst, tcpLength)));
    }

    /**
     * The part of an RFC 1624 update that one changed 16-bit word contributes: {@code ~m + m'}.
     * Add the deltas of all changed words and hand the total to {@link #adjust(int, long)}.
     */
    public static long delta16(final int oldWord, final int newWord)
    {
        return (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
    }

    /**
     * The delta of a changed 32-bit field, such as an IPv4 address: both of its 16-bit words.
     */
    public static long delta32(final int oldValue, final int newValue)
    {
        return (~oldValue >>> 16) + (~oldValue & 0xFFFF) + (newValue >>> 16) + (newValue & 0xFFFF);
    }

    /**
     * Updates a checksum for changed words, RFC 1624 eqn. 3: {@code HC' = ~(~HC + ~m + m')}.
     *
     * @param checksum as stored before the change.
     * @param delta    sum of {@link #delta16}/{@link #delta32} over every changed word.
     * @return the checksum to store.
     */
    public static int adjust(final int checksum, final long delta)
    {
        return ~fold((~checksum & 0xFFFF) + delta) & 0xFFFF;
    }
}
