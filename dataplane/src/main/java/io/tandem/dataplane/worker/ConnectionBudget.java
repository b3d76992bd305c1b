package io.tandem.dataplane.worker;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's count of tracked connections, shared by its workers, against which the plan's cap is enforced. One
 * compare-and-set per new connection and one decrement per forgotten connection; nothing on the established path.
 * Thread-safe.
 */
public final class ConnectionBudget
{
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private final AtomicLong active = new AtomicLong();
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    /**
     * Takes one connection from the budget if fewer than {@code limit} are active.
     *
     * @param limit the plan's cap.
     * @return true when the connection may be created.
     */
    public boolean tryAcquire(final long limit)
    {
        while (true)
        {
            final long current = active.get();
            if (current >= limit)
            {
                return false;
            }
            if (active.compareAndSet(current, current + 1))
            {
                return true;
            }
        }
    }

    /**
     * Takes one connection from the budget whatever the cap: for connections replicated from the peer, which exist
     * already and must be kept.
     */
    public void acquire()
    {
        active.incrementAndGet();
    }

    /** Gives one connection back. */
    public void release()
    {
        active.decrementAndGet();
    }

    /** @return connections tracked now. */
    public long active()
    {
        return active.get();
    }
}
