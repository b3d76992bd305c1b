/**
 * The node agent: brings one node up around its data interface (offloads, counters file, ingress rule, workers,
 * service addresses), keeps the workers' next hops in step with the kernel's neighbour table, and takes everything
 * down again in reverse order on shutdown.
 */
package io.tandem.control.agent;
