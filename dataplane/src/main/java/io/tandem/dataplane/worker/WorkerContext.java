package io.tandem.dataplane.worker;

import io.tandem.dataplane.status.TrafficCounters;
import io.tandem.dataplane.status.WorkerCounters;
import io.tandem.dataplane.tcp.TcpTimeouts;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Configuration of one {@link ForwardingAgent}. Set what differs from the defaults, then {@link #conclude()}
 * validates and fills in the rest. Not thread-safe; hand it to the agent's constructor and do not change it after.
 */
public final class WorkerContext
{
    private int workerId;
    private int flowCapacity = 10_000;
    private int snatFirstPort = 1024;
    private int snatLastPort = 65535;
    private int burstLength = 64;
    private int timerLimit = 256;
    private long timerTickNs = TimeUnit.MILLISECONDS.toNanos(10);
    private int timerSlots = 8192;
    private long resetsPerSecond = 1000;
    private long resetBurst = 100;
    private TcpTimeouts timeouts = TcpTimeouts.DEFAULTS;
    private NanoClock clock;
    private WorkerCounters counters;
    private ConnectionBudget budget;
    private ErrorHandler errorHandler;
    private long hashSeed;
    private boolean hashSeedSet;
    private int snatShareIndex;
    private int snatShares = 1;
    private RingBuffer syncOutbox;
    private RingBuffer syncInbox;
    private TrafficCounters traffic;
    private boolean concluded;

    /**
     * Validates and fills defaults. Idempotent.
     *
     * @return this.
     * @throws IllegalArgumentException naming the setting and the rule it breaks.
     */
    public WorkerContext conclude()
    {
        if (concluded)
        {
            return this;
        }
        require(workerId >= 0, "workerId must be >= 0");
        require(flowCapacity >= 1, "flowCapacity must be >= 1");
        require(snatFirstPort >= 1 && snatLastPort <= 65535 && snatFirstPort <= snatLastPort,
            "SNAT port range must lie within 1..65535");
        require(snatShares >= 1 && snatShareIndex >= 0 && snatShareIndex < snatShares &&
            snatLastPort - snatFirstPort + 1 >= snatShares, "SNAT share must be one of the range's shares");
        require((null == syncOutbox) == (null == syncInbox), "sync needs both an outbox and an inbox");
        require(burstLength >= 1 && burstLength <= 1024, "burstLength must be 1..1024");
        require(timerLimit >= 1, "timerLimit must be >= 1");
        require(timerTickNs > 0, "timerTickNs must be > 0");
        require(Integer.bitCount(timerSlots) == 1, "timerSlots must be a power of two");
        require(resetsPerSecond >= 0 && resetBurst >= 0, "reset rate limits must be >= 0");
        if (null == clock)
        {
            clock = SystemNanoClock.INSTANCE;
        }
        if (null == counters)
        {
            counters = WorkerCounters.inMemory(workerId);
        }
        if (null == budget)
        {
            budget = new ConnectionBudget();
        }
        if (null == traffic)
        {
            traffic = new TrafficCounters();
        }
        if (null == errorHandler)
        {
            errorHandler = Throwable::printStackTrace;
        }
        if (!hashSeedSet)
        {
            hashSeed = ThreadLocalRandom.current().nextLong();
        }
        concluded = true;
        return this;
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException("worker context: " + message);
        }
    }

    /** @return the worker's id, 0-based. */
    public int workerId()
    {
        return workerId;
    }

    /** @param id the worker's id. */
    public WorkerContext workerId(final int id)
    {
        this.workerId = id;
        return this;
    }

    /** @return connections this worker's table holds. */
    public int flowCapacity()
    {
        return flowCapacity;
    }

    /** @param capacity connections this worker's table holds. */
    public WorkerContext flowCapacity(final int capacity)
    {
        this.flowCapacity = capacity;
        return this;
    }

    /** @return first SNAT port of this worker's range. */
    public int snatFirstPort()
    {
        return snatFirstPort;
    }

    /** @return last SNAT port of this worker's range. */
    public int snatLastPort()
    {
        return snatLastPort;
    }

    /**
     * @param first first SNAT port of this worker's range, inclusive.
     * @param last  last, inclusive.
     */
    public WorkerContext snatPortRange(final int first, final int last)
    {
        this.snatFirstPort = first;
        this.snatLastPort = last;
        return this;
    }

    /**
     * The part of the worker's SNAT port range this node allocates from. The two nodes of a pair share the ranges
     * (the fanout steers a port to the same worker on both) but allocate from different shares, so a connection the
     * active node opened just before it died, not yet replicated, never meets the same SNAT port from the new
     * active node at its target. Default: one share, the whole range.
     *
     * @param index this node's share, 0-based.
     * @param of    number of shares.
     */
    public WorkerContext snatShare(final int index, final int of)
    {
        this.snatShareIndex = index;
        this.snatShares = of;
        return this;
    }

    /** @return first SNAT port this worker allocates. */
    public int snatAllocationFirstPort()
    {
        return snatFirstPort + snatShareIndex * ((snatLastPort - snatFirstPort + 1) / snatShares);
    }

    /** @return last SNAT port this worker allocates. */
    public int snatAllocationLastPort()
    {
        return snatShareIndex == snatShares - 1 ? snatLastPort :
            snatAllocationFirstPort() + (snatLastPort - snatFirstPort + 1) / snatShares - 1;
    }

    /**
     * Replication to the peer node: the worker writes {@link FlowSyncDescriptor} messages to the outbox and takes
     * them from the inbox. Both rings are single-producer, single-consumer; null for a node without a peer.
     *
     * @param outbox written by the worker, read by the control plane.
     * @param inbox  written by the control plane, read by the worker.
     */
    public WorkerContext syncRings(final RingBuffer outbox, final RingBuffer inbox)
    {
        this.syncOutbox = outbox;
        this.syncInbox = inbox;
        return this;
    }

    /**
     * @param traffic where the worker counts packets and bytes per listener and target (2.5 MiB); default: its own.
     *                Shared only where counts may mix, e.g. by short-lived workers in tests.
     */
    public WorkerContext traffic(final TrafficCounters traffic)
    {
        this.traffic = traffic;
        return this;
    }

    /** @return the worker's traffic counts. */
    public TrafficCounters traffic()
    {
        return traffic;
    }

    /** @return the sync outbox, or null. */
    public RingBuffer syncOutbox()
    {
        return syncOutbox;
    }

    /** @return the sync inbox, or null. */
    public RingBuffer syncInbox()
    {
        return syncInbox;
    }

    /** @return most frames taken from the port per duty cycle. */
    public int burstLength()
    {
        return burstLength;
    }

    /** @param length most frames taken from the port per duty cycle. */
    public WorkerContext burstLength(final int length)
    {
        this.burstLength = length;
        return this;
    }

    /** @return most connections expired per duty cycle. */
    public int timerLimit()
    {
        return timerLimit;
    }

    /** @param limit most connections expired per duty cycle. */
    public WorkerContext timerLimit(final int limit)
    {
        this.timerLimit = limit;
        return this;
    }

    /** @return resolution of the timer wheel. */
    public long timerTickNs()
    {
        return timerTickNs;
    }

    /** @param ns resolution of the timer wheel. */
    public WorkerContext timerTickNs(final long ns)
    {
        this.timerTickNs = ns;
        return this;
    }

    /** @return slots of the timer wheel. */
    public int timerSlots()
    {
        return timerSlots;
    }

    /** @param slots slots of the timer wheel, a power of two. */
    public WorkerContext timerSlots(final int slots)
    {
        this.timerSlots = slots;
        return this;
    }

    /** @return sustained rate of RSTs the worker may send. */
    public long resetsPerSecond()
    {
        return resetsPerSecond;
    }

    /** @return RSTs the worker may send in a burst above the sustained rate. */
    public long resetBurst()
    {
        return resetBurst;
    }

    /**
     * Limits the RSTs the worker originates, so the balancer cannot be used as a reflector.
     *
     * @param perSecond sustained rate.
     * @param burst     bucket size.
     */
    public WorkerContext resetRateLimit(final long perSecond, final long burst)
    {
        this.resetsPerSecond = perSecond;
        this.resetBurst = burst;
        return this;
    }

    /** @return the TCP tracking timeouts. */
    public TcpTimeouts timeouts()
    {
        return timeouts;
    }

    /** @param timeouts the TCP tracking timeouts. */
    public WorkerContext timeouts(final TcpTimeouts timeouts)
    {
        this.timeouts = timeouts;
        return this;
    }

    /** @return the clock all timers run on. */
    public NanoClock clock()
    {
        return clock;
    }

    /** @param clock the clock all timers run on; tests inject their own. */
    public WorkerContext clock(final NanoClock clock)
    {
        this.clock = clock;
        return this;
    }

    /** @return the worker's counters. */
    public WorkerCounters counters()
    {
        return counters;
    }

    /** @param counters the worker's counters. */
    public WorkerContext counters(final WorkerCounters counters)
    {
        this.counters = counters;
        return this;
    }

    /** @return the node's connection budget, shared by its workers. */
    public ConnectionBudget budget()
    {
        return budget;
    }

    /** @param budget the node's connection budget, shared by its workers. */
    public WorkerContext budget(final ConnectionBudget budget)
    {
        this.budget = budget;
        return this;
    }

    /** @return where exceptions caught on the worker go. */
    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    /** @param handler where exceptions caught on the worker go. */
    public WorkerContext errorHandler(final ErrorHandler handler)
    {
        this.errorHandler = handler;
        return this;
    }

    /** @return seed of the flow table's hash. */
    public long hashSeed()
    {
        return hashSeed;
    }

    /** @param seed of the flow table's hash; random unless set. */
    public WorkerContext hashSeed(final long seed)
    {
        this.hashSeed = seed;
        this.hashSeedSet = true;
        return this;
    }
}
