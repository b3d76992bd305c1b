/**
 * Packet ports: where a worker receives frames and sends them. {@link io.tandem.dataplane.port.PacketPort} is the
 * contract; {@link io.tandem.dataplane.port.InMemoryPort} is the implementation for tests and benchmarks, and the
 * AF_PACKET ring port plugs in the same way.
 */
package io.tandem.dataplane.port;
