package io.tandem.control.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.stream.IntStream;

/**
 * The node configuration for a {@link Topology}: one listener on the VIP's port 80 forwarding to every target's
 * HTTP server, with the knobs the demo and the end-to-end tests turn. Produces the JSON an operator would write.
 */
public final class DemoConfig
{
    private final Topology topology;
    private String idleTimeout = "300s";
    private boolean sourceIpPersistence;
    private String plan = "p10";
    private final List<String> allowedSourceRanges = new ArrayList<>();
    private String countersFile = "/dev/shm/tandem-demo-counters";
    private String stateDirectory;
    private int targetPort = Topology.HTTP_PORT;
    private int listenerPort = Topology.VIP_PORT;
    private int maxConnections;
    private int workers = 1;
    private int[] onlyTargets;
    private String healthCheck = "";
    private final List<String> extraListeners = new ArrayList<>();
    private final List<String> extraPools = new ArrayList<>();
    private String pair = "";

    /** The shared key of the demo's pairs: fine for namespaces on one machine, never for a real pair. */
    public static final String DEMO_PAIR_KEY = "7461 6e64 656d 2d64 656d 6f2d 6b65 792d".replace(" ", "") +
        "0000000000000000";

    /**
     * @param topology whose node, VIP, SNAT address and targets to use.
     */
    public DemoConfig(final Topology topology)
    {
        this.topology = topology;
    }

    /** @param timeout the listener's idle timeout, e.g. {@code "4s"}. */
    public DemoConfig idleTimeout(final String timeout)
    {
        this.idleTimeout = timeout;
        return this;
    }

    /** @param on Maglev on the client's address instead of round robin. */
    public DemoConfig sourceIpPersistence(final boolean on)
    {
        this.sourceIpPersistence = on;
        return this;
    }

    /** @param planId e.g. {@code p10}. */
    public DemoConfig plan(final String planId)
    {
        this.plan = planId;
        return this;
    }

    /** @param cidr adds an allowed source range. */
    public DemoConfig allow(final String cidr)
    {
        allowedSourceRanges.add(cidr);
        return this;
    }

    /**
     * @param path of the counters file; the state directory (persisted configuration) and the admin socket go beside
     *             it.
     */
    public DemoConfig countersFile(final String path)
    {
        this.countersFile = path;
        return this;
    }

    /** @param path the node's state directory (where accepted configurations are persisted). */
    public DemoConfig stateDirectory(final String path)
    {
        this.stateDirectory = path;
        return this;
    }

    /** @param port the targets' port, e.g. {@link Topology#ECHO_PORT}. */
    public DemoConfig targetPort(final int port)
    {
        this.targetPort = port;
        return this;
    }

    /** @param targets the target numbers (from 1) of the main pool; all of the topology's by default. */
    public DemoConfig onlyTargets(final int... targets)
    {
        this.onlyTargets = targets.clone();
        return this;
    }

    /**
     * Sets the main pool's active health check.
     *
     * @param interval  e.g. {@code "0.2s"}.
     * @param timeout   e.g. {@code "0.15s"}.
     * @param healthy   successes before a target is up again.
     * @param unhealthy failures before a target is down.
     */
    public DemoConfig healthCheck(final String interval, final String timeout, final int healthy, final int unhealthy)
    {
        this.healthCheck = ",\n        \"activeHealthCheck\": { \"interval\": \"" + interval + "\", \"timeout\": \"" +
            timeout + "\", \"healthyThreshold\": " + healthy + ", \"unhealthyThreshold\": " + unhealthy + " }";
        return this;
    }

    /** @param count forwarding workers of the node. */
    public DemoConfig workers(final int count)
    {
        this.workers = count;
        return this;
    }

    /** @param max the node's own connection cap (below the plan's), 0 for none. */
    public DemoConfig maxConnections(final int max)
    {
        this.maxConnections = max;
        return this;
    }

    /**
     * Adds a listener with a pool of its own.
     *
     * @param port       the listener's port on the VIP.
     * @param targetPort the port on the targets.
     * @param targets    the target numbers (from 1) in its pool.
     */
    public DemoConfig listener(final int port, final int targetPort, final int... targets)
    {
        final String pool = "pool-" + port;
        extraListeners.add("      { \"displayName\": \"port-" + port + "\", \"port\": " + port +
            ", \"protocol\": \"PROTOCOL_TCP\", \"targetPool\": \"" + pool + "\" }");
        final StringJoiner members = new StringJoiner(", ");
        for (final int i : targets)
        {
            members.add("{ \"displayName\": \"target-" + i + "\", \"ip\": \"" + topology.target(i).address() +
                "\" }");
        }
        extraPools.add("      { \"name\": \"" + pool + "\", \"targetPort\": " + targetPort + ", \"targets\": [ " +
            members + " ] }");
        return this;
    }

    /** @param port the listener's port on the VIP. */
    public DemoConfig listenerPort(final int port)
    {
        this.listenerPort = port;
        return this;
    }

    /**
     * Makes the node one of a pair with the node at {@code peerAddress}: VRRP router id 51 at a 100 ms interval,
     * the sync channel on its default port, and a demo key (a real pair has a key of its own).
     *
     * @param peerAddress the other node's address.
     * @param priority    this node's priority, 1..254.
     * @param preempt     whether this node takes over from a lower-priority active node when it comes back.
     */
    public DemoConfig pair(final String peerAddress, final int priority, final boolean preempt)
    {
        this.pair = ",\n    \"pair\": { \"peerAddress\": \"" + peerAddress + "\", \"routerId\": 51, \"priority\": " +
            priority + ", \"advertisementInterval\": 10, \"preempt\": " + preempt + ", \"key\": \"" +
            DEMO_PAIR_KEY + "\" }";
        return this;
    }

    /** @return the configuration file's text. */
    public String json()
    {
        final StringJoiner targets = new StringJoiner(",\n");
        final int[] members = null != onlyTargets ? onlyTargets :
            IntStream.rangeClosed(1, topology.targetCount()).toArray();
        for (final int i : members)
        {
            targets.add("          { \"displayName\": \"target-" + i + "\", \"ip\": \"" + topology.target(i).address() +
                "\" }");
        }
        final StringJoiner ranges = new StringJoiner(", ");
        allowedSourceRanges.forEach(r -> ranges.add("\"" + r + "\""));
        return """
            {
              "node": {
                "dataInterface": "%s",
                "snatAddress": "%s",
                "workers": %d,%s
                "countersFile": "%s",
                "stateDirectory": "%s",
                "adminSocket": "%s"%s
              },
              "loadBalancer": {
                "name": "demo",
                "externalAddress": "%s",
                "planId": "%s",
                "listeners": [
                  { "displayName": "http", "port": %d, "protocol": "PROTOCOL_TCP", "targetPool": "web",
                    "tcp": { "idleTimeout": "%s" } }%s
                ],
                "targetPools": [
                  {
                    "name": "web",
                    "targetPort": %d,
                    "sessionPersistence": { "useSourceIpAddress": %s }%s,
                    "targets": [
            %s
                    ]
                  }%s
                ]%s
              }
            }
            """.formatted(topology.nodeInterface(), topology.snatAddress(), workers,
            maxConnections == 0 ? "" : "\n    \"maxConnections\": " + maxConnections + ",", countersFile,
            null != stateDirectory ? stateDirectory :
                java.nio.file.Path.of(countersFile).resolveSibling("state").toString(),
            java.nio.file.Path.of(countersFile).resolveSibling("admin.sock").toString(), pair,
            topology.vip(), plan,
            listenerPort, idleTimeout, extraListeners.isEmpty() ? "" : ",\n" + String.join(",\n", extraListeners),
            targetPort, sourceIpPersistence, healthCheck, targets,
            extraPools.isEmpty() ? "" : ",\n" + String.join(",\n", extraPools),
            allowedSourceRanges.isEmpty() ? "" : ",\n    \"options\": { \"accessControl\": { \"allowedSourceRanges\": [" +
                ranges + "] } }");
    }
}
