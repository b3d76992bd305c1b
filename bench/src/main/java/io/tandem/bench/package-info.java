/**
 * Benchmarks: JMH benchmarks of the forwarding core and the harness that runs them from {@code ./tandem bench}.
 */
package io.tandem.bench;
