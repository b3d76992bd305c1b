package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.tandem.dataplane.packet.HexFrames.IP_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The incremental checksum update of RFC 1624 ({@link Checksum#delta16}, {@link Checksum#delta32},
 * {@link Checksum#adjust}) as the NAT rewrite uses it, checked against a full recompute on every captured segment.
 * Edge values (0x0000 and 0xFFFF words, 0.0.0.0 and 255.255.255.255) are mixed in to reach the cases where
 * one's-complement arithmetic has two zeros and eqn. 2 of RFC 1624 would store 0xFFFF instead of 0x0000.
 */
class ChecksumIncrementalUpdateTest
{
    private static final int REWRITES_PER_FRAME = 2_000;
    private static final int[] EDGE_ADDRESSES =
    {
        0x0000_0000, 0xFFFF_FFFF, 0x0000_FFFF, 0xFFFF_0000, 0x0000_0001, 0xFFFF_FFFE, 0x8000_0000, 0x7FFF_FFFF
    };
    private static final int[] EDGE_WORDS = { 0x0000, 0xFFFF, 0x0001, 0xFFFE, 0x8000, 0x7FFF, 0x00FF, 0xFF00 };
    private static final int[] EDGE_TTLS = { 0, 1, 0x7F, 0x80, 0xFF };

    private final Ipv4Flyweight ip = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();

    @Test
    void shouldMatchTheRfc1624Example()
    {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 becomes m' = 0x3285. Recomputing gives 0x0000; eqn. 2
        // (HC - ~m - m') would give 0xFFFF, the "negative zero"; eqn. 3 gives 0x0000.
        assertEquals(0x0000, Checksum.adjust(0xDD2F, Checksum.delta16(0x5555, 0x3285)));
        assertEquals(0xDD2F, Checksum.adjust(0x0000, Checksum.delta16(0x3285, 0x5555)), "and back");
    }

    @Test
    void shouldMatchAFullRecomputeAfterRewritingAddressesAndPorts()
    {
        final Random random = new Random(1624);
        int rewrites = 0;
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final int at = 1 + (rewrites & 7);
            final UnsafeBuffer buffer = frame.bufferAt(at, 0);
            ip.wrap(buffer, at + IP_OFFSET);
            final int tcpIndex = HexFrames.tcpOffset(buffer, at);
            final int tcpLength = HexFrames.tcpLength(buffer, at);
            tcp.wrap(buffer, tcpIndex);

            // Each rewrite starts from the previous one, so an error anywhere would carry through to the end.
            for (int i = 0; i < REWRITES_PER_FRAME; i++)
            {
                final int src = pick(random, ip.src(), EDGE_ADDRESSES, random.nextInt());
                final int dst = pick(random, ip.dst(), EDGE_ADDRESSES, random.nextInt());
                final int srcPort = pick(random, tcp.srcPort(), EDGE_WORDS, random.nextInt(0x10000));
                final int dstPort = pick(random, tcp.dstPort(), EDGE_WORDS, random.nextInt(0x10000));

                final long addressDelta = Checksum.delta32(ip.src(), src) + Checksum.delta32(ip.dst(), dst);
                final long portDelta =
                    Checksum.delta16(tcp.srcPort(), srcPort) + Checksum.delta16(tcp.dstPort(), dstPort);
                ip.checksum(Checksum.adjust(ip.checksum(), addressDelta)).src(src).dst(dst);
                // The addresses are in the TCP pseudo-header, so the TCP checksum takes their delta too.
                tcp.checksum(Checksum.adjust(tcp.checksum(), addressDelta + portDelta))
                    .srcPort(srcPort)
                    .dstPort(dstPort);

                final String what = frame.description() + ", rewrite " + i + ": " + Bytes.ipv4ToString(src) + ":" +
                    srcPort + " > " + Bytes.ipv4ToString(dst) + ":" + dstPort;
                assertEquals(Checksum.ipv4Header(buffer, ip.offset(), ip.headerLength()), ip.checksum(), what);
                assertEquals(Checksum.tcp(buffer, tcpIndex, tcpLength, src, dst), tcp.checksum(), what);
                rewrites++;
            }
            assertTrue(ip.isChecksumValid(), frame::description);
            assertTrue(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()), frame::description);
        }
        assertEquals(14 * REWRITES_PER_FRAME, rewrites, "every captured TCP frame");
    }

    @Test
    void shouldMatchAFullRecomputeAfterRewritingTtlAndId()
    {
        final Random random = new Random(791);
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.bufferAt(3, 0);
            ip.wrap(buffer, 3 + IP_OFFSET);
            final int tcpIndex = HexFrames.tcpOffset(buffer, 3);
            final int tcpLength = HexFrames.tcpLength(buffer, 3);
            final int tcpChecksum = Bytes.u16(buffer, tcpIndex + TcpFlyweight.CHECKSUM_OFFSET);

            for (int i = 0; i < REWRITES_PER_FRAME; i++)
            {
                final int ttl = pick(random, ip.ttl(), EDGE_TTLS, random.nextInt(0x100));
                final int id = pick(random, ip.id(), EDGE_WORDS, random.nextInt(0x10000));
                // TTL shares its 16-bit word with the protocol.
                final int oldTtlWord = ip.ttl() << 8 | ip.protocol();
                final int newTtlWord = ttl << 8 | ip.protocol();
                final long delta = Checksum.delta16(oldTtlWord, newTtlWord) + Checksum.delta16(ip.id(), id);
                ip.checksum(Checksum.adjust(ip.checksum(), delta)).ttl(ttl).id(id);

                assertEquals(Checksum.ipv4Header(buffer, ip.offset(), ip.headerLength()), ip.checksum(),
                    frame.description() + ", ttl " + ttl + ", id " + id);
            }
            assertTrue(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()),
                "TTL and ID are not in the pseudo-header");
            assertEquals(tcpChecksum, Checksum.tcp(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()));
        }
    }

    @Test
    void shouldDecrementTtlHopByHopLikeARouter()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            ip.wrap(buffer, IP_OFFSET);
            ip.ttl(255).updateChecksum();
            while (ip.ttl() > 0)
            {
                final int word = ip.ttl() << 8 | ip.protocol();
                ip.checksum(Checksum.adjust(ip.checksum(), Checksum.delta16(word, word - 0x100))).ttl(ip.ttl() - 1);

                assertEquals(Checksum.ipv4Header(buffer, IP_OFFSET, ip.headerLength()), ip.checksum(),
                    frame::description);
            }
        }
    }

    @Test
    void shouldStoreZeroNotNegativeZeroWhenTheNewTcpSumIsAllOnes()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            ip.wrap(buffer, IP_OFFSET);
            final int tcpIndex = HexFrames.tcpOffset(buffer, 0);
            final int tcpLength = HexFrames.tcpLength(buffer, 0);
            tcp.wrap(buffer, tcpIndex);
            final int oldPort = tcp.srcPort();
            final int oldChecksum = tcp.checksum();

            // The source port that makes the one's-complement sum of everything else come to 0xFFFF.
            tcp.srcPort(0).checksum(0);
            final int rest = Checksum.fold(Checksum.sum(buffer, tcpIndex, tcpLength,
                Checksum.pseudoHeader(ip.src(), ip.dst(), tcpLength)));
            final int port = 0xFFFF - rest;
            tcp.srcPort(port).checksum(Checksum.adjust(oldChecksum, Checksum.delta16(oldPort, port)));

            assertEquals(0x0000, Checksum.tcp(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()), frame::description);
            assertEquals(0x0000, tcp.checksum(), frame::description);
            assertTrue(Checksum.isTcpValid(buffer, tcpIndex, tcpLength, ip.src(), ip.dst()), frame::description);

            // And away from zero again.
            tcp.checksum(Checksum.adjust(tcp.checksum(), Checksum.delta16(port, oldPort))).srcPort(oldPort);
            assertEquals(oldChecksum, tcp.checksum(), frame::description);
        }
    }

    @Test
    void shouldStoreZeroNotNegativeZeroWhenTheNewIpv4SumIsAllOnes()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            ip.wrap(buffer, IP_OFFSET);
            final int oldId = ip.id();
            final int oldChecksum = ip.checksum();

            ip.id(0).checksum(0);
            final int id = 0xFFFF - Checksum.fold(Checksum.sum(buffer, IP_OFFSET, ip.headerLength(), 0));
            ip.id(id).checksum(Checksum.adjust(oldChecksum, Checksum.delta16(oldId, id)));

            assertEquals(0x0000, Checksum.ipv4Header(buffer, IP_OFFSET, ip.headerLength()), frame::description);
            assertEquals(0x0000, ip.checksum(), frame::description);
            assertTrue(ip.isChecksumValid(), frame::description);
        }
    }

    @Test
    void shouldMakeTheDeltaOfAnAddressTheDeltasOfItsTwoWords()
    {
        final Random random = new Random(32);
        for (int i = 0; i < 100_000; i++)
        {
            final int from = i < 64 ? EDGE_ADDRESSES[i & 7] : random.nextInt();
            final int to = i < 64 ? EDGE_ADDRESSES[i >>> 3] : random.nextInt();
            final long words = Checksum.delta16(from >>> 16, to >>> 16) + Checksum.delta16(from & 0xFFFF, to & 0xFFFF);

            assertEquals(Checksum.fold(words), Checksum.fold(Checksum.delta32(from, to)));
            assertTrue(Checksum.delta32(from, to) >= 0 && Checksum.delta32(from, to) <= 4 * 0xFFFF);
        }
    }

    @Test
    void shouldLeaveTheChecksumAloneWhenNothingChanges()
    {
        for (final HexFrames.Frame frame : HexFrames.tcpFrames())
        {
            final UnsafeBuffer buffer = frame.buffer();
            ip.wrap(buffer, IP_OFFSET);
            tcp.wrap(buffer, HexFrames.tcpOffset(buffer, 0));

            assertEquals(ip.checksum(), Checksum.adjust(ip.checksum(), Checksum.delta32(ip.src(), ip.src())));
            assertEquals(tcp.checksum(), Checksum.adjust(tcp.checksum(),
                Checksum.delta32(ip.dst(), ip.dst()) + Checksum.delta16(tcp.srcPort(), tcp.srcPort())));
        }
    }

    /** One in four an edge value, one in eight the current value unchanged, otherwise the random one. */
    private static int pick(final Random random, final int current, final int[] edges, final int randomValue)
    {
        final int roll = random.nextInt(8);
        if (roll < 2)
        {
            return edges[random.nextInt(edges.length)];
        }
        return roll == 2 ? current : randomValue;
    }
}
