package io.tandem.control.admin;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code GET /v2/status} shows: the node's role in the pair, the versions in force, how much of the plan is in
 * use, connections per listener and the health of every target as the prober last saw it. Immutable.
 *
 * @param role            the node's role, e.g. {@code active}, {@code passive}, {@code standalone}.
 * @param configVersion   the load balancer's version in force, or null when it has none.
 * @param snapshotVersion the forwarding snapshot's version the workers run with; 0 before the first.
 * @param plan            the plan and its use.
 * @param listeners       connections per listener; copied.
 * @param targets         health per target, in configuration order; copied.
 * @param pair            the election and the sync channel, or null on a standalone node.
 */
public record AdminStatus(
    String role,
    String configVersion,
    long snapshotVersion,
    PlanUsage plan,
    List<ListenerStatus> listeners,
    List<TargetStatus> targets,
    PairStatus pair)
{
    /**
     * @param role            the role.
     * @param configVersion   the configuration's version, or null.
     * @param snapshotVersion the snapshot's version.
     * @param plan            the plan's use.
     * @param listeners       the listeners; copied.
     * @param targets         the targets; copied.
     * @param pair            the pair, or null.
     */
    public AdminStatus
    {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(plan, "plan");
        listeners = List.copyOf(listeners);
        targets = List.copyOf(targets);
    }

    /** A standalone node's status. */
    public AdminStatus(
        final String role,
        final String configVersion,
        final long snapshotVersion,
        final PlanUsage plan,
        final List<ListenerStatus> listeners,
        final List<TargetStatus> targets)
    {
        this(role, configVersion, snapshotVersion, plan, listeners, targets, null);
    }

    /**
     * The node's part in the pair: the election and the sync channel.
     *
     * @param peer                   the peer's address.
     * @param electionRole           the VRRP state: {@code INITIALIZE}, {@code BACKUP} or {@code MASTER}.
     * @param syncConnected          true while a sync session with the peer is up.
     * @param advertisementsSent     VRRP advertisements sent.
     * @param advertisementsAccepted VRRP advertisements accepted from the peer.
     * @param advertisementsDropped  VRRP packets dropped, by reason (e.g. {@code BAD_TTL}); copied.
     * @param syncSessions           sync sessions established.
     * @param syncSessionLosses      sync sessions lost.
     * @param syncAuthFailures       sync handshakes or frames that failed authentication.
     * @param bulksSent              bulk resyncs sent to the peer.
     * @param bulksReceived          bulk resyncs received from the peer.
     * @param inboxOverflows         times the peer's connections found a worker's inbox full (a resync followed).
     */
    public record PairStatus(
        String peer,
        String electionRole,
        boolean syncConnected,
        long advertisementsSent,
        long advertisementsAccepted,
        Map<String, Long> advertisementsDropped,
        long syncSessions,
        long syncSessionLosses,
        long syncAuthFailures,
        long bulksSent,
        long bulksReceived,
        long inboxOverflows)
    {
        /** Copies the map. */
        public PairStatus
        {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(electionRole, "electionRole");
            advertisementsDropped = Map.copyOf(advertisementsDropped);
        }
    }

    /**
     * The plan's cap and how much of it is used.
     *
     * @param planId            the API's plan id, e.g. {@code p10}.
     * @param maxConnections    the cap in force on this node (the plan's, or the node's own when lower).
     * @param activeConnections connections tracked now, over all workers.
     */
    public record PlanUsage(String planId, int maxConnections, long activeConnections)
    {
        /**
         * @param planId            the plan id.
         * @param maxConnections    the cap.
         * @param activeConnections connections now.
         */
        public PlanUsage
        {
            Objects.requireNonNull(planId, "planId");
        }
    }

    /**
     * Packets and IPv4 bytes forwarded since the agent started, per direction.
     *
     * @param packetsToTarget packets from clients towards targets.
     * @param bytesToTarget   their bytes.
     * @param packetsToClient packets from targets towards clients.
     * @param bytesToClient   their bytes.
     */
    public record Traffic(long packetsToTarget, long bytesToTarget, long packetsToClient, long bytesToClient)
    {
        /** No traffic. */
        public static final Traffic NONE = new Traffic(0, 0, 0, 0);
    }

    /**
     * One listener's connections and traffic.
     *
     * @param name              the listener's name ({@code displayName}, else {@code tcp-<port>}).
     * @param port              its TCP port.
     * @param activeConnections connections tracked now for this listener.
     * @param traffic           what was forwarded for it.
     */
    public record ListenerStatus(String name, int port, long activeConnections, Traffic traffic)
    {
        /**
         * @param name              the name.
         * @param port              the port.
         * @param activeConnections connections now.
         * @param traffic           the traffic.
         */
        public ListenerStatus
        {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(traffic, "traffic");
        }

        /** A listener that forwarded nothing yet. */
        public ListenerStatus(final String name, final int port, final long activeConnections)
        {
            this(name, port, activeConnections, Traffic.NONE);
        }
    }

    /**
     * One target's health.
     *
     * @param pool             the target pool's name.
     * @param displayName      the target's name.
     * @param ip               the target's address as dotted quad.
     * @param healthy          true when new connections may go to it.
     * @param lastResult       the last probe's outcome for people, e.g. {@code ok} or {@code connection refused};
     *                         null before the first probe.
     * @param lastProbeEpochMs when the last probe finished, epoch ms; {@link #NEVER} before the first probe.
     * @param traffic          what was forwarded to and from it.
     */
    public record TargetStatus(
        String pool, String displayName, String ip, boolean healthy, String lastResult, long lastProbeEpochMs,
        Traffic traffic)
    {
        /** {@link #lastProbeEpochMs()} before the first probe. */
        public static final long NEVER = 0;

        /**
         * @param pool             the pool.
         * @param displayName      the target's name.
         * @param ip               the address.
         * @param healthy          the health.
         * @param lastResult       the last outcome, or null.
         * @param lastProbeEpochMs when, or {@link #NEVER}.
         * @param traffic          the traffic.
         */
        public TargetStatus
        {
            Objects.requireNonNull(pool, "pool");
            Objects.requireNonNull(displayName, "displayName");
            Objects.requireNonNull(ip, "ip");
            Objects.requireNonNull(traffic, "traffic");
        }

        /** A target that nothing was forwarded to yet. */
        public TargetStatus(
            final String pool,
            final String displayName,
            final String ip,
            final boolean healthy,
            final String lastResult,
            final long lastProbeEpochMs)
        {
            this(pool, displayName, ip, healthy, lastResult, lastProbeEpochMs, Traffic.NONE);
        }
    }
}
