package io.tandem.bench.core;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the worker benchmarks' states and methods without JMH: the setup checks the measured path frame by frame,
 * the iteration check proves that every operation took it, and the thread's allocation counter proves that the
 * forwarding path allocates nothing, exactly, independent of JMH's own allocations and of escape analysis.
 */
class WorkerBenchmarkPathTest
{
    private static final int OPS_PER_ROUND = 1_000_000;
    private static final int ROUNDS = 5;

    // looked up once: ManagementFactory.getThreadMXBean() itself allocates 792 bytes per call
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    /** One operation of a benchmark, made before the measurement so that calling it allocates nothing. */
    @FunctionalInterface
    private interface Operation
    {
        void run();
    }

    private static long allocatedBytes()
    {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * Runs {@link #ROUNDS} rounds of about {@link #OPS_PER_ROUND} packets each.
     *
     * @return the bytes this thread allocated in each round.
     */
    private static long[] allocatedPerRound(final Operation operation, final int packetsPerCall)
    {
        final long[] rounds = new long[ROUNDS];
        final int calls = OPS_PER_ROUND / packetsPerCall;
        for (int round = 0; round < ROUNDS; round++)
        {
            final long before = allocatedBytes();
            for (int i = 0; i < calls; i++)
            {
                operation.run();
            }
            rounds[round] = allocatedBytes() - before;
        }
        return rounds;
    }

    /**
     * The first rounds may see the JVM's own one-off allocations while it loads, links and compiles (the first
     * 50 000 segments allocate about 25 KB, once). An allocation on the path would show in every round: one object
     * per 1000 packets is 16 KB per round. So one round of a million packets with exactly 0 bytes proves the path.
     */
    private static void assertAnyRoundAllocatedNothing(final long[] rounds, final String what)
    {
        assertTrue(Arrays.stream(rounds).anyMatch(bytes -> bytes == 0),
            "bytes allocated per round of " + OPS_PER_ROUND + " " + what + ": " + Arrays.toString(rounds));
    }

    @Test
    void shouldForwardEveryEstablishedSegmentWithoutAllocating()
    {
        for (final boolean verified : new boolean[]{false, true})
        {
            final EstablishedSegmentBenchmark benchmark = new EstablishedSegmentBenchmark();
            final EstablishedSegmentBenchmark.Worker worker = new EstablishedSegmentBenchmark.Worker();
            worker.checksumVerified = verified;
            worker.setUp();
            try
            {
                worker.startIteration();
                final long[] rounds = allocatedPerRound(() -> benchmark.segment(worker), 1);
                worker.verifyIteration();
                assertAnyRoundAllocatedNothing(rounds, "established segments, checksumVerified=" + verified);
            }
            finally
            {
                worker.tearDown();
            }
        }
    }

    @Test
    void shouldOpenAndExpireEveryConnectionWithoutAllocating()
    {
        final NewConnectionBenchmark benchmark = new NewConnectionBenchmark();
        final NewConnectionBenchmark.ExpiredOutside worker = new NewConnectionBenchmark.ExpiredOutside();
        worker.flowCapacity = 16_384;
        worker.setUp();
        try
        {
            worker.startIteration();
            final long[] rounds = allocatedPerRound(() ->
            {
                benchmark.syn(worker);
                worker.expireBatch();
            }, NewConnectionBenchmark.BATCH);
            worker.verifyIteration();
            assertAnyRoundAllocatedNothing(rounds, "new connections and their expiry");
        }
        finally
        {
            worker.tearDown();
        }
    }

    @Test
    void shouldExpireEachBatchInsideTheChurnBenchmark()
    {
        final NewConnectionBenchmark benchmark = new NewConnectionBenchmark();
        final NewConnectionBenchmark.ExpiredInside worker = new NewConnectionBenchmark.ExpiredInside();
        worker.setUp();
        try
        {
            worker.startIteration();
            for (int i = 0; i < 20; i++)
            {
                benchmark.synAndExpiry(worker);
            }
            worker.verifyIteration();
        }
        finally
        {
            worker.tearDown();
        }
    }
}
