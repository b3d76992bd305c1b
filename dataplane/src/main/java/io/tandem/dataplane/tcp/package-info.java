/**
 * TCP connection tracking for the balancer: the states a connection passes through as seen from the middle, sequence
 * arithmetic, the named timeouts, and the crafting of the segments the balancer itself sends (RST for untracked
 * segments and refused SYNs, FIN+ACK pairs on idle timeout, ACKs while a closed connection lingers).
 */
package io.tandem.dataplane.tcp;
