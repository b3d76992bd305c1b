/**
 * The election of the pair's active node: VRRPv3 for IPv4 (RFC 5798), wire-compatible with keepalived.
 * {@link io.tandem.control.election.VrrpAdvertisement} encodes and decodes the packets,
 * {@link io.tandem.control.election.VrrpStateMachine} is the RFC's state machine as pure logic with injected time,
 * and {@link io.tandem.control.election.VrrpSpeaker} runs it on one thread over a raw IP socket and reports role
 * changes to a {@link io.tandem.control.election.VrrpListener}.
 */
package io.tandem.control.election;
