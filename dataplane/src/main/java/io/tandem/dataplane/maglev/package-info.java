/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4): an immutable, off-heap lookup table of
 * {@link io.tandem.dataplane.maglev.MaglevTable#TABLE_SIZE} slots that maps a client hash to a backend index, built
 * on the control thread and read allocation-free by the workers. Tables are deterministic functions of the backend
 * keys, so both nodes of an appliance pair pick the same backend for a client and persistence survives failover.
 */
package io.tandem.dataplane.maglev;
