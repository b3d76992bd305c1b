/**
 * Metrics of the node: the memory-mapped counters file the workers write and any process may read, and (later) the
 * Prometheus rendering of it.
 */
package io.tandem.control.metrics;
