/**
 * The immutable forwarding snapshot: listeners, target pools with their round-robin lists and Maglev tables, access
 * control, the plan's connection cap and next hops, folded by the control plane into one versioned object and handed
 * to the workers through a {@link io.tandem.dataplane.snapshot.SnapshotExchange}. Workers read it once per burst and
 * never see a half-applied configuration.
 */
package io.tandem.dataplane.snapshot;
