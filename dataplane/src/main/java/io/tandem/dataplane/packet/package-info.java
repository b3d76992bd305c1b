/**
 * Flyweights over packet bytes in off-heap memory: Ethernet, ARP, IPv4 and TCP headers, and the Internet checksum
 * (full and incremental, RFC 1071 and RFC 1624). A flyweight holds no packet state of its own; it is wrapped anew
 * over each frame and reads and writes the bytes in place, in network byte order.
 */
package io.tandem.dataplane.packet;
