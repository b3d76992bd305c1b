package io.tandem.control.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The API's {@code ActiveHealthCheck} of a target pool with every default filled in. A target turns unhealthy after
 * {@code unhealthyThreshold} failed probes in a row ("down after") and healthy again after {@code healthyThreshold}
 * successful ones ("up after"). Immutable.
 *
 * @param interval           time between two probes of a target; positive, at most {@link #MAX_DURATION}.
 * @param intervalJitter     up to this much is added at random to each interval; zero up to {@link #MAX_DURATION}.
 * @param timeout            a probe that takes longer fails; positive, at most {@link #MAX_DURATION}.
 * @param healthyThreshold   successful probes in a row that make a target healthy, 1..1 000 000.
 * @param unhealthyThreshold failed probes in a row that make a target unhealthy, 1..1 000 000.
 * @param altPort            port to probe instead of the pool's {@code targetPort}, or {@link #NO_ALT_PORT}.
 * @param httpHealthChecks   the HTTP check, or null for a TCP connect check.
 */
public record ActiveHealthCheckConfig(
    Duration interval,
    Duration intervalJitter,
    Duration timeout,
    int healthyThreshold,
    int unhealthyThreshold,
    int altPort,
    HttpHealthCheckConfig httpHealthChecks)
{
    /** {@link #altPort()} when the probes go to the pool's {@code targetPort}. */
    public static final int NO_ALT_PORT = 0;
    /** Interval when the file names none. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** Jitter when the file names none. */
    public static final Duration DEFAULT_INTERVAL_JITTER = Duration.ZERO;
    /** Timeout when the file names none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    /** Healthy threshold ("up after") when the file names none. */
    public static final int DEFAULT_HEALTHY_THRESHOLD = 2;
    /** Unhealthy threshold ("down after") when the file names none. */
    public static final int DEFAULT_UNHEALTHY_THRESHOLD = 3;
    /**
     * Longest interval, jitter or timeout. The API sets no bound; Tandem does, because a target probed less often
     * than hourly is not checked in any useful sense, and a bound keeps durations far from overflowing nanoseconds.
     */
    public static final Duration MAX_DURATION = Duration.ofHours(1);
    /** Smallest threshold the API allows. */
    public static final int MIN_THRESHOLD = 1;
    /** Largest threshold the API allows. */
    public static final int MAX_THRESHOLD = 1_000_000;
    /** The check of a pool whose payload has no {@code activeHealthCheck}: the check is on by default. */
    public static final ActiveHealthCheckConfig DEFAULT = new ActiveHealthCheckConfig(
        DEFAULT_INTERVAL, DEFAULT_INTERVAL_JITTER, DEFAULT_TIMEOUT, DEFAULT_HEALTHY_THRESHOLD,
        DEFAULT_UNHEALTHY_THRESHOLD, NO_ALT_PORT, null);

    /**
     * @param interval           time between two probes.
     * @param intervalJitter     random addition to each interval.
     * @param timeout            probe timeout.
     * @param healthyThreshold   "up after".
     * @param unhealthyThreshold "down after".
     * @param altPort            probe port, or {@link #NO_ALT_PORT}.
     * @param httpHealthChecks   the HTTP check, or null.
     */
    public ActiveHealthCheckConfig
    {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(intervalJitter, "intervalJitter");
        Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * @param targetPort the pool's target port.
     * @return the port the prober connects to: {@link #altPort()} when set, else {@code targetPort}.
     */
    public int probePort(final int targetPort)
    {
        return altPort == NO_ALT_PORT ? targetPort : altPort;
    }
}
