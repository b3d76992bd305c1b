package io.tandem.dataplane.status;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteBuffer;

/**
 * One worker's {@link WorkerCounter}s, allocated in a {@link CountersManager} whose buffers may be a memory-mapped
 * file.
 * <p>
 * The worker is the only writer. Increments go to a plain worker-local array; {@link #publish()}, called once per
 * duty cycle, adds them to the shared values with release stores (no atomic read-modify-write). Counting a packet
 * therefore costs one array increment, and readers on other threads or processes see values at most one burst old,
 * each read with acquire semantics.
 */
public final class WorkerCounters
{
    /** Type id of worker counters in the counters file. */
    public static final int TYPE_ID = 1001;

    private final AtomicBuffer values;
    private final long[] pending;
    private final int[] offsets;
    private final int[] ids;

    /**
     * Allocates this worker's counters in a counters manager.
     *
     * @param manager  where to allocate.
     * @param workerId the worker, part of each label.
     */
    public WorkerCounters(final CountersManager manager, final int workerId)
    {
        final WorkerCounter[] all = WorkerCounter.values();
        this.values = manager.valuesBuffer();
        this.pending = new long[all.length];
        this.offsets = new int[all.length];
        this.ids = new int[all.length];
        for (final WorkerCounter counter : all)
        {
            final int id = manager.allocate("worker-" + workerId + ": " + counter.label(), TYPE_ID);
            ids[counter.ordinal()] = id;
            offsets[counter.ordinal()] = CountersManager.counterOffset(id);
        }
    }

    /**
     * Counters in a private, heap-free counters manager: for tests, benchmarks and single-process use.
     *
     * @param workerId the worker.
     * @return the counters.
     */
    public static WorkerCounters inMemory(final int workerId)
    {
        final int count = WorkerCounter.values().length;
        final UnsafeBuffer metadata = new UnsafeBuffer(
            ByteBuffer.allocateDirect(count * CountersManager.METADATA_LENGTH));
        final UnsafeBuffer values = new UnsafeBuffer(
            ByteBuffer.allocateDirect(count * CountersManager.COUNTER_LENGTH));
        return new WorkerCounters(new CountersManager(metadata, values), workerId);
    }

    /** Adds one; visible after the next {@link #publish()}. Worker thread only. */
    public void increment(final WorkerCounter counter)
    {
        pending[counter.ordinal()]++;
    }

    /** Adds {@code delta}; visible after the next {@link #publish()}. Worker thread only. */
    public void add(final WorkerCounter counter, final long delta)
    {
        pending[counter.ordinal()] += delta;
    }

    /** Makes what was counted since the last call visible to readers. Worker thread only; once per duty cycle. */
    public void publish()
    {
        final long[] pending = this.pending;
        for (int i = 0; i < pending.length; i++)
        {
            final long delta = pending[i];
            if (0 != delta)
            {
                pending[i] = 0;
                final int offset = offsets[i];
                values.putLongRelease(offset, values.getLong(offset) + delta);
            }
        }
    }

    /** @return the value as last published; any thread. */
    public long get(final WorkerCounter counter)
    {
        return values.getLongVolatile(offsets[counter.ordinal()]);
    }

    /** @return the counter's id in its counters manager. */
    public int counterId(final WorkerCounter counter)
    {
        return ids[counter.ordinal()];
    }
}
