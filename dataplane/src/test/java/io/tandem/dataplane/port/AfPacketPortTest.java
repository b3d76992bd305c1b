package io.tandem.dataplane.port;

import io.tandem.dataplane.packet.Checksum;
import io.tandem.ffi.Errno;
import io.tandem.ffi.NativeException;
import io.tandem.ffi.Netns;
import io.tandem.ffi.PacketRingContext;
import io.tandem.ffi.PacketSocket;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AF_PACKET ports on both ends of a veth pair between two namespaces: real frames, real kernel. What depends on the
 * RX ring runs for both versions, TPACKET_V2 (1) and TPACKET_V3 (2).
 */
@Tag("root")
class AfPacketPortTest
{
    /** IEEE 802 local experimental EtherType: both namespaces' kernels ignore such frames. */
    static final int ETHER_TYPE_TEST = 0x88B5;
    static final int ETHER_TYPE_IPV4 = 0x0800;

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldCarryFramesBothWaysByteForByte(final int version) throws Exception
    {
        try (Pair pair = new Pair("afb", "198.18.210", rx(version)))
        {
            final List<byte[]> aToB = new ArrayList<>();
            final List<byte[]> bToA = new ArrayList<>();
            for (int i = 0; i < 50; i++)
            {
                aToB.add(testFrame(i, 60 + (i * 97) % 1455));
                bToA.add(testFrame(1000 + i, 1514 - (i * 31) % 1455));
            }
            for (int i = 0; i < aToB.size(); i++)
            {
                assertTrue(pair.portA.transmit(new UnsafeBuffer(aToB.get(i)), 0, aToB.get(i).length));
                assertTrue(pair.portB.transmit(new UnsafeBuffer(bToA.get(i)), 0, bToA.get(i).length));
            }
            pair.portA.flush();
            pair.portB.flush();

            final Collector atB = new Collector(ETHER_TYPE_TEST);
            final Collector atA = new Collector(ETHER_TYPE_TEST);
            receiveUntil(pair.portB, atB, aToB.size(), 5_000);
            receiveUntil(pair.portA, atA, bToA.size(), 5_000);
            assertEquals(aToB.size(), atB.frames.size());
            assertEquals(bToA.size(), atA.frames.size());
            for (int i = 0; i < aToB.size(); i++)
            {
                assertArrayEquals(aToB.get(i), atB.frames.get(i), "a -> b frame " + i);
                assertArrayEquals(bToA.get(i), atA.frames.get(i), "b -> a frame " + i);
                assertEquals(0, atB.flags.get(i), "no checksum to speak of in a raw frame");
            }
            receiveUntil(pair.portA, atA, bToA.size() + 1, 50);
            assertEquals(bToA.size(), atA.frames.size(), "PACKET_IGNORE_OUTGOING: a's ring never sees a's own frames");
            assertEquals(aToB.size(), pair.portA.framesTransmitted());
            assertEquals(bToA.size(), pair.portB.framesTransmitted());
            assertEquals(0, pair.portA.framesTruncated());
            assertEquals(version, pair.portA.receiver().ring().version());
            assertTrue(pair.portA.kernelPackets() >= bToA.size());
            assertEquals(0, pair.portA.kernelDrops());
        }
    }

    @Test
    void shouldSkipFramesTheKernelRefusesAndCarryOn() throws Exception
    {
        try (Pair pair = new Pair("afr", "198.18.210", new PacketRingContext()))
        {
            final AfPacketPort a = pair.portA;
            assertEquals(2016, a.maxTransmitLength());
            assertFalse(a.transmit(new UnsafeBuffer(new byte[2017]), 0, 2017), "longer than a slot");
            assertFalse(a.transmit(new UnsafeBuffer(new byte[10]), 0, 0), "empty");
            assertEquals(2, a.txOversize());

            // longer than MTU + Ethernet header: the kernel drops the slot (PACKET_LOSS) instead of stalling
            final UnsafeBuffer tooLong = new UnsafeBuffer(testFrame(1, 1600));
            final byte[] fine = testFrame(2, 100);
            final UnsafeBuffer fineBuffer = new UnsafeBuffer(fine);
            final Collector atB = new Collector(ETHER_TYPE_TEST);
            int accepted = 0;
            for (int round = 0; round < 3 * 1024; round++)
            {
                final boolean even = round % 2 == 0;
                accepted += a.transmit(even ? tooLong : fineBuffer, 0, even ? 1600 : 100) ? 1 : 0;
                if (round % 64 == 63)
                {
                    a.flush();
                    pair.portB.receive(atB, 256);
                }
            }
            assertEquals(3 * 1024, accepted);
            receiveUntil(pair.portB, atB, 3 * 512, 5_000);
            assertEquals(3 * 512, atB.frames.size(), "every frame that fits the MTU, three times round the ring");
            atB.frames.forEach(f -> assertArrayEquals(fine, f));
            assertEquals(0, a.txFull());
        }
    }

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldSeePingFromThePeerButNotItsOwnReplies(final int version) throws Exception
    {
        try (Pair pair = new Pair("afp", "198.18.211", rx(version)))
        {
            pair.b.exec("ping", "-c", "3", "-i", "0.2", "-W", "2", pair.addressA);
            final Collector atA = new Collector(ETHER_TYPE_IPV4);
            final Collector atB = new Collector(ETHER_TYPE_IPV4);
            receiveUntil(pair.portA, atA, 3, 2_000);
            receiveUntil(pair.portB, atB, 3, 2_000);

            final List<byte[]> requests = icmp(atA.frames, 8);
            assertEquals(3, requests.size(), "echo requests from b");
            assertEquals(0, icmp(atA.frames, 0).size(), "a's own replies stay out of a's ring");
            assertEquals(3, icmp(atB.frames, 0).size(), "b's port sees a's replies");
            for (final byte[] frame : requests)
            {
                final UnsafeBuffer buffer = new UnsafeBuffer(frame);
                assertEquals(ipv4(pair.addressB), buffer.getInt(26, ByteOrder.BIG_ENDIAN));
                assertEquals(ipv4(pair.addressA), buffer.getInt(30, ByteOrder.BIG_ENDIAN));
                assertEquals(buffer.getShort(24, ByteOrder.BIG_ENDIAN) & 0xFFFF, Checksum.ipv4Header(buffer, 14, 20),
                    "the frame arrives as b's kernel wrote it");
                assertTrue(Checksum.isValid(Checksum.sum(buffer, 34, frame.length - 34, 0)), "ICMP checksum");
            }
            System.out.printf("ping b -> a: frame flags at a %s (offloads off on both ends)%n", atA.flags);
        }
    }

    /**
     * 10 000 frames each way in bursts of 64 with one kick per burst, both directions at once: none lost, each
     * ring hands them over in the order sent.
     */
    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldCarryABurstEachWayWithoutLossInOrder(final int version) throws Exception
    {
        try (Pair pair = new Pair("afs", "198.18.212", rx(version)))
        {
            final int count = 10_000;
            final SequenceChecker atA = new SequenceChecker();
            final SequenceChecker atB = new SequenceChecker();
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[128]);
            frame.putBytes(0, testFrame(0, 128));
            int sentA = 0;
            int sentB = 0;
            final long start = System.nanoTime();
            final long deadline = start + TimeUnit.SECONDS.toNanos(30);
            while ((atA.received < count || atB.received < count) && System.nanoTime() < deadline)
            {
                for (int i = 0; i < 64 && sentA < count; i++)
                {
                    frame.putInt(14, sentA, ByteOrder.BIG_ENDIAN);
                    if (!pair.portA.transmit(frame, 0, 128))
                    {
                        break;
                    }
                    sentA++;
                }
                for (int i = 0; i < 64 && sentB < count; i++)
                {
                    frame.putInt(14, sentB, ByteOrder.BIG_ENDIAN);
                    if (!pair.portB.transmit(frame, 0, 128))
                    {
                        break;
                    }
                    sentB++;
                }
                pair.portA.flush();
                pair.portB.flush();
                final int work = pair.portA.receive(atA, 256) + pair.portB.receive(atB, 256);
                if (work == 0 && sentA == count && sentB == count)
                {
                    pair.portA.awaitReceive(1);
                }
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("V%d burst: %d + %d frames of 128 B in %.3f s = %.0f frames/s through both pairs of " +
                "rings; kicks a %d, b %d; kick errors a %d, b %d; kernel drops a %d, b %d%n", version + 1,
                atA.received, atB.received, seconds, (atA.received + atB.received) / seconds,
                pair.portA.txKicks(), pair.portB.txKicks(), pair.portA.txKickErrors(), pair.portB.txKickErrors(),
                pair.portA.kernelDrops(), pair.portB.kernelDrops());
            assertEquals(count, atA.received, "b -> a, none lost");
            assertEquals(count, atB.received, "a -> b, none lost");
            assertEquals(0, atA.outOfOrder + atB.outOfOrder, "in order");
        }
    }

    /**
     * As fast as one thread can fill one ring and drain the other: reports the rate and what got lost where. Both
     * versions with 8 MiB of RX ring: V3 64 × 128 KiB, V2 128 × 64 KiB (4096 slots).
     */
    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldReportThroughputOneWay(final int version) throws Exception
    {
        final PacketRingContext context = rx(version);
        context.rxBlockCount(context.rxBlockCount() * 2);
        try (Pair pair = new Pair("aft", "198.18.213", context))
        {
            for (final int length : new int[]{64, 1514})
            {
                final int count = length == 64 ? 300_000 : 100_000;
                final SequenceChecker atB = new SequenceChecker();
                final UnsafeBuffer frame = new UnsafeBuffer(new byte[length]);
                frame.putBytes(0, testFrame(0, length));
                int sent = 0;
                int full = 0;
                final long start = System.nanoTime();
                final long deadline = start + TimeUnit.SECONDS.toNanos(20);
                while (sent < count && System.nanoTime() < deadline)
                {
                    for (int i = 0; i < 64 && sent < count; i++)
                    {
                        frame.putInt(14, sent, ByteOrder.BIG_ENDIAN);
                        if (!pair.portA.transmit(frame, 0, length))
                        {
                            full++;
                            break;
                        }
                        sent++;
                    }
                    pair.portA.flush();
                    pair.portB.receive(atB, 1024);
                }
                final long sentNs = System.nanoTime() - start;
                final long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (atB.received < sent && System.nanoTime() < drainDeadline)
                {
                    if (pair.portB.receive(atB, 1024) == 0)
                    {
                        pair.portB.awaitReceive(5);
                    }
                }
                final double seconds = sentNs / 1e9;
                System.out.printf("V%d one way, %d B: sent %d in %.3f s = %.0f frames/s (%.2f Gbit/s), received %d " +
                    "(%.2f %%), out of order %d, tx full %d, kick errors %d, rx ring drops %d%n",
                    version + 1, length, sent, seconds, sent / seconds, sent * length * 8 / seconds / 1e9, atB.received,
                    100.0 * atB.received / sent, atB.outOfOrder, full, pair.portA.txKickErrors(),
                    pair.portB.kernelDrops());
                assertTrue(atB.received > 0);
                assertEquals(0, atB.outOfOrder);
            }
        }
    }

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldSpreadFlowsOverAFanoutGroupKeepingEachFlowOnOnePort(final int version) throws Exception
    {
        try (Pair pair = new Pair("aff", "198.18.214", rx(version)))
        {
            final PacketRingContext fanout = rx(version).txFrameCount(128)
                .fanout(4242, PacketSocket.PACKET_FANOUT_HASH);
            final AfPacketPort first = pair.a.call(() -> new AfPacketPort(pair.ifA, fanout));
            try (first; AfPacketPort second = pair.a.call(() -> new AfPacketPort(pair.ifA, fanout)))
            {
                final int flows = 64;
                final int perFlow = 10;
                final Collector one = new Collector(ETHER_TYPE_IPV4);
                final Collector two = new Collector(ETHER_TYPE_IPV4);
                for (int round = 0; round < perFlow; round++)
                {
                    for (int flow = 0; flow < flows; flow++)
                    {
                        final byte[] frame = udpFrame(pair.addressB, pair.addressA, 20_000 + flow, 9, round);
                        assertTrue(pair.portB.transmit(new UnsafeBuffer(frame), 0, frame.length));
                    }
                    pair.portB.flush();
                    first.receive(one, 256);
                    second.receive(two, 256);
                }
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (udp(one.frames).size() + udp(two.frames).size() < flows * perFlow &&
                    System.nanoTime() < deadline)
                {
                    if (first.receive(one, 64) + second.receive(two, 64) == 0)
                    {
                        first.awaitReceive(2);
                    }
                }
                final Map<Integer, Integer> portsOfFlowAtOne = flowCounts(udp(one.frames));
                final Map<Integer, Integer> portsOfFlowAtTwo = flowCounts(udp(two.frames));
                System.out.printf("fanout HASH over 2 ports: %d flows on the first, %d on the second%n",
                    portsOfFlowAtOne.size(), portsOfFlowAtTwo.size());
                assertEquals(flows * perFlow, udp(one.frames).size() + udp(two.frames).size());
                assertFalse(portsOfFlowAtOne.isEmpty(), "both ports get a share");
                assertFalse(portsOfFlowAtTwo.isEmpty(), "both ports get a share");
                for (final Map.Entry<Integer, Integer> flow : portsOfFlowAtOne.entrySet())
                {
                    assertFalse(portsOfFlowAtTwo.containsKey(flow.getKey()), "flow " + flow.getKey() + " split");
                    assertEquals(perFlow, flow.getValue());
                }
                portsOfFlowAtTwo.values().forEach(n -> assertEquals(perFlow, n));
            }
        }
    }

    /**
     * A TPACKET_V3 ring that nobody drains fills one block per block timeout even when frames are few: its capacity
     * at a low rate is blocks × timeout, not bytes. Then the kernel drops and counts, and thaws when a block comes
     * back.
     */
    @Test
    void shouldCountKernelDropsWhenTheWorkerStallsAndRecover() throws Exception
    {
        final PacketRingContext small = rx(PacketSocket.TPACKET_V3).rxBlockCount(2).rxBlockTimeoutMs(2);
        try (Pair pair = new Pair("afd", "198.18.215", small))
        {
            final UnsafeBuffer frame = new UnsafeBuffer(testFrame(0, 100));
            for (int i = 0; i < 10; i++)
            {
                frame.putInt(14, i, ByteOrder.BIG_ENDIAN);
                assertTrue(pair.portA.transmit(frame, 0, 100));
                pair.portA.flush();
                Thread.sleep(10);
            }
            final long drops = pair.portB.kernelDrops();
            final long freezes = pair.portB.kernelFreezes();
            final Collector atB = new Collector(ETHER_TYPE_TEST);
            receiveUntil(pair.portB, atB, 10, 200);
            System.out.printf("stalled V3 ring of 2 blocks, 10 frames 10 ms apart: received %d, kernel drops %d, " +
                "freezes %d%n", atB.frames.size(), drops, freezes);
            assertTrue(drops >= 1, "the kernel counted what it dropped");
            assertTrue(freezes >= 1, "and the freeze");
            // the kernel's own frames (IPv6 neighbour discovery) may be among the dropped ones
            assertTrue(atB.frames.size() + drops >= 10, "every frame either arrived or was counted");

            frame.putInt(14, 99, ByteOrder.BIG_ENDIAN);
            assertTrue(pair.portA.transmit(frame, 0, 100));
            pair.portA.flush();
            receiveUntil(pair.portB, atB, (int)(10 - drops + 1), 1_000);
            assertEquals(99, new UnsafeBuffer(atB.frames.getLast()).getInt(14, ByteOrder.BIG_ENDIAN),
                "frames flow again once blocks are back");
        }
    }

    /**
     * A TPACKET_V2 ring holds a number of frames whatever the time: one block of 4 KiB is two slots. The third
     * frame is dropped and counted; the ring thaws as soon as the worker takes the two it holds, and the slots stay
     * in step with the kernel's (the next frame lands in the next slot the worker looks at).
     */
    @Test
    void shouldCountKernelDropsWhenAV2RingIsFullAndRecover() throws Exception
    {
        final PacketRingContext small = rx(PacketSocket.TPACKET_V2).rxBlockCount(1).rxBlockSize(4096);
        try (Pair pair = new Pair("afe", "198.18.215", small))
        {
            assertEquals(2, pair.portB.receiver().ring().frameCount());
            final UnsafeBuffer frame = new UnsafeBuffer(testFrame(0, 100));
            for (int i = 0; i < 10; i++)
            {
                frame.putInt(14, i, ByteOrder.BIG_ENDIAN);
                assertTrue(pair.portA.transmit(frame, 0, 100));
                pair.portA.flush();
            }
            Thread.sleep(20);
            final long drops = pair.portB.kernelDrops();
            final Collector atB = new Collector(ETHER_TYPE_TEST);
            receiveUntil(pair.portB, atB, 10, 200);
            System.out.printf("full V2 ring of 2 slots, 10 frames: received %d, kernel drops %d, freezes %d%n",
                atB.frames.size(), drops, pair.portB.kernelFreezes());
            assertEquals(2, atB.frames.size(), "what the two slots held");
            assertEquals(0, new UnsafeBuffer(atB.frames.get(0)).getInt(14, ByteOrder.BIG_ENDIAN));
            assertEquals(1, new UnsafeBuffer(atB.frames.get(1)).getInt(14, ByteOrder.BIG_ENDIAN));
            assertTrue(drops >= 8, "the kernel counted every frame it had no slot for: " + drops);

            for (int i = 0; i < 5; i++)
            {
                frame.putInt(14, 100 + i, ByteOrder.BIG_ENDIAN);
                assertTrue(pair.portA.transmit(frame, 0, 100));
                pair.portA.flush();
                receiveUntil(pair.portB, atB, 3 + i, 1_000);
                assertEquals(100 + i, new UnsafeBuffer(atB.frames.getLast()).getInt(14, ByteOrder.BIG_ENDIAN),
                    "frames flow again once slots are back, round the ring and round again");
            }
        }
    }

    @Test
    void shouldNameTheMissingInterface()
    {
        final NativeException ex = assertThrows(NativeException.class, () -> new AfPacketPort("tdm-nosuch0"));
        assertEquals(Errno.ENODEV, ex.errno());
        assertTrue(ex.getMessage().contains("tdm-nosuch0"), ex.getMessage());
        assertTrue(ex.getMessage().contains("ENODEV"), ex.getMessage());
    }

    @Test
    void shouldCloseBothSocketsOnce() throws Exception
    {
        try (Netns a = Netns.create("afc"))
        {
            final AfPacketPort port = a.call(() -> new AfPacketPort("lo"));
            port.close();
            port.close();
            assertEquals(-1, port.receiver().fd());
            assertEquals(-1, port.transmitter().fd());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // fixtures, shared with the other AfPacket*Test classes

    /** @return the default rings with an RX ring of {@code version}. */
    static PacketRingContext rx(final int version)
    {
        return new PacketRingContext().rxVersion(version);
    }

    /** Two namespaces joined by a veth pair with addresses, a port on each end; closes all of it. */
    static final class Pair implements AutoCloseable
    {
        final Netns a;
        final Netns b;
        final String ifA;
        final String ifB;
        final String addressA;
        final String addressB;
        final AfPacketPort portA;
        final AfPacketPort portB;

        /**
         * @param label  a few letters, part of the namespace and interface names.
         * @param prefix the first three octets of a /24 inside 198.18.0.0/15.
         */
        Pair(final String label, final String prefix, final PacketRingContext context) throws Exception
        {
            this(label, prefix, context, true);
        }

        Pair(final String label, final String prefix, final PacketRingContext context, final boolean ports)
            throws Exception
        {
            assertTrue(prefix.startsWith("198.18.") || prefix.startsWith("198.19."), "benchmark addresses only");
            this.ifA = "tdm" + label + "a";
            this.ifB = "tdm" + label + "b";
            this.addressA = prefix + ".1";
            this.addressB = prefix + ".2";
            Netns nsA = null;
            Netns nsB = null;
            AfPacketPort pA = null;
            try
            {
                nsA = Netns.create(label + "a");
                nsB = Netns.create(label + "b");
                // no IPv6 neighbour discovery chatter in the rings
                for (final Netns netns : new Netns[]{nsA, nsB})
                {
                    netns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1");
                }
                Netns.veth(nsA, ifA, nsB, ifB);
                nsA.ip("addr", "add", addressA + "/24", "dev", ifA);
                nsB.ip("addr", "add", addressB + "/24", "dev", ifB);
                if (ports)
                {
                    pA = nsA.call(() -> new AfPacketPort(ifA, context));
                    this.portB = nsB.call(() -> new AfPacketPort(ifB, context));
                }
                else
                {
                    this.portB = null;
                }
            }
            catch (final Exception | Error ex)
            {
                if (null != pA)
                {
                    pA.close();
                }
                closeQuietly(nsA);
                closeQuietly(nsB);
                throw ex;
            }
            this.a = nsA;
            this.b = nsB;
            this.portA = pA;
        }

        private static void closeQuietly(final Netns netns)
        {
            if (null != netns)
            {
                netns.close();
            }
        }

        @Override
        public void close()
        {
            try
            {
                if (null != portA)
                {
                    portA.close();
                }
                if (null != portB)
                {
                    portB.close();
                }
            }
            finally
            {
                a.close();
                b.close();
            }
        }
    }

    /** Copies the frames of one EtherType; counts the others. Allocates: for tests. */
    static final class Collector implements FrameHandler
    {
        final int etherType;
        final List<byte[]> frames = new ArrayList<>();
        final List<Integer> flags = new ArrayList<>();
        int foreign;

        Collector(final int etherType)
        {
            this.etherType = etherType;
        }

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int flags)
        {
            if (length >= 14 && (buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) == etherType)
            {
                final byte[] frame = new byte[length];
                buffer.getBytes(offset, frame);
                frames.add(frame);
                this.flags.add(flags);
            }
            else
            {
                foreign++;
            }
        }
    }

    /** Counts test frames and checks their sequence numbers (at 14) follow one another. Allocation-free. */
    static final class SequenceChecker implements FrameHandler
    {
        int received;
        int outOfOrder;
        int lengthMismatch;
        int expectedLength = -1;

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int flags)
        {
            if (length < 18 || (buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != ETHER_TYPE_TEST)
            {
                return;
            }
            if (buffer.getInt(offset + 14, ByteOrder.BIG_ENDIAN) != received)
            {
                outOfOrder++;
            }
            if (expectedLength >= 0 && length != expectedLength)
            {
                lengthMismatch++;
            }
            received++;
        }
    }

    /** Receives until {@code collector} holds {@code expected} frames or the time is up. */
    static void receiveUntil(
        final AfPacketPort port, final Collector collector, final int expected, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (collector.frames.size() < expected && System.nanoTime() < deadline)
        {
            if (port.receive(collector, 64) == 0)
            {
                port.awaitReceive(5);
            }
        }
    }

    /** A frame of {@link #ETHER_TYPE_TEST}: locally administered MACs, a sequence number at 14, a pattern after. */
    static byte[] testFrame(final int sequence, final int length)
    {
        final byte[] frame = new byte[length];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putBytes(0, new byte[]{2, 0, 0, 0, 0, 0x0A, 2, 0, 0, 0, 0, 0x0B});
        buffer.putShort(12, (short)ETHER_TYPE_TEST, ByteOrder.BIG_ENDIAN);
        buffer.putInt(14, sequence, ByteOrder.BIG_ENDIAN);
        for (int i = 18; i < length; i++)
        {
            frame[i] = (byte)(i * 7 + sequence);
        }
        return frame;
    }

    /** An IPv4/UDP frame to a MAC nobody has, so the receiving kernel drops it after the ring saw it. */
    static byte[] udpFrame(final String src, final String dst, final int srcPort, final int dstPort, final int seq)
    {
        final int payload = 18;
        final byte[] frame = new byte[14 + 20 + 8 + payload];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putBytes(0, new byte[]{2, 0, 0, 0, 0, 0x0A, 2, 0, 0, 0, 0, 0x0B});
        buffer.putShort(12, (short)ETHER_TYPE_IPV4, ByteOrder.BIG_ENDIAN);
        buffer.putByte(14, (byte)0x45);
        buffer.putShort(16, (short)(20 + 8 + payload), ByteOrder.BIG_ENDIAN);
        buffer.putByte(22, (byte)64);
        buffer.putByte(23, (byte)17);
        buffer.putInt(26, ipv4(src), ByteOrder.BIG_ENDIAN);
        buffer.putInt(30, ipv4(dst), ByteOrder.BIG_ENDIAN);
        buffer.putShort(24, (short)Checksum.ipv4Header(buffer, 14, 20), ByteOrder.BIG_ENDIAN);
        buffer.putShort(34, (short)srcPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(36, (short)dstPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(38, (short)(8 + payload), ByteOrder.BIG_ENDIAN);
        buffer.putInt(42, seq, ByteOrder.BIG_ENDIAN);
        return frame;
    }

    static int ipv4(final String dotted)
    {
        final String[] octets = dotted.split("\\.");
        int address = 0;
        for (final String octet : octets)
        {
            address = address << 8 | Integer.parseInt(octet);
        }
        return address;
    }

    private static List<byte[]> icmp(final List<byte[]> frames, final int type)
    {
        final List<byte[]> matching = new ArrayList<>();
        for (final byte[] frame : frames)
        {
            if (frame.length >= 35 && frame[23] == 1 && (frame[34] & 0xFF) == type)
            {
                matching.add(frame);
            }
        }
        return matching;
    }

    private static List<byte[]> udp(final List<byte[]> frames)
    {
        final List<byte[]> matching = new ArrayList<>();
        for (final byte[] frame : frames)
        {
            if (frame.length >= 42 && frame[23] == 17)
            {
                matching.add(frame);
            }
        }
        return matching;
    }

    private static Map<Integer, Integer> flowCounts(final List<byte[]> frames)
    {
        final Map<Integer, Integer> counts = new HashMap<>();
        for (final byte[] frame : frames)
        {
            counts.merge(new UnsafeBuffer(frame).getShort(34, ByteOrder.BIG_ENDIAN) & 0xFFFF, 1, Integer::sum);
        }
        return counts;
    }
}
