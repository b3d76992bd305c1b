package io.tandem.control.config;

import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.NextHops;

import java.util.List;

/**
 * Folds a validated load balancer, the node's identity, target health and next hops into the immutable
 * {@link ForwardingSnapshot} the workers forward with. Every listener serves its port on the load balancer's
 * external address and carries the load balancer's allowed source ranges; the plan sets the connection cap.
 * Stateless and thread-safe; not for the hot path (it allocates).
 */
public final class SnapshotFactory
{
    private SnapshotFactory()
    {
    }

    /**
     * @param config   a node's configuration from {@link ConfigReader#parse(String)}; its SNAT address is used.
     * @param version  the snapshot's version; must increase with every publication.
     * @param nodeMac  MAC of the data interface in the low 48 bits.
     * @param nextHops the next hops.
     * @param health   the targets' health.
     * @param slots      the targets' traffic-count slots, or null to count every target in the shared slot.
     * @param forwarding true on an active (or standalone) node, false on a passive one.
     * @return the snapshot.
     */
    public static ForwardingSnapshot build(
        final TandemConfig config,
        final long version,
        final long nodeMac,
        final NextHops nextHops,
        final TargetHealth health,
        final TargetSlots slots,
        final boolean forwarding)
    {
        final ForwardingSnapshot.Builder builder = builder(config.loadBalancer(), version, nodeMac,
            config.node().snatIp(), nextHops, health, slots);
        builder.maxConnections(config.node().connectionLimit(config.loadBalancer().plan().maxConnections()));
        return builder.forwarding(forwarding).build();
    }

    /**
     * @param lb       a load balancer from {@link ConfigReader}; one built by other means must obey the same rules.
     * @param version  the snapshot's version; must increase with every publication.
     * @param nodeMac  MAC of the data interface in the low 48 bits.
     * @param snatIp   the SNAT address connections to targets come from.
     * @param nextHops the next hops.
     * @param health   the targets' health; {@link TargetHealth#ALL_HEALTHY} before the first probes.
     * @return the snapshot.
     * @throws IllegalArgumentException when the load balancer breaks a rule that {@link ConfigReader} enforces.
     */
    public static ForwardingSnapshot build(
        final LoadBalancerConfig lb,
        final long version,
        final long nodeMac,
        final int snatIp,
        final NextHops nextHops,
        final TargetHealth health)
    {
        return builder(lb, version, nodeMac, snatIp, nextHops, health, null).build();
    }

    private static ForwardingSnapshot.Builder builder(
        final LoadBalancerConfig lb,
        final long version,
        final long nodeMac,
        final int snatIp,
        final NextHops nextHops,
        final TargetHealth health,
        final TargetSlots slots)
    {
        final ForwardingSnapshot.Builder builder = ForwardingSnapshot.builder()
            .version(version)
            .nodeMac(nodeMac)
            .snatIp(snatIp)
            .maxConnections(lb.plan().maxConnections())
            .nextHops(nextHops);
        for (final TargetPoolConfig pool : lb.targetPools())
        {
            final List<TargetConfig> targets = pool.targets();
            final int[] ips = new int[targets.size()];
            final int[] targetSlots = new int[targets.size()];
            final boolean[] healthy = new boolean[targets.size()];
            for (int i = 0; i < ips.length; i++)
            {
                ips[i] = targets.get(i).ipv4();
                targetSlots[i] = null == slots ? 0 : slots.slotOf(pool.name(), targets.get(i).ip());
                healthy[i] = health.isHealthy(pool.name(), targets.get(i).ip());
            }
            builder.pool(pool.name(), pool.targetPort(), ips, targetSlots, healthy, pool.useSourceIpAddress());
        }
        final int vip = lb.externalIp();
        final String[] allowedCidrs = lb.allowedSourceRanges().toArray(String[]::new);
        for (final ListenerConfig listener : lb.listeners())
        {
            builder.listener(listener.name(), vip, listener.port(), listener.targetPool(),
                listener.idleTimeout().toNanos(), allowedCidrs);
        }
        return builder;
    }
}
