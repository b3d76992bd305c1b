package io.tandem.dataplane.snapshot;

import io.tandem.dataplane.maglev.MaglevTable;

/**
 * A target pool in the snapshot: its targets with their health, the healthy ones in round-robin order, and, when
 * session persistence on the source IP is on, the Maglev table over the healthy targets. Immutable.
 * <p>
 * Only healthy targets are selectable; an unhealthy target's established connections are untouched, because each
 * connection carries its own NAT tuple in the flow table.
 */
public final class TargetPool
{
    /** Returned by selection when the pool has no healthy target. */
    public static final int NO_TARGET = -1;

    private final String name;
    private final int targetPort;
    private final int[] targetIps;
    private final int[] targetSlots;
    private final boolean[] healthy;
    private final int[] healthyTargets;
    private final boolean sourceIpPersistence;
    private final MaglevTable maglev;

    TargetPool(
        final String name,
        final int targetPort,
        final int[] targetIps,
        final int[] targetSlots,
        final boolean[] healthy,
        final boolean sourceIpPersistence)
    {
        this.name = name;
        this.targetPort = targetPort;
        this.targetIps = targetIps;
        this.targetSlots = targetSlots;
        this.healthy = healthy;
        this.sourceIpPersistence = sourceIpPersistence;
        int count = 0;
        for (final boolean h : healthy)
        {
            count += h ? 1 : 0;
        }
        this.healthyTargets = new int[count];
        final long[] keys = new long[count];
        for (int i = 0, j = 0; i < targetIps.length; i++)
        {
            if (healthy[i])
            {
                keys[j] = ((long)targetIps[i] << 16) | targetPort;
                healthyTargets[j++] = i;
            }
        }
        this.maglev = sourceIpPersistence ? MaglevTable.build(keys, count) : null;
    }

    /** @return the pool's name. */
    public String name()
    {
        return name;
    }

    /** @return the port connections are forwarded to. */
    public int targetPort()
    {
        return targetPort;
    }

    /** @return number of targets, healthy or not. */
    public int targetCount()
    {
        return targetIps.length;
    }

    /** @return address of target {@code i}. */
    public int targetIp(final int i)
    {
        return targetIps[i];
    }

    /**
     * @return the stable slot of target {@code i} for its traffic counts
     *         ({@link io.tandem.dataplane.status.TrafficCounters}).
     */
    public int targetSlot(final int i)
    {
        return targetSlots[i];
    }

    /**
     * @param ip a target's address.
     * @return the index of the target with that address, or {@link #NO_TARGET}.
     */
    public int indexOf(final int ip)
    {
        for (int i = 0; i < targetIps.length; i++)
        {
            if (targetIps[i] == ip)
            {
                return i;
            }
        }
        return NO_TARGET;
    }

    /** @return true when target {@code i} is healthy. */
    public boolean isHealthy(final int i)
    {
        return healthy[i];
    }

    /** @return number of healthy targets. */
    public int healthyCount()
    {
        return healthyTargets.length;
    }

    /** @return true when connections are placed by Maglev on the client's address. */
    public boolean sourceIpPersistence()
    {
        return sourceIpPersistence;
    }

    /**
     * Picks the target of the {@code sequence}-th new connection in round-robin order over the healthy targets.
     *
     * @param sequence a per-worker counter for this pool.
     * @return target index, or {@link #NO_TARGET}.
     */
    public int roundRobin(final int sequence)
    {
        final int[] targets = healthyTargets;
        return targets.length == 0 ? NO_TARGET : targets[Integer.remainderUnsigned(sequence, targets.length)];
    }

    /**
     * Picks the target for a client by Maglev on its address.
     *
     * @param clientIp the client's address.
     * @return target index, or {@link #NO_TARGET}.
     */
    public int maglev(final int clientIp)
    {
        final int[] targets = healthyTargets;
        if (targets.length == 0)
        {
            return NO_TARGET;
        }
        return targets[maglev.lookup(MaglevTable.hashClient(clientIp))];
    }
}
