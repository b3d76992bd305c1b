package io.tandem.control.admin;

import io.tandem.control.config.ConfigException;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ConfigWriter;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetPoolConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Edits of a load balancer that a backend needs to serve the admin API, each giving a validated result. Stateless.
 */
public final class LoadBalancerEdits
{
    private LoadBalancerEdits()
    {
    }

    /**
     * The load balancer with one pool replaced, checked again as a whole: a pool that is valid alone may still not
     * fit (a target on the VIP). Its version is kept; the backend gives the result a new one.
     *
     * @param loadBalancer the load balancer in force.
     * @param pool         the new pool; its name picks the pool to replace.
     * @return the edited load balancer.
     * @throws UnknownTargetPoolException when there is no pool of that name.
     * @throws ConfigException            naming every rule the result breaks, with paths into the load balancer,
     *                                    e.g. {@code targetPools[1].targets[0].ip}.
     */
    public static LoadBalancerConfig withTargetPool(final LoadBalancerConfig loadBalancer, final TargetPoolConfig pool)
    {
        final List<TargetPoolConfig> pools = new ArrayList<>(loadBalancer.targetPools());
        int index = -1;
        for (int i = 0; i < pools.size(); i++)
        {
            if (pools.get(i).name().equals(pool.name()))
            {
                index = i;
            }
        }
        if (index < 0)
        {
            throw new UnknownTargetPoolException(pool.name());
        }
        pools.set(index, pool);
        final LoadBalancerConfig edited = new LoadBalancerConfig(loadBalancer.name(), loadBalancer.externalAddress(),
            loadBalancer.listeners(), pools, loadBalancer.allowedSourceRanges(), loadBalancer.plan(),
            loadBalancer.labels(), loadBalancer.version());
        // The reader holds every cross-field rule; going through the canonical text keeps them in one place.
        return ConfigReader.parseLoadBalancer(ConfigWriter.toJson(edited));
    }

    /**
     * @param loadBalancer a load balancer.
     * @param version      its new version, or null for none.
     * @return the same load balancer carrying {@code version}.
     */
    public static LoadBalancerConfig withVersion(final LoadBalancerConfig loadBalancer, final String version)
    {
        return loadBalancer.withVersion(version);
    }
}
