package io.tandem.control.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The API's {@code Listener}: a TCP port on the load balancer's external address and the pool its connections go
 * to. The protocol is always {@value #PROTOCOL_TCP}, the only one Tandem serves. Immutable.
 *
 * @param displayName the listener's name for people, or null when the payload gives none.
 * @param port        the TCP port, 1..65535, unique among the listeners.
 * @param targetPool  the name of a target pool of the same load balancer.
 * @param idleTimeout {@code tcp.idleTimeout}: a connection that forwards no payload this long is closed; positive, at
 *                    most {@link #MAX_IDLE_TIMEOUT}.
 */
public record ListenerConfig(String displayName, int port, String targetPool, Duration idleTimeout)
{
    /** The one protocol Tandem serves, as the API spells it. */
    public static final String PROTOCOL_TCP = "PROTOCOL_TCP";
    /** Idle timeout when the payload names none: 5 minutes, as the API's default. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(300);
    /** Longest idle timeout: one hour, as the API's maximum. */
    public static final Duration MAX_IDLE_TIMEOUT = Duration.ofSeconds(3600);

    /**
     * @param displayName the listener's name, or null.
     * @param port        the TCP port.
     * @param targetPool  the target pool's name.
     * @param idleTimeout the idle timeout.
     */
    public ListenerConfig
    {
        Objects.requireNonNull(targetPool, "targetPool");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
    }

    /**
     * The name for status, logs and the snapshot. The API's read-only {@code name} is {@code <protocol>-<port>} when
     * no display name is given; Tandem does the same with the short protocol name.
     *
     * @return {@link #displayName()} when given, else {@code tcp-<port>}.
     */
    public String name()
    {
        return null != displayName ? displayName : "tcp-" + port;
    }
}
