package io.tandem.control.admin;

import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.ListenerConfig;
import io.tandem.control.config.TargetConfig;
import io.tandem.control.config.TargetPoolConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * A backend for the tests of the HTTP layer and of the CLI: holds a real, validated {@link LoadBalancerConfig},
 * compares versions as the agent must, and applies the reader's rules to every change. Versions are {@code v1},
 * {@code v2}, ... The status is made up from the configuration: three connections per listener, every target probed
 * {@code ok} at {@link #PROBED_AT_MS} but {@code web-2}, which was never probed.
 */
public final class InMemoryAdminBackend implements AdminBackend
{
    public static final String LOAD_BALANCER = """
        {
          "name": "shop",
          "externalAddress": "198.18.0.100",
          "planId": "p10",
          "listeners": [
            {"displayName": "http", "port": 80, "protocol": "PROTOCOL_TCP", "targetPool": "web"},
            {"port": 5432, "protocol": "PROTOCOL_TCP", "targetPool": "db", "tcp": {"idleTimeout": "3600s"}}
          ],
          "targetPools": [
            {"name": "web", "targetPort": 8080, "targets": [
              {"displayName": "web-1", "ip": "198.18.1.11"},
              {"displayName": "web-2", "ip": "198.18.1.12"}],
             "activeHealthCheck": {"interval": "2s"}},
            {"name": "db", "targetPort": 5432, "targets": [{"displayName": "db-a", "ip": "198.18.2.21"}]}
          ]
        }
        """;
    /** When the probed targets were last probed: 2025-01-01T00:00:00.123Z. */
    public static final long PROBED_AT_MS = 1_735_689_600_123L;


    private LoadBalancerConfig current;
    private int versions;

    public InMemoryAdminBackend()
    {
        current = LoadBalancerEdits.withVersion(ConfigReader.parseLoadBalancer(LOAD_BALANCER), nextVersion());
    }

    private String nextVersion()
    {
        return "v" + ++versions;
    }

    @Override
    public synchronized LoadBalancerConfig loadBalancer()
    {
        return current;
    }

    @Override
    public synchronized LoadBalancerConfig replaceLoadBalancer(
        final LoadBalancerConfig proposed, final String basedOnVersion)
    {
        if (!StaleVersionException.isCurrent(current.version(), basedOnVersion))
        {
            throw new StaleVersionException(current.version(), basedOnVersion);
        }
        if (!proposed.externalAddress().equals(current.externalAddress()))
        {
            throw new IllegalArgumentException("externalAddress cannot change after creation");
        }
        current = LoadBalancerEdits.withVersion(proposed, nextVersion());
        return current;
    }

    @Override
    public synchronized LoadBalancerConfig updateTargetPool(
        final String name, final TargetPoolConfig pool, final String basedOnVersion)
    {
        if (null == current.targetPool(name))
        {
            throw new UnknownTargetPoolException(name);
        }
        if (null != basedOnVersion && !StaleVersionException.isCurrent(current.version(), basedOnVersion))
        {
            throw new StaleVersionException(current.version(), basedOnVersion);
        }
        current = LoadBalancerEdits.withVersion(LoadBalancerEdits.withTargetPool(current, pool), nextVersion());
        return current;
    }

    @Override
    public synchronized AdminStatus status()
    {
        final List<AdminStatus.ListenerStatus> listeners = new ArrayList<>();
        for (final ListenerConfig listener : current.listeners())
        {
            listeners.add(new AdminStatus.ListenerStatus(listener.name(), listener.port(), 3));
        }
        final List<AdminStatus.TargetStatus> targets = new ArrayList<>();
        for (final TargetPoolConfig pool : current.targetPools())
        {
            for (final TargetConfig target : pool.targets())
            {
                final boolean probed = !target.displayName().equals("web-2");
                targets.add(new AdminStatus.TargetStatus(pool.name(), target.displayName(), target.ip(), probed,
                    probed ? "ok" : null, probed ? PROBED_AT_MS : AdminStatus.TargetStatus.NEVER));
            }
        }
        return new AdminStatus("active", current.version(), 7,
            new AdminStatus.PlanUsage(current.plan().id(), current.plan().maxConnections(), 3L * listeners.size()),
            listeners, targets);
    }

    /** Bumps the version behind a client's back, as another operator would. */
    public synchronized void changeBehindTheBack()
    {
        current = LoadBalancerEdits.withVersion(current, nextVersion());
    }
}
