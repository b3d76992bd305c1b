/**
 * JMH benchmarks of the forwarding core: the established and new-connection paths through a worker on an in-memory
 * port, flow-table lookups at the largest plan, and Maglev table builds. Each worker benchmark checks the worker's
 * counters after every iteration and fails if a frame took any path but the one it names.
 */
package io.tandem.bench.core;
