package io.tandem.control.config;

import io.tandem.dataplane.status.TrafficCounters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives each (pool, target address) pair a stable slot in the workers' {@link TrafficCounters} for the life of the
 * process. A slot is never reused: connections to a removed target live on and keep counting into its slot, so a new
 * target in a reused slot would inherit their packets. Pairs beyond the slot space share
 * {@link TrafficCounters#OTHER_TARGET_SLOT}. Thread-safe.
 */
public final class TargetSlots
{
    /** One assigned slot. */
    public record Slot(int slot, String pool, String ip)
    {
    }

    private final Map<String, Slot> byKey = new LinkedHashMap<>();
    private int next = TrafficCounters.OTHER_TARGET_SLOT + 1;

    /**
     * @param pool the pool's name.
     * @param ip   the target's address as dotted quad.
     * @return the pair's slot, assigned now if it had none.
     */
    public synchronized int slotOf(final String pool, final String ip)
    {
        final String key = pool + '\0' + ip;
        final Slot known = byKey.get(key);
        if (null != known)
        {
            return known.slot();
        }
        if (next >= TrafficCounters.TARGET_SLOTS)
        {
            return TrafficCounters.OTHER_TARGET_SLOT;
        }
        byKey.put(key, new Slot(next, pool, ip));
        return next++;
    }

    /** @return every assigned slot, in assignment order. */
    public synchronized List<Slot> slots()
    {
        return List.copyOf(byKey.values());
    }
}
