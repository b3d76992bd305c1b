package io.tandem.dataplane.flow;

import java.util.Arrays;

/**
 * Hashed timer wheel whose lists run through the flow records themselves ({@link FlowRecord#TIMER_PREV_OFFSET},
 * {@link FlowRecord#TIMER_NEXT_OFFSET}, {@link FlowRecord#TIMER_SLOT_OFFSET}), so scheduling, cancelling and
 * expiring are O(1) and allocation-free.
 * <p>
 * Timers are lazy: a record is linked into the slot of the deadline it had when it was scheduled, and its real
 * deadline is {@link FlowRecord#expiresNs()}, which the data path may push later by a plain store (an idle timer
 * restarted by payload). When the wheel reaches the slot it fires only records whose {@code expiresNs} has passed and
 * moves the others to the slot of their current deadline. A deadline that comes <em>earlier</em> than the one
 * scheduled must be {@link #schedule rescheduled}. Deadlines beyond one turn of the wheel simply go round again.
 * <p>
 * Not thread-safe: owned by the worker that owns the table.
 */
public final class FlowTimerWheel
{
    /** Receives records whose deadline has passed. */
    @FunctionalInterface
    public interface ExpiryHandler
    {
        /**
         * Called for a record whose {@link FlowRecord#expiresNs()} is at or before {@code nowNs}. The record is no
         * longer linked into the wheel; the handler removes it or schedules it again.
         *
         * @param recordIndex of the record.
         * @param nowNs       the time passed to {@link #poll}.
         */
        void onExpired(int recordIndex, long nowNs);
    }

    private final FlowTable table;
    private final RawMemory records;
    private final long tickNs;
    private final int slotMask;
    private final int[] heads;
    private long currentTick;

    /**
     * @param table   whose records the wheel links.
     * @param tickNs  resolution of the wheel, e.g. 10 ms.
     * @param slots   number of slots, a power of two.
     * @param startNs the clock's time now.
     */
    public FlowTimerWheel(final FlowTable table, final long tickNs, final int slots, final long startNs)
    {
        if (slots <= 0 || Integer.bitCount(slots) != 1 || tickNs <= 0)
        {
            throw new IllegalArgumentException("slots must be a power of two and tickNs positive");
        }
        this.table = table;
        this.records = table.records();
        this.tickNs = tickNs;
        this.slotMask = slots - 1;
        this.heads = new int[slots];
        Arrays.fill(heads, FlowTable.NULL_INDEX);
        this.currentTick = startNs / tickNs;
    }

    /** @return the wheel's resolution. */
    public long tickNs()
    {
        return tickNs;
    }

    /**
     * Links a record into the slot of {@code deadlineNs}, first unlinking it from any slot it is in. Deadlines in
     * the past go into the current slot and fire on the next poll.
     *
     * @param recordIndex of the record.
     * @param deadlineNs  when it should be looked at.
     */
    public void schedule(final int recordIndex, final long deadlineNs)
    {
        cancel(recordIndex);
        final long tick = Math.max(deadlineNs / tickNs, currentTick);
        link(recordIndex, (int)(tick & slotMask));
    }

    /**
     * Unlinks a record from its slot; does nothing when it is in none.
     *
     * @param recordIndex of the record.
     */
    public void cancel(final int recordIndex)
    {
        final int base = table.recordOffset(recordIndex);
        final int slot = records.getInt(base + FlowRecord.TIMER_SLOT_OFFSET);
        if (FlowTable.NULL_INDEX == slot)
        {
            return;
        }
        final int prev = records.getInt(base + FlowRecord.TIMER_PREV_OFFSET);
        final int next = records.getInt(base + FlowRecord.TIMER_NEXT_OFFSET);
        if (FlowTable.NULL_INDEX == prev)
        {
            heads[slot] = next;
        }
        else
        {
            records.putInt(table.recordOffset(prev) + FlowRecord.TIMER_NEXT_OFFSET, next);
        }
        if (FlowTable.NULL_INDEX != next)
        {
            records.putInt(table.recordOffset(next) + FlowRecord.TIMER_PREV_OFFSET, prev);
        }
        records.putInt(base + FlowRecord.TIMER_PREV_OFFSET, FlowTable.NULL_INDEX);
        records.putInt(base + FlowRecord.TIMER_NEXT_OFFSET, FlowTable.NULL_INDEX);
        records.putInt(base + FlowRecord.TIMER_SLOT_OFFSET, FlowTable.NULL_INDEX);
    }

    /**
     * Advances the wheel to {@code nowNs}, handing expired records to the handler.
     *
     * @param nowNs   the clock's time now.
     * @param handler receives expired records.
     * @param limit   most records to expire in this call, to bound the time spent; the wheel resumes where it
     *                stopped on the next call.
     * @return number of records expired.
     */
    public int poll(final long nowNs, final ExpiryHandler handler, final int limit)
    {
        final long nowTick = nowNs / tickNs;
        int expired = 0;
        while (currentTick <= nowTick)
        {
            final int slot = (int)(currentTick & slotMask);
            int recordIndex = heads[slot];
            while (FlowTable.NULL_INDEX != recordIndex)
            {
                final int base = table.recordOffset(recordIndex);
                final int next = records.getInt(base + FlowRecord.TIMER_NEXT_OFFSET);
                final long expiresNs = records.getLong(base + FlowRecord.EXPIRES_NS_OFFSET);
                if (expiresNs <= nowNs)
                {
                    if (expired >= limit)
                    {
                        return expired;
                    }
                    cancel(recordIndex);
                    handler.onExpired(recordIndex, nowNs);
                    expired++;
                }
                else if (expiresNs / tickNs != currentTick)
                {
                    // pushed later by the data path, or a deadline more than one turn ahead: move it along
                    cancel(recordIndex);
                    link(recordIndex, (int)(Math.max(expiresNs / tickNs, currentTick + 1) & slotMask));
                }
                recordIndex = next;
            }
            if (currentTick == nowTick)
            {
                break;
            }
            currentTick++;
        }
        return expired;
    }

    private void link(final int recordIndex, final int slot)
    {
        final int base = table.recordOffset(recordIndex);
        final int head = heads[slot];
        records.putInt(base + FlowRecord.TIMER_PREV_OFFSET, FlowTable.NULL_INDEX);
        records.putInt(base + FlowRecord.TIMER_NEXT_OFFSET, head);
        records.putInt(base + FlowRecord.TIMER_SLOT_OFFSET, slot);
        if (FlowTable.NULL_INDEX != head)
        {
            records.putInt(table.recordOffset(head) + FlowRecord.TIMER_PREV_OFFSET, recordIndex);
        }
        heads[slot] = recordIndex;
    }
}
