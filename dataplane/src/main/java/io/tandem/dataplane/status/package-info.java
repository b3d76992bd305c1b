/**
 * Counters of the data plane: every received and emitted frame, every connection event and every drop reason has a
 * named counter per worker, kept in Agrona counters so that another thread, or another process reading the
 * memory-mapped counters file, can read them while the worker writes.
 */
package io.tandem.dataplane.status;
