/**
 * The demo and end-to-end network: {@link io.tandem.control.demo.Topology} builds clients, a router, a LAN bridge,
 * the node's data interface and HTTP/echo targets in network namespaces (addresses from 198.18.0.0/15 only), and
 * removes all of it again. {@link io.tandem.control.demo.DemoTraffic} sends bounded HTTP traffic through it and
 * counts which target answered. For failover, {@link io.tandem.control.demo.EchoStreams} keeps many long-lived
 * two-way TCP streams through an echo server and checks them byte for byte, and
 * {@link io.tandem.control.demo.ReplyGapProbe} measures the longest time without an HTTP reply.
 */
package io.tandem.control.demo;
