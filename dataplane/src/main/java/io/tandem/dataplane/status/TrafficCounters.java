package io.tandem.dataplane.status;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One worker's packet and byte counts per listener and per target, in both directions. Listeners are addressed by
 * their port (listeners never share a port), targets by the stable slot the control plane gives each (pool, target)
 * pair for the life of the process ({@link io.tandem.dataplane.snapshot.TargetPool#targetSlot(int)}); slot
 * {@link #OTHER_TARGET_SLOT} collects targets beyond {@link #TARGET_SLOTS}.
 * <pre>
 *  index = key * 4 + direction * 2 + (0 packets | 1 bytes)      direction 0 to the target, 1 to the client
 *  one key's four counts share a cache line half, so a forwarded segment touches one line per table
 * </pre>
 * Bytes are IPv4 bytes (IP header, TCP header and payload), as forwarded. Written only by the owning worker with
 * release stores (a plain store on x86), read by any thread; a reader sums the workers' counts itself.
 */
public final class TrafficCounters
{
    /** Number of listener keys: every TCP port. */
    public static final int LISTENER_KEYS = 65_536;
    /** Number of target slots. */
    public static final int TARGET_SLOTS = 16_384;
    /** The slot of targets that have none of their own. */
    public static final int OTHER_TARGET_SLOT = 0;
    /** Direction from the client to the target. */
    public static final int TO_TARGET = 0;
    /** Direction from the target to the client. */
    public static final int TO_CLIENT = 1;

    private final AtomicLongArray listeners = new AtomicLongArray(LISTENER_KEYS * 4);
    private final AtomicLongArray targets = new AtomicLongArray(TARGET_SLOTS * 4);

    /**
     * Counts one forwarded segment; the owning worker only.
     *
     * @param listenerPort the listener's port.
     * @param targetSlot   the target's slot.
     * @param direction    {@link #TO_TARGET} or {@link #TO_CLIENT}.
     * @param ipBytes      IPv4 bytes of the segment.
     */
    public void count(final int listenerPort, final int targetSlot, final int direction, final int ipBytes)
    {
        add(listeners, (listenerPort << 2) + (direction << 1), ipBytes);
        add(targets, (targetSlot << 2) + (direction << 1), ipBytes);
    }

    private static void add(final AtomicLongArray counts, final int index, final int bytes)
    {
        counts.lazySet(index, counts.get(index) + 1);
        counts.lazySet(index + 1, counts.get(index + 1) + bytes);
    }

    /** @return packets forwarded for the listener on {@code port} in {@code direction}; any thread. */
    public long listenerPackets(final int port, final int direction)
    {
        return listeners.get((port << 2) + (direction << 1));
    }

    /** @return IPv4 bytes forwarded for the listener on {@code port} in {@code direction}; any thread. */
    public long listenerBytes(final int port, final int direction)
    {
        return listeners.get((port << 2) + (direction << 1) + 1);
    }

    /** @return packets forwarded to or from the target in {@code slot} in {@code direction}; any thread. */
    public long targetPackets(final int slot, final int direction)
    {
        return targets.get((slot << 2) + (direction << 1));
    }

    /** @return IPv4 bytes forwarded to or from the target in {@code slot} in {@code direction}; any thread. */
    public long targetBytes(final int slot, final int direction)
    {
        return targets.get((slot << 2) + (direction << 1) + 1);
    }
}
