package io.tandem.control.config;

import java.util.Objects;

/**
 * The whole configuration file of a node: the node's own settings and the load balancer it serves. Immutable; a
 * validated instance comes from {@link ConfigReader#parse(String)} and goes back to JSON with
 * {@link ConfigWriter#toJson(TandemConfig)}.
 *
 * @param node         the node's own settings.
 * @param loadBalancer the load balancer, in the resource model of the STACKIT load balancer API.
 */
public record TandemConfig(NodeConfig node, LoadBalancerConfig loadBalancer)
{
    /**
     * @param node         the node's own settings.
     * @param loadBalancer the load balancer.
     */
    public TandemConfig
    {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(loadBalancer, "loadBalancer");
    }
}
