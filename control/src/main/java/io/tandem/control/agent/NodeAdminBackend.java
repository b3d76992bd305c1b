package io.tandem.control.agent;

import io.tandem.control.admin.AdminBackend;
import io.tandem.control.admin.AdminStatus;
import io.tandem.control.admin.LoadBalancerEdits;
import io.tandem.control.admin.StaleVersionException;
import io.tandem.control.config.ConfigStoreConflictException;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetPoolConfig;
import io.tandem.dataplane.worker.FlowSample;
import org.agrona.concurrent.status.CountersReader;

import java.util.List;

/**
 * The admin socket's view of a running {@link NodeAgent}: reads come from the configuration in force and the
 * workers, changes go through {@link NodeAgent#apply} (applied to the running node, then persisted). Thread-safe:
 * the admin server calls it from its own threads.
 */
public final class NodeAdminBackend implements AdminBackend
{
    private final NodeAgent node;

    /**
     * @param node the running node.
     */
    public NodeAdminBackend(final NodeAgent node)
    {
        this.node = node;
    }

    @Override
    public LoadBalancerConfig loadBalancer()
    {
        return node.config().loadBalancer();
    }

    @Override
    public LoadBalancerConfig replaceLoadBalancer(final LoadBalancerConfig proposed, final String basedOnVersion)
    {
        try
        {
            return node.apply(proposed, basedOnVersion);
        }
        catch (final ConfigStoreConflictException ex)
        {
            throw new StaleVersionException(ex.currentVersion(), basedOnVersion);
        }
    }

    @Override
    public LoadBalancerConfig updateTargetPool(
        final String name, final TargetPoolConfig pool, final String basedOnVersion)
    {
        // without a version the update applies to whatever is in force; the store still serialises it
        final LoadBalancerConfig current = node.config().loadBalancer();
        final String version = null == basedOnVersion ? node.configVersion() : basedOnVersion;
        return replaceLoadBalancer(LoadBalancerEdits.withTargetPool(current, pool), version);
    }

    @Override
    public AdminStatus status()
    {
        return node.status();
    }

    @Override
    public List<FlowSample> flows(final int limit)
    {
        return node.sampleFlows(limit);
    }

    @Override
    public CountersReader counters()
    {
        return node.countersReader();
    }
}
