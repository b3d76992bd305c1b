package io.tandem.dataplane.snapshot;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands immutable {@link ForwardingSnapshot}s from the control plane to the workers. The control thread
 * {@link #publish publishes}; each worker reads {@link #current()} once per burst (one acquire load) and reports the
 * version it now forwards with, so the control plane can tell when a change has reached every worker.
 * <p>
 * Thread-safe: one publisher, any number of workers.
 */
public final class SnapshotExchange
{
    private static final int PAD = 16; // longs between workers' slots: two cache lines, against false sharing

    private final AtomicReference<ForwardingSnapshot> current;
    private final AtomicLongArray observed;
    private final int workerCount;

    /**
     * @param initial     the first snapshot.
     * @param workerCount number of workers that will report.
     */
    public SnapshotExchange(final ForwardingSnapshot initial, final int workerCount)
    {
        this.current = new AtomicReference<>(initial);
        this.workerCount = workerCount;
        this.observed = new AtomicLongArray((workerCount + 1) * PAD);
        for (int i = 0; i < workerCount; i++)
        {
            observed.set((i + 1) * PAD, -1);
        }
    }

    /**
     * Publishes a snapshot. Its version must be higher than the current one.
     *
     * @param snapshot to publish.
     */
    public void publish(final ForwardingSnapshot snapshot)
    {
        final ForwardingSnapshot previous = current.get();
        if (snapshot.version() <= previous.version())
        {
            throw new IllegalArgumentException("snapshot version must increase: " + snapshot.version() + " after " +
                previous.version());
        }
        current.set(snapshot);
    }

    /** @return the latest snapshot (acquire read). */
    public ForwardingSnapshot current()
    {
        return current.getAcquire();
    }

    /**
     * Called by a worker when it starts forwarding with a snapshot.
     *
     * @param workerId the worker, 0-based.
     * @param version  of the snapshot it now uses.
     */
    public void observed(final int workerId, final long version)
    {
        observed.setRelease((workerId + 1) * PAD, version);
    }

    /** @return the lowest version any worker forwards with; -1 until every worker has reported. */
    public long minObservedVersion()
    {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < workerCount; i++)
        {
            min = Math.min(min, observed.getAcquire((i + 1) * PAD));
        }
        return workerCount == 0 ? current.get().version() : min;
    }
}
