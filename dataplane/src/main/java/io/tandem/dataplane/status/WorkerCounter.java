package io.tandem.dataplane.status;

/**
 * The named counters of a worker. Each drop reason and each kind of emitted segment has its own counter; the
 * {@link #label()} is what metrics and the CLI show.
 */
public enum WorkerCounter
{
    /** Frames received from the port. */
    RX_FRAMES("rx_frames"),
    /** Bytes received from the port. */
    RX_BYTES("rx_bytes"),
    /** Frames handed to the port for transmission. */
    TX_FRAMES("tx_frames"),
    /** Bytes handed to the port for transmission. */
    TX_BYTES("tx_bytes"),
    /** Frames that are not Tandem's (ARP, other protocols, other addresses): left to the kernel. */
    PASSED_TO_KERNEL("passed_to_kernel"),
    /** Segments forwarded from a client to a target. */
    FORWARDED_TO_TARGET("forwarded_to_target"),
    /** Segments forwarded from a target to a client. */
    FORWARDED_TO_CLIENT("forwarded_to_client"),

    /** Connections created by a SYN. */
    CONNECTIONS_OPENED("connections_opened"),
    /** Connections closed by FIN in both directions. */
    CONNECTIONS_CLOSED_FIN("connections_closed_fin"),
    /** Connections closed by an RST from either side. */
    CONNECTIONS_CLOSED_RST("connections_closed_rst"),
    /** Connections closed by the balancer after the listener's idle timeout. */
    CONNECTIONS_IDLE_TIMEOUT("connections_idle_timeout"),
    /** Connections forgotten because the SYN or SYN-ACK got no answer. */
    CONNECTIONS_HANDSHAKE_TIMEOUT("connections_handshake_timeout"),
    /** Closing connections forgotten after their final timeout. */
    CONNECTIONS_CLOSE_TIMEOUT("connections_close_timeout"),
    /** A SYN for a 4-tuple whose previous connection was closing replaced it. */
    CONNECTIONS_REUSED("connections_reused"),

    /** SYNs refused: the plan's connection cap is reached. */
    REFUSED_PLAN_CAP("refused_plan_cap"),
    /** SYNs refused: the listener's pool has no healthy target. */
    REFUSED_NO_HEALTHY_TARGET("refused_no_healthy_target"),
    /** SYNs refused: no free SNAT port towards the chosen target. */
    REFUSED_NO_SNAT_PORT("refused_no_snat_port"),
    /** SYNs refused: the worker's flow table is full. */
    REFUSED_TABLE_FULL("refused_table_full"),
    /** SYNs dropped silently: the source is outside the listener's allowed ranges. */
    DROP_ACL("drop_acl"),

    /** Dropped: frame too short for the headers it claims. */
    DROP_TRUNCATED("drop_truncated"),
    /** Dropped: IPv4 version, header length or total length inconsistent with the frame. */
    DROP_BAD_IP_HEADER("drop_bad_ip_header"),
    /** Dropped: IPv4 options (not supported on the forwarding path). */
    DROP_IP_OPTIONS("drop_ip_options"),
    /** Dropped: IPv4 fragment. */
    DROP_FRAGMENT("drop_fragment"),
    /** Dropped: IPv4 header checksum wrong. */
    DROP_BAD_IP_CHECKSUM("drop_bad_ip_checksum"),
    /** Dropped: TCP header length impossible, or malformed flag combination. */
    DROP_BAD_TCP_HEADER("drop_bad_tcp_header"),
    /** Dropped: TCP checksum wrong. */
    DROP_BAD_TCP_CHECKSUM("drop_bad_tcp_checksum"),
    /** Dropped: TTL would reach zero. */
    DROP_TTL_EXCEEDED("drop_ttl_exceeded"),
    /** Dropped: no MAC known for the next hop. */
    DROP_NO_NEXT_HOP("drop_no_next_hop"),
    /** Dropped: the port's transmit ring was full. */
    DROP_TX_FULL("drop_tx_full"),
    /** Dropped: an RST for a connection the balancer does not track (never answered). */
    DROP_UNTRACKED_RST("drop_untracked_rst"),
    /** Dropped: a segment for a connection the balancer closed on idle timeout, while it lingers. */
    DROP_AFTER_IDLE_CLOSE("drop_after_idle_close"),

    /** Emitted: RST answering a segment of an untracked connection. */
    TX_RST_UNTRACKED("tx_rst_untracked"),
    /** Emitted: RST refusing a SYN (plan cap, no healthy target, no SNAT port, table full). */
    TX_RST_REFUSED("tx_rst_refused"),
    /** Not emitted: an RST suppressed by the rate limit. */
    RST_RATE_LIMITED("rst_rate_limited"),
    /** Emitted: FIN+ACK to a target or a client on idle timeout. */
    TX_FIN_IDLE_TIMEOUT("tx_fin_idle_timeout"),
    /** Emitted: ACK of a peer's FIN after the balancer closed the connection on idle timeout. */
    TX_ACK_AFTER_IDLE_CLOSE("tx_ack_after_idle_close"),

    /** Frames for the balancer that arrived while the node is passive: dropped, the active node serves them. */
    DROP_STANDBY("drop_standby"),
    /** Connection inserts and removals handed to the sync channel. */
    SYNC_SENT("sync_sent"),
    /** Sync messages that found the outbox full: the control plane starts a bulk resync. */
    SYNC_OVERFLOW("sync_overflow"),
    /** Connections installed or refreshed from the peer. */
    SYNC_INSTALLED("sync_installed"),
    /** Replicated connections removed because the peer forgot them. */
    SYNC_REMOVED("sync_removed"),
    /** Replicated connections that collided with a connection of this node's own: the own one is kept. */
    SYNC_CONFLICTS("sync_conflicts"),
    /** Replicated connections swept after a bulk resync did not mention them. */
    SYNC_SWEPT("sync_swept"),

    /** Snapshots picked up by the worker. */
    SNAPSHOT_SWAPS("snapshot_swaps"),
    /** Duty cycles run; with {@link #BUSY_CYCLES}, how busy the worker is. */
    DUTY_CYCLES("duty_cycles"),
    /** Duty cycles that found work (frames, timers or a request). */
    BUSY_CYCLES("busy_cycles"),
    /** Exceptions caught on the worker (a bug: see the error log). */
    WORKER_ERRORS("worker_errors");

    private final String label;

    WorkerCounter(final String label)
    {
        this.label = label;
    }

    /** @return the counter's name in metrics and the CLI. */
    public String label()
    {
        return label;
    }
}
