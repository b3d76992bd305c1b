package io.tandem.control.admin;

import io.tandem.control.config.ConfigException;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetPoolConfig;
import io.tandem.dataplane.worker.FlowSample;
import org.agrona.concurrent.status.CountersReader;

import java.util.List;

/**
 * What the admin socket asks of the agent. The HTTP layer ({@link AdminServer}) parses and validates payloads with
 * {@link io.tandem.control.config.ConfigReader} before it calls in, and turns the exceptions named here into API
 * errors; the backend owns the configuration, its versions and everything that follows from a change.
 * <p>
 * Methods are called from the admin server's request threads, possibly several at once: an implementation must be
 * thread-safe and should serialise changes itself (compare the version and apply in one step). A call may block
 * while a change is applied; it holds one request thread of a bounded pool, never the data plane.
 */
public interface AdminBackend
{
    /**
     * @return the load balancer in force, with its current {@link LoadBalancerConfig#version()}.
     */
    LoadBalancerConfig loadBalancer();

    /**
     * Replaces the whole load balancer, as the API's {@code UpdateLoadBalancer}.
     *
     * @param proposed      the new load balancer, already read and validated by {@code ConfigReader}.
     * @param basedOnVersion the version the caller read before editing: must equal the current version.
     * @return the load balancer now in force, carrying its new version.
     * @throws StaleVersionException when {@code basedOnVersion} is not the current version (HTTP 409).
     * @throws ConfigException       when the change breaks a rule the payload alone cannot show (HTTP 400).
     * @throws IllegalArgumentException when the change is refused for another reason the caller can fix (HTTP 400).
     */
    LoadBalancerConfig replaceLoadBalancer(LoadBalancerConfig proposed, String basedOnVersion);

    /**
     * Replaces one target pool, as the API's {@code UpdateTargetPool}. {@link LoadBalancerEdits#withTargetPool}
     * builds and re-validates the new load balancer.
     *
     * @param name           the pool's name, from the request path; equals {@code pool.name()}.
     * @param pool           the new pool, already read and validated alone by {@code ConfigReader}.
     * @param basedOnVersion the load balancer version the caller based the change on, or null to apply it whatever
     *                       the current version is (the API's payload carries no version; the admin socket takes
     *                       one from an {@code If-Match} header).
     * @return the load balancer now in force, carrying its new version.
     * @throws UnknownTargetPoolException when the load balancer has no pool of that name (HTTP 404).
     * @throws StaleVersionException      when {@code basedOnVersion} is given and not current (HTTP 409).
     * @throws ConfigException            when the pool does not fit the load balancer, e.g. a target is the VIP
     *                                    (HTTP 400).
     * @throws IllegalArgumentException   when the change is refused for another reason the caller can fix (HTTP 400).
     */
    LoadBalancerConfig updateTargetPool(String name, TargetPoolConfig pool, String basedOnVersion);

    /**
     * @return a consistent view of the node's state now; cheap enough to be asked every few seconds.
     */
    AdminStatus status();

    /**
     * The data plane's counters, for {@link #metrics()}.
     *
     * @return a reader over the counters file, or null when there are none (no workers running).
     */
    default CountersReader counters()
    {
        return null;
    }

    /**
     * @return the metrics in the Prometheus text format 0.0.4; by default every worker counter and the gauges of
     *         {@link #status()}, as {@link PrometheusRenderer} writes them.
     */
    default String metrics()
    {
        return PrometheusRenderer.render(counters(), status());
    }

    /**
     * A sample of the connections the workers track, for {@code GET /v2/flows}.
     *
     * @param limit most connections per worker.
     * @return the sample; empty when there is no data plane behind this backend.
     */
    default List<FlowSample> flows(final int limit)
    {
        return List.of();
    }
}
