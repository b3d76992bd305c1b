package io.tandem.control.cli;

import io.tandem.control.admin.AdminBackend;
import io.tandem.control.admin.AdminStatus;
import io.tandem.control.admin.LoadBalancerEdits;
import io.tandem.control.admin.StaleVersionException;
import io.tandem.control.admin.UnknownTargetPoolException;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ListenerConfig;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetConfig;
import io.tandem.control.config.TargetPoolConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * A backend for the CLI's tests: a real, validated {@link LoadBalancerConfig} that every change goes through the
 * reader's rules again, versions compared as the agent compares them ({@code v1}, {@code v2}, ...), and a status
 * made up from the configuration: three connections per listener, every target probed {@code ok} but {@code web-2},
 * which was never probed.
 */
final class FakeAdminBackend implements AdminBackend
{
    static final String LOAD_BALANCER = """
        {
          "name": "shop",
          "externalAddress": "198.18.0.100",
          "planId": "p10",
          "listeners": [
            {"displayName": "http", "port": 80, "protocol": "PROTOCOL_TCP", "targetPool": "web"},
            {"port": 5432, "protocol": "PROTOCOL_TCP", "targetPool": "db"}
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
    static final long PROBED_AT_MS = 1_735_689_600_123L;

    private LoadBalancerConfig current;
    private int versions;

    FakeAdminBackend()
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

    /** Bumps the version behind the CLI's back, as another operator would. */
    synchronized void changeBehindTheBack()
    {
        current = LoadBalancerEdits.withVersion(current, nextVersion());
    }
}
