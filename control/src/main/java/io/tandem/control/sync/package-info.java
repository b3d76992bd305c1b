/**
 * The pair's sync channel: one authenticated, ordered TCP connection between the two nodes of the appliance pair
 * that carries typed messages (flow inserts and removals, configuration) from one node's agent to the other's.
 * {@link io.tandem.control.sync.SyncChannel} is the entry point; it tells a {@link io.tandem.control.sync.SyncHandler}
 * when a session with the peer begins (the moment to send a bulk resync), delivers messages in order and reports every
 * end of a session, so that no gap in the stream of messages goes unnoticed.
 */
package io.tandem.control.sync;
