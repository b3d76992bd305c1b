/**
 * Active health checks of the targets: one thread with a {@link java.nio.channels.Selector} probes every target of
 * every pool by TCP connect or HTTP GET, counts results against the pool's thresholds and reports each change of a
 * target's health at once to a listener, so that the agent can build a new forwarding snapshot within one interval.
 * {@link io.tandem.control.health.HealthChecker} is the entry point; it also answers
 * {@link io.tandem.control.config.TargetHealth} for snapshot builds.
 */
package io.tandem.control.health;
