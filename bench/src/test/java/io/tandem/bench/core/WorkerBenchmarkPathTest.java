package io.tandem.bench.core;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the worker benchmarks' states and methods without JMH: the setup checks the measured path frame by frame,
 * the iteration check proves that every operation took it, and the thread's allocation counter proves that the
 * forwarding path allocates nothing, exactly, independent of JMH's own allocations and of escape analysis.
 */
class WorkerBenchmarkPathTest
{
    private static final int WARMUP_OPS = 200_000;
    private static final int MEASURED_OPS = 1_000_000;

    // looked up once: ManagementFactory.getThreadMXBean() itself allocates 792 bytes per call
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private static long allocatedBytes()
    {
        return THREADS.getCurrentThreadAllocatedBytes();
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
                for (int i = 0; i < WARMUP_OPS; i++)
                {
                    benchmark.segment(worker);
                }
                final long before = allocatedBytes();
                for (int i = 0; i < MEASURED_OPS; i++)
                {
                    benchmark.segment(worker);
                }
                final long allocated = allocatedBytes() - before;
                worker.verifyIteration();
                assertEquals(0, allocated, "bytes allocated by " + MEASURED_OPS + " established segments, " +
                    "checksumVerified=" + verified);
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
            final int invocations = MEASURED_OPS / NewConnectionBenchmark.BATCH;
            for (int i = 0; i < invocations / 4; i++)
            {
                benchmark.syn(worker);
                worker.expireBatch();
            }
            final long before = allocatedBytes();
            for (int i = 0; i < invocations; i++)
            {
                benchmark.syn(worker);
                worker.expireBatch();
            }
            final long allocated = allocatedBytes() - before;
            worker.verifyIteration();
            assertEquals(0, allocated, "bytes allocated by " + invocations * NewConnectionBenchmark.BATCH +
                " new connections and their expiry");
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
