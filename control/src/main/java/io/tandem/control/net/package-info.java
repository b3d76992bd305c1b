/**
 * The node's network set-up around the data plane: the nftables ingress rule that keeps the kernel from answering
 * the balancer's segments, and the data interface's offload settings. Everything here is undone on shutdown.
 * Also the gratuitous ARPs ({@link io.tandem.control.net.GratuitousArp}) a node sends when it takes over addresses.
 */
package io.tandem.control.net;
