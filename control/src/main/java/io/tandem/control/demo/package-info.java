/**
 * The demo and end-to-end network: {@link io.tandem.control.demo.Topology} builds clients, a router, a LAN bridge,
 * the node's data interface and HTTP/echo targets in network namespaces (addresses from 198.18.0.0/15 only), and
 * removes all of it again. {@link io.tandem.control.demo.DemoTraffic} sends bounded HTTP traffic through it and
 * counts which target answered.
 */
package io.tandem.control.demo;
