/**
 * The flow table: off-heap connection records and an open-addressing index in which both directions of each
 * connection are found by their own 5-tuple; SNAT port allocation against that index; and the intrusive timer wheel
 * that expires records. Everything here is owned by one worker thread and never allocates after construction.
 */
package io.tandem.dataplane.flow;
