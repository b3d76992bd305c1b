package io.tandem.control.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.config.ConfigWriter;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.snapshot.Plan;
import io.tandem.dataplane.tcp.TcpState;
import io.tandem.dataplane.worker.FlowSample;

import java.time.Instant;
import java.util.List;
import java.util.TreeMap;

/**
 * The JSON bodies of the admin socket that are not configuration (for that see
 * {@link io.tandem.control.config.ConfigWriter}): status, plans and errors. Stateless and thread-safe.
 */
public final class AdminJson
{
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AdminJson()
    {
    }

    /**
     * The status, as {@code GET /v2/status} shows it:
     * <pre>
     * {
     *   "role": "active", "version": "lb-7", "snapshotVersion": 12,
     *   "plan": {"planId": "p10", "maxConnections": 10000, "activeConnections": 42},
     *   "listeners": [{"name": "tcp-80", "port": 80, "activeConnections": 42, "traffic": TRAFFIC}],
     *   "targets": [{"pool": "web", "displayName": "web-1", "ip": "198.18.1.10", "healthy": true,
     *                "lastResult": "ok", "lastProbe": "2025-01-01T00:00:00Z", "lastProbeEpochMs": 1735689600000,
     *                "traffic": TRAFFIC}]
     * }
     * TRAFFIC = {"packetsToTarget": 9, "bytesToTarget": 620, "packetsToClient": 7, "bytesToClient": 900}
     * "pair": null on a standalone node, else {"peer", "electionRole", "syncConnected", "advertisementsSent",
     *         "advertisementsAccepted", "advertisementsDropped": {REASON: n}, "syncSessions", "syncSessionLosses",
     *         "syncAuthFailures", "bulksSent", "bulksReceived", "inboxOverflows"}
     * }
     * </pre>
     * {@code lastResult}, {@code lastProbe} and {@code lastProbeEpochMs} are null before the first probe.
     *
     * @param status the status.
     * @return the tree.
     */
    public static ObjectNode status(final AdminStatus status)
    {
        final ObjectNode o = NODES.objectNode();
        o.put("role", status.role());
        o.put("version", status.configVersion());
        o.put("snapshotVersion", status.snapshotVersion());
        o.putObject("plan")
            .put("planId", status.plan().planId())
            .put("maxConnections", status.plan().maxConnections())
            .put("activeConnections", status.plan().activeConnections());
        final ArrayNode listeners = o.putArray("listeners");
        for (final AdminStatus.ListenerStatus listener : status.listeners())
        {
            listeners.addObject()
                .put("name", listener.name())
                .put("port", listener.port())
                .put("activeConnections", listener.activeConnections())
                .set("traffic", traffic(listener.traffic()));
        }
        final ArrayNode targets = o.putArray("targets");
        for (final AdminStatus.TargetStatus target : status.targets())
        {
            final ObjectNode t = targets.addObject()
                .put("pool", target.pool())
                .put("displayName", target.displayName())
                .put("ip", target.ip())
                .put("healthy", target.healthy())
                .put("lastResult", target.lastResult());
            if (target.lastProbeEpochMs() == AdminStatus.TargetStatus.NEVER)
            {
                t.putNull("lastProbe");
                t.putNull("lastProbeEpochMs");
            }
            else
            {
                t.put("lastProbe", Instant.ofEpochMilli(target.lastProbeEpochMs()).toString());
                t.put("lastProbeEpochMs", target.lastProbeEpochMs());
            }
            t.set("traffic", traffic(target.traffic()));
        }
        final AdminStatus.PairStatus pair = status.pair();
        if (null == pair)
        {
            o.putNull("pair");
        }
        else
        {
            final ObjectNode p = o.putObject("pair")
                .put("peer", pair.peer())
                .put("electionRole", pair.electionRole())
                .put("syncConnected", pair.syncConnected())
                .put("advertisementsSent", pair.advertisementsSent())
                .put("advertisementsAccepted", pair.advertisementsAccepted());
            final ObjectNode dropped = p.putObject("advertisementsDropped");
            new TreeMap<>(pair.advertisementsDropped()).forEach(dropped::put);
            p.put("syncSessions", pair.syncSessions())
                .put("syncSessionLosses", pair.syncSessionLosses())
                .put("syncAuthFailures", pair.syncAuthFailures())
                .put("bulksSent", pair.bulksSent())
                .put("bulksReceived", pair.bulksReceived())
                .put("inboxOverflows", pair.inboxOverflows());
        }
        return o;
    }

    private static ObjectNode traffic(final AdminStatus.Traffic traffic)
    {
        return NODES.objectNode()
            .put("packetsToTarget", traffic.packetsToTarget())
            .put("bytesToTarget", traffic.bytesToTarget())
            .put("packetsToClient", traffic.packetsToClient())
            .put("bytesToClient", traffic.bytesToClient());
    }

    /**
     * @param flows a sample of tracked connections.
     * @return {@code {"flows": [{worker, client, listener, target, snatPort, state, ageMs, expiresInMs,
     * payloadBytes}]}}.
     */
    public static ObjectNode flows(final List<FlowSample> flows)
    {
        final ObjectNode o = NODES.objectNode();
        final com.fasterxml.jackson.databind.node.ArrayNode list = o.putArray("flows");
        for (final FlowSample f : flows)
        {
            list.addObject()
                .put("worker", f.workerId())
                .put("client", Bytes.ipv4ToString(f.clientIp()) + ":" + f.clientPort())
                .put("listener", Bytes.ipv4ToString(f.vip()) + ":" + f.vipPort())
                .put("target", Bytes.ipv4ToString(f.targetIp()) + ":" + f.targetPort())
                .put("snatPort", f.snatPort())
                .put("state", TcpState.name(f.state()))
                .put("ageMs", f.ageNs() / 1_000_000)
                .put("expiresInMs", f.expiresInNs() / 1_000_000)
                .put("payloadBytes", f.payloadBytes());
        }
        return o;
    }

    /**
     * The plans, as the API's {@code ListPlansResponse}: {@code {"validPlans": [PlanDetails...]}} with
     * {@code planId}, {@code name}, {@code description} and {@code maxConnections}. {@code region} and
     * {@code flavorName} are left out: a node has neither.
     *
     * @return the tree.
     */
    public static ObjectNode plans()
    {
        final ObjectNode o = NODES.objectNode();
        final ArrayNode plans = o.putArray("validPlans");
        for (final Plan plan : Plan.values())
        {
            plans.addObject()
                .put("planId", plan.id())
                .put("name", "Tandem-Network-Load-Balancer-" + plan.id().substring(1))
                .put("description", "up to " + plan.maxConnections() + " concurrent connections per node" +
                    (plan == Plan.DEFAULT ? "; the default" : ""))
                .put("maxConnections", plan.maxConnections());
        }
        return o;
    }

    /**
     * @param tree a JSON tree.
     * @return its text, indented, ending with a line break.
     */
    public static String write(final JsonNode tree)
    {
        // one layout for every JSON Tandem writes: ConfigWriter's
        return ConfigWriter.write(tree);
    }
}
