package io.tandem.control.config;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.Plan;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The API's {@code LoadBalancer} as far as Tandem serves it: one external address (the VIP) with TCP listeners on it,
 * the target pools they forward to, the source ranges allowed to connect, and the plan that caps connections.
 * Immutable; a validated instance comes from {@link ConfigReader}.
 *
 * @param name                the load balancer's name.
 * @param externalAddress     the VIP as dotted quad; every listener serves its port on it.
 * @param listeners           the listeners, at most {@value #MAX_LISTENERS}.
 * @param targetPools         the target pools, at most {@value #MAX_TARGET_POOLS}, names unique.
 * @param allowedSourceRanges {@code options.accessControl.allowedSourceRanges} as {@code a.b.c.d/len}, host bits
 *                            clear; empty allows every source.
 * @param plan                the service plan ({@code planId}).
 * @param labels              user-defined metadata; copied.
 * @param version             the API's opaque resource version, or null when the payload has none.
 */
public record LoadBalancerConfig(
    String name,
    String externalAddress,
    List<ListenerConfig> listeners,
    List<TargetPoolConfig> targetPools,
    List<String> allowedSourceRanges,
    Plan plan,
    Map<String, String> labels,
    String version)
{
    /** Most listeners, as the API limits them. */
    public static final int MAX_LISTENERS = ForwardingSnapshot.MAX_LISTENERS;
    /** Most target pools, as the API limits them. */
    public static final int MAX_TARGET_POOLS = ForwardingSnapshot.MAX_POOLS;
    /** Most labels, as the API limits them. */
    public static final int MAX_LABELS = 64;

    /**
     * @param name                the load balancer's name.
     * @param externalAddress     the VIP.
     * @param listeners           the listeners; copied.
     * @param targetPools         the target pools; copied.
     * @param allowedSourceRanges the allowed source ranges; copied.
     * @param plan                the service plan.
     * @param labels              the labels; copied.
     * @param version             the resource version, or null.
     */
    public LoadBalancerConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(externalAddress, "externalAddress");
        listeners = List.copyOf(listeners);
        targetPools = List.copyOf(targetPools);
        allowedSourceRanges = List.copyOf(allowedSourceRanges);
        Objects.requireNonNull(plan, "plan");
        labels = Map.copyOf(labels);
    }

    /** @return the VIP as an int, as {@link Bytes#parseIpv4(String)} reads it. */
    public int externalIp()
    {
        return Bytes.parseIpv4(externalAddress);
    }

    /**
     * @param poolName a target pool's name.
     * @return the pool of that name, or null when there is none.
     */
    public TargetPoolConfig targetPool(final String poolName)
    {
        for (final TargetPoolConfig pool : targetPools)
        {
            if (pool.name().equals(poolName))
            {
                return pool;
            }
        }
        return null;
    }

    /**
     * @param newVersion the version to carry, or null for none.
     * @return this load balancer carrying {@code newVersion}.
     */
    public LoadBalancerConfig withVersion(final String newVersion)
    {
        return new LoadBalancerConfig(name, externalAddress, listeners, targetPools, allowedSourceRanges, plan, labels,
            newVersion);
    }
}
