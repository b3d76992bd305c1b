package io.tandem.control.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The child process of {@link ConfigStoreCrashTest}: opens a {@link ConfigStore} over the directory given as its one
 * argument and replaces the configuration as fast as it can, each time with {@link #numbered} content, until it is
 * killed. It prints {@code ready <version>} once the store is open and {@code accepted <version>} after every change
 * that {@link ConfigStore#replace} reported durable.
 */
public final class ConfigStoreCrashWriter
{
    static final String SEQ = "seq";
    static final String SEQ_HEX = "seq-hex";
    static final int PORT_BASE = 10_000;
    static final int PORT_SPAN = 1_000;

    private ConfigStoreCrashWriter()
    {
    }

    /**
     * @param args the state directory.
     */
    public static void main(final String[] args)
    {
        final ConfigStore store = ConfigStore.load(Path.of(args[0]), base());
        System.out.println("ready " + store.currentVersion());
        while (true)
        {
            final String version = store.currentVersion();
            final LoadBalancerConfig next = numbered(base(), ConfigStore.counterOf(version) + 1);
            System.out.println("accepted " + store.replace(next, version).version());
        }
    }

    /** @return the example file's load balancer. */
    static LoadBalancerConfig base()
    {
        return ConfigReader.parse(ConfigFixtures.resource("example.json")).loadBalancer();
    }

    /**
     * @param base a load balancer with at least one listener.
     * @param n    the number to carry.
     * @return {@code base} carrying {@code n} in two labels and in its first listener's port.
     */
    static LoadBalancerConfig numbered(final LoadBalancerConfig base, final long n)
    {
        final Map<String, String> labels = new HashMap<>(base.labels());
        labels.put(SEQ, Long.toString(n));
        labels.put(SEQ_HEX, Long.toHexString(n));
        final List<ListenerConfig> listeners = new ArrayList<>(base.listeners());
        final ListenerConfig first = listeners.getFirst();
        listeners.set(0, new ListenerConfig(first.displayName(), port(n), first.targetPool(), first.idleTimeout()));
        return new LoadBalancerConfig(base.name(), base.externalAddress(), listeners, base.targetPools(),
            base.allowedSourceRanges(), base.plan(), labels, null);
    }

    /** @return {@code c} without its version. */
    static LoadBalancerConfig withoutVersion(final LoadBalancerConfig c)
    {
        return new LoadBalancerConfig(c.name(), c.externalAddress(), c.listeners(), c.targetPools(),
            c.allowedSourceRanges(), c.plan(), c.labels(), null);
    }

    /** @return the first listener's port that {@link #numbered} gives for {@code n}. */
    static int port(final long n)
    {
        return PORT_BASE + (int)(n % PORT_SPAN);
    }
}
