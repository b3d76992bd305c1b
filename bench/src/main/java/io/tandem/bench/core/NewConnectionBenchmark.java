package io.tandem.bench.core;

import io.tandem.dataplane.packet.TcpFlyweight;
import io.tandem.dataplane.packet.TcpFrameBuilder;
import io.tandem.dataplane.port.InMemoryPort;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.tcp.TcpTimeouts;
import io.tandem.dataplane.worker.ForwardingAgent;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * The new-connection path: a SYN to the VIP that misses the flow table and creates a connection: ACL, round-robin
 * target, next hops, plan cap (one CAS on the shared budget), SNAT port (a probe of the table), insert of both keys,
 * timer, full-NAT rewrite and transmit. One operation is one new connection.
 * <p>
 * Every SYN has its own 4-tuple: a pool of 65 536 pristine SYN frames (256 clients × 256 ports, 58 bytes each with an
 * MSS option) is copied, one per operation, into the work buffer. The table must not fill, and a connection lives
 * until its SYN-SENT timer fires, so an invocation is a batch of {@value #BATCH} SYNs
 * ({@link OperationsPerInvocation}), after which the clock moves past the SYN-SENT timeout and one duty cycle lets the
 * timer wheel expire the batch:
 * <ul>
 * <li>{@link #syn}: the expiry runs in {@code @TearDown(Level.Invocation)}, outside the measurement: the cost of
 * opening a connection;</li>
 * <li>{@link #synAndExpiry}: the expiry runs inside it: a connection's whole cost under churn, open and later
 * expire (timer wheel, removal of both keys, budget release);</li>
 * <li>{@link #synCopyBaseline}: only the 58-byte copies {@link #syn} includes.</li>
 * </ul>
 * The table holds at most one batch at a time. Its size decides where its memory sits, so {@link #syn} runs with a
 * table of 16 384 connections (index and records in the caches) and one of 2<sup>20</sup> (64 MiB of index: the
 * miss lookup, the SNAT port probe and the two inserts each touch a random slot, as they would at a large plan);
 * {@link #synAndExpiry} with the large one.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class NewConnectionBenchmark
{
    static final int BATCH = 4096;
    static final int CLIENTS = 256;
    static final int PORTS_PER_CLIENT = 256;
    static final int FIRST_CLIENT_PORT = 20_000;
    static final int TUPLES = CLIENTS * PORTS_PER_CLIENT;
    static final int SLOT_LENGTH = 64;
    static final int LARGE_FLOW_CAPACITY = 1 << 20;
    static final long MAX_CONNECTIONS = 2_000_000;
    static final long SYN_SENT_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long TIMER_TICK_NS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * The pool of pristine SYNs, one per 4-tuple, and the work buffer. Not a JMH state of its own: JMH gives each
     * injection point of a thread-scoped state its own instance, so the states below each own one.
     */
    static final class SynPool
    {
        final UnsafeBuffer pool = WorkerFixture.offHeap(TUPLES * SLOT_LENGTH);
        final UnsafeBuffer work = WorkerFixture.offHeap(2048);
        final int frameLength;
        int next;

        /** Builds the SYNs: client i % 256 from port FIRST_CLIENT_PORT + i / 256, each tuple once. */
        SynPool()
        {
            int length = 0;
            for (int i = 0; i < TUPLES; i++)
            {
                final int client = i % CLIENTS;
                final byte[] frame = new TcpFrameBuilder()
                    .srcMac(WorkerFixture.clientMac(client)).dstMac(WorkerFixture.NODE_MAC)
                    .src(WorkerFixture.clientIp(client), FIRST_CLIENT_PORT + i / CLIENTS)
                    .dst(WorkerFixture.VIP, WorkerFixture.VIP_PORT)
                    .seq(0x2000_0000 + i).flags(TcpFlyweight.SYN).window(64_240).mss(1460).build();
                pool.putBytes(i * SLOT_LENGTH, frame);
                length = frame.length;
            }
            frameLength = length;
        }

        /** Copies the next SYN of the pool into the work buffer. */
        void next()
        {
            work.putBytes(0, pool, next * SLOT_LENGTH, frameLength);
            next = (next + 1) & (TUPLES - 1);
        }
    }

    /** Only the SYN pool, for {@link #synCopyBaseline}. */
    @State(Scope.Thread)
    public static class Copy
    {
        final SynPool syns = new SynPool();
    }

    /** A worker with no connections at the start of each invocation. */
    public abstract static class Worker
    {
        final SynPool syns = new SynPool();
        WorkerFixture fixture;
        ForwardingAgent agent;
        InMemoryPort port;
        CachedNanoClock clock;
        long[] before;

        void open(final int flowCapacity)
        {
            final TcpTimeouts timeouts = new TcpTimeouts(SYN_SENT_TIMEOUT_NS, TcpTimeouts.DEFAULTS.synReceivedNs(),
                TcpTimeouts.DEFAULTS.closingNs(), TcpTimeouts.DEFAULTS.timeWaitNs(), TcpTimeouts.DEFAULTS.closedNs(),
                TcpTimeouts.DEFAULTS.idleClosedNs());
            fixture = new WorkerFixture(CLIENTS, flowCapacity, MAX_CONNECTIONS, timeouts, 2 * BATCH);
            agent = fixture.agent;
            port = fixture.port;
            clock = fixture.clock;
        }

        /** Moves the clock past the SYN-SENT timeout and runs a duty cycle: the wheel expires the whole batch. */
        void expire()
        {
            clock.advance(SYN_SENT_TIMEOUT_NS + 2 * TIMER_TICK_NS);
            agent.doWork();
        }

        /** Checks one SYN of the measured path, byte by byte, and leaves the table empty again. */
        void verifyFirst()
        {
            final long[] start = fixture.counterValues();
            syns.next();
            agent.onFrame(syns.work, 0, syns.frameLength, 0);
            // the first connection of a worker goes to the first target, from the first port of the SNAT range
            WorkerFixture.verifyFrame("new connection", fixture.onlyTransmitted(), syns.frameLength,
                WorkerFixture.targetMac(0), WorkerFixture.SNAT_IP, agent.context().snatFirstPort(),
                WorkerFixture.TARGET_IPS[0], WorkerFixture.TARGET_PORT);
            expire();
            verifyPath(start, getClass().getSimpleName());
        }

        void verifyPath(final long[] start, final String what)
        {
            fixture.verifyOnlyMoved(what, start, WorkerFixture.forwarding(WorkerCounter.FORWARDED_TO_TARGET,
                WorkerCounter.CONNECTIONS_OPENED, WorkerCounter.CONNECTIONS_HANDSHAKE_TIMEOUT));
            fixture.verifySameDelta(what, start, WorkerCounter.RX_FRAMES, WorkerCounter.CONNECTIONS_OPENED);
            fixture.verifySameDelta(what, start, WorkerCounter.RX_FRAMES, WorkerCounter.FORWARDED_TO_TARGET);
            fixture.verifySameDelta(what, start, WorkerCounter.RX_FRAMES, WorkerCounter.CONNECTIONS_HANDSHAKE_TIMEOUT);
            if (agent.flowTable().size() != 0)
            {
                throw new IllegalStateException(what + ": " + agent.flowTable().size() +
                    " connections left after expiry");
            }
        }
    }

    /** The worker for {@link #syn}: each batch is expired after the invocation, outside the measurement. */
    @State(Scope.Thread)
    public static class ExpiredOutside extends Worker
    {
        /**
         * Connections the worker's table holds: 16 384 (a small plan; index and records, 3 MiB, stay in the caches)
         * or 2<sup>20</sup> (a large plan; 64 MiB of index, so each of the SYN's four probes is a cache miss).
         */
        @Param({"16384", "1048576"})
        public int flowCapacity;

        /** Builds the worker and checks the path. */
        @Setup(Level.Trial)
        public void setUp()
        {
            open(flowCapacity);
            verifyFirst();
        }

        /** Remembers the counters. */
        @Setup(Level.Iteration)
        public void startIteration()
        {
            before = fixture.counterValues();
        }

        /** Expires the batch just opened; JMH does not time this. */
        @TearDown(Level.Invocation)
        public void expireBatch()
        {
            expire();
        }

        /** Fails the run unless every SYN of the iteration opened and forwarded a connection. */
        @TearDown(Level.Iteration)
        public void verifyIteration()
        {
            verifyPath(before, "NewConnectionBenchmark.syn");
        }

        /** Frees the worker's table. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            fixture.close();
        }
    }

    /** The worker for {@link #synAndExpiry}: the benchmark expires each batch itself. */
    @State(Scope.Thread)
    public static class ExpiredInside extends Worker
    {
        /** Builds the worker and checks the path. */
        @Setup(Level.Trial)
        public void setUp()
        {
            open(LARGE_FLOW_CAPACITY);
            verifyFirst();
        }

        /** Remembers the counters. */
        @Setup(Level.Iteration)
        public void startIteration()
        {
            before = fixture.counterValues();
        }

        /** Fails the run unless every SYN of the iteration opened, forwarded and expired a connection. */
        @TearDown(Level.Iteration)
        public void verifyIteration()
        {
            verifyPath(before, "NewConnectionBenchmark.synAndExpiry");
        }

        /** Frees the worker's table. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            fixture.close();
        }
    }

    /**
     * {@value #BATCH} new connections; the per-operation time is per connection, including a 58-byte frame copy.
     *
     * @param worker the worker and its SYN pool.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void syn(final ExpiredOutside worker)
    {
        sendBatch(worker.syns, worker.agent, worker.port);
    }

    /**
     * {@value #BATCH} new connections and then their expiry by the timer wheel; per connection.
     *
     * @param worker the worker and its SYN pool.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void synAndExpiry(final ExpiredInside worker)
    {
        sendBatch(worker.syns, worker.agent, worker.port);
        worker.expire();
    }

    /**
     * Only the {@value #BATCH} frame copies that {@link #syn} includes; per SYN.
     *
     * @param copy the SYN pool.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void synCopyBaseline(final Copy copy)
    {
        final SynPool syns = copy.syns;
        for (int i = 0; i < BATCH; i++)
        {
            syns.next();
        }
    }

    private static void sendBatch(final SynPool syns, final ForwardingAgent agent, final InMemoryPort port)
    {
        final UnsafeBuffer work = syns.work;
        final int length = syns.frameLength;
        for (int i = 0; i < BATCH; i++)
        {
            syns.next();
            agent.onFrame(work, 0, length, 0);
            port.discardTransmitted();
        }
    }
}
