package io.tandem.control.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a configuration as JSON in canonical form, for persistence and for the admin API: every default spelled
 * out, fields in a fixed order, labels sorted by key, durations as {@link Durations#format(java.time.Duration)} writes
 * them, fields that Tandem ignores left out. Reading the text back with {@link ConfigReader} gives an equal record,
 * and writing a record read from canonical text gives the same text. Stateless and thread-safe.
 */
public final class ConfigWriter
{
    // Two-space indents, one array element per line, "key": value, and [] / {} when empty: the way people write it.
    private static final ObjectWriter WRITER;

    static
    {
        final DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        final DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("")
            .withArrayEmptySeparator(""));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        WRITER = JsonMapper.builder().build().writer(printer);
    }
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ConfigWriter()
    {
    }

    /**
     * @param config a node's configuration.
     * @return the configuration file's text, indented, ending with a line break.
     */
    public static String toJson(final TandemConfig config)
    {
        return write(toTree(config));
    }

    /**
     * @param loadBalancer a load balancer.
     * @return its STACKIT {@code LoadBalancer} payload, indented, ending with a line break.
     */
    public static String toJson(final LoadBalancerConfig loadBalancer)
    {
        return write(toTree(loadBalancer));
    }

    /**
     * @param pool a target pool.
     * @return its STACKIT {@code TargetPool} payload, indented, ending with a line break.
     */
    public static String toJson(final TargetPoolConfig pool)
    {
        return write(toTree(pool));
    }

    /**
     * @param config a node's configuration.
     * @return the configuration file as a JSON tree, for embedding in a larger document.
     */
    public static ObjectNode toTree(final TandemConfig config)
    {
        final ObjectNode root = NODES.objectNode();
        final NodeConfig node = config.node();
        final ObjectNode nodeTree = root.putObject("node")
            .put("dataInterface", node.dataInterface())
            .put("snatAddress", node.snatAddress())
            .put("workers", node.workers())
            .put("adminSocket", node.adminSocket().toString())
            .put("stateDirectory", node.stateDirectory().toString())
            .put("countersFile", node.countersFile().toString());
        if (node.maxConnections() != NodeConfig.NO_LIMIT)
        {
            nodeTree.put("maxConnections", node.maxConnections());
        }
        final PairConfig pair = node.pair();
        if (null != pair)
        {
            final ObjectNode p = nodeTree.putObject("pair")
                .put("peerAddress", pair.peerAddress())
                .put("routerId", pair.routerId())
                .put("priority", pair.priority())
                .put("advertisementInterval", pair.advertIntervalCs())
                .put("preempt", pair.preempt())
                .put("syncPort", pair.syncPort());
            if (null != pair.key())
            {
                p.put("key", pair.keyHex());
            }
        }
        root.set("loadBalancer", toTree(config.loadBalancer()));
        return root;
    }

    /**
     * @param lb a load balancer.
     * @return its STACKIT {@code LoadBalancer} payload as a JSON tree.
     */
    public static ObjectNode toTree(final LoadBalancerConfig lb)
    {
        final ObjectNode o = NODES.objectNode();
        o.put("name", lb.name());
        o.put("externalAddress", lb.externalAddress());
        o.put("planId", lb.plan().id());
        if (null != lb.version())
        {
            o.put("version", lb.version());
        }
        final ObjectNode labels = o.putObject("labels");
        for (final Map.Entry<String, String> label : new TreeMap<>(lb.labels()).entrySet())
        {
            labels.put(label.getKey(), label.getValue());
        }
        final ArrayNode listeners = o.putArray("listeners");
        for (final ListenerConfig listener : lb.listeners())
        {
            final ObjectNode l = listeners.addObject();
            if (null != listener.displayName())
            {
                l.put("displayName", listener.displayName());
            }
            l.put("port", listener.port());
            l.put("protocol", ListenerConfig.PROTOCOL_TCP);
            l.put("targetPool", listener.targetPool());
            l.putObject("tcp").put("idleTimeout", Durations.format(listener.idleTimeout()));
        }
        final ArrayNode pools = o.putArray("targetPools");
        for (final TargetPoolConfig pool : lb.targetPools())
        {
            pools.add(toTree(pool));
        }
        final ArrayNode ranges = o.putObject("options").putObject("accessControl").putArray("allowedSourceRanges");
        lb.allowedSourceRanges().forEach(ranges::add);
        return o;
    }

    /**
     * @param pool a target pool.
     * @return its STACKIT {@code TargetPool} payload as a JSON tree.
     */
    public static ObjectNode toTree(final TargetPoolConfig pool)
    {
        final ObjectNode p = NODES.objectNode();
        p.put("name", pool.name());
        p.put("targetPort", pool.targetPort());
        final ArrayNode targets = p.putArray("targets");
        for (final TargetConfig target : pool.targets())
        {
            targets.addObject().put("displayName", target.displayName()).put("ip", target.ip());
        }
        final ActiveHealthCheckConfig check = pool.activeHealthCheck();
        final ObjectNode c = p.putObject("activeHealthCheck");
        c.put("interval", Durations.format(check.interval()));
        c.put("intervalJitter", Durations.format(check.intervalJitter()));
        c.put("timeout", Durations.format(check.timeout()));
        c.put("healthyThreshold", check.healthyThreshold());
        c.put("unhealthyThreshold", check.unhealthyThreshold());
        if (check.altPort() != ActiveHealthCheckConfig.NO_ALT_PORT)
        {
            c.put("altPort", check.altPort());
        }
        final HttpHealthCheckConfig http = check.httpHealthChecks();
        if (null != http)
        {
            final ObjectNode h = c.putObject("httpHealthChecks");
            h.put("path", http.path());
            final ArrayNode statuses = h.putArray("okStatuses");
            // The API types the statuses as strings.
            http.okStatuses().forEach(status -> statuses.add(Integer.toString(status)));
        }
        p.putObject("sessionPersistence").put("useSourceIpAddress", pool.useSourceIpAddress());
        return p;
    }

    /**
     * @param tree a JSON tree.
     * @return its text in Tandem's one JSON layout: two-space indents, one array element per line, {@code "key": value},
     * {@code []} and {@code {}} when empty; ending with a line break.
     */
    public static String write(final com.fasterxml.jackson.databind.JsonNode tree)
    {
        try
        {
            return WRITER.writeValueAsString(tree) + "\n";
        }
        catch (final JsonProcessingException ex)
        {
            // A tree of strings, numbers and booleans always serialises; this is not expected to happen.
            throw new UncheckedIOException(ex);
        }
    }
}
