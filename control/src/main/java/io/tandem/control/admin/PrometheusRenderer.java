package io.tandem.control.admin;

import io.tandem.dataplane.status.WorkerCounters;
import org.agrona.concurrent.status.CountersReader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the metrics in the Prometheus text exposition format 0.0.4: every worker counter of the counters file
 * as {@code tandem_<label>_total{worker="N"}}, and gauges from the status.
 * <pre>
 * tandem_&lt;counter&gt;_total{worker}          counter  each {@link io.tandem.dataplane.status.WorkerCounter}
 * tandem_role{role}                         gauge    1 for the node's role
 * tandem_sync_connected, tandem_vrrp_*_total, tandem_vrrp_dropped_total{reason}, tandem_sync_*_total  (pairs)
 * tandem_snapshot_version                   gauge    forwarding snapshot the workers run with
 * tandem_plan_max_connections{plan}         gauge    the cap in force
 * tandem_active_connections                 gauge    connections tracked now
 * tandem_listener_active_connections{listener,port}     gauge
 * tandem_listener_packets_total{listener,port,direction}  counter  direction to_target or to_client
 * tandem_listener_bytes_total{listener,port,direction}    counter  IPv4 bytes
 * tandem_target_packets_total{pool,target,name,direction} counter
 * tandem_target_bytes_total{pool,target,name,direction}   counter
 * tandem_target_healthy{pool,target,name}   gauge    1 healthy, 0 not; target is the address
 * tandem_target_last_probe_timestamp_seconds{pool,target,name}  gauge, only for probed targets
 * </pre>
 * Each metric's samples come together under one {@code # HELP} and {@code # TYPE}, as the format asks. Stateless
 * and thread-safe; allocates, so it is for the control plane only.
 */
public final class PrometheusRenderer
{
    /** The {@code Content-Type} of the text format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern WORKER_LABEL = Pattern.compile("worker-(\\d+): ([A-Za-z0-9_]+)");

    private PrometheusRenderer()
    {
    }

    /**
     * @param counters the counters, or null for none.
     * @param status   the status, or null to leave its gauges out.
     * @return the metrics' text, each line ending with a line break.
     */
    public static String render(final CountersReader counters, final AdminStatus status)
    {
        final StringBuilder out = new StringBuilder(4096);
        if (null != counters)
        {
            workerCounters(counters, out);
        }
        if (null != status)
        {
            gauges(status, out);
        }
        return out.toString();
    }

    private static void workerCounters(final CountersReader counters, final StringBuilder out)
    {
        // The file holds worker 0's counters, then worker 1's: group them by name for the format.
        final Map<String, List<long[]>> byName = new LinkedHashMap<>();
        counters.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId != WorkerCounters.TYPE_ID)
            {
                return;
            }
            final Matcher m = WORKER_LABEL.matcher(label);
            if (m.matches())
            {
                byName.computeIfAbsent(m.group(2), name -> new ArrayList<>())
                    .add(new long[]{Long.parseLong(m.group(1)), counters.getCounterValue(counterId)});
            }
        });
        for (final Map.Entry<String, List<long[]>> entry : byName.entrySet())
        {
            final String metric = "tandem_" + entry.getKey() + "_total";
            header(out, metric, "counter", "Worker counter " + entry.getKey() + ", per worker.");
            for (final long[] sample : entry.getValue())
            {
                out.append(metric).append("{worker=\"").append(sample[0]).append("\"} ").append(sample[1])
                    .append('\n');
            }
        }
    }

    private static void gauges(final AdminStatus status, final StringBuilder out)
    {
        header(out, "tandem_role", "gauge", "The node's role in the pair: 1 for the role it has.");
        out.append("tandem_role{role=\"").append(escape(status.role())).append("\"} 1\n");

        final AdminStatus.PairStatus pair = status.pair();
        if (null != pair)
        {
            header(out, "tandem_sync_connected", "gauge", "1 while a sync session with the peer is up.");
            out.append("tandem_sync_connected ").append(pair.syncConnected() ? 1 : 0).append('\n');
            counter(out, "tandem_vrrp_advertisements_sent_total", "VRRP advertisements sent.",
                pair.advertisementsSent());
            counter(out, "tandem_vrrp_advertisements_accepted_total", "VRRP advertisements accepted from the peer.",
                pair.advertisementsAccepted());
            header(out, "tandem_vrrp_dropped_total", "counter", "VRRP packets dropped, by reason.");
            new TreeMap<>(pair.advertisementsDropped()).forEach((reason, n) -> out
                .append("tandem_vrrp_dropped_total{reason=\"").append(escape(reason.toLowerCase(Locale.ROOT)))
                .append("\"} ").append(n).append('\n'));
            counter(out, "tandem_sync_sessions_total", "Sync sessions established.", pair.syncSessions());
            counter(out, "tandem_sync_session_losses_total", "Sync sessions lost.", pair.syncSessionLosses());
            counter(out, "tandem_sync_auth_failures_total", "Sync handshakes or frames that failed authentication.",
                pair.syncAuthFailures());
            counter(out, "tandem_sync_bulks_sent_total", "Bulk resyncs sent to the peer.", pair.bulksSent());
            counter(out, "tandem_sync_bulks_received_total", "Bulk resyncs received from the peer.",
                pair.bulksReceived());
            counter(out, "tandem_sync_inbox_overflows_total", "Replicated connections that found a worker's inbox " +
                "full (a resync followed).", pair.inboxOverflows());
        }

        header(out, "tandem_snapshot_version", "gauge", "Version of the forwarding snapshot the workers run with.");
        out.append("tandem_snapshot_version ").append(status.snapshotVersion()).append('\n');

        header(out, "tandem_plan_max_connections", "gauge", "Cap on concurrent connections in force on this node.");
        out.append("tandem_plan_max_connections{plan=\"").append(escape(status.plan().planId())).append("\"} ")
            .append(status.plan().maxConnections()).append('\n');

        header(out, "tandem_active_connections", "gauge", "Connections tracked now, over all workers.");
        out.append("tandem_active_connections ").append(status.plan().activeConnections()).append('\n');

        header(out, "tandem_listener_active_connections", "gauge", "Connections tracked now, per listener.");
        for (final AdminStatus.ListenerStatus listener : status.listeners())
        {
            out.append("tandem_listener_active_connections{listener=\"").append(escape(listener.name()))
                .append("\",port=\"").append(listener.port()).append("\"} ").append(listener.activeConnections())
                .append('\n');
        }

        final String[] kinds = {"packets", "bytes"};
        for (final String kind : kinds)
        {
            final String metric = "tandem_listener_" + kind + "_total";
            header(out, metric, "counter", "IPv4 " + kind + " forwarded per listener and direction.");
            for (final AdminStatus.ListenerStatus listener : status.listeners())
            {
                final String labels = "{listener=\"" + escape(listener.name()) + "\",port=\"" + listener.port() +
                    "\",direction=\"";
                traffic(out, metric, labels, listener.traffic(), kind);
            }
        }
        for (final String kind : kinds)
        {
            final String metric = "tandem_target_" + kind + "_total";
            header(out, metric, "counter", "IPv4 " + kind + " forwarded per target and direction.");
            for (final AdminStatus.TargetStatus target : status.targets())
            {
                final String labels = targetLabels(target);
                traffic(out, metric, labels.substring(0, labels.length() - 1) + ",direction=\"", target.traffic(),
                    kind);
            }
        }

        header(out, "tandem_target_healthy", "gauge", "1 when new connections may go to the target, else 0.");
        for (final AdminStatus.TargetStatus target : status.targets())
        {
            out.append("tandem_target_healthy").append(targetLabels(target)).append(' ')
                .append(target.healthy() ? 1 : 0).append('\n');
        }

        header(out, "tandem_target_last_probe_timestamp_seconds", "gauge",
            "When the target's last health probe finished, Unix time.");
        for (final AdminStatus.TargetStatus target : status.targets())
        {
            if (target.lastProbeEpochMs() != AdminStatus.TargetStatus.NEVER)
            {
                out.append("tandem_target_last_probe_timestamp_seconds").append(targetLabels(target)).append(' ')
                    .append(target.lastProbeEpochMs() / 1000).append('.')
                    .append(String.format("%03d", target.lastProbeEpochMs() % 1000)).append('\n');
            }
        }
    }

    /** Two samples, to_target and to_client; {@code labelsOpen} ends with {@code direction="}. */
    private static void traffic(
        final StringBuilder out,
        final String metric,
        final String labelsOpen,
        final AdminStatus.Traffic traffic,
        final String kind)
    {
        final boolean packets = "packets".equals(kind);
        out.append(metric).append(labelsOpen).append("to_target\"} ")
            .append(packets ? traffic.packetsToTarget() : traffic.bytesToTarget()).append('\n');
        out.append(metric).append(labelsOpen).append("to_client\"} ")
            .append(packets ? traffic.packetsToClient() : traffic.bytesToClient()).append('\n');
    }

    private static String targetLabels(final AdminStatus.TargetStatus target)
    {
        return "{pool=\"" + escape(target.pool()) + "\",target=\"" + escape(target.ip()) + "\",name=\"" +
            escape(target.displayName()) + "\"}";
    }

    private static void counter(final StringBuilder out, final String metric, final String help, final long value)
    {
        header(out, metric, "counter", help);
        out.append(metric).append(' ').append(value).append('\n');
    }

    private static void header(final StringBuilder out, final String metric, final String type, final String help)
    {
        out.append("# HELP ").append(metric).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n"))
            .append('\n');
        out.append("# TYPE ").append(metric).append(' ').append(type).append('\n');
    }

    /** Label values escape backslash, double quote and line feed, as the format asks. */
    static String escape(final String value)
    {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
