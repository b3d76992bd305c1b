package io.tandem.dataplane.port;

import io.tandem.dataplane.port.AfPacketPortTest.Pair;
import io.tandem.dataplane.port.AfPacketPortTest.SequenceChecker;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import io.tandem.ffi.PacketSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.tandem.dataplane.port.AfPacketPortTest.rx;
import static io.tandem.dataplane.port.AfPacketPortTest.testFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How an AF_PACKET port waits and what it costs: awaitReceive's wake-ups and timeouts, the CPU an idle worker burns
 * with {@link PortIdleStrategy}, and that the per-frame calls allocate nothing.
 */
class AfPacketPortIdleTest
{
    // looked up once: ManagementFactory.getThreadMXBean() itself allocates
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @Test
    void shouldSpinThenYieldThenWaitOnThePortUntilThereIsWork()
    {
        final CountingPort port = new CountingPort();
        final PortIdleStrategy idle = new PortIdleStrategy(port, 3, 2, 7);
        for (int i = 0; i < 5; i++)
        {
            idle.idle(0);
        }
        assertEquals(0, port.waits, "3 spins and 2 yields first");
        idle.idle(0);
        idle.idle(0);
        assertEquals(2, port.waits);
        assertEquals(7, port.lastTimeoutMs);
        idle.idle(1);
        for (int i = 0; i < 5; i++)
        {
            idle.idle();
        }
        assertEquals(2, port.waits, "work resets to spinning");
        idle.idle();
        assertEquals(3, port.waits);
        assertEquals("port-poll", idle.alias());
        assertThrows(IllegalArgumentException.class, () -> new PortIdleStrategy(port, -1, 0, 0));
    }

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    @Tag("root")
    void shouldReturnFromAwaitReceiveWhenAFrameArrivesOrTheTimeoutPasses(final int version) throws Exception
    {
        try (Pair pair = new Pair("aiw", "198.18.216", rx(version)))
        {
            drain(pair.portA);
            final long[] idleMs = new long[5];
            for (int i = 0; i < idleMs.length; i++)
            {
                final long start = System.nanoTime();
                pair.portA.awaitReceive(50);
                idleMs[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }
            System.out.printf("V%d awaitReceive(50) with nothing arriving took %s ms%n", version + 1,
                Arrays.toString(idleMs));
            for (final long ms : idleMs)
            {
                assertTrue(ms >= 45 && ms < 1_000, "waited about the timeout: " + Arrays.toString(idleMs));
            }

            final long[] wakeUs = new long[5];
            final UnsafeBuffer frame = new UnsafeBuffer(testFrame(0, 100));
            for (int i = 0; i < wakeUs.length; i++)
            {
                final AtomicLong kickedNs = new AtomicLong();
                final Thread sender = new Thread(() ->
                {
                    try
                    {
                        Thread.sleep(30);
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                    pair.portB.transmit(frame, 0, 100);
                    kickedNs.set(System.nanoTime());
                    pair.portB.flush();
                }, "sender");
                sender.start();
                final long start = System.nanoTime();
                pair.portA.awaitReceive(2_000);
                final long end = System.nanoTime();
                sender.join(5_000);
                assertTrue(kickedNs.get() > 0 && end > kickedNs.get(), "woke up after the frame was sent");
                wakeUs[i] = TimeUnit.NANOSECONDS.toMicros(end - kickedNs.get());
                assertTrue(end - start < TimeUnit.SECONDS.toNanos(1), "long before the timeout");
                final SequenceChecker received = new SequenceChecker();
                assertEquals(1, pair.portA.receive(received, 64), "the frame is there after the wake-up");
            }
            System.out.printf("V%d awaitReceive woke %s us after the peer's kick%s%n", version + 1,
                Arrays.toString(wakeUs), version == PacketSocket.TPACKET_V3 ? " (block timeout 2 ms)" : "");
            for (final long us : wakeUs)
            {
                assertTrue(us < 50_000, Arrays.toString(wakeUs));
            }
        }
    }

    /**
     * The latency a quiet worker adds to a lone frame: from the peer's kick until {@code receive()} hands the frame
     * over, on a worker that idles with the default {@link PortIdleStrategy} (spins, yields, then sleeps in poll).
     * A V3 ring holds the frame until its block retires (up to 2 ms); a V2 ring wakes the poller for the frame
     * itself, so what remains is the scheduler's wake-up.
     */
    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    @Tag("root")
    void shouldHandALoneFrameToAnIdleWorkerSoonAfterThePeerSentIt(final int version) throws Exception
    {
        try (Pair pair = new Pair("ail", "198.18.219", rx(version)))
        {
            drain(pair.portA);
            final PortIdleStrategy idle = new PortIdleStrategy(pair.portA);
            final UnsafeBuffer frame = new UnsafeBuffer(testFrame(0, 100));
            final long[] latencyUs = new long[21];
            for (int i = 0; i < latencyUs.length; i++)
            {
                final AtomicLong kickedNs = new AtomicLong();
                final Thread sender = new Thread(() ->
                {
                    try
                    {
                        // not a multiple of the 10 ms poll timeout: the frame must not meet a timed-out poll
                        Thread.sleep(23);
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                    pair.portB.transmit(frame, 0, 100);
                    kickedNs.set(System.nanoTime());
                    pair.portB.flush();
                }, "sender");
                final SequenceChecker received = new SequenceChecker();
                sender.start();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (received.received == 0 && System.nanoTime() < deadline)
                {
                    idle.idle(pair.portA.receive(received, 64));
                }
                final long end = System.nanoTime();
                sender.join(5_000);
                assertEquals(1, received.received, "the frame arrived");
                latencyUs[i] = TimeUnit.NANOSECONDS.toMicros(end - kickedNs.get());
                idle.reset();
            }
            final long[] sorted = latencyUs.clone();
            Arrays.sort(sorted);
            System.out.printf("V%d lone frame, peer's kick -> receive() returned it, idle worker: min %d, median %d," +
                " max %d us; all %s%n", version + 1, sorted[0], sorted[sorted.length / 2], sorted[sorted.length - 1],
                Arrays.toString(latencyUs));
            if (version == PacketSocket.TPACKET_V2)
            {
                assertTrue(sorted[sorted.length / 2] < 1_000, "no block timeout to wait for: " +
                    Arrays.toString(sorted));
            }
            else
            {
                assertTrue(sorted[sorted.length / 2] < 50_000, Arrays.toString(sorted));
            }
        }
    }

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    @Tag("root")
    void shouldKeepAnIdleWorkerOffTheCpu(final int version) throws Exception
    {
        try (Pair pair = new Pair("aic", "198.18.217", rx(version)))
        {
            drain(pair.portA);
            final PortIdleStrategy idle = new PortIdleStrategy(pair.portA);
            final SequenceChecker handler = new SequenceChecker();
            final long[] result = new long[3];
            final Thread worker = new Thread(() ->
            {
                final long cpuStart = THREADS.getCurrentThreadCpuTime();
                final long start = System.nanoTime();
                long cycles = 0;
                while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2))
                {
                    idle.idle(pair.portA.receive(handler, 64));
                    cycles++;
                }
                result[0] = THREADS.getCurrentThreadCpuTime() - cpuStart;
                result[1] = System.nanoTime() - start;
                result[2] = cycles;
            }, "idle-worker");
            worker.start();
            worker.join(10_000);
            assertFalse(worker.isAlive());
            final double share = (double)result[0] / result[1];
            System.out.printf("V%d idle worker with PortIdleStrategy: %.1f ms CPU in %.0f ms (%.2f %% of a core), " +
                "%d duty cycles, %d polls%n", version + 1, result[0] / 1e6, result[1] / 1e6, share * 100, result[2],
                pair.portA.pollCalls());
            assertTrue(share < 0.05, "an idle worker uses under 5 % of a core: " + share);
        }
    }

    /**
     * Both ports transmit, flush, receive and wait, a few thousand frames per round; after warm-up a round must
     * allocate nothing at all on this thread. As in WorkerBenchmarkPathTest, one round with exactly 0 bytes proves
     * the path: an allocation on it would show in every round.
     */
    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    @Tag("root")
    void shouldMoveFramesWithoutAllocating(final int version) throws Exception
    {
        try (Pair pair = new Pair("aia", "198.18.218", rx(version)))
        {
            drain(pair.portA);
            drain(pair.portB);
            final RoundTrip roundTrip = new RoundTrip(pair.portA, pair.portB);
            // warm-up, until the JIT compiled every call on its own: FFM downcalls allocate while interpreted, and
            // the cold drain at the end of a round calls them from the interpreter
            for (int i = 0; i < 20_000; i++)
            {
                pair.portA.awaitReceive(0);
                pair.portB.awaitReceive(0);
            }
            for (int round = 0; round < 30; round++)
            {
                roundTrip.run(4_000);
            }
            final long[] allocated = new long[5];
            for (int round = 0; round < allocated.length; round++)
            {
                final long before = THREADS.getCurrentThreadAllocatedBytes();
                roundTrip.run(4_000);
                allocated[round] = THREADS.getCurrentThreadAllocatedBytes() - before;
            }
            System.out.printf("V%d bytes allocated per round of 4000 frames each way: %s; lost %d%n", version + 1,
                Arrays.toString(allocated), roundTrip.lost);
            assertEquals(0, roundTrip.lost, "every frame arrived");
            assertTrue(Arrays.stream(allocated).anyMatch(bytes -> bytes == 0),
                "bytes allocated per round: " + Arrays.toString(allocated));
        }
    }

    /** Sends frames a → b and b → a in bursts of 32, receiving as it goes. Allocation-free after construction. */
    private static final class RoundTrip
    {
        private final AfPacketPort a;
        private final AfPacketPort b;
        private final UnsafeBuffer frame = new UnsafeBuffer(new byte[96]);
        private final SequenceChecker atA = new SequenceChecker();
        private final SequenceChecker atB = new SequenceChecker();
        private int sent;
        long lost;

        RoundTrip(final AfPacketPort a, final AfPacketPort b)
        {
            this.a = a;
            this.b = b;
            frame.putBytes(0, testFrame(0, 96));
        }

        void run(final int count)
        {
            final int target = sent + count;
            while (sent < target)
            {
                for (int i = 0; i < 32 && sent < target; i++)
                {
                    frame.putInt(14, sent, ByteOrder.BIG_ENDIAN);
                    a.transmit(frame, 0, 96);
                    b.transmit(frame, 0, 96);
                    sent++;
                }
                a.flush();
                b.flush();
                // as an idle strategy would: poll without waiting when a burst found nothing
                if (a.receive(atA, 64) == 0)
                {
                    a.awaitReceive(0);
                }
                if (b.receive(atB, 64) == 0)
                {
                    b.awaitReceive(0);
                }
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while ((atA.received < sent || atB.received < sent) && System.nanoTime() < deadline)
            {
                if (a.receive(atA, 64) + b.receive(atB, 64) == 0)
                {
                    a.awaitReceive(1);
                }
            }
            lost = (sent - atA.received) + (sent - atB.received);
        }
    }

    /** Takes whatever the kernel sent on its own (IPv6 neighbour discovery) until 20 ms pass without a frame. */
    private static void drain(final AfPacketPort port)
    {
        final SequenceChecker ignore = new SequenceChecker();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(20))
        {
            if (port.receive(ignore, 64) > 0)
            {
                quietSince = System.nanoTime();
            }
            else
            {
                port.awaitReceive(5);
            }
        }
    }

    private static final class CountingPort implements PacketPort
    {
        int waits;
        int lastTimeoutMs;

        @Override
        public int receive(final FrameHandler handler, final int limit)
        {
            return 0;
        }

        @Override
        public boolean transmit(final DirectBuffer buffer, final int offset, final int length)
        {
            return false;
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void awaitReceive(final int timeoutMs)
        {
            waits++;
            lastTimeoutMs = timeoutMs;
        }

        @Override
        public void close()
        {
        }
    }
}
