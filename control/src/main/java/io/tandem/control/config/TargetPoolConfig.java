package io.tandem.control.config;

import java.util.List;
import java.util.Objects;

/**
 * The API's {@code TargetPool}: the targets a listener forwards to, the port they listen on, how they are checked and
 * whether a client sticks to one target. Immutable.
 *
 * @param name               the pool's name, unique within the load balancer; listeners refer to it.
 * @param targetPort         the port connections are forwarded to, 1..65535.
 * @param targets            the targets, {@value #MIN_TARGETS}..{@value #MAX_TARGETS}, addresses unique.
 * @param activeHealthCheck  the health check, defaults filled in.
 * @param useSourceIpAddress {@code sessionPersistence.useSourceIpAddress}: Maglev on the client's address instead
 *                           of round robin.
 */
public record TargetPoolConfig(
    String name,
    int targetPort,
    List<TargetConfig> targets,
    ActiveHealthCheckConfig activeHealthCheck,
    boolean useSourceIpAddress)
{
    /** Fewest targets of a pool: the API needs at least one target to set a pool up. */
    public static final int MIN_TARGETS = 1;
    /** Most targets of a pool, as the API limits them. */
    public static final int MAX_TARGETS = 250;

    /**
     * @param name               the pool's name.
     * @param targetPort         the target port.
     * @param targets            the targets; copied.
     * @param activeHealthCheck  the health check.
     * @param useSourceIpAddress session persistence on the client's address.
     */
    public TargetPoolConfig
    {
        Objects.requireNonNull(name, "name");
        targets = List.copyOf(targets);
        Objects.requireNonNull(activeHealthCheck, "activeHealthCheck");
    }
}
